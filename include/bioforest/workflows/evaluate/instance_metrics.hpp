// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Instance segmentation accuracy at IoU thresholds (StarDist / Cellpose / DSB2018), with the
/// definitions of ../shared/reference/eval/instance_ap.py: GT and predicted objects (label > 0)
/// are paired one-to-one by the assignment that first maximises the number of pairs with
/// IoU >= tau and then their summed IoU; then
///   AP = TP / (TP + FP + FN), precision, recall, F1,
///   panoptic quality = sum(IoU of TPs) / (TP + FP/2 + FN/2).
/// Over several images, "dataset" sums the counts first (stardist matching_dataset), and
/// "by_image" averages the per-image ratios (Cellpose, Kaggle DSB2018).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bioforest/workflows/evaluate/contingency.hpp"
#include "bioforest/workflows/evaluate/labels.hpp"
#include "bioforest/workflows/evaluate/vi_rand.hpp"

namespace bioforest::workflows::evaluate {

/// 0.50, 0.55, ..., 0.95 (the DSB2018 / COCO range).
std::vector<double> default_iou_thresholds();

struct MatchCounts {
  std::uint64_t tp = 0, fp = 0, fn = 0;
  double sum_iou = 0;  ///< IoU summed over the true positives
};

struct MatchRatios {
  double precision = 0, recall = 0, f1 = 0, ap = 0, mean_matched_iou = 0, panoptic_quality = 0;
};

/// The reference's ratios, including its conventions for empty images (nothing to find and
/// nothing found scores 1).
MatchRatios match_ratios(const MatchCounts& counts);

/// The IoU of every overlapping (GT object, predicted object) pair, labels > 0.
struct IouGraph {
  struct Edge {
    std::uint32_t gt, pred;  ///< indices into gt_labels / pred_labels
    double iou;
  };
  std::vector<std::uint64_t> gt_labels, pred_labels;
  std::vector<Edge> edges;
};
IouGraph iou_graph(const Contingency& table);

/// Optimal one-to-one matching at `tau` (IoU >= tau, or > tau when strict). Works on the
/// connected parts of the candidate graph, each solved exactly (Hungarian), so the result
/// equals a global assignment without ever forming the n_gt x n_pred matrix.
MatchCounts match_at(const IouGraph& graph, double tau, bool strict = false);

struct InstanceOptions {
  std::vector<double> thresholds = default_iou_thresholds();
  bool strict = false;  ///< Kaggle's IoU > tau instead of >= tau
  ViRandOptions vi;     ///< for the VI / Rand scores computed alongside
};

struct InstanceImageScores {
  std::string name;
  std::uint64_t n_gt = 0, n_pred = 0;
  std::vector<MatchCounts> by_tau;  ///< one per threshold
  ViRandScores vi;
};

InstanceImageScores instance_scores(const LabelImage& pred, const LabelImage& gt,
                                    const InstanceOptions& options = {});

struct InstanceThresholdSummary {
  double tau = 0;
  MatchCounts dataset_counts;
  MatchRatios dataset;   ///< ratios of the summed counts
  MatchRatios by_image;  ///< mean of the per-image ratios (mean_matched_iou not averaged: 0)
};

struct InstanceSummary {
  std::vector<InstanceThresholdSummary> by_tau;
  std::optional<double> dsb2018_score;  ///< mean by-image AP over 0.50..0.95 when all present
  ViRandScores vi_mean;                 ///< VI / Rand averaged over images
};

InstanceSummary summarize_instances(const std::vector<InstanceImageScores>& images,
                                    const InstanceOptions& options);

}  // namespace bioforest::workflows::evaluate
