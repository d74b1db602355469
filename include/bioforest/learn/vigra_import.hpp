// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Reading forests trained by ilastik: vigra RF v2 HDF5 groups inside an .ilp, so that a
/// user's trained classifier runs in bioforest unchanged.

#include <string>

#include "bioforest/learn/classification_forest.hpp"

namespace bioforest::h5 {
class File;
}

namespace bioforest::learn {

/// All `Forest*` groups under `classifier_group` (e.g. "PixelClassification/
/// ClassifierForests", or "PixelClassification01/..." for autocontext stage 2) as one
/// forest: vigra's per-forest means averaged with weights = tree counts, which is what
/// ilastik computes. Probability columns: labels 1..len(LabelNames) when the parent group
/// has LabelNames (classes never trained give 0), else `known_labels`. Feature names from
/// `feature_names` when present. Throws Error{input} on a malformed group.
ClassificationForest import_vigra_forests(const h5::File& ilp, const std::string& classifier_group);

/// One vigra RF group (as written by vigra's rf_export_HDF5 / RandomForest.writeHDF5):
/// its trees with K class-distribution leaves (K = class_count_).
TreeEnsemble import_vigra_forest(const h5::File& file, const std::string& forest_group);

}  // namespace bioforest::learn
