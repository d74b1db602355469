// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/density_input.hpp"

#include "bioforest/core/error.hpp"
#include "bioforest/core/image.hpp"

namespace bioforest::workflows {

void check_density_channels(const CanonicalImage& raw, const std::vector<std::size_t>& channels) {
  for (std::size_t c : channels)
    if (c >= raw.channels())
      throw_input(raw.path(), "has " + std::to_string(raw.channels()) +
                                  " channel(s); the spec asks for channel " + std::to_string(c) +
                                  " (channels count from 0)");
}

void DensityInput::read(std::size_t t, const Roi& roi, const std::vector<std::size_t>& channels,
                        std::vector<float>& scratch, std::vector<float>& out) const {
  std::vector<float>& values = channels.empty() ? out : scratch;
  raw_.read_float(t, roi, values);
  if (background_.enabled()) subtract_background(t, roi, values);
  if (channels.empty()) return;
  const std::size_t c_in = raw_.channels(), c_out = channels.size(), n = roi.size();
  out.resize(n * c_out);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < c_out; ++k)
      out[i * c_out + k] = scratch[i * c_in + channels[k]];
}

DensityInput::DensityInput(const CanonicalImage& raw, const features::BackgroundOptions& background,
                           std::vector<std::size_t> used, int threads)
    : raw_(raw), background_(background), used_(std::move(used)), threads_(threads) {
  if (used_.empty())
    for (std::size_t c = 0; c < raw.channels(); ++c)
      used_.push_back(c);
}

void DensityInput::subtract_background(std::size_t t, const Roi& roi,
                                       std::vector<float>& values) const {
  const Shape& shape = raw_.spatial_shape();
  const std::size_t C = raw_.channels(), n = Roi::whole(shape).size();
  std::lock_guard<std::mutex> lock(mutex_);
  if (cached_t_ != t) {
    std::vector<float> image, plane(n);
    raw_.read_float(t, Roi::whole(shape), image);
    cache_.resize(n * used_.size());
    for (std::size_t k = 0; k < used_.size(); ++k) {
      for (std::size_t i = 0; i < n; ++i)
        plane[i] = image[i * C + used_[k]];
      features::estimate_background(plane.data(), shape, background_, &cache_[k * n], threads_);
    }
    cached_t_ = t;
  }
  const std::size_t row = roi.shape().back();
  std::size_t k = 0;
  for_each_row(shape, roi, [&](std::size_t off) {
    for (std::size_t u = 0; u < used_.size(); ++u) {
      const float* bg = &cache_[u * n + off];
      float* v = &values[k * C + used_[u]];
      for (std::size_t i = 0; i < row; ++i)
        v[i * C] -= bg[i];
    }
    k += row;
  });
}

}  // namespace bioforest::workflows
