// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/density_linear.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "bioforest/core/error.hpp"
#include "bioforest/core/image.hpp"
#include "bioforest/features/smoothing.hpp"
#include "bioforest/workflows/density_refine.hpp"

namespace bioforest::workflows {

void linear_density_terms(const float* d, const Shape& shape, const std::vector<double>& scales,
                          std::vector<float>& terms) {
  std::size_t n = 1;
  for (auto e : shape)
    n *= e;
  terms.resize((1 + scales.size()) * n);
  std::copy_n(d, n, terms.begin());
  for (std::size_t s = 0; s < scales.size(); ++s) {
    float* t = terms.data() + (1 + s) * n;
    features::smooth_normalized(d, shape, scales[s], t);
    for (std::size_t i = 0; i < n; ++i)
      t[i] *= d[i];
  }
}

LinearDensityFit::LinearDensityFit(std::size_t n_terms)
    : k_(n_terms), ata_(n_terms * n_terms, 0.0), atb_(n_terms, 0.0) {
  if (n_terms == 0) throw_internal("a linear density needs at least one term");
}

void LinearDensityFit::add(const float* terms, const float* target, const Shape& shape,
                           std::size_t tile) {
  if (tile == 0) throw_internal("tiles of size 0");
  std::size_t n = 1;
  Shape tiles(shape.size());
  for (std::size_t a = 0; a < shape.size(); ++a) {
    n *= shape[a];
    tiles[a] = (shape[a] + tile - 1) / tile;
  }
  std::size_t n_t = 1;
  for (auto e : tiles)
    n_t *= e;
  if (n == 0) return;
  // Tile sums of the target and every term, in one pass over the pixels.
  std::vector<double> sums(n_t * (k_ + 1), 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t rest = i, tile_index = 0, stride = 1;
    for (std::size_t a = shape.size(); a-- > 0;) {
      const std::size_t c = rest % shape[a];
      rest /= shape[a];
      tile_index += (c / tile) * stride;
      stride *= tiles[a];
    }
    double* s = &sums[tile_index * (k_ + 1)];
    s[0] += target[i];
    for (std::size_t j = 0; j < k_; ++j)
      s[1 + j] += terms[j * n + i];
  }
  for (std::size_t t = 0; t < n_t; ++t)
    add_equation(&sums[t * (k_ + 1) + 1], sums[t * (k_ + 1)], 1.0);
  n_tiles_ += n_t;
}

void LinearDensityFit::add_region(const double* term_sums, double count, double weight) {
  if (!(weight > 0) || !std::isfinite(count) || count < 0)
    throw_internal("a region needs a positive weight and a count >= 0");
  add_equation(term_sums, count, weight);
  ++n_regions_;
}

void LinearDensityFit::add_equation(const double* term_sums, double count, double weight) {
  for (std::size_t a = 0; a < k_; ++a) {
    atb_[a] += weight * term_sums[a] * count;
    for (std::size_t b = 0; b < k_; ++b)
      ata_[a * k_ + b] += weight * term_sums[a] * term_sums[b];
  }
}

std::vector<double> LinearDensityFit::solve() const {
  if (n_tiles_ + n_regions_ == 0)
    throw_usage("no training tiles or boxes to fit the linear density on");
  double diag = 0;
  for (std::size_t a = 0; a < k_; ++a)
    diag += ata_[a * k_ + a];
  diag /= double(k_);
  if (!(diag > 0)) throw_usage("the forest predicts no density on the training images");
  // Gaussian elimination with partial pivoting on the (ridged) normal equations.
  std::vector<double> m(k_ * (k_ + 1));
  for (std::size_t a = 0; a < k_; ++a) {
    for (std::size_t b = 0; b < k_; ++b)
      m[a * (k_ + 1) + b] = ata_[a * k_ + b] + (a == b ? 1e-9 * diag : 0.0);
    m[a * (k_ + 1) + k_] = atb_[a];
  }
  const std::size_t w = k_ + 1;
  for (std::size_t c = 0; c < k_; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < k_; ++r)
      if (std::abs(m[r * w + c]) > std::abs(m[p * w + c])) p = r;
    if (!(std::abs(m[p * w + c]) > 0))
      throw_usage("the linear density's terms are degenerate on the training images");
    if (p != c)
      for (std::size_t b = 0; b < w; ++b)
        std::swap(m[c * w + b], m[p * w + b]);
    for (std::size_t r = c + 1; r < k_; ++r) {
      const double f = m[r * w + c] / m[c * w + c];
      for (std::size_t b = c; b < w; ++b)
        m[r * w + b] -= f * m[c * w + b];
    }
  }
  std::vector<double> x(k_);
  for (std::size_t c = k_; c-- > 0;) {
    double v = m[c * w + k_];
    for (std::size_t b = c + 1; b < k_; ++b)
      v -= m[c * w + b] * x[b];
    x[c] = v / m[c * w + c];
  }
  return x;
}

void region_term_sums(const float* terms, std::size_t n_terms, const Shape& shape,
                      const Roi& region, double* sums) {
  std::size_t n = 1;
  for (auto e : shape)
    n *= e;
  std::fill(sums, sums + n_terms, 0.0);
  const std::size_t row = region.shape().back();
  for_each_row(shape, region, [&](std::size_t off) {
    for (std::size_t j = 0; j < n_terms; ++j) {
      const float* p = terms + j * n + off;
      double s = 0;
      for (std::size_t i = 0; i < row; ++i)
        s += p[i];
      sums[j] += s;
    }
  });
}

void combine_linear_terms(const float* terms, std::size_t n, const std::vector<double>& weights,
                          float* out) {
  for (std::size_t i = 0; i < n; ++i) {
    double v = 0;
    for (std::size_t j = 0; j < weights.size(); ++j)
      v += weights[j] * terms[j * n + i];
    out[i] = float(std::max(v, 0.0));
  }
}

}  // namespace bioforest::workflows
