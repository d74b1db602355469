// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/pixel_spec.hpp"

#include <cmath>

#include "bioforest/core/error.hpp"
#include "bioforest/workflows/spec_file.hpp"

namespace bioforest::workflows {

std::array<std::uint8_t, 3> default_class_color(std::size_t index) {
  // ilastik's first label colours (PixelClassification/LabelColors of a new project).
  static const std::array<std::array<std::uint8_t, 3>, 8> colors{{{255, 0, 0},
                                                                  {0, 255, 0},
                                                                  {255, 255, 0},
                                                                  {0, 0, 255},
                                                                  {255, 0, 255},
                                                                  {0, 255, 255},
                                                                  {255, 105, 180},
                                                                  {102, 205, 170}}};
  return colors[index % colors.size()];
}

namespace {

std::array<std::uint8_t, 3> parse_color(const nlohmann::json& c) {
  if (c.is_string()) {
    const std::string s = c.get<std::string>();
    auto byte = [&](int i) { return std::uint8_t(std::stoi(s.substr(1 + 2 * i, 2), nullptr, 16)); };
    return {byte(0), byte(1), byte(2)};
  }
  return {c[0].get<std::uint8_t>(), c[1].get<std::uint8_t>(), c[2].get<std::uint8_t>()};
}

}  // namespace

learn::ForestOptions parse_forest_options(const nlohmann::json& f, std::size_t n_classes,
                                          const std::string& file) {
  learn::ForestOptions o;
  if (f.contains("trees")) o.n_trees = f["trees"].get<int>();
  if (f.contains("mtry") && f["mtry"].is_number_integer()) o.mtry = f["mtry"].get<int>();
  if (f.contains("max_depth") && !f["max_depth"].is_null()) o.max_depth = f["max_depth"].get<int>();
  if (f.contains("min_samples_leaf")) o.min_samples_leaf = f["min_samples_leaf"].get<int>();
  if (f.contains("bootstrap")) o.bootstrap = f["bootstrap"].get<bool>();
  if (f.contains("balanced_sampling")) o.balanced_sampling = f["balanced_sampling"].get<bool>();
  if (f.contains("seed")) o.seed = f["seed"].get<std::uint64_t>();
  if (f.contains("class_weights")) {
    const auto& w = f["class_weights"];
    if (w.is_string()) {
      o.balanced_class_weights = w.get<std::string>() == "balanced";
    } else {
      o.class_weights = w.get<std::vector<double>>();
      if (o.class_weights.size() != n_classes)
        throw Error(
            ErrorCategory::usage,
            "invalid spec: /forest/class_weights: " + std::to_string(o.class_weights.size()) +
                " weights for " + std::to_string(n_classes) + " classes",
            file);
    }
  }
  return o;
}

std::vector<std::string> class_names(const std::vector<PixelClass>& classes) {
  std::vector<std::string> n;
  for (const auto& c : classes)
    n.push_back(c.name);
  return n;
}

std::vector<PixelClass> parse_classes(const nlohmann::json& classes) {
  std::vector<PixelClass> out;
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const auto& c = classes[i];
    out.push_back({c["name"].get<std::string>(),
                   c.contains("color") ? parse_color(c["color"]) : default_class_color(i)});
  }
  return out;
}

PixelClassificationSpec pixel_spec_from_json(const nlohmann::json& doc, const std::string& file) {
  spec::throw_if_invalid(spec::check_against_schema(doc, "pixel_classification.schema.json"), file);
  PixelClassificationSpec s;
  s.file = file;
  s.document = doc;
  s.classes = parse_classes(doc["classes"]);
  s.features = with_context("reading /features of " + file,
                            [&] { return features::selection_from_json(doc["features"], file); });
  for (const auto& t : doc["training"]) {
    TrainingImage ti;
    ti.image = spec::resolve_path(file, t["image"].get<std::string>());
    ti.labels = spec::resolve_path(file, t["labels"].get<std::string>());
    if (t.contains("prediction_mask"))
      ti.prediction_mask = spec::resolve_path(file, t["prediction_mask"].get<std::string>());
    if (t.contains("input_axes")) ti.input_axes = Axes(t["input_axes"].get<std::string>());
    if (t.contains("label_axes")) ti.label_axes = Axes(t["label_axes"].get<std::string>());
    s.training.push_back(std::move(ti));
  }
  s.forest =
      parse_forest_options(doc.value("forest", nlohmann::json::object()), s.classes.size(), file);
  return s;
}

PixelClassificationSpec load_pixel_spec(const std::string& path) {
  return pixel_spec_from_json(spec::read_json_file(path), path);
}

}  // namespace bioforest::workflows
