// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The regression random forest (variance-reduction / MSE splits, leaf = mean target), on
/// the same engine as the classifier: ilastik's density counting uses it (10 trees, max
/// depth 50).

#include <span>
#include <string>
#include <vector>

#include "bioforest/core/run_context.hpp"
#include "bioforest/learn/feature_matrix.hpp"
#include "bioforest/learn/forest_options.hpp"
#include "bioforest/learn/oob.hpp"
#include "bioforest/learn/tree_ensemble.hpp"

namespace bioforest::h5 {
class File;
}

namespace bioforest::learn {

class RegressionForest {
 public:
  RegressionForest() = default;

  /// Trains on `x` and finite targets `y`. Class options (weights, balanced sampling) must
  /// be left at their defaults. Throws Error{usage} on bad input or options.
  static RegressionForest train(const FeatureView& x, std::span<const float> y,
                                const ForestOptions& options, const RunContext& ctx);

  std::size_t n_features() const noexcept { return trees_.n_features; }
  std::size_t n_trees() const noexcept { return trees_.n_trees(); }
  const TreeEnsemble& ensemble() const noexcept { return trees_; }

  /// out[i] = mean over trees of the leaf means (0 for rows with a NaN feature).
  void predict(const FeatureView& x, float* out, const RunContext& ctx) const;

  const OobEstimate& oob() const noexcept { return oob_; }
  /// Mean decrease of the squared error per feature, normalised to sum to 1.
  const std::vector<double>& mse_importance() const noexcept { return importance_; }
  const std::vector<std::string>& feature_names() const noexcept { return feature_names_; }
  void set_feature_names(std::vector<std::string> names);

  void save(h5::File& file, const std::string& group) const;
  static RegressionForest load(const h5::File& file, const std::string& group);

 private:
  TreeEnsemble trees_;
  std::vector<std::string> feature_names_;
  std::vector<double> importance_;
  OobEstimate oob_;
};

}  // namespace bioforest::learn
