// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/learn/tree_ensemble.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "bioforest/core/error.hpp"
#include "bioforest/core/plane_buffer.hpp"
#include "traverse.hpp"

namespace bioforest::learn {
namespace {

using detail::NodeArrays;

// Samples per block. The block is copied into a planar scratch (below) whose features
// (8192 x 49 floats, 1.6 MB) stay in L2/L3 while every tree walks them, and each node
// still sees enough samples (~block x 2^-depth) to fill SIMD vectors. Measured on this
// EPYC: 4096 and 16384 within 3 %.
constexpr std::size_t kBlock = 8192;
static_assert(kBlock <= detail::kWalkMaxSamples);
// Trees whose top levels are evaluated together for one vector of samples (top_slots):
// 8 trees' slots of a block (64 KB) stay in L2 until their walks read them.
constexpr std::size_t kTopGroup = 8;
// Levels evaluated without gathers. 3, 4 and 5 measured within noise of each other and
// ~5 % faster than none: the top levels are the cheap ones for partitioning too (full
// vectors); the cost lies in the deep nodes with a few samples each. Since images are
// walked in tiles (partitions cheaper, the top ~1/3 of a prediction), 4 levels beat 5:
// forest bench, 2 threads, medians of 5 / 4 interleaved runs: 20k samples, 2 classes
// 0.754 -> 0.717 s, 4 classes 1.244 -> 1.203 s, 200k (2 classes) 1.63 -> 1.60 s; walk
// bench 0.435 -> 0.406 CPU-s, labels 0.273 -> 0.258; ISBI's 18 slices with a 60k-label
// forest 6.0 s against 6.7 s for the code before tiles; 3 levels as 4 (0.719 s).
constexpr int kTopDepth = 4;
// Width of the tiles an image's pixels are walked in (see plan_blocks): kBlock / 128 = 64 rows.
// Tried (forest bench, 2 threads, medians of 4-6 interleaved runs): tiles of 64 x 64 in
// blocks of 4096 (0.8 MB of features, within the L2) -2 % on the 20k, 2-class forest but
// +1.4 % with 4 classes; 64 x 32, 32 x 128, 96 x 64 and 128 x 128 (blocks of 16384) slower.
constexpr std::size_t kTileWidth = 128;

NodeArrays arrays_of(const TreeEnsemble& t) {
  return {t.feature.data(), t.threshold.data(), t.child.data()};
}

/// Feature planes of the block copy: `block` rounded up to a cache line, plus one line.
/// The padding matters: the pixel stage's planes are often a power of two apart (a 2048²
/// image, 256² blocks), which maps one sample's 49 feature lines to the same L1 and L2
/// set, so that reading a few samples' features missed every cache level (measured: the
/// gather-free top levels below were slower than the gathers they replace until copied).
std::size_t plane_stride(std::size_t block) {
  return (block + 15) / 16 * 16 + 16;
}

/// Per-thread scratch for one block. Kept by each thread from one prediction to the next
/// (pixel prediction calls the forest once per strip): fresh megabytes per call cost a
/// page fault per 4 KB, ~15 % of a 512^2 image's prediction.
struct BlockScratch {
  /// The block's features, planar with plane_stride(): copied blocks, and the open rows
  /// that predict_argmax compacts. Not zero-filled, so that pages nothing writes are never
  /// mapped (walks that read the caller's planes in place touch a few or none of them:
  /// zero-filled, they were ~850 of the 4.2K page faults of a 512 x 512 pixel prediction).
  PlaneBuffer planes;
  std::vector<detail::WalkRange> queue;
  /// The walk's two id lists (accumulate_tree's ids and tmp) in id_lists, tmp 2 KB past a
  /// multiple of 4 KB after ids. The partition reads one and writes the other at nearby
  /// indices; a store and a later load whose addresses agree in their low 12 bits look
  /// dependent to the CPU until their full addresses are known, and with two separate
  /// vectors (33 KB apart: 272 B past 8 x 4 KB) such pairs were frequent. Forest bench, 1
  /// thread: -2.4 % CPU (medians of 6 interleaved runs; offsets of 1 and 3 KB the same).
  std::vector<std::int32_t> id_lists;
  std::int32_t* ids = nullptr;
  std::int32_t* tmp = nullptr;
  std::vector<std::uint8_t> slots;  ///< top exits of a group of trees
  std::vector<float> acc;
  std::vector<std::uint16_t> votes;  ///< one-hot forests: votes for classes 1.. (see walk)
  std::vector<unsigned char> has_nan;
  std::vector<std::uint32_t> order;  ///< predict_argmax: block sample of each active row
  std::vector<std::uint8_t> keep;    ///< predict_argmax: rows still open (padded for SIMD)

  /// This thread's scratch, grown (never shrunk) to fit. The walk writes every entry it
  /// reads (ids' and tmp's padding included), so old contents never matter.
  static BlockScratch& of_thread(std::size_t block, std::size_t n_features, std::size_t width,
                                 std::size_t max_tree_nodes) {
    thread_local BlockScratch s;
    auto fit = [](auto& v, std::size_t n) {
      if (v.size() < n) v.resize(n);
    };
    s.planes.reserve(plane_stride(block) * n_features);
    fit(s.queue, max_tree_nodes);
    const std::size_t list = block + detail::kWalkPad;
    const std::size_t tmp_at = (list + 1023) / 1024 * 1024 + 512;  // in int32: 4 KB, 2 KB
    fit(s.id_lists, tmp_at + list);
    s.ids = s.id_lists.data();
    s.tmp = s.ids + tmp_at;
    fit(s.slots, block * kTopGroup);
    fit(s.acc, block * width);
    fit(s.votes, block * (width - 1));
    fit(s.has_nan, block);
    fit(s.order, block);
    fit(s.keep, block + detail::kWalkPad);
    return s;
  }
};

/// Marks the samples of one feature plane (n values, stride 1) whose value is NaN.
void mark_nan_rows(const float* plane, std::size_t n, BlockScratch& s) {
  for (std::size_t i = 0; i < n; ++i)
    s.has_nan[i] |= std::isnan(plane[i]) ? 1 : 0;
}

/// The samples of one block of a prediction: `rows` runs of `width` consecutive samples of
/// the view, the first from sample `first`, each `row_step` samples after the one before.
/// A plain block is one run; a tile of an image (BlockPlan::tile_width) one run per row.
struct BlockSamples {
  std::size_t first = 0, width = 0, rows = 1, row_step = 0;

  std::size_t count() const { return width * rows; }
  /// The view's index of block sample i (the block's samples run row by row).
  std::size_t sample(std::size_t i) const { return first + i / width * row_step + i % width; }
  /// f(block index of the run's first sample, view index of it, run length) for each run.
  template <class F>
  void for_runs(F&& f) const {
    for (std::size_t r = 0; r < rows; ++r)
      f(r * width, first + r * row_step, width);
  }
};

/// copy_block prefetches the run this many runs ahead of the one it copies. A tile's runs
/// are short (128 floats of each of 64 rows and 49 planes): read without prefetches they
/// came from memory at ~1.6 GB/s, and the copy ate most of the tiles' gain (walk bench, 1
/// thread, 1 Mpx: 0.54 CPU-s against 0.52 in rows; 4 and 8 runs ahead 0.46; 16 0.49).
constexpr std::size_t kPrefetchRuns = 8;

/// Copies the samples of block `blk` of x into s.planes (planes `stride` apart, the block's
/// samples in order) and marks those with a NaN feature (they get all-zero output, as in
/// vigra).
void copy_block(const FeatureView& x, const BlockSamples& blk, std::size_t stride,
                BlockScratch& s) {
  const std::size_t n = blk.count(), rows = blk.rows;
  std::fill(s.has_nan.begin(), s.has_nan.begin() + std::ptrdiff_t(n), 0);
  // The start of run r of feature f in x.
  const auto run = [&](std::size_t f, std::size_t r) {
    return x.data + std::ptrdiff_t(f) * x.feature_stride +
           std::ptrdiff_t(blk.first + r * blk.row_step) * x.sample_stride;
  };
  const bool prefetch = rows > 1 && x.sample_stride == 1;
  for (std::size_t f = 0; f < x.n_features; ++f) {
    float* plane = s.planes.data() + f * stride;
    // One pass copies and detects a NaN (v != v) anywhere in the plane; the compiler
    // vectorises it. Marking the samples is rare work, done only for planes holding one
    // (a separate marking pass over every plane cost ~9 % of a pixel prediction).
    int any_nan = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      if (prefetch) {
        const std::size_t k = f * rows + r + kPrefetchRuns;  // in (feature, run) order
        if (k < x.n_features * rows)
          for (std::size_t i = 0; i < blk.width; i += 16)
            __builtin_prefetch(run(k / rows, k % rows) + i);
      }
      float* dst = plane + r * blk.width;
      const float* src = run(f, r);
      if (x.sample_stride == 1) {
        for (std::size_t i = 0; i < blk.width; ++i) {
          const float v = src[i];
          dst[i] = v;
          any_nan |= v != v;
        }
      } else {
        for (std::size_t i = 0; i < blk.width; ++i) {
          const float v = src[std::ptrdiff_t(i) * x.sample_stride];
          dst[i] = v;
          any_nan |= v != v;
        }
      }
    }
    if (any_nan) mark_nan_rows(plane, n, s);
  }
}

/// Marks the samples [0, n) of a planar `xb` (sample stride 1) that have a NaN feature,
/// reading it in place: copy_block's detection without the copy (vectorised the same way).
void scan_block(const FeatureView& xb, BlockScratch& s) {
  const std::size_t n = xb.n_samples;
  std::fill(s.has_nan.begin(), s.has_nan.begin() + std::ptrdiff_t(n), 0);
  for (std::size_t f = 0; f < xb.n_features; ++f) {
    const float* src = xb.data + std::ptrdiff_t(f) * xb.feature_stride;
    int any_nan = 0;
    for (std::size_t i = 0; i < n; ++i)
      any_nan |= src[i] != src[i];
    if (any_nan) mark_nan_rows(src, n, s);
  }
}

/// The walk's view of the forest for planes `stride` floats apart.
struct StridePlan {
  std::size_t stride = 0;             ///< 0: unused
  std::vector<std::int32_t> offsets;  ///< per node: feature * stride
  std::vector<detail::TopLevels> tops;
  /// Per tree: walked whole as leaf masks (one-hot forests, trees of at most 64 leaves:
  /// small[tree]), or by the top levels and partitions (tops[tree]).
  std::vector<std::uint8_t> is_small;
  std::vector<detail::LeafMasks> small;
};

/// What every block's walk reads (built once per prediction).
struct BlockPlan {
  std::size_t block = 0;
  std::size_t n_blocks = 0;
  /// Tiles of an image (tile_width > 0): blocks of tile_rows rows of tile_width pixels, in
  /// rows of tiles_across tiles, of an image of row_length pixels per row; else runs of
  /// `block` samples.
  std::size_t tile_width = 0, tile_rows = 0, tiles_across = 0, row_length = 0, n_samples = 0;
  StridePlan copy;    ///< for the block copied into BlockScratch::planes
  StridePlan direct;  ///< for the caller's planes read in place, if their stride allows
  std::size_t max_tree_nodes = 0;
  /// Per leaf row: its class, if every row is one-hot (a forest grown to purity); else
  /// empty. Then the walk counts votes: the sum of a sample's one-hot rows over trees, in
  /// any order, is exactly its count of votes per class, so the result is the same.
  std::vector<std::uint8_t> leaf_class;

  /// The samples of block b.
  BlockSamples samples_of(std::size_t b) const {
    if (tile_width == 0) {
      const std::size_t first = b * block, width = std::min(block, n_samples - first);
      return {first, width, 1, width};
    }
    const std::size_t across = b % tiles_across, down = b / tiles_across;
    const std::size_t column = across * tile_width, row = down * tile_rows;
    return {row * row_length + column, std::min(tile_width, row_length - column),
            std::min(tile_rows, n_samples / row_length - row), row_length};
  }
};

/// For one-hot forests: s.acc of samples [0, n) = their float sums over `trees` trees,
/// from the votes (class 0 has the trees no other class got).
void votes_to_sums(const BlockPlan& plan, std::size_t width, std::size_t n, std::size_t trees,
                   BlockScratch& s) {
  if (plan.leaf_class.empty()) return;
  const std::size_t w1 = width - 1;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint16_t* v = s.votes.data() + i * w1;
    float* a = s.acc.data() + i * width;
    std::size_t rest = trees;
    for (std::size_t k = 0; k < w1; ++k) {
      a[k + 1] = float(v[k]);
      rest -= v[k];
    }
    a[0] = float(rest);
  }
}

/// Adds trees [first, last) to s.acc for the n samples of the planar block x (planes
/// sp.stride apart), in tree order.
void accumulate_trees(const TreeEnsemble& t, std::size_t first, std::size_t last, std::size_t n,
                      const float* x, const StridePlan& sp, const BlockPlan& plan,
                      BlockScratch& s) {
  const std::vector<std::int32_t>& offsets = sp.offsets;
  const std::vector<detail::TopLevels>& tops = sp.tops;
  const detail::WalkTree wt{offsets.data(),
                            t.threshold.data(),
                            t.child.data(),
                            t.leaf.data(),
                            t.values.data(),
                            t.value_width,
                            plan.leaf_class.empty() ? nullptr : plan.leaf_class.data()};
  for (std::size_t g = first; g < last; g += kTopGroup) {
    const std::size_t group_end = std::min(g + kTopGroup, last);
    // Runs of small trees (leaf masks) and of others, in tree order.
    for (std::size_t a = g, b = g; a < group_end; a = b) {
      const bool small = sp.is_small[a] != 0;
      while (b < group_end && (sp.is_small[b] != 0) == small)
        ++b;
      if (small) {
        detail::add_small_trees(&sp.small[a], b - a, t.value_width, x, n, s.votes.data());
        continue;
      }
      if (!tops.empty()) detail::top_slots(&tops[a], b - a, x, n, s.slots.data());
      for (std::size_t tree = a; tree < b; ++tree)
        detail::accumulate_tree(wt, t.tree_root[tree], tops.empty() ? nullptr : &tops[tree], x, 1,
                                n, s.ids, s.tmp, s.slots.data() + (tree - a) * n, s.queue.data(),
                                s.acc.data(), s.votes.data());
    }
  }
}

void plan_stride(const TreeEnsemble& t, std::size_t stride,
                 const std::vector<std::uint8_t>& leaf_class, StridePlan& p) {
  p.stride = stride;
  p.offsets.resize(t.n_nodes());
  for (std::size_t i = 0; i < t.n_nodes(); ++i)
    p.offsets[i] = std::int32_t(std::size_t(t.feature[i]) * stride);
  const detail::WalkTree wt{p.offsets.data(),
                            t.threshold.data(),
                            t.child.data(),
                            t.leaf.data(),
                            t.values.data(),
                            t.value_width,
                            leaf_class.empty() ? nullptr : leaf_class.data()};
  // Small trees of one-hot forests are walked whole without gathers, the others' top levels.
  p.is_small.assign(t.n_trees(), 0);
  p.small.resize(leaf_class.empty() ? 0 : t.n_trees());
  if (kTopDepth > 0) p.tops.resize(t.n_trees());
  for (std::size_t tree = 0; tree < t.n_trees(); ++tree) {
    if (!p.small.empty() && detail::build_leaf_masks(wt, t.tree_root[tree], p.small[tree])) {
      p.is_small[tree] = 1;
      continue;
    }
    if (kTopDepth > 0) detail::build_top_levels(wt, t.tree_root[tree], kTopDepth, p.tops[tree]);
  }
}

/// The most nodes of one tree: the walk queues each node of a tree at most once. Trees
/// stored as consecutive ranges of nodes (each from its root to the next tree's root, as
/// training, append and the vigra import store them) are bounded by their ranges, after a
/// sequential check that no node of a range points out of it; other layouts are counted
/// by walking each tree (which took 6 % of the CPU, ~14 ms per call, predicting 18 ISBI
/// slices with a forest trained on 60k labelled pixels: one call per image).
std::size_t max_tree_nodes(const TreeEnsemble& t) {
  const std::size_t n_trees = t.n_trees(), n = t.n_nodes();
  std::size_t most = 0;
  bool ranges = true;
  for (std::size_t tree = 0; tree < n_trees && ranges; ++tree) {
    const auto b = std::size_t(t.tree_root[tree]);
    const std::size_t e = tree + 1 < n_trees ? std::size_t(t.tree_root[tree + 1]) : n;
    ranges = b < e;
    for (std::size_t i = b; i < e && ranges; ++i)
      ranges = t.child[i] == std::int32_t(i) || std::size_t(t.child[i]) + 1 < e;
    most = std::max(most, e - b);
  }
  if (ranges) return most;
  most = 0;
  std::vector<std::int32_t> pending;
  for (std::size_t tree = 0; tree < n_trees; ++tree) {
    std::size_t count = 0;
    pending.assign(1, t.tree_root[tree]);
    while (!pending.empty()) {
      const std::int32_t node = pending.back();
      pending.pop_back();
      ++count;
      const std::int32_t c = t.child[std::size_t(node)];
      if (c != node) pending.insert(pending.end(), {c, c + 1});
    }
    most = std::max(most, count);
  }
  return most;
}

BlockPlan plan_blocks(const TreeEnsemble& t, const FeatureView& x, const RunContext& ctx) {
  if (x.n_features != t.n_features)
    throw_usage("the forest was trained on " + std::to_string(t.n_features) + " features, but " +
                std::to_string(x.n_features) + " were given");
  if (t.n_trees() == 0) throw_usage("the forest has no trees");
  BlockPlan p;
  // Smaller blocks when there are few samples, so every thread gets work (results do not
  // depend on the blocking: each sample's sum runs over the trees in order).
  const std::size_t n = x.n_samples;
  const std::size_t per_thread =
      (n + std::size_t(std::max(1, ctx.threads)) - 1) / std::size_t(std::max(1, ctx.threads));
  p.block = std::min(kBlock, std::max<std::size_t>(1024, (per_thread + 63) / 64 * 64));
  const auto fits = [&](std::size_t stride) {
    return double(stride) * double(x.n_features) < double(std::numeric_limits<std::int32_t>::max());
  };
  if (!fits(plane_stride(p.block)))
    throw_usage(std::to_string(x.n_features) + " features are too many for the forest");
  // One-hot leaves (and votes that fit 16 bits): the walk counts votes.
  const std::size_t w = t.value_width, n_rows = t.values.size() / std::max<std::size_t>(1, w);
  if (w >= 2 && w <= 256 && t.n_trees() <= 65535) {
    p.leaf_class.resize(n_rows);
    for (std::size_t r = 0; r < n_rows; ++r) {
      const float* row = t.values.data() + r * w;
      std::size_t ones = 0, zeros = 0;
      for (std::size_t k = 0; k < w; ++k) {
        ones += row[k] == 1.0f ? 1 : 0;
        zeros += row[k] == 0.0f ? 1 : 0;
        if (row[k] == 1.0f) p.leaf_class[r] = std::uint8_t(k);
      }
      if (ones != 1 || zeros != w - 1) {  // not one-hot: the walk adds the rows
        p.leaf_class.clear();
        break;
      }
    }
  }
  plan_stride(t, plane_stride(p.block), p.leaf_class, p.copy);
  p.n_samples = n;
  p.n_blocks = (n + p.block - 1) / p.block;
  // An image's pixels are walked in tiles when some tree is walked by partitions (leaf-mask
  // trees read contiguous vectors whatever the order): the samples of a node then lie in
  // fewer, denser clusters of the block, and runs of equal top exits are longer. Forest
  // bench (20k samples, 2 classes, 4.2 Mpx of a 2048^2 image, 2 threads, medians of 5
  // interleaved runs): 0.834 s in blocks of 4 rows, 0.746 s in tiles of 128 x 64 (64 x 128
  // the same); ISBI's 18 slices with a forest of 60k labelled pixels 7.1-7.3 -> 6.8-7.0 s,
  // although tiles are copied, never read in place. With the tiles laid out contiguously
  // in the file (1 thread, 1 Mpx): 128 x 64, 64 x 128 and 32 x 256 within noise (0.41
  // CPU-s), 256 x 32 0.44, Morton order inside a tile no better than rows, 2048 x 4 0.46.
  const std::size_t row = x.row_length;
  const bool partitions =
      std::find(p.copy.is_small.begin(), p.copy.is_small.end(), 0) != p.copy.is_small.end();
  if (partitions && row > kTileWidth && n % row == 0) {
    const std::size_t across = (row + kTileWidth - 1) / kTileWidth;
    p.tile_width = (row + across - 1) / across;
    p.tiles_across = (row + p.tile_width - 1) / p.tile_width;  // every tile column non-empty
    p.tile_rows = std::max<std::size_t>(1, p.block / p.tile_width);
    p.row_length = row;
    p.n_blocks = p.tiles_across * ((n / row + p.tile_rows - 1) / p.tile_rows);
  }
  if (p.tile_width == 0 && x.sample_stride == 1 && x.feature_stride > 0 &&
      is_padded_plane_stride(std::size_t(x.feature_stride), x.n_samples) &&
      fits(std::size_t(x.feature_stride)))
    plan_stride(t, std::size_t(x.feature_stride), p.leaf_class, p.direct);
  p.max_tree_nodes = max_tree_nodes(t);
  return p;
}

/// Runs per_block(scratch, block samples, x, stride plan) on blocks of samples in parallel:
/// x is the block's planar features, in place in the caller's planes when their stride
/// allows (plan.direct, see padded_plane_stride), else copied into scratch.planes
/// (plan.copy). Reading in place saves less than the copy costs: the NaN scan still brings
/// the block in from memory (copy_block 4.5 % of an isbi prediction, scan_block 3.7 %).
/// Skipping the scan where the features are known to be finite (finite input of bounded
/// magnitude) was slower (session 8, ISBI Simple Segmentation 0.775 -> 0.85 s, u2os the
/// same): the scan streams the block into the cache, at prefetcher speed, for the walk.
template <class PerBlock>
void for_blocks(const TreeEnsemble& t, const FeatureView& x, const BlockPlan& plan,
                const RunContext& ctx, PerBlock&& per_block) {
  const std::size_t n_blocks = plan.n_blocks;
  const int threads = std::max(1, std::min<int>(ctx.threads, int(n_blocks)));
#pragma omp parallel num_threads(threads)
  {
    BlockScratch& s =
        BlockScratch::of_thread(plan.block, x.n_features, t.value_width, plan.max_tree_nodes);
#pragma omp for schedule(dynamic, 1)
    for (std::size_t b = 0; b < n_blocks; ++b) {
      if (ctx.cancelled()) continue;
      const BlockSamples blk = plan.samples_of(b);
      const std::size_t count = blk.count();
      if (plan.direct.stride != 0) {  // a run of samples, read in place
        const FeatureView xb = x.rows(blk.first, count);
        scan_block(xb, s);
        // The walk's vectors also gather at ids in the lanes past a node's range: entries
        // of its id buffers left by earlier blocks, up to the largest block, which the
        // scratch planes hold but the caller's planes may not (a crash in the last block
        // of a strip). ids is rewritten by every tree, tmp only where partitions store.
        std::fill_n(s.tmp, count, 0);
        per_block(s, blk, xb.data, &plan.direct);
      } else {
        copy_block(x, blk, plan.copy.stride, s);
        per_block(s, blk, static_cast<const float*>(s.planes.data()), &plan.copy);
      }
    }
  }
  ctx.check_cancelled();
}

template <class Write>
void predict_blocks(const TreeEnsemble& t, const FeatureView& x, const RunContext& ctx,
                    Write&& write) {
  const BlockPlan plan = plan_blocks(t, x, ctx);
  if (x.n_samples == 0) return;
  const float n_trees_f = float(t.n_trees());
  for_blocks(t, x, plan, ctx,
             [&](BlockScratch& s, const BlockSamples& blk, const float* xb, const StridePlan* sp) {
               const std::size_t count = blk.count();
               std::fill(s.acc.begin(), s.acc.begin() + std::ptrdiff_t(count * t.value_width),
                         0.0f);
               std::fill_n(s.votes.begin(), count * (t.value_width - 1), std::uint16_t(0));
               accumulate_trees(t, 0, t.n_trees(), count, xb, *sp, plan, s);
               votes_to_sums(plan, t.value_width, count, t.n_trees(), s);
               for (std::size_t i = 0; i < count; ++i) {
                 float* a = s.acc.data() + i * t.value_width;
                 for (std::size_t k = 0; k < t.value_width; ++k)
                   a[k] = s.has_nan[i] ? 0.0f : a[k] / n_trees_f;
               }
               write(blk, s.acc.data());
             });
}

/// predict_argmax walks the trees [g, end) before it looks for decided rows again: groups of
/// kTopGroup, but no row is decided before a majority of the trees (T / 2 + 1) has voted
/// and most are soon after, so a group ends there and the next 16 trees come in twos (labels
/// of the forest bench's 1 Mpx: 0.38 -> 0.35 CPU-s; u2os Simple Segmentation -3 %).
/// Forests of leaf-mask trees (a few leaves each: dsb2018, u2os) walked every tree without
/// the early exit (no compaction, no open-row checks) within noise (session 8); in session
/// 9 (paired medians of 40 runs) -0.9 ms on dsb2018, -2.3 ms without the NaN scan too, but
/// ISBI's ~47-leaf trees +108 / +138 ms and u2os the same: kept.
std::size_t decision_group_end(std::size_t g, std::size_t n_trees) {
  constexpr std::size_t kFineGroup = 2, kFineSpan = 16;
  const std::size_t majority = n_trees / 2 + 1;
  std::size_t end = g + kTopGroup;
  if (g < majority && end > majority)
    end = majority;
  else if (g >= majority && g < majority + kFineSpan)
    end = g + kFineGroup;
  return std::min(end, n_trees);
}

/// The first column of the largest value of a row of mean values (argmax's tie rule).
std::uint32_t first_max(const float* a, std::size_t w) {
  std::uint32_t best = 0;
  for (std::size_t k = 1; k < w; ++k)
    if (a[k] > a[best]) best = std::uint32_t(k);
  return best;
}

// predict_argmax's early exit. A row is decided when its leading class is certain to
// stay ahead whatever the remaining trees add; s.keep[i] = 1 for the rows still open, and
// s.ids[i] = the winning column of those decided. Both return the count of open rows.

/// One-hot forests, from the votes of the first `done` trees: exact integer counts, so a
/// lead of more than the remaining trees is decided. (The float test below, on the same
/// counts, decides a lead > remaining + slack with slack < 1 for up to ~1400 trees: the
/// same rows, only later past that. Either way a row leaves only with its final winner.)
/// With the votes turned into float sums after every group, and this check and the row
/// compaction done scalar, predict_argmax's own loop was 18 % of a Simple Segmentation
/// prediction (u2os: 10 images, 2 classes, 100 trees); counting on the votes (vectorised
/// for 2 classes) and compacting with compress (compact_planes) left 7.5 %.
std::size_t open_rows_of_votes(BlockScratch& s, std::size_t w, std::size_t n, std::size_t done,
                               std::size_t remaining) {
  const std::uint16_t* __restrict votes = s.votes.data();
  const unsigned char* __restrict has_nan = s.has_nan.data();
  std::int32_t* __restrict col = s.ids;
  std::uint8_t* __restrict keep = s.keep.data();
  std::size_t kept = 0;
  const auto t = std::int32_t(done), r = std::int32_t(remaining);
  if (w == 2) {  // the common case, branch-free and restrict so that it vectorises
    std::uint32_t open = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::int32_t lead = 2 * std::int32_t(votes[i]) - t;  // class 1's votes - class 0's
      const std::int32_t nan = has_nan[i];
      col[i] = std::int32_t((nan == 0) & (lead > 0));
      const auto o = std::uint32_t((nan == 0) & (lead <= r) & (-lead <= r));
      keep[i] = std::uint8_t(o);
      open += o;
    }
    return open;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint16_t* v = votes + i * (w - 1);
    std::int32_t rest = t, second = -1;
    std::uint32_t best = 0;
    for (std::size_t k = 0; k + 1 < w; ++k)
      rest -= v[k];
    std::int32_t best_votes = rest;  // class 0
    for (std::size_t k = 0; k + 1 < w; ++k) {
      const std::int32_t c = v[k];
      if (c > best_votes) {
        second = best_votes;
        best_votes = c;
        best = std::uint32_t(k + 1);
      } else {
        second = std::max(second, c);
      }
    }
    const bool nan = has_nan[i] != 0;
    col[i] = nan ? 0 : std::int32_t(best);
    keep[i] = nan || best_votes - second > r ? 0 : 1;
    kept += keep[i];
  }
  return kept;
}

/// Other forests, from the float sums in s.acc: one tree moves a class b ahead of a by at
/// most `spread`, and `slack` bounds the rounding (see predict_argmax).
std::size_t open_rows_of_sums(BlockScratch& s, std::size_t w, std::size_t n, std::size_t remaining,
                              float spread, float slack) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float* a = s.acc.data() + i * w;
    const std::uint32_t best = first_max(a, w);
    float second = -std::numeric_limits<float>::infinity();
    for (std::size_t k = 0; k < w; ++k)
      if (k != best) second = std::max(second, a[k]);
    const bool nan = s.has_nan[i] != 0;
    s.ids[i] = nan ? 0 : std::int32_t(best);
    s.keep[i] = nan || a[best] - second > float(remaining) * spread + slack ? 0 : 1;
    kept += s.keep[i];
  }
  return kept;
}

}  // namespace

void TreeEnsemble::predict_mean(const FeatureView& x, float* out, const RunContext& ctx) const {
  const std::size_t w = value_width;
  predict_blocks(*this, x, ctx, [&](const BlockSamples& blk, const float* acc) {
    blk.for_runs([&](std::size_t at, std::size_t from, std::size_t len) {
      std::copy(acc + at * w, acc + (at + len) * w, out + from * w);
    });
  });
}

void TreeEnsemble::predict_mean_planar(const FeatureView& x, float* out,
                                       const RunContext& ctx) const {
  const std::size_t w = value_width, n = x.n_samples;
  predict_blocks(*this, x, ctx, [&](const BlockSamples& blk, const float* acc) {
    blk.for_runs([&](std::size_t at, std::size_t from, std::size_t len) {
      for (std::size_t k = 0; k < w; ++k)
        for (std::size_t i = 0; i < len; ++i)
          out[k * n + from + i] = acc[(at + i) * w + k];
    });
  });
}

void TreeEnsemble::predict_argmax(const FeatureView& x, std::uint32_t* out,
                                  const RunContext& ctx) const {
  const BlockPlan plan = plan_blocks(*this, x, ctx);
  const std::size_t w = value_width, n_trees_all = n_trees();
  if (x.n_samples == 0) return;
  if (w == 1) {
    std::fill(out, out + x.n_samples, 0u);
    return;
  }
  // One tree moves a class b ahead of a by at most max(values) - min(values). The sums
  // are float: `slack` bounds their rounding (each of T additions errs by at most
  // 2^-24 T max|v|, for both classes) and that of the final division by T, generously.
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  const float spread = *hi - *lo;
  const double vmax = std::max(std::abs(double(*lo)), std::abs(double(*hi)));
  const double t_d = double(n_trees_all);
  const float slack = float((4 * t_d * t_d + 4 * t_d + 4) * vmax * 0x1p-23);
  const float n_trees_f = float(n_trees_all);
  for_blocks(*this, x, plan, ctx,
             [&](BlockScratch& s, const BlockSamples& blk, const float* xb, const StridePlan* sp) {
               const std::size_t count = blk.count();
               std::fill(s.acc.begin(), s.acc.begin() + std::ptrdiff_t(count * w), 0.0f);
               std::fill_n(s.votes.begin(), count * (w - 1), std::uint16_t(0));
               std::vector<std::uint32_t>& orig = s.order;  // block sample of each active row
               for (std::size_t i = 0; i < count; ++i)
                 orig[i] = std::uint32_t(i);
               std::size_t active = count;
               const bool votes = !plan.leaf_class.empty();
               for (std::size_t g = 0, e = 0; g < n_trees_all && active > 0; g = e) {
                 e = decision_group_end(g, n_trees_all);
                 // Compacting costs a copy of the active rows: only when it drops 1/8 of them. The
                 // walk's id buffer is free between groups: it holds each row's winning column.
                 std::int32_t* col_of = s.ids;
                 std::uint8_t* keep = s.keep.data();
                 const std::size_t kept =
                     votes ? open_rows_of_votes(s, w, active, g, n_trees_all - g)
                           : open_rows_of_sums(s, w, active, n_trees_all - g, spread, slack);
                 if ((active - kept) * 8 >= active) {
                   for (std::size_t i = 0; i < active; ++i)
                     if (!keep[i]) out[blk.sample(orig[i])] = std::uint32_t(col_of[i]);
                   // The first compaction of a block read in place copies it into the scratch
                   // planes.
                   detail::compact_planes(xb, sp->stride, s.planes.data(), plan.copy.stride,
                                          n_features, keep, active);
                   xb = s.planes.data();
                   sp = &plan.copy;
                   // Rows move down (k <= i), so in place; stores of rows not kept are overwritten.
                   // Rows with a NaN feature are never kept: has_nan of the rows kept is 0.
                   std::fill_n(s.has_nan.begin(), kept, 0);
                   std::size_t k = 0;
                   if (votes && w == 2) {  // one vote count per row
                     std::uint16_t* v = s.votes.data();
                     for (std::size_t i = 0; i < active; ++i) {
                       v[k] = v[i];
                       orig[k] = orig[i];
                       k += keep[i];
                     }
                   } else {
                     for (std::size_t i = 0; i < active; ++i) {
                       if (!votes) std::copy_n(s.acc.data() + i * w, w, s.acc.data() + k * w);
                       std::copy_n(s.votes.data() + i * (w - 1), w - 1,
                                   s.votes.data() + k * (w - 1));
                       orig[k] = orig[i];
                       k += keep[i];
                     }
                   }
                   active = kept;
                   if (active == 0) break;
                 }
                 accumulate_trees(*this, g, e, active, xb, *sp, plan, s);
               }
               votes_to_sums(plan, w, active, n_trees_all, s);
               // The rest: the argmax of the means, exactly as predict_mean computes them.
               for (std::size_t i = 0; i < active; ++i) {
                 float* a = s.acc.data() + i * w;
                 for (std::size_t k = 0; k < w; ++k)
                   a[k] = s.has_nan[i] ? 0.0f : a[k] / n_trees_f;
                 out[blk.sample(orig[i])] = first_max(a, w);
               }
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
