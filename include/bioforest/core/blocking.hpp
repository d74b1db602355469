// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Splitting a shape into blocks with a halo, and choosing block sizes for a memory budget.

#include <vector>

#include "bioforest/core/roi.hpp"

namespace bioforest {

/// One block: the region it is responsible for (`core`) and the region to read (`outer`,
/// core grown by the halo and clipped to the array).
struct Block {
  Roi core;
  Roi outer;
  /// core relative to outer's origin: where the block's own result sits in the computed buffer.
  Roi core_in_outer() const { return core.relative_to(outer.start); }
};

/// Tiles `shape` with blocks of at most `block_shape` (row-major order of blocks), each grown
/// by `halo` (clipped). The cores partition the array exactly.
std::vector<Block> make_blocks(const Shape& shape, const Shape& block_shape, const Shape& halo);

/// A block shape for `shape` whose (block + 2*halo) volume times `bytes_per_element` fits
/// `budget_bytes`. Axes listed in `whole_axes` (indices) are never split (e.g. channels);
/// the slowest axes are split first, so blocks stay contiguous rows for as long as possible.
Shape block_shape_for_budget(const Shape& shape, const Shape& halo, double bytes_per_element,
                             std::size_t budget_bytes,
                             const std::vector<std::size_t>& whole_axes = {});

}  // namespace bioforest
