// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The pixel features of a density counter: the main selection on the spec's channels, then
/// optional feature groups, each a selection on its own input channels. Groups let a weak
/// channel contribute a few large-scale features without the full set (on the VGG cells the
/// red and green cytoplasm channels help that way, and hurt with every feature).

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bioforest/core/axes.hpp"
#include "bioforest/core/roi.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/features/selection.hpp"
#include "bioforest/workflows/canonical_image.hpp"
#include "bioforest/workflows/density_input.hpp"

namespace bioforest::workflows {

/// Extra features: `features` computed on the input channels `channels` (counted from 0).
struct DensityFeatureGroup {
  std::vector<std::size_t> channels;
  features::FeatureSelection features;
};

/// The groups as JSON ([{"channels": [...], "features": {selection}}]) and back; the latter
/// throws Error{usage} naming `source` for anything else.
nlohmann::json feature_groups_to_json(const std::vector<DensityFeatureGroup>& groups);
std::vector<DensityFeatureGroup> feature_groups_from_json(const nlohmann::json& doc,
                                                          const std::string& source);

/// Feature names: the main selection's, then each group's with " [channels a, b]" appended.
std::vector<std::string> density_feature_names(const features::FeatureSelection& main,
                                               std::size_t main_channels,
                                               const std::vector<DensityFeatureGroup>& groups,
                                               bool in_3d);

/// Computes all features of a region of one image, planar (feature after feature), on the
/// image less its background when `background` is enabled (estimated with `threads`).
class DensityFeatureStack {
 public:
  /// `channels`: the main selection's input channels (empty = all of raw's). Error{input}
  /// naming the image if a channel is missing or a selection does not fit its shape.
  DensityFeatureStack(const features::FeatureSelection& main,
                      const std::vector<std::size_t>& channels,
                      const std::vector<DensityFeatureGroup>& groups, const CanonicalImage& raw,
                      const features::BackgroundOptions& background = {}, int threads = 1);
  std::size_t n_features() const { return n_features_; }
  /// The largest halo of the selections: a block needs this much context to match the whole.
  const Shape& halo() const { return halo_; }
  /// out: n_features() planes of region.size() floats, the features of time point t over
  /// `region`, each selection reading the image over region grown by its own halo.
  void compute(std::size_t t, const Roi& region, float* out,
               features::FeatureComputer::Workspace& ws, std::vector<float>& scratch,
               std::vector<float>& data) const;

 private:
  struct Part {
    features::FeatureComputer computer;
    std::vector<std::size_t> channels;
  };
  DensityInput input_;
  std::vector<Part> parts_;
  std::size_t n_features_ = 0;
  Shape halo_;
};

}  // namespace bioforest::workflows
