// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik's "Convex Hull" object features (2-D and 3-D) of one object given as a binary
/// crop. The hull convention is scikit-image's `convex_hull_image`: the hull of the pixel
/// (voxel) centres moved by +-0.5 along each axis (the midpoints of the pixel faces), and the
/// rasterised hull = the pixels whose centres lie inside or on it. So HullVolume equals
/// regionprops' `area_convex` and Convexity its `solidity`. Exact integer arithmetic on
/// doubled coordinates: no tolerance, no dependence on the point order.
/// ilastik's "2D Convex Hull Features" come from vigra's extract2DConvexHullFeatures, which
/// takes the hull of the interpixel contour and gives larger hulls (2178 vs our 1936 pixels
/// for the first object of ilastik's 2d test project) and hence fewer, larger defects; that
/// convention is not implemented, so ilastik forests that split on these columns can differ
/// (the parity figures in tests/cli/test_objclassify.py).

#include <array>
#include <cstdint>
#include <vector>

#include "bioforest/core/axes.hpp"

namespace bioforest::workflows {

/// A point in doubled pixel coordinates (x, y, z), so that centres +- 0.5 are integers.
using HullPoint = std::array<std::int64_t, 3>;

/// The 2-D hull (z ignored) of `points` by Andrew's monotone chain: the vertices in
/// counter-clockwise order (x right, y up), no collinear vertices. Fewer than 3 distinct
/// points come back as they are (deduplicated).
std::vector<HullPoint> convex_hull_2d(std::vector<HullPoint> points);

/// The 3-D hull of `points` (not all coplanar) by incremental construction: triangles as
/// vertex index triples into `points`, oriented so that (b - a) x (c - a) points outwards.
std::vector<std::array<std::size_t, 3>> convex_hull_3d(const std::vector<HullPoint>& points);

/// The rasterised hull of the object in `mask` (row-major crop, `shape` (y, x) or
/// (z, y, x), non-zero = object): 1 where the pixel centre lies inside or on the hull.
std::vector<std::uint8_t> convex_hull_image(const std::uint8_t* mask, const Shape& shape);

/// ilastik's convex-hull features of one object. Volumes are pixel (voxel) counts; defects
/// are the connected components (direct neighbourhood) of hull minus object; centres are in
/// x, y(, z) order in the crop's coordinates plus `origin` (x, y, z).
struct HullFeatures {
  double input_volume = 0, hull_volume = 0, convexity = 0;
  double defect_count = 0, defect_mean = 0, defect_variance = 0, defect_skewness = 0,
         defect_kurtosis = 0;
  /// Defect-volume-weighted mean distance between the object's centre and each defect's.
  double defect_displacement_mean = 0;
  std::array<double, 3> input_center{}, hull_center{}, defect_center{};
};

/// Without defects the defect statistics and displacement are 0 and the defect centre is the
/// object's centre; with one defect (or equal volumes) skewness and kurtosis are 0.
HullFeatures convex_hull_features(const std::uint8_t* mask, const Shape& shape,
                                  const std::array<double, 3>& origin);

}  // namespace bioforest::workflows
