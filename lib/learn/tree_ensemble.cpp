// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/learn/tree_ensemble.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "bioforest/core/error.hpp"
#include "traverse.hpp"

namespace bioforest::learn {
namespace {

using detail::NodeArrays;

// Samples per block: their features (B x F floats, 800 KB for 49 features) stay in L2
// while every tree walks them, one tree's nodes stay in L1 while it serves the whole
// block, and each node sees enough samples (~B x depth / nodes) to fill SIMD vectors.
constexpr std::size_t kBlock = 8192;

NodeArrays arrays_of(const TreeEnsemble& t) {
  return {t.feature.data(), t.threshold.data(), t.child.data()};
}

/// Whether every element offset of a block (up to `block` samples) fits int32, the index
/// type of the SIMD gathers.
bool offsets_fit_int32(const FeatureView& x, std::size_t block) {
  const double span = double(block) * std::abs(double(x.sample_stride)) +
                      double(x.n_features) * std::abs(double(x.feature_stride));
  return span < double(std::numeric_limits<std::int32_t>::max());
}

/// Marks samples of a block that have a NaN feature: they get all-zero output, as in vigra.
void mark_nan_rows(const FeatureView& x, std::size_t n, unsigned char* has_nan) {
  std::fill(has_nan, has_nan + n, 0);
  for (std::size_t f = 0; f < x.n_features; ++f)
    for (std::size_t i = 0; i < n; ++i)
      has_nan[i] |= std::isnan(x.at(i, f)) ? 1 : 0;
}

/// Per-thread scratch for one block.
struct BlockScratch {
  std::vector<std::int32_t> ids, tmp, leaves;
  std::vector<float> acc;
  std::vector<unsigned char> has_nan;
  explicit BlockScratch(std::size_t width)
      : ids(kBlock + detail::kWalkPad),
        tmp(kBlock + detail::kWalkPad),
        leaves(kBlock),
        acc(kBlock * width),
        has_nan(kBlock) {}
};

/// Per node, feature index times the view's feature stride: computed once per call, so
/// the walk adds a sample's offset and reads.
std::vector<std::int32_t> feature_offsets(const TreeEnsemble& t, const FeatureView& x) {
  std::vector<std::int32_t> off(t.n_nodes());
  for (std::size_t i = 0; i < t.n_nodes(); ++i)
    off[i] = std::int32_t(std::ptrdiff_t(t.feature[i]) * x.feature_stride);
  return off;
}

/// Sum over trees of the leaf values for samples of `xb` (at most kBlock), into s.acc
/// (row-major, width values per sample), in tree order.
void accumulate_block(const TreeEnsemble& t, const FeatureView& xb,
                      const std::vector<std::int32_t>* offsets, BlockScratch& s) {
  const std::size_t n = xb.n_samples, w = t.value_width;
  std::fill(s.acc.begin(), s.acc.begin() + n * w, 0.0f);
  if (offsets) {
    const detail::WalkTree wt{offsets->data(), t.threshold.data(), t.child.data(),
                              t.leaf.data(),   t.values.data(),    w};
    for (std::size_t tree = 0; tree < t.n_trees(); ++tree)
      detail::accumulate_tree(wt, t.tree_root[tree], xb.data, std::int32_t(xb.sample_stride), n,
                              s.ids.data(), s.tmp.data(), s.acc.data());
    return;
  }
  const NodeArrays nodes = arrays_of(t);
  for (std::size_t tree = 0; tree < t.n_trees(); ++tree) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::int32_t leaf =
          detail::walk(nodes, t.tree_root[tree], xb.data + std::ptrdiff_t(i) * xb.sample_stride,
                       xb.feature_stride);
      const float* v = t.values.data() + std::size_t(t.leaf[leaf]) * w;
      for (std::size_t k = 0; k < w; ++k)
        s.acc[i * w + k] += v[k];
    }
  }
}

template <class Write>
void predict_blocks(const TreeEnsemble& t, const FeatureView& x, const RunContext& ctx,
                    Write&& write) {
  if (x.n_features != t.n_features)
    throw_usage("the forest was trained on " + std::to_string(t.n_features) + " features, but " +
                std::to_string(x.n_features) + " were given");
  if (t.n_trees() == 0) throw_usage("the forest has no trees");
  const std::size_t n = x.n_samples;
  if (n == 0) return;
  const bool simd = offsets_fit_int32(x, kBlock);
  const std::vector<std::int32_t> offsets =
      simd ? feature_offsets(t, x) : std::vector<std::int32_t>{};
  // Smaller blocks when there are few samples, so every thread gets work (results do not
  // depend on the blocking: each sample's sum runs over the trees in order).
  const std::size_t per_thread =
      (n + std::size_t(std::max(1, ctx.threads)) - 1) / std::size_t(std::max(1, ctx.threads));
  const std::size_t block =
      std::min(kBlock, std::max<std::size_t>(1024, (per_thread + 63) / 64 * 64));
  const std::size_t n_blocks = (n + block - 1) / block;
  const float n_trees_f = float(t.n_trees());
  const int threads = std::max(1, std::min<int>(ctx.threads, int(n_blocks)));
#pragma omp parallel num_threads(threads)
  {
    BlockScratch s(t.value_width);
#pragma omp for schedule(dynamic, 1)
    for (std::size_t b = 0; b < n_blocks; ++b) {
      if (ctx.cancelled()) continue;
      const std::size_t begin = b * block, count = std::min(block, n - begin);
      const FeatureView xb = x.rows(begin, count);
      accumulate_block(t, xb, simd ? &offsets : nullptr, s);
      mark_nan_rows(xb, count, s.has_nan.data());
      for (std::size_t i = 0; i < count; ++i) {
        float* a = s.acc.data() + i * t.value_width;
        for (std::size_t k = 0; k < t.value_width; ++k)
          a[k] = s.has_nan[i] ? 0.0f : a[k] / n_trees_f;
      }
      write(begin, count, s.acc.data());
    }
  }
  ctx.check_cancelled();
}

}  // namespace

void TreeEnsemble::predict_mean(const FeatureView& x, float* out, const RunContext& ctx) const {
  const std::size_t w = value_width;
  predict_blocks(*this, x, ctx, [&](std::size_t begin, std::size_t count, const float* acc) {
    std::copy(acc, acc + count * w, out + begin * w);
  });
}

void TreeEnsemble::predict_mean_planar(const FeatureView& x, float* out,
                                       const RunContext& ctx) const {
  const std::size_t w = value_width, n = x.n_samples;
  predict_blocks(*this, x, ctx, [&](std::size_t begin, std::size_t count, const float* acc) {
    for (std::size_t k = 0; k < w; ++k)
      for (std::size_t i = 0; i < count; ++i)
        out[k * n + begin + i] = acc[i * w + k];
  });
}

void TreeEnsemble::leaves_of(const FeatureView& x, std::size_t first_tree, std::size_t last_tree,
                             std::int32_t* out) const {
  const NodeArrays nodes = arrays_of(*this);
  for (std::size_t t = first_tree; t < last_tree; ++t)
    for (std::size_t i = 0; i < x.n_samples; ++i)
      out[(t - first_tree) * x.n_samples + i] = detail::walk(
          nodes, tree_root[t], x.data + std::ptrdiff_t(i) * x.sample_stride, x.feature_stride);
}

void TreeEnsemble::validate() const {
  const std::size_t n = feature.size();
  auto bad = [](const std::string& why) { throw_input("", "invalid forest: " + why); };
  if (threshold.size() != n || child.size() != n || leaf.size() != n)
    bad("node arrays differ in length");
  if (value_width == 0) bad("value width is 0");
  if (values.size() % value_width != 0) bad("leaf values are not a multiple of the width");
  const std::size_t n_leaves = values.size() / value_width;
  for (std::int32_t r : tree_root)
    if (r < 0 || std::size_t(r) >= n) bad("tree root out of range");
  for (std::size_t i = 0; i < n; ++i) {
    if (leaf[i] >= 0) {
      if (std::size_t(leaf[i]) >= n_leaves || child[i] != std::int32_t(i))
        bad("leaf " + std::to_string(i) + " is malformed");
    } else {
      // Children must lie after their parent, so every walk ends (no cycles).
      if (child[i] <= std::int32_t(i) || std::size_t(child[i]) + 1 >= n)
        bad("children of node " + std::to_string(i) + " out of range");
      if (feature[i] < 0 || std::size_t(feature[i]) >= n_features)
        bad("feature of node " + std::to_string(i) + " out of range");
      if (std::isnan(threshold[i])) bad("NaN threshold at node " + std::to_string(i));
    }
  }
}

void TreeEnsemble::append(const TreeEnsemble& o) {
  if (n_trees() == 0 && n_nodes() == 0) {
    n_features = o.n_features;
    value_width = o.value_width;
  }
  if (o.n_features != n_features || o.value_width != value_width)
    throw_internal("appending trees of a different shape");
  const auto node_base = std::int32_t(n_nodes());
  const auto leaf_base = std::int32_t(values.size() / std::max<std::size_t>(1, value_width));
  for (std::int32_t r : o.tree_root)
    tree_root.push_back(r + node_base);
  feature.insert(feature.end(), o.feature.begin(), o.feature.end());
  threshold.insert(threshold.end(), o.threshold.begin(), o.threshold.end());
  for (std::int32_t c : o.child)
    child.push_back(c + node_base);
  for (std::int32_t l : o.leaf)
    leaf.push_back(l < 0 ? -1 : l + leaf_base);
  values.insert(values.end(), o.values.begin(), o.values.end());
}

}  // namespace bioforest::learn
