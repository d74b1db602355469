// SPDX-License-Identifier: BSD-3-Clause
// The batched tree walk with Highway: per step and lane, gather the node's feature,
// threshold and child, gather the sample's value, compare, advance. Several vectors are
// walked interleaved so that the gathers of one hide the latency of the others.
#include "traverse.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "learn/traverse.cpp"  // relative to lib/, a private include dir
#include <hwy/foreach_target.h>                  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace bioforest::learn::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class DI, class DF, class VI>
HWY_INLINE VI Step(DI di, DF df, const NodeArrays& nodes, const float* HWY_RESTRICT x, VI vfs,
                   VI offs, VI node) {
  const VI f = hn::GatherIndex(di, nodes.feature, node);
  const auto t = hn::GatherIndex(df, nodes.threshold, node);
  const VI c = hn::GatherIndex(di, nodes.child, node);
  const auto v = hn::GatherIndex(df, x, hn::Add(hn::Mul(f, vfs), offs));
  // Right child iff !(v < t); leaves have t = NaN, so v >= t is false and they stay put.
  const auto right = hn::RebindMask(di, hn::Ge(v, t));
  return hn::Sub(c, hn::VecFromMask(di, right));  // mask lanes are -1
}

void TraverseImpl(const NodeArrays& nodes, std::int32_t root, const float* HWY_RESTRICT x,
                  const std::int32_t* HWY_RESTRICT offsets, std::int32_t feature_stride,
                  std::size_t count, std::int32_t* HWY_RESTRICT out) {
  const hn::ScalableTag<std::int32_t> di;
  const hn::ScalableTag<float> df;
  const std::size_t N = hn::Lanes(di);
  const auto vroot = hn::Set(di, root);
  const auto vfs = hn::Set(di, feature_stride);
  std::size_t i = 0;
  // Two vectors at a time: enough independent gathers in flight, while the group's
  // slowest lane (the deepest leaf) still bounds few idle lanes.
  for (; i + 2 * N <= count; i += 2 * N) {
    const auto o0 = hn::LoadU(di, offsets + i);
    const auto o1 = hn::LoadU(di, offsets + i + N);
    auto n0 = vroot, n1 = vroot;
    while (true) {
      const auto m0 = Step(di, df, nodes, x, vfs, o0, n0);
      const auto m1 = Step(di, df, nodes, x, vfs, o1, n1);
      const auto same = hn::And(hn::Eq(m0, n0), hn::Eq(m1, n1));
      n0 = m0;
      n1 = m1;
      if (hn::AllTrue(di, same)) break;
    }
    hn::StoreU(n0, di, out + i);
    hn::StoreU(n1, di, out + i + N);
  }
  for (; i + N <= count; i += N) {
    const auto o0 = hn::LoadU(di, offsets + i);
    auto n0 = vroot;
    while (true) {
      const auto m0 = Step(di, df, nodes, x, vfs, o0, n0);
      const bool done = hn::AllTrue(di, hn::Eq(m0, n0));
      n0 = m0;
      if (done) break;
    }
    hn::StoreU(n0, di, out + i);
  }
  for (; i < count; ++i)
    out[i] = walk(nodes, root, x + offsets[i], feature_stride);
}

}  // namespace HWY_NAMESPACE
}  // namespace bioforest::learn::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bioforest::learn::detail {
HWY_EXPORT(TraverseImpl);

void traverse(const NodeArrays& nodes, std::int32_t root, const float* x,
              const std::int32_t* offsets, std::int32_t feature_stride, std::size_t count,
              std::int32_t* out) {
  HWY_DYNAMIC_DISPATCH(TraverseImpl)(nodes, root, x, offsets, feature_stride, count, out);
}
}  // namespace bioforest::learn::detail
#endif
