// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: the batched tree walk, the hot loop of prediction (SIMD with runtime dispatch).

#include <cstddef>
#include <cstdint>

namespace bioforest::learn::detail {

struct NodeArrays {
  const std::int32_t* feature;
  const float* threshold;
  const std::int32_t* child;
};

/// Walks one tree from `root` for `count` samples at once. Sample j's feature f is
/// x[offsets[j] + f * feature_stride] (all offsets fit in int32: the caller checks). Writes
/// the leaf node reached by sample j to out[j]. Lanes step together; a lane at its leaf
/// stays there (leaves point to themselves), a group ends when no lane moved.
void traverse(const NodeArrays& nodes, std::int32_t root, const float* x,
              const std::int32_t* offsets, std::int32_t feature_stride, std::size_t count,
              std::int32_t* out);

/// The portable reference walk of one sample (any strides).
inline std::int32_t walk(const NodeArrays& nodes, std::int32_t node, const float* sample,
                         std::ptrdiff_t feature_stride) {
  while (true) {
    const std::int32_t c = nodes.child[node];
    if (c == node) return node;
    const float v = sample[std::ptrdiff_t(nodes.feature[node]) * feature_stride];
    node = c + (v >= nodes.threshold[node] ? 1 : 0);
  }
}

}  // namespace bioforest::learn::detail
