// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// A trained density counter: the feature selection, the input channels it reads, the
/// regression forest, and what it was trained on. Stored as HDF5.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bioforest/features/background.hpp"
#include "bioforest/features/selection.hpp"
#include "bioforest/learn/regression_forest.hpp"

#include "bioforest/workflows/density_features.hpp"

namespace bioforest::workflows {

struct DensityModel {
  features::FeatureSelection features;
  std::size_t input_channels = 1;                   ///< raw channels the images must have
  std::vector<std::size_t> channels;                ///< of those, the ones features are computed on
  std::vector<DensityFeatureGroup> feature_groups;  ///< extra features, after the main ones
  int spatial_rank = 2;                             ///< 2: images (yx), 3: volumes (zyx)
  double sigma = 2.5;
  features::BackgroundOptions background;  ///< subtracted before the features (if enabled)
  std::string sampling = "all";
  learn::RegressionForest forest;
  std::vector<std::string> feature_names;
  std::string spec_json;
  std::string spec_file;
  std::string training_digest;     ///< SHA-256 of the training matrix and targets
  std::uint64_t n_samples = 0;     ///< training pixels
  std::uint64_t n_dots = 0;        ///< annotated dots
  std::uint64_t n_background = 0;  ///< background-stroke pixels
  /// "none", or "stacked": `forest` is stage 1 and `refine_forest` stage 2, which reads the
  /// pixel features followed by the stage-1 density smoothed at each of refine_scales
  /// (0 = unsmoothed); see density_refine.hpp.
  /// "linear": the density is the linear model of density_linear.hpp on the forest's
  /// density, with crowding scales refine_scales and weights refine_weights (1 + scales).
  std::string refine = "none";
  std::vector<double> refine_scales;
  std::uint64_t refine_folds = 0;
  learn::RegressionForest refine_forest;
  std::vector<double> refine_weights;
  std::uint64_t refine_boxes = 0;  ///< "linear": annotated boxes its weights were fitted to
  bool stacked() const { return refine == "stacked"; }
  bool linear() const { return refine == "linear"; }
};

/// Writes the model atomically (temporary file, rename). Error{usage} if it exists and
/// !overwrite.
void save_density_model(const DensityModel& model, const std::string& path, bool overwrite);

/// Reads a model written by save_density_model; Error{input} for any other file.
DensityModel load_density_model(const std::string& path);

/// A human-readable description (density info) and its JSON twin.
std::string describe_density_model(const DensityModel& model);
nlohmann::ordered_json density_model_json(const DensityModel& model);

}  // namespace bioforest::workflows
