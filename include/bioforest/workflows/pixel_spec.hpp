// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The pixel-classification project spec (schemas/pixel_classification.schema.json):
/// classes, feature selection, training images with sparse labels, forest parameters.

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bioforest/core/axes.hpp"
#include "bioforest/features/selection.hpp"
#include "bioforest/learn/forest_options.hpp"

namespace bioforest::workflows {

struct PixelClass {
  std::string name;
  std::array<std::uint8_t, 3> color{0, 0, 0};
};

struct TrainingImage {
  std::string image;            ///< resolved against the spec's folder
  std::string labels;           ///< 0 = unlabelled, k = class k
  std::string prediction_mask;  ///< optional
  std::optional<Axes> input_axes, label_axes;
};

struct PixelClassificationSpec {
  std::string file;         ///< where it was read from ("" if built in memory)
  nlohmann::json document;  ///< the spec as written (stored in models)
  std::vector<PixelClass> classes;
  features::FeatureSelection features;
  std::vector<TrainingImage> training;
  learn::ForestOptions forest;
};

/// Reads and validates a spec file: JSON syntax, the schema (every violation at once, with
/// JSON pointers), then the feature selection's own rules. Throws Error{usage} naming the file.
PixelClassificationSpec load_pixel_spec(const std::string& path);
/// The same from an in-memory document; relative paths resolve against `file`'s folder.
PixelClassificationSpec pixel_spec_from_json(const nlohmann::json& doc, const std::string& file);

/// The "forest" object of a spec (defaults for missing keys); Error{usage} naming `file`.
learn::ForestOptions parse_forest_options(const nlohmann::json& forest, std::size_t n_classes,
                                          const std::string& file);
/// The "classes" list of a spec (default colours where none is given).
std::vector<PixelClass> parse_classes(const nlohmann::json& classes);

/// The classes' names, in class order (class k at k - 1).
std::vector<std::string> class_names(const std::vector<PixelClass>& classes);

/// ilastik's default label colours (class 1 red, 2 green, 3 yellow, ...).
std::array<std::uint8_t, 3> default_class_color(std::size_t index);

}  // namespace bioforest::workflows
