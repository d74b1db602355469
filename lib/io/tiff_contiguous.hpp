// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: uncompressed TIFF with the pixel data of all pages contiguous, in page order, and
// the IFDs after it. ImageJ (and tifffile's ImageJ reader) read only the first IFD of a stack
// whose description says images=N and take the N planes as one contiguous block; libtiff
// cannot produce that layout because it writes each IFD right after its page's data.

#include <cstddef>
#include <cstdint>
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

/// The file on `fd` (empty, positioned at 0), written in any order: the layout is fixed by
/// the spec, so every pixel has a known file offset and blocks of any shape are stored where
/// they belong as they arrive, without holding the image in memory. Pixels never written
/// read as 0 (the file has a hole there). Throws Error{output} when a write fails (disk
/// full, quota); neither fsyncs nor closes `fd`.
class ContiguousTiff {
 public:
  /// Writes the header.
  ContiguousTiff(int fd, ContiguousTiffSpec spec);
  const ContiguousTiffSpec& spec() const noexcept { return spec_; }
  /// File offset of the first byte of page p's pixels (rows follow each other).
  std::uint64_t page_offset(std::size_t page) const noexcept {
    return data_at_ + page * page_bytes_;
  }
  std::uint64_t page_bytes() const noexcept { return page_bytes_; }
  /// Stores n bytes at `offset` (host byte order, as the header declares).
  void write_at(std::uint64_t offset, const void* data, std::size_t n) const;
  /// Writes the IFDs after the pixel data; the file is complete after this.
  void finish() const;

 private:
  int fd_;
  ContiguousTiffSpec spec_;
  std::uint64_t data_at_, page_bytes_, data_end_, first_ifd_;
};

}  // namespace bioforest::io::detail
