// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/density_input.hpp"

#include "bioforest/core/error.hpp"

namespace bioforest::workflows {

void check_density_channels(const CanonicalImage& raw, const std::vector<std::size_t>& channels) {
  for (std::size_t c : channels)
    if (c >= raw.channels())
      throw_input(raw.path(), "has " + std::to_string(raw.channels()) +
                                  " channel(s); the spec asks for channel " + std::to_string(c) +
                                  " (channels count from 0)");
}

void read_density_input(const CanonicalImage& raw, std::size_t t, const Roi& roi,
                        const std::vector<std::size_t>& channels, std::vector<float>& scratch,
                        std::vector<float>& out) {
  if (channels.empty()) {
    raw.read_float(t, roi, out);
    return;
  }
  raw.read_float(t, roi, scratch);
  const std::size_t c_in = raw.channels(), c_out = channels.size(), n = roi.size();
  out.resize(n * c_out);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < c_out; ++k)
      out[i * c_out + k] = scratch[i * c_in + channels[k]];
}

}  // namespace bioforest::workflows
