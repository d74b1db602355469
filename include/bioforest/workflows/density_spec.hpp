// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The density-counting project spec (schemas/density_counting.schema.json): training images
/// with dot annotations, the dot Gaussians' sigma, which pixels train the forest, the pixel
/// features and the regression forest.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bioforest/core/axes.hpp"
#include "bioforest/features/background.hpp"
#include "bioforest/features/selection.hpp"
#include "bioforest/learn/forest_options.hpp"
#include "bioforest/workflows/density_features.hpp"

namespace bioforest::workflows {

/// Which pixels of the training images become training samples.
enum class DensitySampling {
  all,      ///< every pixel of every training image (the default: accurate)
  ilastik,  ///< density > 1e-4 plus background strokes, as ilastik does (for comparison)
};
std::string_view sampling_name(DensitySampling s);

struct DensityTrainingImage {
  std::string image;       ///< resolved against the spec's folder
  std::string dots;        ///< CSV of points or a dot image; may be empty when `labels` is set
  std::string background;  ///< optional: non-zero = background stroke
  std::string labels;      ///< optional: ilastik's layout, 1 = dot, 2 = background
  std::optional<Axes> input_axes, label_axes;
};

/// An image whose boxes carry object counts (box constraints): read like `density count
/// --boxes` files, with a "count" on every box. It trains the linear density only.
struct DensityBoxImage {
  std::string image;  ///< resolved against the spec's folder
  std::string boxes;  ///< JSON of boxes, each with its "count"
  std::optional<Axes> input_axes;
};

struct DensitySpec {
  std::string file;         ///< where it was read from ("" if built in memory)
  nlohmann::json document;  ///< the spec as written (stored in models)
  features::FeatureSelection features;
  std::vector<std::size_t> channels;                ///< input channels used; empty = all
  std::vector<DensityFeatureGroup> feature_groups;  ///< extra features on other channels
  double sigma = 2.5;                               ///< ilastik's default
  /// Subtracted from the image before the features (spec "background"; by default
  /// default_density_background(sigma), "none" = off as in ilastik).
  features::BackgroundOptions background;
  DensitySampling sampling = DensitySampling::all;
  double pixel_fraction = 1.0;  ///< uniform random share of the sampled pixels kept
  std::vector<DensityTrainingImage> training;
  std::vector<DensityBoxImage> box_annotations;  ///< needs refine "linear"
  int trees_per_forest = 10;                     ///< ilastik: 10
  int forests = 4;                               ///< ilastik: 4 forests on quarter subsamples
  /// The forest as trained: forests * trees_per_forest trees, each drawing sample_fraction
  /// (default 1/forests) of the samples, max depth 50, leaves of at least 5 draws
  /// (ilastik: 1), features in 256 quantile bins (ilastik: exact).
  learn::ForestOptions forest;
  /// "third" (F/3), "sqrt" or "all": features tried per split, resolved once the feature
  /// count is known; ignored when forest.mtry is a count.
  std::string mtry_rule = "third";
  /// Upper bound on the draws of one tree (0 = none): sample_fraction is lowered to meet it.
  std::size_t max_samples_per_tree = 30000;
  /// "none", "stacked" (density_refine.hpp: a second forest on the pixel features plus the
  /// out-of-fold stage-1 density smoothed at refine_scales, with folds by training image) or
  /// "linear" (density_linear.hpp: a linear density on the out-of-fold forest density).
  std::string refine = "none";
  std::vector<double> refine_scales{0, 8, 16, 32};
  std::size_t refine_folds = 3;
  /// "linear" (density_linear.hpp): the crowding scales of the terms and the tile side.
  std::vector<double> linear_scales;
  std::size_t linear_tile = 32;
  /// Leaves of the stage-2 forest (0 = the regressor's min_samples_leaf).
  int refine_min_samples_leaf = 20;
};

/// The background subtraction a spec without "background" gets: a box of half-side 7 sigma
/// rounded down (at ilastik's sigma of about an object's radius, wider than clumps of a few
/// objects), smoothed at 3.2 sigma; at sigma 2.5, radius 17 and smoothing 8.
features::BackgroundOptions default_density_background(double sigma);

/// forest.mtry for `n_features` features under the spec's rule.
int resolve_mtry(const DensitySpec& spec, std::size_t n_features);
/// The forest options for `n_samples` samples and `n_features` features: mtry resolved, the
/// sample fraction capped by max_samples_per_tree.
learn::ForestOptions resolve_forest(const DensitySpec& spec, std::size_t n_samples,
                                    std::size_t n_features);

/// Reads and validates a spec file: JSON syntax, the schema (every violation at once, with
/// JSON pointers), then the feature selection's own rules. Throws Error{usage} naming the file.
DensitySpec load_density_spec(const std::string& path);
/// The same from an in-memory document; relative paths resolve against `file`'s folder.
DensitySpec density_spec_from_json(const nlohmann::json& doc, const std::string& file);

}  // namespace bioforest::workflows
