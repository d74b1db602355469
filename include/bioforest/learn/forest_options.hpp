// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Training options shared by the classification and regression forests. The defaults are
/// ilastik's (vigra RF v2): 100 trees, mtry = round(sqrt(F)), bootstrap of N with
/// replacement, trees grown to purity, threshold at the midpoint between adjacent values.

#include <cstdint>
#include <vector>

namespace bioforest::learn {

struct ForestOptions {
  int n_trees = 100;
  /// Features tried per split; 0 = round(sqrt(F)) for classification (vigra's RF_SQRT),
  /// max(1, F/3) for regression (Breiman). If none of the mtry features can split a node,
  /// further features are tried (as scikit-learn does) before making a leaf.
  int mtry = 0;
  int max_depth = 0;             ///< 0 = unlimited (grown to purity); the root has depth 0
  int min_samples_leaf = 1;      ///< minimum bootstrap draws in each child of a split
  int min_samples_split = 2;     ///< nodes with fewer bootstrap draws become leaves
  bool bootstrap = true;         ///< draw samples with replacement; off = every sample once
  double sample_fraction = 1.0;  ///< bootstrap size as a fraction of N (vigra: 1.0)
  /// Classification: the bootstrap draws the same number of samples from every class
  /// (vigra's RF_EQUAL stratification), total = sample_fraction * N.
  bool balanced_sampling = false;
  /// Classification: per-class weights in class-list order (empty = all 1). They multiply
  /// the bootstrap counts in the split criterion and in the leaf distributions.
  std::vector<double> class_weights;
  /// Classification: weights N / (K * n_c) as scikit-learn's class_weight="balanced"
  /// (multiplied with class_weights if both are given).
  bool balanced_class_weights = false;
  /// The forest depends only on (seed, data, options): tree t draws from its own generator
  /// seeded with splitmix64(seed, t), whatever the thread count.
  std::uint64_t seed = 0;
  bool compute_oob = true;  ///< out-of-bag predictions and error (needs bootstrap)
  /// Regression only (the classifier ignores it): 0 = splits at every distinct value (exact);
  /// otherwise each feature is cut into at most max_bins quantile bins before training and
  /// splits fall between bins, which makes each node's search a histogram (much faster on
  /// hundreds of thousands of samples; 256 bins lose nothing measurable on smooth features).
  int max_bins = 0;
};

}  // namespace bioforest::learn
