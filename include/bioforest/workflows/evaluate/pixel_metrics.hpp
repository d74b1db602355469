// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Semantic (per-pixel) segmentation scores: the confusion matrix and, per class, precision,
/// recall, F1 and IoU, with scikit-learn's conventions (classes = the labels present in the
/// ground truth or the prediction; a ratio whose denominator is 0 is 0; macro means are
/// unweighted over those classes).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bioforest/core/image.hpp"
#include "bioforest/workflows/evaluate/contingency.hpp"
#include "bioforest/workflows/evaluate/labels.hpp"

namespace bioforest::workflows::evaluate {

struct PixelOptions {
  /// Ground-truth pixels with this label are not scored (e.g. 0 = unlabelled in sparse GT).
  std::optional<std::uint64_t> ignore_label;
};

/// Rows = ground-truth class, columns = predicted class (scikit-learn's orientation).
struct ConfusionMatrix {
  std::vector<std::uint64_t> classes;  ///< sorted
  std::vector<std::uint64_t> counts;   ///< classes.size()^2, row-major

  std::uint64_t at(std::size_t gt, std::size_t pred) const {
    return counts[gt * classes.size() + pred];
  }
  std::uint64_t total() const;
};

struct ClassScores {
  std::uint64_t label = 0;
  std::uint64_t tp = 0, fp = 0, fn = 0;
  std::uint64_t support = 0;  ///< ground-truth pixels of this class
  double precision = 0, recall = 0, f1 = 0, iou = 0;
};

struct PixelScores {
  ConfusionMatrix confusion;
  std::vector<ClassScores> classes;
  std::uint64_t n_pixels = 0;  ///< pixels scored (ignored ones excluded)
  double accuracy = 0;         ///< correctly classified / scored pixels
  double mean_precision = 0, mean_recall = 0, mean_f1 = 0, mean_iou = 0;  ///< macro means
};

/// The confusion matrix of a (pred, gt) contingency table, `ignore_label` GT pixels removed.
ConfusionMatrix confusion_matrix(const Contingency& table, const PixelOptions& options = {});
/// Sums matrices of several images (the union of their classes).
ConfusionMatrix add_confusion(const ConfusionMatrix& a, const ConfusionMatrix& b);
/// All scores from a confusion matrix.
PixelScores pixel_scores(const ConfusionMatrix& confusion);
/// Shorthand: contingency + confusion_matrix + pixel_scores (same-sized arrays).
PixelScores pixel_scores(const LabelImage& pred, const LabelImage& gt,
                         const PixelOptions& options = {});

/// A prediction image as class labels. Integer images are taken as they are. Float images are
/// probability maps: with several channels, the class is 1 + the arg-max channel (ilastik's
/// "Simple Segmentation": channel k holds label k+1; ties go to the first channel); with one
/// channel, `threshold` is required and the class is 1 where p > threshold, else 0.
/// Throws Error{input} naming `file` for a one-channel float map without a threshold (unless
/// all its values are integral labels).
LabelImage class_labels(const Image& prediction, std::optional<double> threshold,
                        const std::string& file);

}  // namespace bioforest::workflows::evaluate
