// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: an image of any axis order seen along the five canonical axes t z y x c, so the
// plane-based writers (TIFF pages, PNG rows) gather pixels without transposing a copy.

#include <array>
#include <cstddef>
#include <string_view>

#include "bioforest/core/axes.hpp"

namespace bioforest::io::detail {

struct CanonicalView {
  std::array<std::size_t, 5> extent{1, 1, 1, 1, 1};  ///< t z y x c (1 for absent axes)
  std::array<std::size_t, 5> stride{0, 0, 0, 0, 0};  ///< in elements (0 for absent axes)
  /// Element offset of (t, z, y, x, c).
  std::size_t offset(std::size_t t, std::size_t z, std::size_t y, std::size_t x,
                     std::size_t c) const noexcept {
    return t * stride[0] + z * stride[1] + y * stride[2] + x * stride[3] + c * stride[4];
  }
};

/// The view of a row-major array of `shape` with `axes`.
inline CanonicalView canonical_view(const Axes& axes, const Shape& shape) {
  constexpr std::string_view kTzyxc = "tzyxc";
  CanonicalView v;
  std::size_t s = 1;
  for (std::size_t i = axes.size(); i-- > 0;) {
    const std::size_t k = kTzyxc.find(axes[i]);
    v.extent[k] = shape[i];
    v.stride[k] = s;
    s *= shape[i];
  }
  return v;
}

}  // namespace bioforest::io::detail
