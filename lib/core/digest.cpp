// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/digest.hpp"

#include <nettle/sha2.h>

#include <cstdint>
#include <fstream>
#include <vector>

#include "bioforest/core/error.hpp"

namespace bioforest {

struct Sha256::Impl {
  sha256_ctx ctx;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  sha256_init(&impl_->ctx);
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t bytes) {
  sha256_update(&impl_->ctx, bytes, static_cast<const std::uint8_t*>(data));
}

std::string Sha256::hex() {
  std::uint8_t md[SHA256_DIGEST_SIZE];
  sha256_digest(&impl_->ctx, SHA256_DIGEST_SIZE, md);
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < SHA256_DIGEST_SIZE; ++i) {
    s += digits[md[i] >> 4];
    s += digits[md[i] & 15];
  }
  return s;
}

std::string sha256_hex(const std::string& text) {
  Sha256 h;
  h.update(text);
  return h.hex();
}

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_input(path, "cannot open for reading");
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    h.update(buf.data(), std::size_t(in.gcount()));
  }
  return h.hex();
}

}  // namespace bioforest
