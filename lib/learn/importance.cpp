// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/learn/importance.hpp"

#include <cmath>
#include <numeric>
#include <sstream>

#include "bioforest/core/error.hpp"
#include "bioforest/learn/classification_forest.hpp"
#include "bioforest/learn/regression_forest.hpp"
#include "rng.hpp"

namespace bioforest::learn {
namespace {

/// A sample-major copy of x (so one column can be shuffled in place).
std::vector<float> dense_copy(const FeatureView& x) {
  std::vector<float> m(x.n_samples * x.n_features);
  for (std::size_t i = 0; i < x.n_samples; ++i)
    for (std::size_t f = 0; f < x.n_features; ++f)
      m[i * x.n_features + f] = x.at(i, f);
  return m;
}

/// For each feature: score(original) - score(column shuffled), mean and std over repeats.
/// `score` maps a sample-major matrix to a number (higher = better).
template <class Score>
std::vector<double> permutation_drop(const FeatureView& x, int n_repeats, std::uint64_t seed,
                                     Score&& score, std::vector<double>* std_out) {
  if (n_repeats < 1) throw_usage("permutation importance needs n_repeats >= 1");
  std::vector<float> m = dense_copy(x);
  const std::size_t n = x.n_samples, nf = x.n_features;
  const double base = score(m);
  std::vector<double> mean(nf, 0.0), sd(nf, 0.0);
  std::vector<float> saved(n);
  std::vector<std::uint32_t> perm(n);
  for (std::size_t f = 0; f < nf; ++f) {
    for (std::size_t i = 0; i < n; ++i)
      saved[i] = m[i * nf + f];
    std::vector<double> drops;
    for (int r = 0; r < n_repeats; ++r) {
      detail::Rng rng(seed, f * 1000003ull + std::uint64_t(r));
      std::iota(perm.begin(), perm.end(), 0u);
      for (std::size_t i = n; i > 1; --i)
        std::swap(perm[i - 1], perm[rng.below(i)]);
      for (std::size_t i = 0; i < n; ++i)
        m[i * nf + f] = saved[perm[i]];
      drops.push_back(base - score(m));
    }
    for (std::size_t i = 0; i < n; ++i)
      m[i * nf + f] = saved[i];
    for (double d : drops)
      mean[f] += d / n_repeats;
    for (double d : drops)
      sd[f] += (d - mean[f]) * (d - mean[f]) / n_repeats;
    sd[f] = std::sqrt(sd[f]);
  }
  if (std_out) *std_out = sd;
  return mean;
}

}  // namespace

std::vector<double> permutation_importance(const ClassificationForest& forest, const FeatureView& x,
                                           std::span<const std::int32_t> labels, int n_repeats,
                                           std::uint64_t seed, const RunContext& ctx,
                                           std::vector<double>* std_out) {
  if (labels.size() != x.n_samples) throw_usage("one label per sample is needed");
  auto accuracy = [&](const std::vector<float>& m) {
    const auto pred =
        forest.predict(FeatureView::sample_major(m.data(), x.n_samples, x.n_features), ctx);
    std::size_t ok = 0;
    for (std::size_t i = 0; i < pred.size(); ++i)
      ok += pred[i] == labels[i] ? 1 : 0;
    return pred.empty() ? 0.0 : double(ok) / double(pred.size());
  };
  return permutation_drop(x, n_repeats, seed, accuracy, std_out);
}

std::vector<double> permutation_importance(const RegressionForest& forest, const FeatureView& x,
                                           std::span<const float> y, int n_repeats,
                                           std::uint64_t seed, const RunContext& ctx,
                                           std::vector<double>* std_out) {
  if (y.size() != x.n_samples) throw_usage("one target per sample is needed");
  std::vector<float> pred(x.n_samples);
  auto neg_mse = [&](const std::vector<float>& m) {
    forest.predict(FeatureView::sample_major(m.data(), x.n_samples, x.n_features), pred.data(),
                   ctx);
    double s = 0;
    for (std::size_t i = 0; i < pred.size(); ++i)
      s += (double(pred[i]) - y[i]) * (double(pred[i]) - y[i]);
    return pred.empty() ? 0.0 : -s / double(pred.size());
  };
  return permutation_drop(x, n_repeats, seed, neg_mse, std_out);
}

ImportanceTable importance_table(const ClassificationForest& forest, const FeatureView& x,
                                 std::span<const std::int32_t> labels, int n_repeats,
                                 std::uint64_t seed, const RunContext& ctx) {
  ImportanceTable t;
  t.names = forest.feature_names();
  if (t.names.empty())
    for (std::size_t f = 0; f < forest.n_features(); ++f)
      t.names.push_back("f" + std::to_string(f));
  t.impurity = forest.gini_importance();
  if (x.n_samples > 0)
    t.permutation =
        permutation_importance(forest, x, labels, n_repeats, seed, ctx, &t.permutation_std);
  return t;
}

std::string ImportanceTable::to_csv() const {
  auto quoted = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s)
      q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::ostringstream os;
  os.precision(9);
  os << "feature,impurity_decrease";
  if (!permutation.empty()) os << ",permutation_mean,permutation_std";
  os << "\n";
  for (std::size_t f = 0; f < names.size(); ++f) {
    os << quoted(names[f]) << "," << (f < impurity.size() ? impurity[f] : 0.0);
    if (!permutation.empty()) os << "," << permutation[f] << "," << permutation_std[f];
    os << "\n";
  }
  return os.str();
}

}  // namespace bioforest::learn
