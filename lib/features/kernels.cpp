// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/features/kernels.hpp"

#include <cmath>

#include "bioforest/core/error.hpp"

namespace bioforest::features {

int kernel_radius(double sigma, int order, double window_ratio) {
  const double ratio = window_ratio == 0.0 ? 3.0 + 0.5 * order : window_ratio;
  const int r = static_cast<int>(ratio * sigma + 0.5);
  return r == 0 ? 1 : r;
}

namespace {

// The shape of vigra's Gaussian<double>(sigma, order) up to a constant factor; the factor
// cancels in the normalisation below, so only the Hermite polynomial matters.
double gaussian_shape(double x, double sigma, int order) {
  const double g = std::exp(-0.5 * x * x / (sigma * sigma));
  switch (order) {
    case 0:
      return g;
    case 1:
      return -x * g;
    case 2:
      return (x * x / (sigma * sigma) - 1.0) * g;
    default:
      throw_internal("gaussian_kernel: derivative order above 2");
  }
}

}  // namespace

Kernel gaussian_kernel(double sigma, int order, double window_ratio) {
  BIOFOREST_CHECK(sigma > 0.0 && order >= 0 && order <= 2, "gaussian_kernel arguments");
  Kernel k;
  k.sigma = sigma;
  k.order = order;
  k.radius = kernel_radius(sigma, order, window_ratio);
  k.odd = order % 2 == 1;
  const int r = k.radius;
  k.full.resize(2 * r + 1);
  double dc = 0.0;
  for (int x = -r; x <= r; ++x) {
    k.full[x + r] = gaussian_shape(x, sigma, order);
    dc += k.full[x + r];
  }
  // vigra removes the DC that truncation leaves in derivative kernels; order 0 is only
  // normalised to sum 1.
  if (order > 0) {
    dc /= 2.0 * r + 1.0;
    for (double& v : k.full)
      v -= dc;
  }
  double sum = 0.0;
  double faculty = order == 2 ? 2.0 : 1.0;
  for (int x = -r; x <= r; ++x)
    sum += k.full[x + r] * std::pow(-double(x), order) / faculty;
  for (double& v : k.full)
    v /= sum;
  // Symmetrise exactly so the filters can fold the taps: the asymmetry left by rounding in
  // vigra's own sums is ~1e-18, far below float precision.
  k.half.resize(r + 1);
  k.half_d.resize(r + 1);
  for (int m = 0; m <= r; ++m) {
    const double c_pos = k.full[r - m];  // c[m] = k[-m]
    const double c_neg = k.full[r + m];  // c[-m] = k[m]
    k.half_d[m] = k.odd ? 0.5 * (c_pos - c_neg) : 0.5 * (c_pos + c_neg);
    k.half[m] = static_cast<float>(k.half_d[m]);
  }
  if (k.odd) k.half[0] = 0.0f, k.half_d[0] = 0.0;
  return k;
}

}  // namespace bioforest::features
