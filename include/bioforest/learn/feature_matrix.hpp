// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// A strided, non-owning view of a feature matrix, so that the forest reads whatever layout
/// the producer has: the pixel feature stage writes channel-planar blocks ([feature][pixel]),
/// training matrices are usually sample-major ([sample][feature]). No copy is ever made.

#include <cstddef>

namespace bioforest::learn {

struct FeatureView {
  const float* data = nullptr;
  std::size_t n_samples = 0;
  std::size_t n_features = 0;
  std::ptrdiff_t sample_stride = 0;   ///< elements between samples i and i+1
  std::ptrdiff_t feature_stride = 0;  ///< elements between features f and f+1

  float at(std::size_t i, std::size_t f) const {
    return data[std::ptrdiff_t(i) * sample_stride + std::ptrdiff_t(f) * feature_stride];
  }

  /// Row-major [sample][feature] (numpy's X of shape (n_samples, n_features)).
  static FeatureView sample_major(const float* data, std::size_t n_samples,
                                  std::size_t n_features) {
    return {data, n_samples, n_features, std::ptrdiff_t(n_features), 1};
  }
  /// Channel-planar [feature][sample] (the pixel feature stage's block layout).
  static FeatureView planar(const float* data, std::size_t n_samples, std::size_t n_features) {
    return {data, n_samples, n_features, 1, std::ptrdiff_t(n_samples)};
  }
  /// Samples [begin, begin + count) of this view.
  FeatureView rows(std::size_t begin, std::size_t count) const {
    return {data + std::ptrdiff_t(begin) * sample_stride, count, n_features, sample_stride,
            feature_stride};
  }
};

}  // namespace bioforest::learn
