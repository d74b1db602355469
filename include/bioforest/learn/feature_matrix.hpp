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
  /// Samples per image row when the samples are an image's pixels in row-major order (the
  /// pixel stage's blocks), else 0. Prediction then walks 2-D tiles of the image rather than
  /// runs of whole rows: neighbouring pixels take the same paths down a tree.
  std::size_t row_length = 0;

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
  /// Channel-planar with planes `plane_stride` >= n_samples floats apart (see
  /// padded_plane_stride).
  static FeatureView planar(const float* data, std::size_t n_samples, std::size_t n_features,
                            std::size_t plane_stride) {
    return {data, n_samples, n_features, 1, std::ptrdiff_t(plane_stride)};
  }
  /// This view, declared to hold an image's pixels, `row_length` per row (see row_length).
  FeatureView image_rows(std::size_t length) const {
    FeatureView v = *this;
    v.row_length = length;
    return v;
  }
  /// Samples [begin, begin + count) of this view (no longer an image's rows).
  FeatureView rows(std::size_t begin, std::size_t count) const {
    return {data + std::ptrdiff_t(begin) * sample_stride, count, n_features, sample_stride,
            feature_stride};
  }
};

/// A plane stride for n planar samples that the forest reads in place, without copying
/// blocks of samples into its own padded planes (tree_ensemble.cpp): at least 16 floats
/// past the n samples, which the walk's vectors read (and ignore), and congruent to 8208
/// floats modulo 32768 (128 KiB, one way of the 1 MB 8-way L2), as the forest's own copy is
/// (8192-sample blocks + one line). Then a block's chunks of the 49 planes tile the cache
/// sets as the contiguous copy does, and one sample's features fall in different sets.
/// Measured (user CPU, 10 u2os images / 20 isbi slices, 49 features, 100 trees): planes
/// merely an odd number of lines apart (512 KiB + 64 B: a block's chunks pile into a
/// quarter of the L2 sets) were 3-4 % slower than copying on isbi; this stride is 2-3 %
/// faster than copying on u2os (Simple Segmentation 3.00 -> 2.92 s, Probabilities 3.99 ->
/// 3.94 s) and the same on isbi (1.84 / 1.86 s). The caller's buffer holds n_features *
/// stride floats: the last plane's padding too.
constexpr std::size_t padded_plane_stride(std::size_t n) {
  constexpr std::size_t way = 32768, first = 8208;
  return n + 16 <= first ? first : first + (n + 16 - first + way - 1) / way * way;
}
/// Whether the forest reads planes `stride` floats apart holding n samples in place.
constexpr bool is_padded_plane_stride(std::size_t stride, std::size_t n) {
  return stride % 32768 == 8208 && stride >= n + 16;
}

}  // namespace bioforest::learn
