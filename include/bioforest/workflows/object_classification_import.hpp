// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik Object Classification projects (.ilp, the "from prediction image", "from binary
/// image", "from label image" and "from pixel classification" workflows) as bioforest object
/// models: the threshold settings, the selected object features in ilastik's classifier
/// column order, the label names and colours, the labelled objects, and the trained vigra
/// forest when the project stores one.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bioforest/core/run_context.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/workflows/object_classification.hpp"

namespace bioforest::workflows {

struct ObjectImportOptions {
  /// Train bioforest's forest on the project's labelled objects instead of importing
  /// ilastik's trained forest (projects saved without a classifier need this).
  bool retrain = false;
  /// Retraining only: these features (our names) instead of the project's selection, e.g.
  /// while objfeatures lacks some of the selected ones; "supported": the project's selection
  /// without what objfeatures lacks; "default": every feature objfeatures computes. Empty:
  /// the project's selection.
  std::vector<std::string> features;
};

/// The project's selected features: ours (vigra names, in ilastik's classifier column order:
/// plugins sorted by name, features sorted by name inside each, ilastik.md §7.4), and the
/// ones objfeatures does not compute ("plugin/feature").
struct IlpFeatureSelection {
  std::vector<std::string> ours, missing;
};
IlpFeatureSelection ilp_feature_selection(const h5::File& ilp);

/// The project's selected features as our names, in ilastik's classifier column order.
/// Error{input} naming the project and every selected feature objfeatures does not compute.
std::vector<std::string> ilp_object_features(const h5::File& ilp);

/// The neighbourhood margin (x, y, z) ilastik stored with the selected neighbourhood
/// features; ilastik's GUI default (30, 30, 1) when none is stored.
Margin ilp_margin(const h5::File& ilp);

/// The project's thresholding (ThresholdTwoLevels) for "from prediction image" projects;
/// connected components of a mask for "from binary image"; the label image as it is for
/// "from label image". Error{input} for a thresholding method bioforest lacks (graph cut).
ThresholdSettings ilp_threshold_settings(const h5::File& ilp);

/// ilastik's object ids of time point `t` of lane `lane` on the (z,) y, x grid `spatial`,
/// from the object label image the project caches (ObjectExtraction/LabelImage_v2, stored
/// t, x, y, z, c). Empty if the project caches none.
std::vector<std::uint32_t> ilp_object_ids(const h5::File& ilp, std::size_t lane, std::size_t t,
                                          const Shape& spatial);

/// The labelled objects of lane `lane`: per time point, ilastik object id -> class 1..K
/// (ObjectClassification/LabelInputs).
std::vector<std::map<std::uint32_t, int>> ilp_object_labels(const h5::File& ilp, std::size_t lane);

/// The project as a model: ilastik's forest imported (its columns matched to ours by count),
/// or with options.retrain our forest trained on the labelled objects of every lane (objects
/// matched to ilastik's through the cached object label image, else by id).
ObjectModel import_ilp_object_model(const std::string& ilp, const ObjectImportOptions& options,
                                    const RunContext& ctx);

}  // namespace bioforest::workflows
