// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Linear density on top of the forest (spec "refine": "linear"). A regression forest cannot
/// extrapolate: a leaf's mean never exceeds what training saw, so images more crowded than
/// the training images are under-counted, and leaves of one over-count sparse ones. The
/// final density is a linear model of per-pixel terms of the forest's density D,
///
///   density(p) = w_0 D(p) + sum_s w_s D(p) (G_s * D)(p),
///
/// where G_s * D is D smoothed at scale s (smooth_normalized): the local crowding around p.
/// Each term integrates over a region to about (count) x (crowding), so the model is a count
/// whose gain depends linearly on the crowding and extrapolates beyond it, while staying a
/// density map (box counts are sums of it). The weights are fitted by least squares on the
/// counts of square tiles of the training images, with D predicted out-of-fold (by a forest
/// that did not see the image), so they learn the error the forest makes on unseen images
/// (Lempitsky & Zisserman's linear density, with the forest's output as its features).

#include <cstddef>
#include <vector>

#include "bioforest/core/axes.hpp"
#include "bioforest/core/roi.hpp"

namespace bioforest::workflows {

/// The terms of the linear density at every pixel of the field `d` over `shape` (row-major,
/// any rank): term 0 is d, term 1 + s is d * smooth_normalized(d, scales[s]). `terms` gets
/// (1 + scales.size()) planes of d's size.
void linear_density_terms(const float* d, const Shape& shape, const std::vector<double>& scales,
                          std::vector<float>& terms);

/// sums[j] = the sum of term j over `region` of the fields `terms` (n_terms planes over
/// `shape`, as from linear_density_terms), in double.
void region_term_sums(const float* terms, std::size_t n_terms, const Shape& shape,
                      const Roi& region, double* sums);

/// Least squares of region counts on the region sums of the terms: collects the tiles of
/// training images (whose dots give every tile's count) and annotated boxes (a count given
/// by the user, ilastik's box constraints) and solves for the weights.
class LinearDensityFit {
 public:
  explicit LinearDensityFit(std::size_t n_terms);
  /// Adds the tiles (side `tile` pixels along every axis; the last ones may be smaller) of
  /// one field: `terms` as from linear_density_terms, `target` the true density (or any
  /// field whose tile sums are the true counts).
  void add(const float* terms, const float* target, const Shape& shape, std::size_t tile);
  /// Adds one region whose terms sum to `term_sums` and which holds `count` objects, its
  /// squared residual weighted by `weight` (> 0).
  void add_region(const double* term_sums, double count, double weight);
  std::size_t n_tiles() const { return n_tiles_; }
  std::size_t n_regions() const { return n_regions_; }
  /// The weights minimising the weighted sum over tiles and regions of
  /// (count - sum_j w_j T_j)^2; the normal equations carry a ridge of 1e-9 x their mean
  /// diagonal against collinear terms. Error{usage} if there is nothing to fit or the terms
  /// carry no signal (all zero).
  std::vector<double> solve() const;

 private:
  void add_equation(const double* term_sums, double count, double weight);
  std::size_t k_;
  std::vector<double> ata_, atb_;  // normal equations, k x k and k
  std::size_t n_tiles_ = 0, n_regions_ = 0;
};

/// out[i] = sum_j weights[j] * terms[j * n + i], clipped at 0 (a density is not negative).
void combine_linear_terms(const float* terms, std::size_t n, const std::vector<double>& weights,
                          float* out);

}  // namespace bioforest::workflows
