// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/learn/regression_forest.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "bioforest/core/error.hpp"
#include "forest_trainer.hpp"

namespace bioforest::learn {

RegressionForest RegressionForest::train(const FeatureView& x, std::span<const float> y,
                                         const ForestOptions& options, const RunContext& ctx) {
  if (x.n_samples == 0) throw_usage("no training samples");
  if (x.n_features == 0) throw_usage("no features selected");
  if (y.size() != x.n_samples)
    throw_usage(std::to_string(y.size()) + " targets for " + std::to_string(x.n_samples) +
                " training samples");
  if (!options.class_weights.empty() || options.balanced_class_weights || options.balanced_sampling)
    throw_usage("class weights and balanced sampling do not apply to a regression forest");
  detail::check_options(options, x.n_features);

  detail::PreparedData d;
  d.regression = true;
  d.n_channels = 1;
  d.y.resize(x.n_samples);
  for (std::size_t i = 0; i < x.n_samples; ++i) {
    if (!std::isfinite(y[i])) throw_usage("target " + std::to_string(i) + " is NaN or infinite");
    d.y[i] = y[i];
  }
  d.base_weight.assign(x.n_samples, 1.0);
  if (options.max_bins > 0)
    detail::prepare_binned_features(x, std::size_t(options.max_bins), ctx.threads, d);
  else
    detail::prepare_features(x, ctx.threads, d);
  const std::size_t mtry =
      options.mtry > 0 ? std::size_t(options.mtry) : std::max<std::size_t>(1, x.n_features / 3);
  auto trained = detail::train_forest(d, x, options, mtry, ctx);
  RegressionForest forest;
  forest.trees_ = std::move(trained.trees);
  forest.importance_ = std::move(trained.importance);
  forest.oob_ = std::move(trained.oob);
  return forest;
}

void RegressionForest::set_feature_names(std::vector<std::string> names) {
  if (!names.empty() && names.size() != n_features())
    throw_usage(std::to_string(names.size()) + " feature names for " +
                std::to_string(n_features()) + " features");
  feature_names_ = std::move(names);
}

void RegressionForest::predict(const FeatureView& x, float* out, const RunContext& ctx) const {
  trees_.predict_mean(x, out, ctx);
}

}  // namespace bioforest::learn
