// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The path syntax every tool accepts: `img.tif`, `stack.h5/group/dataset`, quoted globs
/// `"slices/*.png"` (stacked along an axis), and the file formats named by extensions.

#include <string>
#include <vector>

namespace bioforest::io {

enum class FileFormat { tiff, hdf5, png, jpeg, npy, unknown };

struct ImagePath {
  std::string text;     ///< as given
  std::string file;     ///< the file on disk (for a glob: the pattern)
  std::string dataset;  ///< HDF5 internal path ("/group/data"), empty if none given
  bool is_glob = false;
};

/// Splits "a.h5/x/y" into file "a.h5" and dataset "/x/y" (the first component ending in
/// .h5, .hdf5, .hdf, .he5 or .ilp that exists as a file, or by extension if none exists yet);
/// marks paths with *, ? or [ as globs.
ImagePath parse_image_path(const std::string& text);

/// Format by extension (case-insensitive): .tif/.tiff/.ome.tif/.btf -> tiff; .h5/.hdf5/.hdf/
/// .he5/.ilp -> hdf5; .png; .jpg/.jpeg; .npy (numpy arrays, read only).
FileFormat format_from_extension(const std::string& file);
const char* format_name(FileFormat f);

/// Files matching a glob pattern, sorted in natural order (slice_2 before slice_10); throws
/// Error{input} naming the pattern when nothing matches.
std::vector<std::string> expand_glob(const std::string& pattern);

}  // namespace bioforest::io
