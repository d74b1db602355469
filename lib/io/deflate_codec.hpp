// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: zlib-format (RFC 1950) compression of whole buffers, the format HDF5's deflate
// ("gzip") filter stores. Uses libdeflate when the build found it (about twice as fast as
// zlib at level 1, in both directions), else zlib. One object per thread.

#include <cstddef>
#include <memory>

namespace bioforest::io::detail {

class DeflateCodec {
 public:
  explicit DeflateCodec(int level);
  ~DeflateCodec();
  DeflateCodec(const DeflateCodec&) = delete;
  DeflateCodec& operator=(const DeflateCodec&) = delete;

  /// Largest compressed size of `n` bytes.
  std::size_t bound(std::size_t n) const;
  /// Compresses into `out` (capacity >= bound(n)); returns the size, 0 on failure.
  std::size_t compress(const void* in, std::size_t n, void* out, std::size_t capacity);
  /// Decompresses exactly `out_n` bytes; false if the stream is corrupt or of another size.
  bool decompress(const void* in, std::size_t n, void* out, std::size_t out_n);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bioforest::io::detail
