// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Gaussian smoothing of a whole scalar field, truncated and normalised by the weight inside
/// the field: the smoothing that large-scale context (a density's local crowding, an image's
/// background) uses, where vigra's reflected borders would fold structure back in.

#include <cstddef>

#include "bioforest/core/axes.hpp"

namespace bioforest::features {

/// Radius (pixels) of the truncated Gaussian of standard deviation `sigma`: ceil(3 sigma);
/// 0 for sigma <= 0.
std::size_t truncated_gaussian_radius(double sigma);

/// Gaussian smoothing of a scalar field over `shape` (row-major, any rank), truncated at
/// truncated_gaussian_radius(sigma) and normalised by the weight inside the field, so a
/// pixel's value depends only on the field within its radius (blockwise == whole as long as
/// the block holds that radius, and image borders are treated the same in both). sigma 0
/// copies. `in` and `out` may be the same. The result does not depend on `threads`.
void smooth_normalized(const float* in, const Shape& shape, double sigma, float* out,
                       int threads = 1);

}  // namespace bioforest::features
