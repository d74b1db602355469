// SPDX-License-Identifier: BSD-3-Clause
#include "scale_plan.hpp"

#include <algorithm>
#include <cmath>

namespace bioforest::features {

ScalePlan make_scale_plan(Scheme scheme, double scale) {
  ScalePlan p;
  p.scale = scale;
  double feat_window = 3.5;
  if (scheme == Scheme::ilastik) {
    // ilastik 1.4 (OpPixelFeaturesPresmoothed): smooth with sqrt(s^2 - 1) and filter at 1.0
    // above 1; at or below 1 smooth with s *and* filter at s (features smoothed twice).
    p.presmooth = true;
    const double sigma_pre = scale > 1.0 ? std::sqrt(scale * scale - 1.0) : scale;
    p.pre = gaussian_kernel(sigma_pre, 0, 3.5);
    // vigra sums each pass in double and rounds once; float sums over up to 71 taps leave
    // white noise in the pre-smoothed image that the derivative filters then amplify.
    p.pre.accumulate_double = true;
    p.sigma_f = scale > 1.0 ? 1.0 : scale;
    feat_window = 2.0;
  } else {
    p.sigma_f = scale;
  }
  p.k0 = gaussian_kernel(p.sigma_f, 0, feat_window);
  p.k1 = gaussian_kernel(p.sigma_f, 1, feat_window);
  p.k2 = gaussian_kernel(p.sigma_f, 2, feat_window);
  p.dog_small = gaussian_kernel(0.66 * p.sigma_f, 0, feat_window);
  p.st_g0 = gaussian_kernel(0.5 * p.sigma_f, 0, feat_window);
  p.st_g1 = gaussian_kernel(0.5 * p.sigma_f, 1, feat_window);
  return p;
}

int ScalePlan::feature_radius(const std::vector<FeatureFamily>& families) const {
  int r = 0;
  for (FeatureFamily f : families) {
    switch (f) {
      case FeatureFamily::GaussianSmoothing:
        r = std::max(r, k0.radius);
        break;
      case FeatureFamily::LaplacianOfGaussian:
      case FeatureFamily::GaussianGradientMagnitude:
      case FeatureFamily::HessianOfGaussianEigenvalues:
        r = std::max({r, k0.radius, k1.radius, k2.radius});
        break;
      case FeatureFamily::DifferenceOfGaussians:
        r = std::max({r, k0.radius, dog_small.radius});
        break;
      case FeatureFamily::StructureTensorEigenvalues:
        r = std::max(r, std::max(st_g0.radius, st_g1.radius) + k0.radius);
        break;
    }
  }
  return r;
}

}  // namespace bioforest::features
