// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Connected components of a binary mask in 2-D (y, x) or 3-D (z, y, x), in one buffer or
/// block by block for volumes larger than RAM. Labels are 1..n in raster order of each
/// component's first pixel, as vigra's labelMultiArrayWithBackground and scikit-image's
/// `label` number them, so the blockwise result is identical to the whole-volume one.

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "bioforest/core/blocking.hpp"
#include "bioforest/core/run_context.hpp"

namespace bioforest::workflows {

/// direct: faces only (4 in 2-D, 6 in 3-D; ilastik's default); indirect: also edges and
/// corners (8 in 2-D, 26 in 3-D).
enum class Connectivity { direct, indirect };

/// 4 or 6 -> direct, 8 or 26 -> indirect; Error{usage} for other counts or a count that does
/// not fit `spatial_rank`.
Connectivity parse_connectivity(int neighbours, int spatial_rank);

/// Labels the non-zero pixels of `mask` (row-major, `shape` = (y, x) or (z, y, x)) into
/// `labels` (same size). Returns the number of components.
std::uint32_t label_components(const std::uint8_t* mask, const Shape& shape, Connectivity c,
                               std::uint32_t* labels);

/// Blockwise labelling in two passes over the blocks: scan() labels every block on its own
/// and merges labels across block faces with a union-find over provisional ids; finalize()
/// numbers the surviving components; block_labels() recomputes one block and maps it to the
/// final ids. Memory: the block faces and a few numbers per provisional component.
class BlockwiseLabeling {
 public:
  /// Fills `mask` (core.size() values, row-major) with the foreground of block `core`.
  using MaskFn = std::function<void(const Roi& core, std::vector<std::uint8_t>& mask)>;
  /// Sets flags[l] = 1 (flags has n + 1 entries) for the block's local components l that
  /// carry a property; a component is flagged when any of its parts is.
  using FlagFn = std::function<void(const Roi& core, const std::uint32_t* labels, std::uint32_t n,
                                    std::vector<std::uint8_t>& flags)>;

  /// `shape` (y, x) or (z, y, x); blocks of at most `block_shape`.
  BlockwiseLabeling(const Shape& shape, const Shape& block_shape, Connectivity c);

  const std::vector<Block>& blocks() const noexcept { return blocks_; }

  /// Pass 1. `flag` may be empty.
  void scan(const MaskFn& mask, const FlagFn& flag, const RunContext& ctx);
  /// Keeps components with min_size <= size <= max_size (and, if require_flag, flagged),
  /// numbered 1..n in raster order of their first pixel. Returns n.
  std::uint32_t finalize(std::uint64_t min_size, std::uint64_t max_size, bool require_flag);
  /// Pass 2: the final labels of block `b` (core.size() values), 0 for dropped components.
  void block_labels(std::size_t b, const MaskFn& mask, std::vector<std::uint32_t>& out) const;
  /// Size of final component k at index k - 1.
  const std::vector<std::uint64_t>& sizes() const noexcept { return final_sizes_; }

 private:
  std::uint64_t find(std::uint64_t i);
  void unite(std::uint64_t a, std::uint64_t b);
  void store_faces(std::size_t b, const std::vector<std::uint32_t>& local);
  void merge_faces(std::size_t b);
  std::size_t block_at(const Shape& p) const;

  Shape shape_;        // always (z, y, x); z = 1 in 2-D
  Shape block_shape_;  // (z, y, x)
  Shape grid_;         // blocks per axis
  Connectivity conn_;
  std::vector<Block> blocks_;
  std::vector<std::uint64_t> offset_;                 // first provisional id of block b, minus 1
  std::vector<std::uint64_t> parent_, first_, size_;  // per provisional id (index 0 unused)
  std::vector<std::uint8_t> flag_;
  // faces_[b][2 * axis + side]: global provisional ids on the block's low (0) / high (1) face.
  std::vector<std::array<std::vector<std::uint64_t>, 6>> faces_;
  std::vector<std::uint32_t> final_;  // provisional id -> final id
  std::vector<std::uint64_t> final_sizes_;
  // With a single block (the whole frame fits), its labels are kept from pass 1 instead of
  // being recomputed in pass 2.
  std::vector<std::uint32_t> single_block_;
};

}  // namespace bioforest::workflows
