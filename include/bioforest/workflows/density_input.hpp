// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The raw input a density counter reads: a spatial region of one time point as float32,
/// channels last, less each channel's background when the model subtracts it
/// (features/background.hpp), restricted to the channels the features are computed on.

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "bioforest/features/background.hpp"
#include "bioforest/workflows/canonical_image.hpp"

namespace bioforest::workflows {

/// Error{input} naming the image unless every channel index is below raw.channels().
void check_density_channels(const CanonicalImage& raw, const std::vector<std::size_t>& channels);

/// Number of channels the features see.
inline std::size_t density_feature_channels(const CanonicalImage& raw,
                                            const std::vector<std::size_t>& channels) {
  return channels.empty() ? raw.channels() : channels.size();
}

/// One image as the features read it. The background is estimated on the whole image of a
/// time point (so a block reads the same values as the whole image would), once per time
/// point and only for the channels that features read: the last time point is kept, and
/// time points are visited in order.
class DensityInput {
 public:
  /// `used`: the channels features read (empty = all); `threads` estimate the background.
  DensityInput(const CanonicalImage& raw, const features::BackgroundOptions& background,
               std::vector<std::size_t> used = {}, int threads = 1);
  const CanonicalImage& raw() const { return raw_; }

  /// raw.read_float of (t, roi), less the background if enabled (on the used channels), then
  /// only `channels` (all if empty) in that order. `scratch` and `out` are reused across calls.
  void read(std::size_t t, const Roi& roi, const std::vector<std::size_t>& channels,
            std::vector<float>& scratch, std::vector<float>& out) const;

 private:
  void subtract_background(std::size_t t, const Roi& roi, std::vector<float>& values) const;

  const CanonicalImage& raw_;
  features::BackgroundOptions background_;
  std::vector<std::size_t> used_;  ///< channels whose background is subtracted
  int threads_;
  mutable std::mutex mutex_;  ///< guards the cache (blocks may be read from several threads)
  mutable std::size_t cached_t_ = std::size_t(-1);
  mutable std::vector<float> cache_;  ///< background of time point cached_t_, a plane per used_
};

}  // namespace bioforest::workflows
