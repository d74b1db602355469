// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: the format backends behind open_image / create_image. Each backend subclasses
// ImageReader / ImageWriter; reader.cpp and writer.cpp dispatch on the path and format.

#include <memory>
#include <string>

#include "bioforest/io/reader.hpp"
#include "bioforest/io/writer.hpp"

namespace bioforest::io::detail {

// Readers. `file` exists (checked by the dispatcher). Backends throw Error{input} naming the
// file for anything they cannot read, and set ImageInfo completely (axes from metadata where
// the format has it, else guess_axes with axes_from_metadata = false).
std::unique_ptr<ImageReader> open_tiff(const std::string& file);
std::unique_ptr<ImageReader> open_hdf5(const std::string& file, const std::string& dataset);
std::unique_ptr<ImageReader> open_png(const std::string& file);
std::unique_ptr<ImageReader> open_jpeg(const std::string& file);
/// numpy .npy (version 1-3, C or Fortran order, little/big endian, the eight dtypes and bool).
std::unique_ptr<ImageReader> open_npy(const std::string& file);

// Writers. The dispatcher has resolved the format and checked the target with
// check_output_path; backends write through an AtomicOutput and commit it in commit().
// format: "tiff" (ImageJ hyperstack; also for "multipage tiff") or "ome-tiff".
std::unique_ptr<ImageWriter> create_tiff(const std::string& path, const Shape& shape, DType dtype,
                                         const Axes& axes, const WriteOptions& options,
                                         const std::string& format);
std::unique_ptr<ImageWriter> create_hdf5(const std::string& file, const std::string& dataset,
                                         const Shape& shape, DType dtype, const Axes& axes,
                                         const WriteOptions& options);
/// PNG: 2-D gray (yx), gray+alpha or RGB/RGBA (yxc with c = 2, 3, 4), uint8 or uint16.
std::unique_ptr<ImageWriter> create_png(const std::string& path, const Shape& shape, DType dtype,
                                        const Axes& axes, const WriteOptions& options);

}  // namespace bioforest::io::detail
