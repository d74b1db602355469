// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/features/selection.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bioforest/core/error.hpp"
#include "bioforest/features/kernels.hpp"
#include "scale_plan.hpp"

namespace bioforest::features {

namespace {

constexpr std::array<std::string_view, kFamilyCount> kIds = {
    "GaussianSmoothing",     "LaplacianOfGaussian",        "GaussianGradientMagnitude",
    "DifferenceOfGaussians", "StructureTensorEigenvalues", "HessianOfGaussianEigenvalues"};
constexpr std::array<std::string_view, kFamilyCount> kTitles = {
    "Gaussian Smoothing",      "Laplacian of Gaussian",        "Gaussian Gradient Magnitude",
    "Difference of Gaussians", "Structure Tensor Eigenvalues", "Hessian of Gaussian Eigenvalues"};

bool same_scale(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(a));
}

std::ptrdiff_t find_scale(const std::vector<double>& scales, double s) {
  for (std::size_t i = 0; i < scales.size(); ++i)
    if (same_scale(scales[i], s)) return static_cast<std::ptrdiff_t>(i);
  return -1;
}

std::string all_ids() {
  std::string s;
  for (auto id : kIds)
    s += (s.empty() ? "" : ", ") + std::string(id);
  return s;
}

std::string sigma_text(double s) {
  return "σ=" + python_float_repr(s);
}

}  // namespace

std::string_view family_id(FeatureFamily f) {
  return kIds.at(static_cast<int>(f));
}
std::string_view family_title(FeatureFamily f) {
  return kTitles.at(static_cast<int>(f));
}

FeatureFamily parse_family(std::string_view id) {
  for (int i = 0; i < kFamilyCount; ++i)
    if (kIds[i] == id) return static_cast<FeatureFamily>(i);
  throw_usage("unknown feature '" + std::string(id) + "' (expected one of: " + all_ids() + ")");
}

double family_min_scale(FeatureFamily f) {
  return f == FeatureFamily::GaussianSmoothing ? 0.3 : 0.7;
}

bool family_is_eigen(FeatureFamily f) {
  return f == FeatureFamily::StructureTensorEigenvalues ||
         f == FeatureFamily::HessianOfGaussianEigenvalues;
}

std::string_view scheme_name(Scheme s) {
  return s == Scheme::ilastik ? "ilastik" : "exact";
}

Scheme parse_scheme(std::string_view name) {
  if (name == "ilastik") return Scheme::ilastik;
  if (name == "exact") return Scheme::exact;
  throw_usage("unknown feature scheme '" + std::string(name) + "' (expected ilastik or exact)");
}

const std::vector<double>& default_scales() {
  static const std::vector<double> s = {0.3, 0.7, 1.0, 1.6, 3.5, 5.0, 10.0};
  return s;
}

FeatureSelection FeatureSelection::empty_default() {
  FeatureSelection sel;
  for (int i = 0; i < kFamilyCount; ++i)
    sel.families.push_back(static_cast<FeatureFamily>(i));
  sel.scales = default_scales();
  sel.matrix.assign(kFamilyCount, std::vector<bool>(sel.scales.size(), false));
  return sel;
}

FeatureSelection FeatureSelection::full_default() {
  FeatureSelection sel = empty_default();
  for (std::size_t r = 0; r < sel.families.size(); ++r)
    for (std::size_t c = 0; c < sel.scales.size(); ++c)
      sel.matrix[r][c] = sel.scales[c] >= family_min_scale(sel.families[r]) - 1e-12;
  return sel;
}

void FeatureSelection::select(FeatureFamily family, double scale) {
  auto row_it = std::find(families.begin(), families.end(), family);
  if (row_it == families.end()) {
    families.push_back(family);
    matrix.emplace_back(scales.size(), false);
    row_it = families.end() - 1;
  }
  std::ptrdiff_t col = find_scale(scales, scale);
  if (col < 0) {
    scales.push_back(scale);
    for (auto& row : matrix)
      row.push_back(false);
    if (!compute_in_2d.empty()) compute_in_2d.push_back(compute_in_2d.back());
    col = static_cast<std::ptrdiff_t>(scales.size()) - 1;
  }
  matrix[row_it - families.begin()][col] = true;
}

bool FeatureSelection::any() const {
  for (const auto& row : matrix)
    for (bool b : row)
      if (b) return true;
  return false;
}

bool FeatureSelection::column_in_2d(std::size_t col, bool image_is_3d) const {
  if (compute_in_2d.empty()) return !image_is_3d;
  return compute_in_2d[col];
}

void validate(const FeatureSelection& sel) {
  if (sel.matrix.size() != sel.families.size())
    throw_usage("feature selection: the matrix has " + std::to_string(sel.matrix.size()) +
                " rows for " + std::to_string(sel.families.size()) + " features");
  for (const auto& row : sel.matrix)
    if (row.size() != sel.scales.size())
      throw_usage("feature selection: a matrix row has " + std::to_string(row.size()) +
                  " entries for " + std::to_string(sel.scales.size()) + " scales");
  if (!sel.compute_in_2d.empty() && sel.compute_in_2d.size() != sel.scales.size())
    throw_usage("feature selection: compute_in_2d has " + std::to_string(sel.compute_in_2d.size()) +
                " entries for " + std::to_string(sel.scales.size()) + " scales");
  for (std::size_t i = 0; i < sel.scales.size(); ++i) {
    const double s = sel.scales[i];
    if (!(s > 0.0) || !std::isfinite(s))
      throw_usage("feature selection: scale " + python_float_repr(s) + " is not a positive number");
    if (s > 1000.0)
      throw_usage("feature selection: scale " + python_float_repr(s) + " is absurdly large");
    for (std::size_t k = 0; k < i; ++k)
      if (same_scale(sel.scales[k], s))
        throw_usage("feature selection: scale " + python_float_repr(s) + " is listed twice");
  }
  for (std::size_t r = 0; r < sel.families.size(); ++r)
    for (std::size_t k = 0; k < r; ++k)
      if (sel.families[k] == sel.families[r])
        throw_usage("feature selection: feature " + std::string(family_id(sel.families[r])) +
                    " is listed twice");
  for (std::size_t r = 0; r < sel.families.size(); ++r)
    for (std::size_t c = 0; c < sel.scales.size(); ++c)
      if (sel.matrix[r][c] && sel.scales[c] < family_min_scale(sel.families[r]) - 1e-12)
        throw_usage("feature selection: " + std::string(family_id(sel.families[r])) + " at " +
                    sigma_text(sel.scales[c]) + " is below its minimum scale " +
                    python_float_repr(family_min_scale(sel.families[r])) +
                    " (ilastik allows only GaussianSmoothing below 0.7)");
  if (!sel.any()) throw_usage("feature selection: no feature is selected");
}

void validate_for_shape(const FeatureSelection& sel, const Shape& spatial_shape) {
  validate(sel);
  BIOFOREST_CHECK(spatial_shape.size() == 2 || spatial_shape.size() == 3, "spatial rank 2 or 3");
  const bool has_z = spatial_shape.size() == 3;
  const bool in_3d = has_z && spatial_shape[0] > 1;
  const char* names3[] = {"z", "y", "x"};
  for (std::size_t c = 0; c < sel.scales.size(); ++c) {
    bool used = false;
    for (std::size_t r = 0; r < sel.families.size(); ++r)
      used = used || sel.matrix[r][c];
    if (!used) continue;
    const double s = sel.scales[c];
    const std::size_t need = static_cast<std::size_t>(std::ceil(3.5 * s)) + 1;
    for (std::size_t a = 0; a < spatial_shape.size(); ++a) {
      const char* axis = names3[a + 3 - spatial_shape.size()];
      const bool is_z = has_z && a == 0;
      if (is_z && (!in_3d || sel.column_in_2d(c, in_3d))) continue;
      if (spatial_shape[a] < need)
        throw_usage("feature scale " + sigma_text(s) +
                    " is too large for this image: it needs at least " + std::to_string(need) +
                    " pixels along " + axis + ", the image has " +
                    std::to_string(spatial_shape[a]) +
                    (is_z ? " (compute this scale in 2D, or drop it)" : " (drop this scale)"));
    }
  }
}

std::string python_float_repr(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::vector<std::string> feature_channel_names(const FeatureSelection& sel,
                                               std::size_t n_input_channels, bool in_3d) {
  std::vector<std::string> names;
  for (std::size_t r = 0; r < sel.families.size(); ++r) {
    for (std::size_t c = 0; c < sel.scales.size(); ++c) {
      if (!sel.matrix[r][c]) continue;
      const bool col2d = sel.column_in_2d(c, in_3d);
      const std::size_t per = family_is_eigen(sel.families[r]) ? (col2d || !in_3d ? 2 : 3) : 1;
      const std::size_t k = per * n_input_channels;
      std::string base = std::string(family_title(sel.families[r])) + " (" +
                         sigma_text(sel.scales[c]) + ")" + (col2d ? " in 2D" : "");
      if (k == 1) {
        names.push_back(base);
      } else {
        for (std::size_t q = 0; q < k; ++q)
          names.push_back(base + " [" + std::to_string(q) + "]");
      }
    }
  }
  return names;
}

std::size_t feature_channel_count(const FeatureSelection& sel, std::size_t n_input_channels,
                                  bool in_3d) {
  return feature_channel_names(sel, n_input_channels, in_3d).size();
}

Shape feature_halo(const FeatureSelection& sel, bool in_3d) {
  std::size_t h_xy = 0, h_z = 0;
  for (std::size_t c = 0; c < sel.scales.size(); ++c) {
    std::vector<FeatureFamily> fams;
    for (std::size_t r = 0; r < sel.families.size(); ++r)
      if (sel.matrix[r][c]) fams.push_back(sel.families[r]);
    if (fams.empty()) continue;
    const ScalePlan plan = make_scale_plan(sel.scheme, sel.scales[c]);
    const std::size_t h =
        static_cast<std::size_t>(plan.presmooth_radius() + plan.feature_radius(fams));
    h_xy = std::max(h_xy, h);
    if (in_3d && !sel.column_in_2d(c, in_3d)) h_z = std::max(h_z, h);
  }
  if (in_3d) return {h_z, h_xy, h_xy};
  return {h_xy, h_xy};
}

// ---------------------------------------------------------------- JSON

namespace {

double json_scale(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number()) throw_usage(where + ": scales must be numbers, got " + v.dump());
  return v.get<double>();
}

void insert_sorted_extra(std::vector<double>& scales, double s) {
  if (find_scale(scales, s) < 0) scales.push_back(s);
}

}  // namespace

FeatureSelection selection_from_json(const nlohmann::json& j, const std::string& source) {
  const std::string where = source.empty() ? "feature selection" : source;
  if (!j.is_object()) throw_usage(where + ": expected a JSON object", source);
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& k = it.key();
    if (k != "scheme" && k != "scales" && k != "features" && k != "compute_in_2d" && k != "$schema")
      throw_usage(
          where + ": unknown key '" + k + "' (expected scheme, scales, features, compute_in_2d)",
          source);
  }
  if (!j.contains("features")) throw_usage(where + ": missing key 'features'", source);
  FeatureSelection sel = FeatureSelection::empty_default();
  try {
    if (j.contains("scheme")) {
      if (!j["scheme"].is_string()) throw_usage(where + ": 'scheme' must be a string");
      sel.scheme = parse_scheme(j["scheme"].get<std::string>());
    }
    const auto& f = j["features"];
    if (j.contains("scales")) {
      if (!j["scales"].is_array() || j["scales"].empty())
        throw_usage(where + ": 'scales' must be a non-empty array of numbers");
      sel.scales.clear();
      for (const auto& v : j["scales"])
        sel.scales.push_back(json_scale(v, where));
      sel.matrix.assign(kFamilyCount, std::vector<bool>(sel.scales.size(), false));
    }
    const bool explicit_scales = j.contains("scales");
    if (f.is_string()) {
      if (f.get<std::string>() != "default")
        throw_usage(where + ": 'features' must be an object or \"default\"");
      for (std::size_t r = 0; r < sel.families.size(); ++r)
        for (std::size_t c = 0; c < sel.scales.size(); ++c)
          sel.matrix[r][c] = sel.scales[c] >= family_min_scale(sel.families[r]) - 1e-12;
    } else if (f.is_object()) {
      // New scales (without an explicit "scales") become extra columns in ascending order.
      std::vector<double> extra;
      for (auto it = f.begin(); it != f.end(); ++it) {
        parse_family(it.key());
        if (!it.value().is_array())
          throw_usage(where + ": features." + it.key() + " must be an array of scales");
        for (const auto& v : it.value()) {
          const double s = json_scale(v, where);
          if (find_scale(sel.scales, s) < 0) {
            if (explicit_scales)
              throw_usage(where + ": features." + it.key() + " uses scale " + python_float_repr(s) +
                          ", which is not in 'scales'");
            insert_sorted_extra(extra, s);
          }
        }
      }
      std::sort(extra.begin(), extra.end());
      for (double s : extra) {
        sel.scales.push_back(s);
        for (auto& row : sel.matrix)
          row.push_back(false);
      }
      for (auto it = f.begin(); it != f.end(); ++it)
        for (const auto& v : it.value())
          sel.select(parse_family(it.key()), v.get<double>());
    } else {
      throw_usage(where + ": 'features' must be an object or \"default\"");
    }
    if (j.contains("compute_in_2d")) {
      const auto& c = j["compute_in_2d"];
      if (c.is_boolean()) {
        sel.compute_in_2d.assign(sel.scales.size(), c.get<bool>());
      } else if (c.is_array()) {
        sel.compute_in_2d.assign(sel.scales.size(), false);
        for (const auto& v : c) {
          const double s = json_scale(v, where);
          const auto col = find_scale(sel.scales, s);
          if (col < 0)
            throw_usage(where + ": compute_in_2d names scale " + python_float_repr(s) +
                        ", which is not a scale column");
          sel.compute_in_2d[col] = true;
        }
      } else if (!c.is_null()) {
        throw_usage(where + ": 'compute_in_2d' must be true, false or an array of scales");
      }
    }
    validate(sel);
  } catch (Error& e) {
    e.set_file_if_empty(source);
    throw;
  }
  return sel;
}

FeatureSelection selection_from_json_text(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw_usage("not valid JSON: " + std::string(e.what()), source);
  }
  return selection_from_json(j, source);
}

nlohmann::json selection_to_json(const FeatureSelection& sel) {
  nlohmann::json j = nlohmann::json::object();
  j["scheme"] = std::string(scheme_name(sel.scheme));
  j["scales"] = sel.scales;
  nlohmann::json f = nlohmann::json::object();
  for (std::size_t r = 0; r < sel.families.size(); ++r) {
    std::vector<double> s;
    for (std::size_t c = 0; c < sel.scales.size(); ++c)
      if (sel.matrix[r][c]) s.push_back(sel.scales[c]);
    if (!s.empty()) f[std::string(family_id(sel.families[r]))] = s;
  }
  j["features"] = f;
  if (!sel.compute_in_2d.empty()) {
    std::vector<double> s;
    for (std::size_t c = 0; c < sel.scales.size(); ++c)
      if (sel.compute_in_2d[c]) s.push_back(sel.scales[c]);
    j["compute_in_2d"] = s;
  }
  return j;
}

std::string selection_to_json_text(const FeatureSelection& sel) {
  return selection_to_json(sel).dump();
}

FeatureSelection parse_feature_shorthand(std::string_view text) {
  std::string t(text);
  if (t == "default" || t == "all") return FeatureSelection::full_default();
  FeatureSelection sel = FeatureSelection::empty_default();
  std::stringstream groups(t);
  std::string group;
  std::vector<std::pair<FeatureFamily, double>> cells;
  while (std::getline(groups, group, ';')) {
    if (group.empty()) continue;
    const auto colon = group.find(':');
    if (colon == std::string::npos)
      throw_usage("--features: expected 'Family:scale,scale;...', got '" + group + "'");
    const FeatureFamily fam = parse_family(group.substr(0, colon));
    std::stringstream ss(group.substr(colon + 1));
    std::string item;
    bool any = false;
    while (std::getline(ss, item, ',')) {
      double s = 0;
      const auto* b = item.data();
      auto res = std::from_chars(b, b + item.size(), s);
      if (res.ec != std::errc() || res.ptr != b + item.size())
        throw_usage("--features: '" + item + "' is not a scale");
      cells.emplace_back(fam, s);
      any = true;
    }
    if (!any) throw_usage("--features: no scale given for " + std::string(family_id(fam)));
  }
  std::vector<double> extra;
  for (auto& [f, s] : cells)
    if (find_scale(sel.scales, s) < 0) insert_sorted_extra(extra, s);
  std::sort(extra.begin(), extra.end());
  for (double s : extra) {
    sel.scales.push_back(s);
    for (auto& row : sel.matrix)
      row.push_back(false);
  }
  for (auto& [f, s] : cells)
    sel.select(f, s);
  validate(sel);
  return sel;
}

}  // namespace bioforest::features
