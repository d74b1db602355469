// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: what both forests do around the tree builder: per-tree bootstrap, trees in
// parallel (each tree on its own random stream, so the thread count changes nothing),
// assembly in tree order, out-of-bag estimates.

#include "bioforest/core/run_context.hpp"
#include "bioforest/learn/forest_options.hpp"
#include "bioforest/learn/oob.hpp"
#include "bioforest/learn/tree_ensemble.hpp"
#include "tree_builder.hpp"

namespace bioforest::learn::detail {

struct TrainedForest {
  TreeEnsemble trees;
  std::vector<double> importance;  ///< mean over trees, normalised to sum 1
  OobEstimate oob;
};

/// Checks options common to both forests; throws Error{usage}.
void check_options(const ForestOptions& o, std::size_t n_features);

TrainedForest train_forest(const PreparedData& d, const FeatureView& x, const ForestOptions& opt,
                           std::size_t mtry, const RunContext& ctx);

}  // namespace bioforest::learn::detail
