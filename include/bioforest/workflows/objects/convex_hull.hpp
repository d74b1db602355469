// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik's "Convex Hull" object features (2-D and 3-D) of one object given as a binary
/// crop. The hull convention is scikit-image's `convex_hull_image`: the hull of the pixel
/// (voxel) centres moved by +-0.5 along each axis (the midpoints of the pixel faces), and the
/// rasterised hull = the pixels whose centres lie inside or on it. So HullVolume equals
/// regionprops' `area_convex` and Convexity its `solidity`. Exact integer arithmetic on
/// doubled coordinates: no tolerance, no dependence on the point order.
///
/// A second convention reproduces what ilastik stores: the "2D Convex Hull Features" saved in
/// ilastik's projects (ilastik 1.2, vigra's extract2DConvexHullFeatures) have, for every
/// object of the test projects, HullVolume = the bounding-box area, HullCenter = the box's
/// centre, and defects = the 4-connected components of box minus object, with sample
/// (n - 1) variance and the bias-corrected sample skewness and excess kurtosis (0 for fewer
/// than 3 or 4 defects). vigra's documentation describes a hull of the interpixel contour,
/// but the values ilastik's forests were trained on are these, so imported ilastik
/// classifiers use them.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bioforest/core/axes.hpp"

namespace bioforest::workflows {

/// A point in doubled pixel coordinates (x, y, z), so that centres +- 0.5 are integers.
using HullPoint = std::array<std::int64_t, 3>;

/// Whose convex-hull features: scikit-image's (regionprops' convex image; population
/// moments of the defect volumes) or the values ilastik stores (the bounding box as hull,
/// sample moments); see the file comment.
enum class HullConvention { scikit_image, ilastik };
/// "scikit-image" or "ilastik"; and back (Error{usage} for other names).
const char* hull_convention_name(HullConvention c);
HullConvention hull_convention_from_name(const std::string& name);

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
/// object's centre; with one defect (or equal volumes) skewness and kurtosis are 0. With
/// HullConvention::ilastik, `mask` must be the object's bounding box (it is the hull).
HullFeatures convex_hull_features(const std::uint8_t* mask, const Shape& shape,
                                  const std::array<double, 3>& origin,
                                  HullConvention convention = HullConvention::scikit_image);

}  // namespace bioforest::workflows
