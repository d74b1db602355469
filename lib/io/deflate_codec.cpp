// SPDX-License-Identifier: BSD-3-Clause
#include "deflate_codec.hpp"

#include <zlib.h>

#ifdef BIOFOREST_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

namespace bioforest::io::detail {

#ifdef BIOFOREST_HAVE_LIBDEFLATE

struct DeflateCodec::Impl {
  libdeflate_compressor* c = nullptr;
  libdeflate_decompressor* d = nullptr;
  int level;
};

DeflateCodec::DeflateCodec(int level) : impl_(std::make_unique<Impl>()) {
  impl_->level = level < 0 ? 0 : level > 12 ? 12 : level;
}

DeflateCodec::~DeflateCodec() {
  if (impl_->c) libdeflate_free_compressor(impl_->c);
  if (impl_->d) libdeflate_free_decompressor(impl_->d);
}

std::size_t DeflateCodec::bound(std::size_t n) const {
  return libdeflate_zlib_compress_bound(nullptr, n);
}

std::size_t DeflateCodec::compress(const void* in, std::size_t n, void* out, std::size_t capacity) {
  if (!impl_->c) impl_->c = libdeflate_alloc_compressor(impl_->level);
  return impl_->c ? libdeflate_zlib_compress(impl_->c, in, n, out, capacity) : 0;
}

bool DeflateCodec::decompress(const void* in, std::size_t n, void* out, std::size_t out_n) {
  if (!impl_->d) impl_->d = libdeflate_alloc_decompressor();
  std::size_t got = 0;
  return impl_->d &&
         libdeflate_zlib_decompress(impl_->d, in, n, out, out_n, &got) == LIBDEFLATE_SUCCESS &&
         got == out_n;
}

#else

struct DeflateCodec::Impl {
  int level;
};

DeflateCodec::DeflateCodec(int level) : impl_(std::make_unique<Impl>()) {
  impl_->level = level < 0 ? 0 : level > 12 ? 12 : level;
}

DeflateCodec::~DeflateCodec() = default;

std::size_t DeflateCodec::bound(std::size_t n) const {
  return compressBound(uLong(n));
}

std::size_t DeflateCodec::compress(const void* in, std::size_t n, void* out, std::size_t capacity) {
  uLongf len = uLongf(capacity);
  if (compress2(static_cast<Bytef*>(out), &len, static_cast<const Bytef*>(in), uLong(n),
                impl_->level) != Z_OK)
    return 0;
  return len;
}

bool DeflateCodec::decompress(const void* in, std::size_t n, void* out, std::size_t out_n) {
  uLongf len = uLongf(out_n);
  return uncompress(static_cast<Bytef*>(out), &len, static_cast<const Bytef*>(in), uLong(n)) ==
             Z_OK &&
         len == out_n;
}

#endif

}  // namespace bioforest::io::detail
