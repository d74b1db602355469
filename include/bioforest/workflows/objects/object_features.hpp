// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik's object features of the objects of one labelled frame, 2-D or 3-D, single- or
/// multichannel, with ilastik's display names as column names and coordinates in x, y, z
/// order: the "Standard Object Features" (vigra's region accumulators) and their
/// neighbourhood variants, the "Convex Hull" features (convex_hull.hpp) and the "2D Skeleton
/// Features" (skeleton.hpp). Objects are processed in parallel, each from its own pixel
/// list, so the values do not depend on the thread count.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bioforest/core/axes.hpp"
#include "bioforest/core/run_context.hpp"
#include "bioforest/workflows/objects/convex_hull.hpp"
#include "bioforest/workflows/objects/neighbourhood.hpp"

namespace bioforest::workflows {

/// The feature names that can be selected, in sorted order: vigra's (spaces as vigra spells
/// them, e.g. "Coord<ArgMaxWeight >"), their neighbourhood variants ("Mean in neighborhood",
/// "Mean in object and neighborhood", ...), the convex-hull features ("HullVolume",
/// "Convexity", ...) and the 2-D skeleton features ("Diameter", "Hole Count", ...).
const std::vector<std::string>& supported_object_features();
/// The default selection: every standard (vigra region) feature.
std::vector<std::string> default_object_features();
/// Which of ilastik's plugins a (matched) feature name belongs to. Standard features are
/// vigra's per-object accumulators: they read only the object's own pixels (and the frame's
/// histogram range).
bool is_standard_object_feature(const std::string& name);
bool is_convex_hull_feature(const std::string& name);
bool is_skeleton_feature(const std::string& name);
bool is_neighbourhood_feature(const std::string& name);
/// Count, RegionCenter, Coord<Minimum >, Coord<Maximum >: always computed (ilastik).
const std::vector<std::string>& always_object_features();
/// Matches a user's spelling ignoring spaces and case ("coord<argmaxweight>"); Error{usage}.
std::string match_object_feature(const std::string& name);
/// ilastik's display name ("Size in pixels", "Mean Intensity", ...) or the vigra name.
std::string object_feature_display_name(const std::string& vigra_name);

/// One frame's features: rows = objects 1..n, columns named as in ilastik's table.
struct ObjectFeatures {
  std::vector<std::string> columns;
  /// The vigra feature each column belongs to (for selecting classifier columns).
  std::vector<std::string> feature_of_column;
  std::size_t rows = 0;
  std::vector<double> values;  ///< row-major rows x columns
  double at(std::size_t r, std::size_t c) const { return values[r * columns.size() + c]; }
};

struct ObjectFeatureOptions {
  Margin margin{30, 30, 1};  ///< of the neighbourhood features, x, y, z (ilastik's GUI default)
  /// Leave out features the frame does not have (skeleton features of 3-D frames) instead of
  /// failing.
  bool skip_inapplicable = false;
  /// The convex-hull features' convention (convex_hull.hpp): scikit-image's regionprops, or
  /// the values ilastik stores (what ilastik's trained forests expect).
  HullConvention hull = HullConvention::scikit_image;
  /// The per-channel value range (lo, hi) of the Histogram and Quantiles bins. Empty: the
  /// minimum and maximum over the frame's object pixels (vigra's "globalminmax" with
  /// ignoreLabel 0, as ilastik calls it). Set by callers that measure a frame in parts.
  std::vector<std::pair<double, double>> histogram_range;
};

/// `raw`: spatial.size() * channels floats (channels last); `labels`: spatial.size() ids in
/// 0..n_objects (0 = background); `spatial` (y, x) or (z, y, x). `features`: vigra names
/// (the always-computed ones are added). Histogram and quantiles use 64 bins over the
/// minimum..maximum of the frame's object pixels (ilastik's vigra call); the neighbourhood
/// histograms span each region's own minimum..maximum (ilastik measures each region with a
/// vigra call of its own). Covariance and PrincipalAxes are over channels (C x C, row-major;
/// PrincipalAxes' columns are the eigenvectors, as RegionAxes'), PrincipalAxes for at most 3.
ObjectFeatures compute_object_features(const float* raw, std::size_t channels,
                                       const std::uint32_t* labels, const Shape& spatial,
                                       std::uint32_t n_objects,
                                       const std::vector<std::string>& features,
                                       const RunContext& ctx);
/// The same with options. Error{usage} for skeleton features of a 3-D frame.
ObjectFeatures compute_object_features(const float* raw, std::size_t channels,
                                       const std::uint32_t* labels, const Shape& spatial,
                                       std::uint32_t n_objects,
                                       const std::vector<std::string>& features,
                                       const RunContext& ctx, const ObjectFeatureOptions& options);

}  // namespace bioforest::workflows
