// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Feature importance: the impurity decrease recorded while training, and permutation
/// importance (the drop in accuracy, or rise in squared error, when one feature's column is
/// shuffled), exported as a table with feature names.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bioforest/core/run_context.hpp"
#include "bioforest/learn/feature_matrix.hpp"

namespace bioforest::learn {

class ClassificationForest;
class RegressionForest;

struct ImportanceTable {
  std::vector<std::string> names;       ///< one per feature ("f0", "f1", ... if unnamed)
  std::vector<double> impurity;         ///< Gini / MSE decrease, sums to 1
  std::vector<double> permutation;      ///< mean score drop over repeats (empty if not run)
  std::vector<double> permutation_std;  ///< its standard deviation over repeats

  /// "feature,impurity_decrease[,permutation_mean,permutation_std]" then one row per
  /// feature, in feature order.
  std::string to_csv() const;
};

/// Drop in accuracy when each feature's column is permuted (n_repeats shuffles, seeded).
/// Deterministic for a seed whatever ctx.threads.
std::vector<double> permutation_importance(const ClassificationForest& forest, const FeatureView& x,
                                           std::span<const std::int32_t> labels, int n_repeats,
                                           std::uint64_t seed, const RunContext& ctx,
                                           std::vector<double>* std_out = nullptr);
/// Rise in mean squared error when each feature's column is permuted.
std::vector<double> permutation_importance(const RegressionForest& forest, const FeatureView& x,
                                           std::span<const float> y, int n_repeats,
                                           std::uint64_t seed, const RunContext& ctx,
                                           std::vector<double>* std_out = nullptr);

/// The table for a trained forest; permutation columns filled if x is non-empty.
ImportanceTable importance_table(const ClassificationForest& forest, const FeatureView& x,
                                 std::span<const std::int32_t> labels, int n_repeats,
                                 std::uint64_t seed, const RunContext& ctx);

}  // namespace bioforest::learn
