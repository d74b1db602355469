// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// SHA-256 digests (nettle's sha256): of specs, models and training data, so a model
/// records exactly what it was trained on and outputs record what made them.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace bioforest {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t bytes);
  void update(const std::string& text) { update(text.data(), text.size()); }
  /// Lower-case hex of the digest; the object cannot be updated afterwards.
  std::string hex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(const std::string& text);

/// Digest of a file's bytes; throws Error{input} if unreadable.
std::string sha256_file(const std::string& path);

/// Digest of a training set, its feature rows and then its targets as raw bytes: what a model
/// records as the data it was trained on (the same data gives the same digest).
template <class Target>
std::string training_data_digest(const std::vector<float>& x, const std::vector<Target>& y) {
  Sha256 digest;
  digest.update(x.data(), x.size() * sizeof(float));
  digest.update(y.data(), y.size() * sizeof(Target));
  return digest.hex();
}

}  // namespace bioforest
