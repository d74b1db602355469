// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Variation of information and Rand scores between a segmentation and its ground truth, with
/// the conventions of ../shared/reference/eval/vi_rand.py (checked against scikit-image):
///   VI_split = H(seg | gt), VI_merge = H(gt | seg) (CREMI / gala; log base 2 by default);
///   adapted Rand error = 1 - F1 of the pair-count precision and recall (SNEMI3D,
///   skimage.metrics.adapted_rand_error); ISBI 2012 V_rand and V_info; the classic Rand index.
/// Pixels whose GT label is in ignore_gt (default 0: foreground-restricted, as in ISBI 2012 /
/// SNEMI3D / CREMI) or whose seg label is in ignore_seg are dropped first.

#include <cstdint>
#include <vector>

#include "bioforest/workflows/evaluate/contingency.hpp"
#include "bioforest/workflows/evaluate/labels.hpp"

namespace bioforest::workflows::evaluate {

struct ViRandOptions {
  std::vector<std::uint64_t> ignore_gt{0};
  std::vector<std::uint64_t> ignore_seg;
  bool natural_log = false;  ///< log base e instead of 2
};

struct ViRandScores {
  std::uint64_t n_pixels = 0;  ///< pixels kept; 0: nothing to score (all other fields 0)
  std::uint64_t n_seg_labels = 0, n_gt_labels = 0;
  double vi_split = 0, vi_merge = 0, vi = 0;
  double h_seg = 0, h_gt = 0, mutual_info = 0;
  double v_info = 1, v_info_split = 1, v_info_merge = 1;
  double v_rand = 1, v_rand_split = 1, v_rand_merge = 1, rand_error_isbi = 0;
  double adapted_rand_error = 0, adapted_rand_precision = 1, adapted_rand_recall = 1;
  double rand_index = 1, rand_error = 0;
};

/// Scores from a (pred = seg, gt) contingency table (the ignore lists are applied here).
ViRandScores vi_rand(const Contingency& table, const ViRandOptions& options = {});
ViRandScores vi_rand(const LabelImage& seg, const LabelImage& gt,
                     const ViRandOptions& options = {});

/// Field-wise mean (for by-image averages and per-slice scores); counts are summed.
ViRandScores mean_vi_rand(const std::vector<ViRandScores>& scores);

}  // namespace bioforest::workflows::evaluate
