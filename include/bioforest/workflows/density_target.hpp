// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The regression target of density counting: a Gaussian of sum 1 on every annotated dot,
/// so that the density summed over any region is the number of dots in it. Dots come from a
/// CSV of points or from a dot image.

#include <cstddef>
#include <string>
#include <vector>

#include "bioforest/core/axes.hpp"
#include "bioforest/workflows/canonical_image.hpp"

namespace bioforest::workflows {

/// One annotated object: a pixel of time point t, spatial index (z, y, x) or (y, x).
struct Dot {
  std::size_t t = 0;
  Shape pos;
};

/// Reads "x,y[,z][,t]" rows (0-based, rounded to the nearest pixel). A first row of column
/// names (x, y, z, t in any order) is optional; without it the columns are x, y, then z if
/// `image` is a volume, then t if it is a time series. Error{input} naming the file and line
/// for a malformed row or a dot outside the image.
std::vector<Dot> read_dots_csv(const std::string& path, const CanonicalImage& image);

/// Every pixel of `dots` (same grid as the image; any channel) whose value is `value`
/// (0: any non-zero value) is one dot.
std::vector<Dot> read_dots_image(const CanonicalImage& dots, std::uint32_t value = 0);

/// The dot density of time point `t`: each dot of that time point spread by a normalised,
/// sampled Gaussian of `sigma` (radius floor(2 sigma + 0.5), as ilastik's label previewer),
/// with the mass falling outside the image reflected back in (vigra's REFLECT border), so
/// every dot adds exactly 1 (up to rounding) to the sum. `out` has spatial_shape's size,
/// row-major.
void dot_density(const std::vector<Dot>& dots, std::size_t t, const Shape& spatial_shape,
                 double sigma, std::vector<float>& out);

}  // namespace bioforest::workflows
