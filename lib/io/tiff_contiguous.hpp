// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: uncompressed TIFF with the pixel data of all pages contiguous, in page order, and
// the IFDs after it. ImageJ (and tifffile's ImageJ reader) read only the first IFD of a stack
// whose description says images=N and take the N planes as one contiguous block; libtiff
// cannot produce that layout because it writes each IFD right after its page's data.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace bioforest::io::detail {

struct ContiguousTiffSpec {
  std::uint32_t width = 0, height = 0;
  std::size_t pages = 1;
  std::uint16_t bits = 8;           ///< bits per sample (one sample per pixel)
  std::uint16_t sample_format = 1;  ///< TIFF SampleFormat: 1 uint, 2 int, 3 float
  std::uint32_t rows_per_strip = 1;
  bool bigtiff = false;
  std::string description;  ///< ImageDescription of the first page
  std::string software;     ///< Software of the first page
  std::string name;         ///< the output path, for messages
};

/// Writes the file to `fd` (positioned at 0). `fill_page(p, dst)` puts the pixels of page p
/// (height x width samples, host byte order) into dst. Throws Error{output} when a write fails
/// (disk full, quota); does not fsync or close `fd`.
void write_contiguous_tiff(int fd, const ContiguousTiffSpec& spec,
                           const std::function<void(std::size_t, std::byte*)>& fill_page);

}  // namespace bioforest::io::detail
