// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik's "Suggest Features": which (family, scale) cells are worth computing. A greedy
/// forward selection over every allowed cell, scored by the out-of-bag accuracy of a small
/// forest on the labelled pixels, reported against each subset's measured compute cost.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bioforest/core/run_context.hpp"
#include "bioforest/features/selection.hpp"
#include "bioforest/workflows/pixel_spec.hpp"

namespace bioforest::workflows {

struct FeatureSuggestion {
  features::FeatureSelection selection;  ///< the subset after this step
  std::string added;  ///< the cell added at this step ("Gaussian Smoothing (σ=1.0)")
  std::size_t n_channels = 0;
  double oob_accuracy = 0;     ///< out-of-bag accuracy on the labelled pixels
  double cost_ms_per_mpx = 0;  ///< measured time to compute the subset, ms per megapixel
};

/// Ranks subsets of 1..max_cells cells. Also reports the spec's own selection as a last row
/// (added = "(spec's selection)") for comparison.
std::vector<FeatureSuggestion> suggest_features(const PixelClassificationSpec& spec,
                                                std::size_t max_cells, const RunContext& ctx);

std::string format_feature_suggestions(const std::vector<FeatureSuggestion>& rows);
nlohmann::ordered_json feature_suggestions_json(const std::vector<FeatureSuggestion>& rows);

}  // namespace bioforest::workflows
