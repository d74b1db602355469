// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The strip size of the pixel workflows' 2-D blocks (the buffer their planes go in:
/// bioforest/core/plane_buffer.hpp).

#include <algorithm>
#include <cstddef>

#include "bioforest/core/plane_buffer.hpp"

namespace bioforest::workflows {

/// Rows of a 2-D strip (of an image `width` pixels wide) whose feature planes pixel
/// prediction computes at a time: ~32K pixels, at least 64 rows, so that the planes stay a
/// few MB (measurements in pixel_prediction.cpp; training computes the boxes around its
/// labels, pixel_training.cpp).
inline std::size_t strip_rows_2d(std::size_t width) {
  constexpr std::size_t kStripPixels = std::size_t(1) << 15, kMinRows = 64;
  return std::max(kMinRows, kStripPixels / std::max<std::size_t>(1, width));
}

}  // namespace bioforest::workflows
