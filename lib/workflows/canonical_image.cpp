// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/canonical_image.hpp"

#include <cmath>

#include "bioforest/core/error.hpp"

namespace bioforest::workflows {

CanonicalImage::CanonicalImage(const std::string& path, const io::ReadOptions& options)
    : path_(path), reader_(io::open_image(path, options)) {
  init();
}

CanonicalImage::CanonicalImage(std::unique_ptr<io::ImageReader> reader)
    : path_(reader->path()), reader_(std::move(reader)) {
  init();
}

void CanonicalImage::init() {
  const auto& info = reader_->info();
  if (!info.axes.has('y') || !info.axes.has('x'))
    throw_input(path_,
                "needs y and x axes, has '" + info.axes.str() + "' (set them with --input-axes)");
  auto extent = [&](char k) { return info.axes.has(k) ? info.shape[info.axes.index(k)] : 1; };
  t_ = extent('t');
  c_ = extent('c');
  if (extent('z') > 1) spatial_.push_back(extent('z'));
  spatial_.push_back(extent('y'));
  spatial_.push_back(extent('x'));
}

Axes CanonicalImage::result_axes() const {
  std::string k;
  if (info().axes.has('t')) k += 't';
  if (is_3d()) k += 'z';
  return Axes(k + "yxc");
}

Shape CanonicalImage::result_shape(std::size_t channels) const {
  Shape s;
  if (info().axes.has('t')) s.push_back(t_);
  s.insert(s.end(), spatial_.begin(), spatial_.end());
  s.push_back(channels);
  return s;
}

Roi CanonicalImage::file_roi(std::size_t t, const Roi& spatial) const {
  const auto& info = reader_->info();
  Roi r = Roi::whole(info.shape);
  const std::size_t off = is_3d() ? 0 : 1;  // spatial ROI index of axis z,y,x
  for (std::size_t i = 0; i < info.axes.size(); ++i) {
    switch (info.axes[i]) {
      case 't':
        r.start[i] = t, r.stop[i] = t + 1;
        break;
      case 'z':
        if (is_3d()) r.start[i] = spatial.start[0], r.stop[i] = spatial.stop[0];
        break;
      case 'y':
        r.start[i] = spatial.start[1 - off], r.stop[i] = spatial.stop[1 - off];
        break;
      case 'x':
        r.start[i] = spatial.start[2 - off], r.stop[i] = spatial.stop[2 - off];
        break;
      default:
        break;  // c: all channels
    }
  }
  return r;
}

void CanonicalImage::read_float(std::size_t t, const Roi& roi, std::vector<float>& out) const {
  Image img = reader_->read(file_roi(t, roi));
  img = img.transposed(Axes(is_3d() ? "tzyxc" : "tyxc"));
  out.resize(img.size());
  img.visit([&](const auto& a) {
    const auto* s = a.data();
    for (std::size_t i = 0; i < a.size(); ++i)
      out[i] = static_cast<float>(s[i]);
  });
}

void CanonicalImage::read_labels(std::size_t t, const Roi& roi,
                                 std::vector<std::uint32_t>& out) const {
  if (c_ != 1)
    throw_input(path_,
                "a label or mask image must have one channel, this one has " + std::to_string(c_));
  Image img = reader_->read(file_roi(t, roi));
  out.resize(img.size());
  img.visit([&](const auto& a) {
    const auto* s = a.data();
    for (std::size_t i = 0; i < a.size(); ++i) {
      const double v = double(s[i]);
      if (v < 0 || v != std::floor(v) || v > 4294967295.0)
        throw_input(path_, "label values must be whole numbers >= 0, found " + std::to_string(v));
      out[i] = static_cast<std::uint32_t>(v);
    }
  });
}

void CanonicalImage::split_roi(const Roi& r, std::size_t& t0, std::size_t& t1, Roi& spatial) const {
  const auto& info = reader_->info();
  t0 = 0;
  t1 = t_;
  spatial = Roi::whole(spatial_);
  const std::size_t off = is_3d() ? 0 : 1;
  for (std::size_t i = 0; i < info.axes.size(); ++i) {
    switch (info.axes[i]) {
      case 't':
        t0 = r.start[i], t1 = r.stop[i];
        break;
      case 'z':
        if (is_3d()) spatial.start[0] = r.start[i], spatial.stop[0] = r.stop[i];
        break;
      case 'y':
        spatial.start[1 - off] = r.start[i], spatial.stop[1 - off] = r.stop[i];
        break;
      case 'x':
        spatial.start[2 - off] = r.start[i], spatial.stop[2 - off] = r.stop[i];
        break;
      case 'c':
        if (r.start[i] != 0 || r.stop[i] != c_)
          throw_usage("the region must include every channel (0.." + std::to_string(c_) + ")");
        break;
      default:
        break;
    }
  }
}

void check_same_grid(const PixelSource& a, const PixelSource& b, const std::string& role) {
  if (a.t() != b.t() || a.spatial_shape() != b.spatial_shape())
    throw_input(b.path(), "the " + role + " has shape " + shape_str(b.spatial_shape()) + " (t=" +
                              std::to_string(b.t()) + ") but its image " + a.path() + " has " +
                              shape_str(a.spatial_shape()) + " (t=" + std::to_string(a.t()) + ")");
}

}  // namespace bioforest::workflows
