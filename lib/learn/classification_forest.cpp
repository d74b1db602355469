// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/learn/classification_forest.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "bioforest/core/error.hpp"
#include "bioforest/learn/probabilities.hpp"
#include "forest_trainer.hpp"

namespace bioforest::learn {
namespace {

constexpr std::size_t kMaxClasses = 64;  // the split search keeps class sums on the stack

/// The probability columns: declared classes, or the sorted distinct labels.
std::vector<std::int32_t> class_list(std::span<const std::int32_t> labels,
                                     std::vector<std::int32_t> declared) {
  if (declared.empty()) {
    declared.assign(labels.begin(), labels.end());
    std::sort(declared.begin(), declared.end());
    declared.erase(std::unique(declared.begin(), declared.end()), declared.end());
  }
  std::vector<std::int32_t> sorted = declared;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    throw_usage("the declared class list repeats a class");
  if (declared.size() > kMaxClasses)
    throw_usage("at most " + std::to_string(kMaxClasses) + " classes are supported");
  return declared;
}

/// Per-sample weights from the class-weight options (1 when none are given).
std::vector<double> class_weights(const ForestOptions& o, const std::vector<std::size_t>& counts,
                                  std::size_t n) {
  const std::size_t k = counts.size();
  std::vector<double> w(k, 1.0);
  if (!o.class_weights.empty()) {
    if (o.class_weights.size() != k)
      throw_usage("class_weights has " + std::to_string(o.class_weights.size()) + " entries for " +
                  std::to_string(k) + " classes");
    for (std::size_t c = 0; c < k; ++c) {
      if (!(o.class_weights[c] >= 0) || !std::isfinite(o.class_weights[c]))
        throw_usage("class weights must be finite and >= 0");
      w[c] = o.class_weights[c];
    }
  }
  if (o.balanced_class_weights) {
    std::size_t present = 0;
    for (std::size_t c : counts)
      present += c > 0 ? 1 : 0;
    for (std::size_t c = 0; c < k; ++c)
      if (counts[c] > 0) w[c] *= double(n) / (double(present) * double(counts[c]));
  }
  return w;
}

}  // namespace

ClassificationForest ClassificationForest::train(const FeatureView& x,
                                                 std::span<const std::int32_t> labels,
                                                 const ForestOptions& options,
                                                 const RunContext& ctx,
                                                 std::vector<std::int32_t> classes) {
  if (x.n_samples == 0) throw_usage("no training samples: label some pixels first");
  if (x.n_features == 0) throw_usage("no features selected");
  if (labels.size() != x.n_samples)
    throw_usage(std::to_string(labels.size()) + " labels for " + std::to_string(x.n_samples) +
                " training samples");
  detail::check_options(options, x.n_features);
  ClassificationForest forest;
  forest.classes_ = class_list(labels, std::move(classes));
  std::map<std::int32_t, std::int32_t> column;
  for (std::size_t c = 0; c < forest.classes_.size(); ++c)
    column[forest.classes_[c]] = std::int32_t(c);

  detail::PreparedData d;
  d.n_channels = forest.classes_.size();
  d.cls.resize(x.n_samples);
  std::vector<std::size_t> counts(d.n_channels, 0);
  for (std::size_t i = 0; i < x.n_samples; ++i) {
    const std::int32_t label = labels[i];
    if (label <= 0)
      throw_usage("label " + std::to_string(label) + " of sample " + std::to_string(i) +
                  " is not a positive class (0 = unlabelled)");
    const auto it = column.find(label);
    if (it == column.end())
      throw_usage("label " + std::to_string(label) + " is not in the declared class list");
    d.cls[i] = it->second;
    ++counts[std::size_t(it->second)];
  }
  const std::vector<double> cw = class_weights(options, counts, x.n_samples);
  d.base_weight.resize(x.n_samples);
  for (std::size_t i = 0; i < x.n_samples; ++i)
    d.base_weight[i] = cw[std::size_t(d.cls[i])];
  detail::prepare_features(x, ctx.threads, d);

  const std::size_t mtry =
      options.mtry > 0 ? std::size_t(options.mtry)
                       : std::max<std::size_t>(
                             1, std::size_t(std::floor(std::sqrt(double(x.n_features)) + 0.5)));
  auto trained = detail::train_forest(d, x, options, mtry, ctx);
  forest.trees_ = std::move(trained.trees);
  forest.gini_importance_ = std::move(trained.importance);
  forest.oob_ = std::move(trained.oob);
  return forest;
}

ClassificationForest ClassificationForest::from_ensemble(TreeEnsemble trees,
                                                         std::vector<std::int32_t> classes) {
  if (trees.value_width != classes.size())
    throw_internal("leaf width differs from the number of classes");
  trees.validate();
  ClassificationForest f;
  f.trees_ = std::move(trees);
  f.classes_ = std::move(classes);
  return f;
}

void ClassificationForest::set_feature_names(std::vector<std::string> names) {
  if (!names.empty() && names.size() != n_features())
    throw_usage(std::to_string(names.size()) + " feature names for " +
                std::to_string(n_features()) + " features");
  feature_names_ = std::move(names);
}

void ClassificationForest::predict_proba(const FeatureView& x, float* out,
                                         const RunContext& ctx) const {
  trees_.predict_mean(x, out, ctx);
}

void ClassificationForest::predict_proba_planar(const FeatureView& x, float* out,
                                                const RunContext& ctx) const {
  trees_.predict_mean_planar(x, out, ctx);
}

void ClassificationForest::predict_labels(const FeatureView& x, std::int32_t* out,
                                          const RunContext& ctx) const {
  std::vector<std::uint32_t> col(x.n_samples);
  trees_.predict_argmax(x, col.data(), ctx);
  for (std::size_t i = 0; i < x.n_samples; ++i)
    out[i] = classes_[col[i]];
}

std::vector<std::int32_t> ClassificationForest::predict(const FeatureView& x,
                                                        const RunContext& ctx) const {
  std::vector<std::int32_t> out(x.n_samples);
  predict_labels(x, out.data(), ctx);
  return out;
}

}  // namespace bioforest::learn
