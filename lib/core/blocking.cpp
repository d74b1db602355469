// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/blocking.hpp"

#include <algorithm>

#include "bioforest/core/error.hpp"

namespace bioforest {

std::vector<Block> make_blocks(const Shape& shape, const Shape& block_shape, const Shape& halo) {
  const std::size_t rank = shape.size();
  BIOFOREST_CHECK(block_shape.size() == rank && halo.size() == rank, "blocking rank mismatch");
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < rank; ++i)
    if (shape[i] == 0) return blocks;
  Shape counts(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    BIOFOREST_CHECK(block_shape[i] > 0, "block shape must be positive");
    counts[i] = (shape[i] + block_shape[i] - 1) / block_shape[i];
  }
  Shape idx(rank, 0);
  while (true) {
    Roi core{Shape(rank), Shape(rank)};
    for (std::size_t i = 0; i < rank; ++i) {
      core.start[i] = idx[i] * block_shape[i];
      core.stop[i] = std::min(shape[i], core.start[i] + block_shape[i]);
    }
    blocks.push_back({core, core.grow(halo, shape)});
    std::size_t d = rank;
    while (d-- > 0) {
      if (++idx[d] < counts[d]) break;
      idx[d] = 0;
      if (d == 0) return blocks;
    }
    if (rank == 0) return blocks;
  }
}

Shape block_shape_for_budget(const Shape& shape, const Shape& halo, double bytes_per_element,
                             std::size_t budget_bytes, const std::vector<std::size_t>& whole_axes) {
  const std::size_t rank = shape.size();
  Shape block = shape;
  auto cost = [&](const Shape& b) {
    double n = bytes_per_element;
    for (std::size_t i = 0; i < rank; ++i)
      n *= double(std::min(shape[i], b[i] + 2 * halo[i]));
    return n;
  };
  auto splittable = [&](std::size_t i) {
    return std::find(whole_axes.begin(), whole_axes.end(), i) == whole_axes.end();
  };
  // Halve the slowest splittable axis that is still larger than the faster ones' halo allows,
  // until the budget is met or every splittable axis is down to one element.
  while (cost(block) > double(budget_bytes)) {
    bool changed = false;
    // Prefer splitting the largest (block + halo) splittable axis, slowest first on ties:
    // keeps blocks compact (minimum halo overhead).
    std::size_t best = rank;
    for (std::size_t i = 0; i < rank; ++i) {
      if (!splittable(i) || block[i] <= 1) continue;
      if (best == rank || block[i] > block[best]) best = i;
    }
    if (best != rank) {
      block[best] = (block[best] + 1) / 2;
      changed = true;
    }
    if (!changed) break;
  }
  return block;
}

}  // namespace bioforest
