// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The raw input a density counter reads: a spatial region of one time point as float32,
/// channels last, restricted to the channels the features are computed on.

#include <string>
#include <vector>

#include "bioforest/workflows/canonical_image.hpp"

namespace bioforest::workflows {

/// Error{input} naming the image unless every channel index is below raw.channels().
void check_density_channels(const CanonicalImage& raw, const std::vector<std::size_t>& channels);

/// raw.read_float of (t, roi), then only `channels` (all if empty) in that order. `scratch`
/// and `out` are reused across calls (no allocation once grown).
void read_density_input(const CanonicalImage& raw, std::size_t t, const Roi& roi,
                        const std::vector<std::size_t>& channels, std::vector<float>& scratch,
                        std::vector<float>& out);

/// Number of channels the features see.
inline std::size_t density_feature_channels(const CanonicalImage& raw,
                                            const std::vector<std::size_t>& channels) {
  return channels.empty() ? raw.channels() : channels.size();
}

}  // namespace bioforest::workflows
