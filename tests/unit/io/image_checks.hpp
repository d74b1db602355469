// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Helpers shared by the TIFF and PNG/JPEG tests: deterministic test images, bit-exact
// comparison, sums, and the python check of outputs as users open them.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "bioforest/core/image.hpp"

namespace bioforest::test {

/// An image whose values cover the dtype's range (negative, large, fractional), from a
/// fixed-seed generator so every run is the same.
inline Image pattern_image(DType dtype, const Shape& shape, const Axes& axes,
                           std::uint64_t seed = 1) {
  Image img(dtype, shape, axes);
  std::uint64_t s = seed * 0x9E3779B97F4A7C15ull + 12345;
  img.visit([&](auto& a) {
    using T = typename std::decay_t<decltype(a)>::value_type;
    for (auto& v : a) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      const std::uint64_t r = s >> 11;
      if constexpr (std::is_floating_point_v<T>)
        v = static_cast<T>((static_cast<double>(r % 2000001) - 1000000.0) / 7.0);
      else
        std::memcpy(&v, &r, sizeof(T));  // every bit pattern of the type
    }
  });
  return img;
}

/// Same dtype, axes, shape and bytes.
inline bool identical(const Image& a, const Image& b) {
  return a.dtype() == b.dtype() && a.axes() == b.axes() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.bytes()) == 0;
}

inline double sum_of(const Image& img) {
  return img.visit([](const auto& a) {
    double s = 0;
    for (auto v : a)
      s += static_cast<double>(v);
    return s;
  });
}

/// PIL's-style checksum used by tests/data/io/make_fixtures.py: sum of (v_i * i) % 7.
inline long long mod7_checksum(const Image& img) {
  return img.visit([](const auto& a) {
    long long s = 0, i = 0;
    for (auto v : a)
      s += (static_cast<long long>(v) * i++) % 7;
    return s;
  });
}

/// Whether Debian's python3 with tifffile, numpy and PIL is available.
inline bool have_python_tifffile() {
  return std::system("/usr/bin/python3 -c 'import tifffile, numpy, PIL' >/dev/null 2>&1") == 0;
}

/// Runs tests/unit/io/check_tiff_with_tifffile.py on `manifest`; its exit code.
inline int run_python_check(const std::string& manifest) {
  const std::string cmd = "/usr/bin/python3 " + std::string(BIOFOREST_SOURCE_DIR) +
                          "/tests/unit/io/check_tiff_with_tifffile.py " + manifest;
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace bioforest::test
