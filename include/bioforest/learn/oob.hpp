// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Out-of-bag estimates: each training sample predicted only by the trees whose bootstrap
/// did not draw it (Breiman), the honest error estimate that needs no held-out data.

#include <cstdint>
#include <limits>
#include <vector>

namespace bioforest::learn {

struct OobEstimate {
  /// n_samples x width (classes, or 1 for regression), row-major: mean over the sample's
  /// out-of-bag trees. Rows of samples that were never out of bag are 0.
  std::vector<float> prediction;
  std::vector<std::uint32_t> n_trees;  ///< out-of-bag trees per sample
  /// Classification: misclassification rate; regression: mean squared error; over the
  /// samples with at least one out-of-bag tree. NaN if there are none.
  double error = std::numeric_limits<double>::quiet_NaN();
  bool empty() const noexcept { return n_trees.empty(); }
};

}  // namespace bioforest::learn
