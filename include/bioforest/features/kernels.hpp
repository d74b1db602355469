// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// 1-D Gaussian and Gaussian-derivative kernels with vigra's conventions
/// (vigra::Kernel1D::initGaussian / initGaussianDerivative), which ilastik's features use:
/// sampled continuous Gaussian normalised to sum 1; derivatives with the DC removed and
/// normalised so that sum_x k[x] * (-x)^n / n! == 1 (no sigma^n scale normalisation);
/// radius floor(ratio * sigma + 0.5), or (3 + order/2) * sigma rounded when ratio == 0,
/// never below 1.

#include <vector>

namespace bioforest::features {

/// Kernel radius as vigra computes it (see file comment).
int kernel_radius(double sigma, int order, double window_ratio);

/// A symmetric (even order) or antisymmetric (odd order) kernel, stored for correlation:
/// out[i] = sum_{m=-r..r} c[m] * in[i + m] with c[m] = vigra's k[-m].
struct Kernel {
  double sigma = 0;
  int order = 0;
  int radius = 0;
  bool odd = false;            ///< antisymmetric: c[-m] == -c[m], c[0] == 0
  std::vector<double> full;    ///< vigra's k[x] for x = -radius .. radius (double, as vigra)
  std::vector<float> half;     ///< correlation taps c[0..radius] in float, what the filters use
  std::vector<double> half_d;  ///< the same taps in double (pre-smoothing accumulates in double)
  bool accumulate_double = false;  ///< filter with double sums, one float rounding per pass
};

/// vigra's Kernel1D<double>::initGaussianDerivative(sigma, order, 1.0, window_ratio)
/// (initGaussian for order 0). sigma > 0.
Kernel gaussian_kernel(double sigma, int order, double window_ratio);

}  // namespace bioforest::features
