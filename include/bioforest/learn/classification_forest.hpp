// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The classification random forest: ilastik's engine for pixel, object and tracking
/// classifiers. Same model as vigra RF v2 (Gini splits on single features, threshold at the
/// midpoint between adjacent values, leaves hold class distributions, probability = mean of
/// the leaf distributions), trained deterministically and in parallel.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bioforest/core/run_context.hpp"
#include "bioforest/learn/feature_matrix.hpp"
#include "bioforest/learn/forest_options.hpp"
#include "bioforest/learn/oob.hpp"
#include "bioforest/learn/tree_ensemble.hpp"

namespace bioforest::h5 {
class File;
}

namespace bioforest::learn {

class ClassificationForest {
 public:
  ClassificationForest() = default;

  /// Trains on `x` (any layout; sample-major is the natural one) and `labels` (one positive
  /// integer per sample). `classes` declares the probability columns (e.g. 1..K for K label
  /// names): classes never seen in training get probability 0, as in ilastik. Empty: the
  /// sorted distinct labels. Throws Error{usage} for no samples, labels <= 0 or missing
  /// from `classes`, NaN/inf features, or bad options; Error{cancelled} on cancel.
  static ClassificationForest train(const FeatureView& x, std::span<const std::int32_t> labels,
                                    const ForestOptions& options, const RunContext& ctx,
                                    std::vector<std::int32_t> classes = {});

  /// A forest from finished trees (vigra import, tests): values are K class distributions.
  static ClassificationForest from_ensemble(TreeEnsemble trees, std::vector<std::int32_t> classes);

  std::size_t n_features() const noexcept { return trees_.n_features; }
  std::size_t n_classes() const noexcept { return classes_.size(); }
  std::size_t n_trees() const noexcept { return trees_.n_trees(); }
  /// The label value of each probability column.
  const std::vector<std::int32_t>& classes() const noexcept { return classes_; }
  const TreeEnsemble& ensemble() const noexcept { return trees_; }

  /// out[i * n_classes() + c]: mean over trees of the leaf distributions. Rows with a NaN
  /// feature are all zero (ilastik's behaviour). Throws Error{usage} on a feature-count
  /// mismatch. Deterministic whatever ctx.threads.
  void predict_proba(const FeatureView& x, float* out, const RunContext& ctx) const;
  /// Class-planar output: out[c * x.n_samples + i] (one image per class).
  void predict_proba_planar(const FeatureView& x, float* out, const RunContext& ctx) const;
  /// The label of the most probable class per sample (ties: the lower column; rows with a
  /// NaN feature: the first class): exactly the argmax of predict_proba, but samples stop
  /// walking trees once their winner is certain (TreeEnsemble::predict_argmax), so it is
  /// faster for callers that need only the labels (Simple Segmentation).
  void predict_labels(const FeatureView& x, std::int32_t* out, const RunContext& ctx) const;
  /// predict_labels into a new vector.
  std::vector<std::int32_t> predict(const FeatureView& x, const RunContext& ctx) const;

  /// Out-of-bag estimate from training (empty if disabled or without bootstrap).
  const OobEstimate& oob() const noexcept { return oob_; }
  /// Mean decrease in Gini impurity per feature, normalised to sum to 1 (scikit-learn's
  /// feature_importances_). Empty for imported forests.
  const std::vector<double>& gini_importance() const noexcept { return gini_importance_; }
  /// Optional channel names (saved with the model, used by importance tables).
  const std::vector<std::string>& feature_names() const noexcept { return feature_names_; }
  void set_feature_names(std::vector<std::string> names);

  /// Writes the forest into `group` (created if missing) of a model file, with attribute
  /// format_version = 1. A reloaded forest predicts bit-identically.
  void save(h5::File& file, const std::string& group) const;
  /// Throws Error{input} if the group is missing, of another kind, or of a newer format.
  static ClassificationForest load(const h5::File& file, const std::string& group);

 private:
  TreeEnsemble trees_;
  std::vector<std::int32_t> classes_;
  std::vector<std::string> feature_names_;
  std::vector<double> gini_importance_;
  OobEstimate oob_;
};

}  // namespace bioforest::learn
