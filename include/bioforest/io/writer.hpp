// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Writing images block by block, atomically (temporary name, then rename on commit).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "bioforest/core/image.hpp"

namespace bioforest::io {

struct WriteOptions {
  /// "hdf5", "tiff" (ImageJ hyperstack), "multipage tiff" (same as tiff), "tiff sequence",
  /// "png", "png sequence", "ome-tiff"; empty: from the extension.
  std::string format;
  bool overwrite = false;
  /// HDF5: "gzip" (level 1, default), "gzip:N", "none". TIFF: "none" (default), "lzw",
  /// "deflate", "packbits". PNG ignores it.
  std::string compression;
  /// HDF5 chunk shape in the image's axes order; empty: ~512 KiB chunks, t and c chunked by 1.
  Shape chunks;
  /// HDF5 dataset when the path names none.
  std::string dataset = "exported_data";
  /// Data range stored as the `drange` attribute (HDF5) / display range (TIFF).
  std::optional<std::pair<double, double>> drange;
  /// Extra string attributes on the HDF5 dataset (e.g. channel names as JSON).
  std::map<std::string, std::string> attributes;
  /// Write BigTIFF (automatic above 4 GB).
  bool bigtiff = false;
};

class ImageWriter {
 public:
  virtual ~ImageWriter() = default;
  const std::string& path() const noexcept { return path_; }
  const Shape& shape() const noexcept { return shape_; }
  DType dtype() const noexcept { return dtype_; }
  const Axes& axes() const noexcept { return axes_; }

  /// Writes `block` (same dtype and axes as the image) with its origin at `offset`.
  virtual void write(const Image& block, const Shape& offset) = 0;
  /// Flushes and closes (errors checked), then renames the temporary file onto the target.
  /// Without commit(), the destructor removes the temporary file.
  virtual void commit() = 0;

 protected:
  ImageWriter(std::string path, Shape shape, DType dtype, Axes axes)
      : path_(std::move(path)), shape_(std::move(shape)), dtype_(dtype), axes_(std::move(axes)) {}
  std::string path_;
  Shape shape_;
  DType dtype_;
  Axes axes_;
};

/// Creates a writer for an image of `shape`, `dtype`, `axes`. Throws Error{usage} when the
/// output exists and !options.overwrite, or the format cannot hold this dtype/axes;
/// Error{output} when the folder is not writable.
std::unique_ptr<ImageWriter> create_image(const std::string& path, const Shape& shape, DType dtype,
                                          const Axes& axes, const WriteOptions& options = {});

/// Writes a whole image in one call.
void write_image(const std::string& path, const Image& image, const WriteOptions& options = {});

/// The output formats a given path/options resolve to ("hdf5", "tiff", ...); throws
/// Error{usage} for an unknown format or extension.
std::string resolve_output_format(const std::string& path, const WriteOptions& options);

}  // namespace bioforest::io
