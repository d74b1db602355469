// SPDX-License-Identifier: BSD-3-Clause
#include "forest_trainer.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>

#include "bioforest/core/error.hpp"
#include "rng.hpp"
#include "traverse.hpp"

namespace bioforest::learn::detail {
namespace {

/// Bootstrap counts of one tree, drawn from the tree's own generator (stream 2t; the
/// builder uses 2t + 1).
void draw_samples(const PreparedData& d, const ForestOptions& o,
                  const std::vector<std::vector<std::uint32_t>>& members, std::uint64_t tree,
                  std::vector<std::uint32_t>& draws) {
  std::fill(draws.begin(), draws.end(), 0u);
  if (!o.bootstrap) {
    std::fill(draws.begin(), draws.end(), 1u);
    return;
  }
  Rng rng(o.seed, 2 * tree);
  const auto total =
      std::max<std::size_t>(1, std::size_t(std::llround(o.sample_fraction * double(d.n))));
  if (!o.balanced_sampling) {
    for (std::size_t k = 0; k < total; ++k)
      ++draws[rng.below(d.n)];
    return;
  }
  std::size_t present = 0;
  for (const auto& m : members)
    present += m.empty() ? 0 : 1;
  const std::size_t per_class = std::max<std::size_t>(1, total / std::max<std::size_t>(1, present));
  for (const auto& m : members)
    if (!m.empty())
      for (std::size_t k = 0; k < per_class; ++k)
        ++draws[m[rng.below(m.size())]];
}

/// Out-of-bag prediction: each sample averaged over the trees that did not draw it,
/// in tree order (parallel over samples only, so the sums do not depend on threads).
OobEstimate out_of_bag(const PreparedData& d, const FeatureView& x, const TreeEnsemble& trees,
                       const std::vector<std::vector<unsigned char>>& in_bag, int threads) {
  OobEstimate oob;
  const std::size_t n = d.n, w = trees.value_width;
  oob.prediction.assign(n * w, 0.0f);
  oob.n_trees.assign(n, 0);
  const NodeArrays nodes{trees.feature.data(), trees.threshold.data(), trees.child.data()};
  double err = 0;
  std::size_t counted = 0;
#pragma omp parallel for schedule(static, 256) num_threads(threads) reduction(+ : err, counted)
  for (std::size_t i = 0; i < n; ++i) {
    float* p = oob.prediction.data() + i * w;
    const float* sample = x.data + std::ptrdiff_t(i) * x.sample_stride;
    for (std::size_t t = 0; t < trees.n_trees(); ++t) {
      if (in_bag[t][i]) continue;
      const std::int32_t leaf = walk(nodes, trees.tree_root[t], sample, x.feature_stride);
      const float* v = trees.values.data() + std::size_t(trees.leaf[leaf]) * w;
      for (std::size_t k = 0; k < w; ++k)
        p[k] += v[k];
      ++oob.n_trees[i];
    }
    if (oob.n_trees[i] == 0) continue;
    for (std::size_t k = 0; k < w; ++k)
      p[k] /= float(oob.n_trees[i]);
    ++counted;
    if (d.regression) {
      const double e = double(p[0]) - d.y[i];
      err += e * e;
    } else {
      const auto best = std::size_t(std::max_element(p, p + w) - p);
      err += best != std::size_t(d.cls[i]) ? 1.0 : 0.0;
    }
  }
  if (counted > 0) oob.error = err / double(counted);
  return oob;
}

}  // namespace

void check_options(const ForestOptions& o, std::size_t n_features) {
  if (o.n_trees < 1) throw_usage("the forest needs at least one tree (n_trees >= 1)");
  if (o.mtry < 0 || std::size_t(o.mtry) > n_features)
    throw_usage("mtry must lie in [0, " + std::to_string(n_features) + "] (0 = default)");
  if (o.max_depth < 0) throw_usage("max_depth must be >= 0 (0 = unlimited)");
  if (o.min_samples_leaf < 1) throw_usage("min_samples_leaf must be >= 1");
  if (o.min_samples_split < 2) throw_usage("min_samples_split must be >= 2");
  if (!(o.sample_fraction > 0) || o.sample_fraction > 100)
    throw_usage("sample_fraction must be > 0");
  if (o.max_bins != 0 && (o.max_bins < 2 || o.max_bins > 65536))
    throw_usage("max_bins must be 0 (exact) or in [2, 65536]");
}

TrainedForest train_forest(const PreparedData& d, const FeatureView& x, const ForestOptions& opt,
                           std::size_t mtry, const RunContext& ctx) {
  const std::size_t n_trees = std::size_t(opt.n_trees);
  TreeConfig cfg;
  cfg.mtry = mtry;
  cfg.max_depth = opt.max_depth;
  cfg.min_samples_leaf = opt.min_samples_leaf;
  cfg.min_samples_split = opt.min_samples_split;

  std::vector<std::vector<std::uint32_t>> members;
  if (opt.balanced_sampling && !d.regression) {
    members.resize(d.n_channels);
    for (std::size_t i = 0; i < d.n; ++i)
      members[std::size_t(d.cls[i])].push_back(std::uint32_t(i));
  }
  const bool keep_bags = opt.compute_oob && opt.bootstrap;
  std::vector<std::vector<unsigned char>> in_bag(keep_bags ? n_trees : 0);
  std::vector<GrownTree> grown(n_trees);
  std::atomic<std::uint64_t> done{0};
  // Trees in parallel; with fewer trees than threads, the split search inside each tree.
  const int threads = std::max(1, ctx.threads);
  const bool few_trees = int(n_trees) < threads;
#pragma omp parallel num_threads(few_trees ? 1 : threads)
  {
    TreeBuilder builder(d, few_trees ? threads : 1);
    std::vector<std::uint32_t> draws(d.n);
#pragma omp for schedule(dynamic, 1)
    for (std::size_t t = 0; t < n_trees; ++t) {
      if (ctx.cancelled()) continue;
      draw_samples(d, opt, members, t, draws);
      if (keep_bags) {
        in_bag[t].resize(d.n);
        for (std::size_t i = 0; i < d.n; ++i)
          in_bag[t][i] = draws[i] > 0;
      }
      grown[t] = builder.grow(draws, cfg, opt.seed, 2 * t + 1);
      const auto k = ++done;
      if (ctx.on_progress) ctx.on_progress("training trees", k, n_trees);
    }
  }
  ctx.check_cancelled();

  TrainedForest out;
  out.trees.n_features = d.n_features;
  out.trees.value_width = d.n_channels;
  out.importance.assign(d.n_features, 0.0);
  for (std::size_t t = 0; t < n_trees; ++t) {  // fixed order: bit-identical forests
    TreeEnsemble one;
    one.n_features = d.n_features;
    one.value_width = d.n_channels;
    one.tree_root = {0};
    one.feature = std::move(grown[t].feature);
    one.threshold = std::move(grown[t].threshold);
    one.child = std::move(grown[t].child);
    one.leaf = std::move(grown[t].leaf);
    one.values = std::move(grown[t].values);
    out.trees.append(one);
    for (std::size_t f = 0; f < d.n_features; ++f)
      out.importance[f] += grown[t].importance[f];
  }
  double sum = 0;
  for (double v : out.importance)
    sum += v;
  if (sum > 0)
    for (double& v : out.importance)
      v /= sum;
  if (keep_bags) out.oob = out_of_bag(d, x, out.trees, in_bag, std::max(1, ctx.threads));
  return out;
}

}  // namespace bioforest::learn::detail
