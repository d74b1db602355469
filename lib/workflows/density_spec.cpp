// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/density_spec.hpp"

#include <algorithm>
#include <cmath>

#include "bioforest/core/error.hpp"
#include "bioforest/workflows/spec_file.hpp"

namespace bioforest::workflows {

std::string_view sampling_name(DensitySampling s) {
  return s == DensitySampling::ilastik ? "ilastik" : "all";
}

namespace {

void parse_regressor(const nlohmann::json& r, DensitySpec& s) {
  s.trees_per_forest = r.value("trees", 10);
  s.forests = r.value("forests", 4);
  learn::ForestOptions& o = s.forest;
  o.n_trees = s.trees_per_forest * s.forests;
  o.sample_fraction =
      r.contains("sample_fraction") ? r["sample_fraction"].get<double>() : 1.0 / double(s.forests);
  o.max_depth = 50;
  if (r.contains("max_depth"))
    o.max_depth = r["max_depth"].is_null() ? 0 : r["max_depth"].get<int>();
  if (r.contains("mtry")) {
    if (r["mtry"].is_number_integer())
      o.mtry = r["mtry"].get<int>();
    else
      s.mtry_rule = r["mtry"].get<std::string>();
  }
  o.min_samples_leaf = r.value("min_samples_leaf", 5);
  if (r.contains("max_samples_per_tree"))
    s.max_samples_per_tree =
        r["max_samples_per_tree"].is_null() ? 0 : r["max_samples_per_tree"].get<std::size_t>();
  o.max_bins = r.value("max_bins", 256);
  o.seed = r.value("seed", std::uint64_t(0));
  o.bootstrap = true;
  // Out-of-bag predictions over millions of pixels cost as much as training and are not
  // used by the density workflow.
  o.compute_oob = false;
}

features::BackgroundOptions parse_background(const nlohmann::json& doc, double sigma) {
  if (!doc.contains("background")) return default_density_background(sigma);
  const nlohmann::json& b = doc["background"];
  if (b.is_string()) return {};  // "none" (the schema allows nothing else)
  features::BackgroundOptions o = default_density_background(sigma);
  o.radius = b.value("radius", o.radius);
  o.smoothing = b.value("smoothing", o.smoothing);
  return o;
}

}  // namespace

features::BackgroundOptions default_density_background(double sigma) {
  features::BackgroundOptions o;
  o.radius = std::max<std::size_t>(1, std::size_t(std::floor(7.0 * sigma)));
  o.smoothing = 3.2 * sigma;
  return o;
}

DensitySpec density_spec_from_json(const nlohmann::json& doc, const std::string& file) {
  spec::throw_if_invalid(spec::check_against_schema(doc, "density_counting.schema.json"), file);
  DensitySpec s;
  s.file = file;
  s.document = doc;
  s.features = with_context("reading /features of " + file,
                            [&] { return features::selection_from_json(doc["features"], file); });
  if (doc.contains("channels")) s.channels = doc["channels"].get<std::vector<std::size_t>>();
  if (doc.contains("feature_groups"))
    s.feature_groups = feature_groups_from_json(doc["feature_groups"], file);
  s.sigma = doc.value("sigma", 2.5);
  s.background = parse_background(doc, s.sigma);
  s.sampling = doc.value("sampling", std::string("all")) == "ilastik" ? DensitySampling::ilastik
                                                                      : DensitySampling::all;
  s.pixel_fraction = doc.value("pixel_fraction", 1.0);
  for (const auto& t : doc["training"]) {
    DensityTrainingImage ti;
    ti.image = spec::resolve_path(file, t["image"].get<std::string>());
    if (t.contains("dots")) ti.dots = spec::resolve_path(file, t["dots"].get<std::string>());
    if (t.contains("background"))
      ti.background = spec::resolve_path(file, t["background"].get<std::string>());
    if (t.contains("labels")) ti.labels = spec::resolve_path(file, t["labels"].get<std::string>());
    if (t.contains("input_axes")) ti.input_axes = Axes(t["input_axes"].get<std::string>());
    if (t.contains("label_axes")) ti.label_axes = Axes(t["label_axes"].get<std::string>());
    s.training.push_back(std::move(ti));
  }
  for (const auto& b : doc.value("box_annotations", nlohmann::json::array())) {
    DensityBoxImage bi;
    bi.image = spec::resolve_path(file, b["image"].get<std::string>());
    bi.boxes = spec::resolve_path(file, b["boxes"].get<std::string>());
    if (b.contains("input_axes")) bi.input_axes = Axes(b["input_axes"].get<std::string>());
    s.box_annotations.push_back(std::move(bi));
  }
  parse_regressor(doc.value("regressor", nlohmann::json::object()), s);
  s.refine = doc.value("refine", s.refine);
  // Box counts constrain region sums, which only the linear density is fitted to.
  if (!s.box_annotations.empty() && s.refine != "linear")
    throw Error(ErrorCategory::usage,
                "/box_annotations: box counts train the linear density; set \"refine\": "
                "\"linear\"",
                file);
  if (doc.contains("refine_scales"))
    s.refine_scales = doc["refine_scales"].get<std::vector<double>>();
  s.refine_folds = doc.value("refine_folds", s.refine_folds);
  if (doc.contains("linear_scales"))
    s.linear_scales = doc["linear_scales"].get<std::vector<double>>();
  s.linear_tile = doc.value("linear_tile", s.linear_tile);
  s.refine_min_samples_leaf = doc.value("refine_min_samples_leaf", s.refine_min_samples_leaf);
  return s;
}

int resolve_mtry(const DensitySpec& spec, std::size_t n_features) {
  if (spec.forest.mtry > 0) return spec.forest.mtry;
  if (spec.mtry_rule == "all") return int(n_features);
  if (spec.mtry_rule == "sqrt") return std::max(1, int(std::lround(std::sqrt(double(n_features)))));
  return std::max(1, int(n_features / 3));
}

learn::ForestOptions resolve_forest(const DensitySpec& spec, std::size_t n_samples,
                                    std::size_t n_features) {
  learn::ForestOptions o = spec.forest;
  o.mtry = resolve_mtry(spec, n_features);
  if (spec.max_samples_per_tree && n_samples)
    o.sample_fraction =
        std::min(o.sample_fraction, double(spec.max_samples_per_tree) / double(n_samples));
  return o;
}

DensitySpec load_density_spec(const std::string& path) {
  return density_spec_from_json(spec::read_json_file(path), path);
}

}  // namespace bioforest::workflows
