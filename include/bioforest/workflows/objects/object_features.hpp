// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik's "Standard Object Features" (vigra's region accumulators) of the objects of one
/// labelled frame, 2-D or 3-D, single- or multichannel, with ilastik's display names as
/// column names and coordinates in x, y, z order. Objects are processed in parallel, each
/// from its own pixel list, so the values do not depend on the thread count.

#include <cstdint>
#include <string>
#include <vector>

#include "bioforest/core/axes.hpp"
#include "bioforest/core/run_context.hpp"

namespace bioforest::workflows {

/// vigra's feature names that can be selected (spaces as vigra spells them, e.g.
/// "Coord<ArgMaxWeight >"), in sorted order.
const std::vector<std::string>& supported_object_features();
/// ilastik's default selection: every supported feature.
std::vector<std::string> default_object_features();
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

/// `raw`: spatial.size() * channels floats (channels last); `labels`: spatial.size() ids in
/// 0..n_objects (0 = background); `spatial` (y, x) or (z, y, x). `features`: vigra names
/// (the always-computed ones are added). Histogram and quantiles use 64 bins over the
/// frame's global min..max, as ilastik.
ObjectFeatures compute_object_features(const float* raw, std::size_t channels,
                                       const std::uint32_t* labels, const Shape& spatial,
                                       std::uint32_t n_objects,
                                       const std::vector<std::string>& features,
                                       const RunContext& ctx);

}  // namespace bioforest::workflows
