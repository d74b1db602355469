// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// An input image seen in the order workflows compute in: time points of (z, y, x, c)
/// volumes, with length-1 axes where the file has none. Reads spatial regions of one time
/// point as float32 with the channels last, or as labels (uint32, no channels).

#include <memory>
#include <string>
#include <vector>

#include "bioforest/core/image.hpp"
#include "bioforest/io/reader.hpp"

namespace bioforest::workflows {

/// Anything a pixel workflow can compute features on: time points of (z, y, x, c) float
/// data, read by spatial region. A file (CanonicalImage) or a computed stack (autocontext's
/// raw channels plus the previous stage's probabilities).
class PixelSource {
 public:
  virtual ~PixelSource() = default;
  virtual const std::string& path() const = 0;
  virtual std::size_t t() const = 0;
  virtual std::size_t channels() const = 0;
  /// (z, y, x) for volumes (z > 1), else (y, x).
  virtual const Shape& spatial_shape() const = 0;
  bool is_3d() const { return spatial_shape().size() == 3; }
  int spatial_rank() const { return int(spatial_shape().size()); }
  /// Time point t, spatial region `roi` (rank spatial_rank()), all channels, as float32
  /// row-major with shape roi.shape() + (channels()).
  virtual void read_float(std::size_t t, const Roi& roi, std::vector<float>& out) const = 0;
};

class CanonicalImage : public PixelSource {
 public:
  /// Opens `path`; Error{input} if it has neither y nor x.
  CanonicalImage(const std::string& path, const io::ReadOptions& options);
  /// Over an open reader (e.g. io::memory_image); the path is the reader's.
  explicit CanonicalImage(std::unique_ptr<io::ImageReader> reader);

  const std::string& path() const override { return path_; }
  const io::ImageInfo& info() const { return reader_->info(); }
  std::size_t t() const override { return t_; }
  std::size_t channels() const override { return c_; }
  const Shape& spatial_shape() const override { return spatial_; }
  /// The axis letters a per-pixel result of this image carries: its t, z, y, x (in canonical
  /// order) plus c, e.g. "yxc", "zyxc", "tyxc".
  Axes result_axes() const;
  /// The result shape for those axes with `channels` channels.
  Shape result_shape(std::size_t channels) const;

  void read_float(std::size_t t, const Roi& roi, std::vector<float>& out) const override;
  /// Time point t, spatial region `roi` of a single-channel image as uint32 (labels, masks).
  /// Error{input} for negative or fractional values, or more than one channel.
  void read_labels(std::size_t t, const Roi& roi, std::vector<std::uint32_t>& out) const;

  /// Converts a ROI in the file's own axes (e.g. --cutout-subregion) into a time range and
  /// a spatial ROI; the channel range must be whole.
  void split_roi(const Roi& file_roi, std::size_t& t0, std::size_t& t1, Roi& spatial) const;

 private:
  Roi file_roi(std::size_t t, const Roi& spatial) const;
  void init();

  std::string path_;
  std::unique_ptr<io::ImageReader> reader_;
  std::size_t t_ = 1, c_ = 1;
  Shape spatial_;
};

/// Throws Error{input} naming both files unless `b` has the same t and spatial shape as `a`.
void check_same_grid(const PixelSource& a, const PixelSource& b, const std::string& role);

}  // namespace bioforest::workflows
