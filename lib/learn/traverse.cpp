// SPDX-License-Identifier: BSD-3-Clause
// The partitioning block walk with Highway (see traverse.hpp for the scheme).
#include "traverse.hpp"

#include <algorithm>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "learn/traverse.cpp"  // relative to lib/, a private include dir
#include <hwy/foreach_target.h>                  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace bioforest::learn::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

struct Range {
  std::int32_t node, begin, end, buffer;  // ids of the range live in buffer 0 or 1
};

/// Splits the ids in[b, e) of a split node into out[b, e): left-going ids to the front,
/// right-going ids to the back. Reading one buffer and writing the other keeps stores
/// from overlapping the loads that follow them (a store-forwarding stall per vector);
/// masked stores keep every write inside [b, e), which no pending node reads from `out`.
HWY_INLINE std::int32_t Partition(const float* HWY_RESTRICT x, std::int32_t feature_offset,
                                  float threshold, std::int32_t sample_stride,
                                  const std::int32_t* HWY_RESTRICT in,
                                  std::int32_t* HWY_RESTRICT out, std::int32_t b, std::int32_t e,
                                  bool in_order) {
  const hn::ScalableTag<std::int32_t> di;
  const hn::ScalableTag<float> df;
  const auto N = std::int32_t(hn::Lanes(di));
  const auto vfo = hn::Set(di, feature_offset);
  const auto vss = hn::Set(di, sample_stride);
  const auto vt = hn::Set(df, threshold);
  std::int32_t nl = b, nr = e;  // next left slot; start of the right part
  for (std::int32_t j = b; j < e; j += N) {
    const auto id = hn::LoadU(di, in + j);
    // Lanes past e hold other nodes' ids (valid samples, safe to read) or padding zeros.
    const auto valid = hn::FirstN(di, std::size_t(e - j));
    // At the root the ids are b, b+1, ...: with planar features the values are contiguous.
    const auto v = in_order ? hn::LoadU(df, x + feature_offset + j)
                            : hn::GatherIndex(df, x, hn::Add(hn::Mul(id, vss), vfo));
    // Right iff !(v < t): NaN goes right, as in the scalar walk (its row is zeroed anyway).
    const auto right = hn::And(hn::RebindMask(di, hn::Not(hn::Lt(v, vt))), valid);
    const auto left = hn::And(hn::Not(right), valid);
    const auto n_left = std::int32_t(hn::CountTrue(di, left));
    const auto n_right = std::int32_t(hn::CountTrue(di, right));
    hn::BlendedStore(hn::Compress(id, left), hn::FirstN(di, std::size_t(n_left)), di, out + nl);
    nr -= n_right;
    hn::BlendedStore(hn::Compress(id, right), hn::FirstN(di, std::size_t(n_right)), di, out + nr);
    nl += n_left;
  }
  return nl;
}

void AccumulateTreeImpl(const WalkTree& t, std::int32_t root, const float* HWY_RESTRICT x,
                        std::int32_t sample_stride, std::size_t n, std::int32_t* HWY_RESTRICT ids,
                        std::int32_t* HWY_RESTRICT tmp, float* HWY_RESTRICT acc) {
  std::int32_t* buf[2] = {ids, tmp};
  for (std::size_t i = 0; i < n; ++i)
    ids[i] = std::int32_t(i);
  std::fill(ids + n, ids + n + kWalkPad, 0);
  std::fill(tmp + n, tmp + n + kWalkPad, 0);
  Range stack[128];  // depth-first: at most one pending sibling per level
  int top = 0;
  stack[top++] = {root, 0, std::int32_t(n), 0};
  while (top > 0) {
    const Range r = stack[--top];
    const std::int32_t* in = buf[r.buffer];
    const std::int32_t c = t.child[r.node];
    if (c == r.node) {  // leaf: add its value to the samples that reached it
      const float* v = t.values + std::size_t(t.leaf[r.node]) * t.width;
      if (t.width == 2) {
        for (std::int32_t j = r.begin; j < r.end; ++j) {
          float* a = acc + std::size_t(in[j]) * 2;
          a[0] += v[0];
          a[1] += v[1];
        }
      } else {
        for (std::int32_t j = r.begin; j < r.end; ++j) {
          float* a = acc + std::size_t(in[j]) * t.width;
          for (std::size_t k = 0; k < t.width; ++k)
            a[k] += v[k];
        }
      }
      continue;
    }
    if (top + 2 > 128) {  // deeper than any sane tree: finish this subtree sample by sample
      for (std::int32_t j = r.begin; j < r.end; ++j) {
        std::int32_t node = r.node;
        const float* s = x + std::ptrdiff_t(in[j]) * sample_stride;
        while (t.child[node] != node)
          node = t.child[node] + (s[t.feature_offset[node]] < t.threshold[node] ? 0 : 1);
        const float* v = t.values + std::size_t(t.leaf[node]) * t.width;
        for (std::size_t k = 0; k < t.width; ++k)
          acc[std::size_t(in[j]) * t.width + k] += v[k];
      }
      continue;
    }
    const std::int32_t other = 1 - r.buffer;
    const std::int32_t mid =
        Partition(x, t.feature_offset[r.node], t.threshold[r.node], sample_stride, in, buf[other],
                  r.begin, r.end, r.node == root && sample_stride == 1);
    if (mid < r.end) stack[top++] = {c + 1, mid, r.end, other};
    if (mid > r.begin) stack[top++] = {c, r.begin, mid, other};
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace bioforest::learn::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bioforest::learn::detail {
HWY_EXPORT(AccumulateTreeImpl);

void accumulate_tree(const WalkTree& tree, std::int32_t root, const float* x,
                     std::int32_t sample_stride, std::size_t n, std::int32_t* ids,
                     std::int32_t* tmp, float* acc) {
  HWY_DYNAMIC_DISPATCH(AccumulateTreeImpl)(tree, root, x, sample_stride, n, ids, tmp, acc);
}
}  // namespace bioforest::learn::detail
#endif
