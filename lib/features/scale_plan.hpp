// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// (private) What one scale column computes under a scheme: the pre-smoothing kernel and the
// feature filters' kernels, and the radii that decide halos.

#include <vector>

#include "bioforest/features/kernels.hpp"
#include "bioforest/features/selection.hpp"

namespace bioforest::features {

struct ScalePlan {
  double scale = 0;
  bool presmooth = false;  ///< ilastik: always (sigma_pre = sqrt(s^2-1) above 1, s otherwise)
  Kernel pre;              ///< pre-smoothing Gaussian (window ratio 3.5)
  double sigma_f = 0;      ///< feature filter scale: 1.0 above 1, s otherwise (ilastik)
  Kernel k0, k1, k2;       ///< Gaussian and its derivatives at sigma_f
  Kernel dog_small;        ///< G(0.66 sigma_f) for DoG = G(sigma_f) - G(0.66 sigma_f)
  Kernel st_g0, st_g1;     ///< structure tensor gradient at 0.5 sigma_f (fastfilters' swap)
                           ///< the tensor is then averaged with k0 (sigma_f)

  int presmooth_radius() const { return presmooth ? pre.radius : 0; }
  /// Radius the feature filters of `families` need around an output pixel.
  int feature_radius(const std::vector<FeatureFamily>& families) const;
};

ScalePlan make_scale_plan(Scheme scheme, double scale);

}  // namespace bioforest::features
