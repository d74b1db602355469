// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// A trained pixel classifier: everything `predict` needs, and what it was trained on.
/// Stored as HDF5 (our model files) or read straight from an ilastik `.ilp` project.

#include <string>
#include <vector>

#include "bioforest/features/selection.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/learn/classification_forest.hpp"
#include "bioforest/workflows/pixel_spec.hpp"

namespace bioforest::workflows {

struct PixelModel {
  std::vector<PixelClass> classes;  ///< probability channel k = class k+1
  features::FeatureSelection features;
  std::size_t input_channels = 1;  ///< raw channels the model expects
  int spatial_rank = 2;            ///< 2: images (yx), 3: volumes (zyx)
  learn::ClassificationForest forest;
  std::vector<std::string> feature_names;
  std::string spec_json;  ///< the training spec as written ("" for imports)
  std::string spec_file;
  std::string training_digest;              ///< SHA-256 of the training matrix and labels
  std::vector<std::uint64_t> label_counts;  ///< labelled pixels per class
  std::string source = "bioforest";         ///< or "ilastik <version>" for imported projects
};

/// The root attributes every bioforest model file carries (kind, format version, bioforest
/// version, provenance), and their check on reading (Error{input} for another kind or a
/// newer format).
void write_model_header(h5::File& file, const std::string& kind, const std::string& source);
void check_model_header(const h5::File& file, const std::string& kind);

/// A pixel model inside a group of a model file ("/" or e.g. "/stage1" for autocontext).
void write_pixel_model(h5::File& file, const std::string& group, const PixelModel& model);
PixelModel read_pixel_model(const h5::File& file, const std::string& group);

/// Writes the model atomically (temporary file, rename). Error{usage} if it exists and
/// !overwrite.
void save_pixel_model(const PixelModel& model, const std::string& path, bool overwrite);

/// Reads a bioforest model file, or an ilastik Pixel Classification `.ilp` project (its
/// feature selection, label names and colours, and trained forests). Error{input} for a
/// file that is neither, or a project without a trained classifier.
PixelModel load_pixel_model(const std::string& path);

/// Reads an ilastik project (group names of stage `stage_suffix`: "" for the first,
/// "01" for autocontext's second stage).
PixelModel import_ilp_pixel_model(const std::string& ilp, const std::string& stage_suffix = "");

/// Only the feature selection and the classes of an ilastik project (no forest needed).
PixelModel ilp_pixel_settings(const std::string& ilp, const std::string& stage_suffix = "");

/// A human-readable description (pxclassify info) and its JSON twin.
std::string describe_pixel_model(const PixelModel& model);
nlohmann::ordered_json pixel_model_json(const PixelModel& model);

}  // namespace bioforest::workflows
