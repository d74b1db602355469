// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The neighbourhood of one object for ilastik's "in neighborhood" features
/// (opObjectExtraction.make_bboxes): the object's bounding box grown by a margin per axis,
/// and in it the pixels whose Euclidean distance to the object, with the pixel pitch of
/// axis a = floor(M / margin_a) (M = the largest margin), is below M: an ellipsoidal
/// dilation with the margins as semi-axes. Other objects' pixels in it count as
/// neighbourhood, as in ilastik.

#include <array>
#include <cstdint>
#include <vector>

#include "bioforest/core/axes.hpp"

namespace bioforest::workflows {

/// Margins in x, y, z order (ilastik's GUI default (30, 30, 1)). A margin of 0 does not
/// grow that axis.
using Margin = std::array<std::size_t, 3>;

struct Neighbourhood {
  std::array<std::size_t, 3> lo{}, shape{};  ///< the grown box in the frame, (z, y, x)
  /// Per box pixel (row-major): 0 outside, 1 neighbourhood without the object, 2 object.
  std::vector<std::uint8_t> region;
  std::vector<double> distance;  ///< scratch: squared scaled distances to the object
};

/// The neighbourhood of object `id` of `labels` (frame `zyx` = (z, y, x), z = 1 in 2-D)
/// whose bounding box is [bbox_lo, bbox_hi] (inclusive, (z, y, x)). `out` is reused.
void object_neighbourhood(const std::uint32_t* labels, const Shape& zyx, std::uint32_t id,
                          const std::array<std::size_t, 3>& bbox_lo,
                          const std::array<std::size_t, 3>& bbox_hi, const Margin& margin,
                          Neighbourhood& out);

}  // namespace bioforest::workflows
