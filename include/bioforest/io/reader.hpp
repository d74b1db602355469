// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Opening any supported image and reading all of it or any region of it.

#include <memory>
#include <optional>
#include <string>

#include "bioforest/core/image.hpp"

namespace bioforest::io {

struct ImageInfo {
  Shape shape;
  DType dtype = DType::uint8;
  Axes axes;
  bool axes_from_metadata = false;  ///< false: guessed from the shape (see guess_axes)
  std::string format;               ///< "tiff", "hdf5", "png", "jpeg", "sequence of png", ...
  Shape chunks;                     ///< HDF5 chunk / TIFF tile shape in axes order, empty if none
  std::string compression;          ///< "none", "gzip", "lzw", "deflate", "packbits", "jpeg", ...
  std::string dataset;              ///< HDF5 dataset path, empty otherwise
};

struct ReadOptions {
  std::optional<Axes> axes;  ///< --input-axes: overrides metadata; must fit the rank
  char stack_along = 'z';    ///< for globs: stack 2-D files along z, t or c
};

class ImageReader {
 public:
  virtual ~ImageReader() = default;
  const ImageInfo& info() const noexcept { return info_; }
  const std::string& path() const noexcept { return path_; }

  /// Reads the region `roi` (in info().axes order) without loading more of the file than the
  /// format requires (hyperslabs for HDF5, only the needed pages/strips for TIFF).
  Image read(const Roi& roi);
  /// Reads everything.
  Image read() { return read(Roi::whole(info_.shape)); }

 protected:
  ImageReader(std::string path, ImageInfo info) : path_(std::move(path)), info_(std::move(info)) {}
  /// Backend read of a region already checked to lie inside the image. The returned image
  /// has info().axes.
  virtual Image read_region(const Roi& roi) = 0;

  friend std::unique_ptr<ImageReader> open_image(const std::string&, const ReadOptions&);
  std::string path_;
  ImageInfo info_;
};

/// Opens `path` (see image_path.hpp for the syntax). Errors: Error{input} for a missing,
/// unreadable, truncated or unsupported file; Error{usage} if options.axes does not fit.
std::unique_ptr<ImageReader> open_image(const std::string& path, const ReadOptions& options = {});

/// open_image(path, options)->read().
Image read_image(const std::string& path, const ReadOptions& options = {});

}  // namespace bioforest::io
