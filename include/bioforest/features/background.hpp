// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Background subtraction for fluorescence images: the slowly varying floor under the
/// objects (uneven illumination, out-of-focus haze) estimated as the grey opening of the
/// image by a box wider than any object, then smoothed. ilastik has no such step; FIJI's
/// "Subtract Background" (rolling ball) is the usual one. Pixel features are then computed
/// on image - background, so an object looks the same on a bright and on a dark floor.

#include <cstddef>

#include "bioforest/core/axes.hpp"

namespace bioforest::features {

struct BackgroundOptions {
  /// Half-side (pixels) of the opening's box along every spatial axis: it must exceed the
  /// radius of the largest clump of objects, or the clump is taken for background.
  std::size_t radius = 0;
  /// Gaussian sigma (pixels) smoothing the opened image, which follows the box's corners.
  double smoothing = 0;
  /// Gaussian sigma (pixels) of the noise reduction before the opening (noise would drag
  /// each box's minimum below the floor).
  double presmoothing = 1.0;
  bool enabled() const { return radius > 0; }
};

/// Grey opening by the box of half-side `radius` (an erosion, the minimum over the box, then
/// a dilation, the maximum): the largest function below `in` that a box fits under
/// everywhere. The box is clipped at the field's borders. Row-major field of any rank; `in`
/// and `out` may be the same. The result does not depend on `threads`.
void grey_opening(const float* in, const Shape& shape, std::size_t radius, float* out,
                  int threads = 1);

/// The background of one channel (row-major field of any rank): presmoothing, grey opening,
/// smoothing. `options.enabled()` must hold.
void estimate_background(const float* in, const Shape& shape, const BackgroundOptions& options,
                         float* out, int threads = 1);

}  // namespace bioforest::features
