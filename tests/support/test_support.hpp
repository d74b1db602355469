// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Shared helpers for the unit tests: where test data lives and scratch folders.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "bioforest/core/image.hpp"

namespace bioforest::test {

/// tests/data/<name> in the source tree.
std::string test_data(const std::string& name);

/// ../shared/<relative> (or $BIOFOREST_SHARED/<relative>) if it exists, else nullopt: tests
/// that need it skip, saying so (WARN), where the shared folder is absent.
std::optional<std::string> shared_data(const std::string& relative);

/// Next value of a small linear congruential generator (numerical recipes constants), for
/// test data that must be the same on every platform: steps s, returns its top 24 bits.
inline std::uint32_t lcg_next(std::uint32_t& s) {
  s = s * 1664525u + 1013904223u;
  return s >> 8;
}

/// n values drawn uniformly from [lo, hi) by std::mt19937 seeded with `seed`.
std::vector<float> uniform_floats(std::size_t n, std::uint32_t seed, float lo, float hi);

/// A 1-D float32 image (axis x) holding `values`.
Image float_row(std::initializer_list<float> values);

/// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace bioforest::test

/// Use at the top of a test that reads ../shared: skips (with a warning) if it is absent.
#define BIOFOREST_REQUIRE_SHARED(var, rel)                                     \
  auto var##_opt = ::bioforest::test::shared_data(rel);                        \
  if (!var##_opt) {                                                            \
    WARN("skipped: ../shared/" << rel << " is absent (set BIOFOREST_SHARED)"); \
    return;                                                                    \
  }                                                                            \
  const std::string var = *var##_opt
