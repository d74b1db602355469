// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/density_features.hpp"

#include <algorithm>

#include "bioforest/core/error.hpp"

namespace bioforest::workflows {

nlohmann::json feature_groups_to_json(const std::vector<DensityFeatureGroup>& groups) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& g : groups)
    a.push_back({{"channels", g.channels}, {"features", features::selection_to_json(g.features)}});
  return a;
}

std::vector<DensityFeatureGroup> feature_groups_from_json(const nlohmann::json& doc,
                                                          const std::string& source) {
  if (!doc.is_array()) throw Error(ErrorCategory::usage, "feature groups must be a list", source);
  std::vector<DensityFeatureGroup> groups;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const auto& g = doc[i];
    const std::string where = "feature group " + std::to_string(i);
    if (!g.is_object() || !g.contains("channels") || !g.contains("features") ||
        !g["channels"].is_array() || g["channels"].empty())
      throw Error(ErrorCategory::usage, where + ": needs \"channels\" and \"features\"", source);
    DensityFeatureGroup out;
    for (const auto& c : g["channels"]) {
      if (!c.is_number_integer() || c.get<long long>() < 0)
        throw Error(ErrorCategory::usage, where + ": channels are integers >= 0", source);
      out.channels.push_back(c.get<std::size_t>());
    }
    out.features = with_context("reading " + where + " of " + source, [&] {
      return features::selection_from_json(g["features"], source);
    });
    groups.push_back(std::move(out));
  }
  return groups;
}

std::vector<std::string> density_feature_names(const features::FeatureSelection& main,
                                               std::size_t main_channels,
                                               const std::vector<DensityFeatureGroup>& groups,
                                               bool in_3d) {
  std::vector<std::string> names = features::feature_channel_names(main, main_channels, in_3d);
  for (const auto& g : groups) {
    std::string tag = " [channels";
    for (std::size_t k = 0; k < g.channels.size(); ++k)
      tag += (k ? ", " : " ") + std::to_string(g.channels[k]);
    tag += "]";
    for (auto& n : features::feature_channel_names(g.features, g.channels.size(), in_3d))
      names.push_back(n + tag);
  }
  return names;
}

namespace {

// The channels some selection reads, ascending (empty = all: the main one reads all).
std::vector<std::size_t> channels_read(const std::vector<std::size_t>& main,
                                       const std::vector<DensityFeatureGroup>& groups) {
  if (main.empty()) return {};
  std::vector<std::size_t> all = main;
  for (const auto& g : groups)
    all.insert(all.end(), g.channels.begin(), g.channels.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

}  // namespace

DensityFeatureStack::DensityFeatureStack(const features::FeatureSelection& main,
                                         const std::vector<std::size_t>& channels,
                                         const std::vector<DensityFeatureGroup>& groups,
                                         const CanonicalImage& raw,
                                         const features::BackgroundOptions& background, int threads)
    : input_(raw, background, channels_read(channels, groups), threads),
      halo_(raw.spatial_rank(), 0) {
  auto add = [&](const features::FeatureSelection& sel, const std::vector<std::size_t>& ch) {
    check_density_channels(raw, ch);
    try {
      features::validate_for_shape(sel, raw.spatial_shape());
    } catch (Error& e) {
      throw Error(ErrorCategory::input, e.reason(), raw.path());
    }
    parts_.push_back(
        {features::FeatureComputer(sel, density_feature_channels(raw, ch), raw.spatial_rank()),
         ch});
    const Part& p = parts_.back();
    n_features_ += p.computer.n_channels();
    const Shape h = p.computer.halo();
    for (std::size_t a = 0; a < halo_.size(); ++a)
      halo_[a] = std::max(halo_[a], h[a]);
  };
  add(main, channels);
  for (const auto& g : groups)
    add(g.features, g.channels);
}

void DensityFeatureStack::compute(std::size_t t, const Roi& region, float* out,
                                  features::FeatureComputer::Workspace& ws,
                                  std::vector<float>& scratch, std::vector<float>& data) const {
  const Shape& shape = input_.raw().spatial_shape();
  const std::size_t n = region.size();
  for (const Part& p : parts_) {
    const Roi outer = region.grow(p.computer.halo(), shape);
    input_.read(t, outer, p.channels, scratch, data);
    Shape block_shape = outer.shape();
    block_shape.push_back(p.computer.input_channels());
    p.computer.compute(data.data(), block_shape, region.relative_to(outer.start),
                       features::BlockBorders::of(outer, shape), out, ws);
    out += p.computer.n_channels() * n;
  }
}

}  // namespace bioforest::workflows
