// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The overlap (contingency) table of two label images: for every pair of labels that share
/// pixels, how many they share. Every overlap-based metric (pixel confusion, instance IoU,
/// VI, Rand, CTC matching) starts from it. Built in one pass with a hash of (pred, gt) pairs,
/// so its cost is O(pixels), independent of the number of objects.

#include <cstdint>
#include <span>
#include <vector>

namespace bioforest::workflows::evaluate {

struct Contingency {
  struct Cell {
    std::uint32_t pred;  ///< index into pred_labels
    std::uint32_t gt;    ///< index into gt_labels
    std::uint64_t count;
  };
  std::vector<std::uint64_t> pred_labels;  ///< sorted, distinct (0 included if present)
  std::vector<std::uint64_t> gt_labels;    ///< sorted, distinct
  std::vector<std::uint64_t> pred_sizes;   ///< pixels per pred label
  std::vector<std::uint64_t> gt_sizes;     ///< pixels per gt label
  std::vector<Cell> cells;                 ///< sorted by (pred, gt); count > 0
  std::uint64_t total = 0;                 ///< pixels counted
};

/// The table of two equally long label arrays; throws Error{internal} if their sizes differ
/// (callers check shapes first and name the files).
Contingency contingency(std::span<const std::uint64_t> pred, std::span<const std::uint64_t> gt);

/// The same table without the pixels whose pred label is in `drop_pred` or whose gt label is
/// in `drop_gt` (labels that lose all their pixels disappear; sizes are recomputed).
Contingency drop_labels(const Contingency& table, std::span<const std::uint64_t> drop_pred,
                        std::span<const std::uint64_t> drop_gt);

/// Index of `label` in a sorted label list, or -1.
std::int64_t label_index(const std::vector<std::uint64_t>& labels, std::uint64_t label);

}  // namespace bioforest::workflows::evaluate
