// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Synthetic density-counting data shared by the density unit tests.

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bioforest/core/image.hpp"
#include "bioforest/core/run_context.hpp"
#include "bioforest/io/writer.hpp"
#include "test_support.hpp"

namespace bioforest::test {

// Gaussian blobs (sigma 2) on noise, their centres as a dot CSV.
inline void write_blobs(const test::TempDir& dir, const std::string& name, std::size_t n,
                        std::uint32_t seed, std::size_t size = 80) {
  const std::size_t H = size, W = size;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> p(3, size - 4);
  std::normal_distribution<float> noise(0.0f, 3.0f);
  std::vector<float> a(H * W);
  for (auto& v : a)
    v = 10.0f + noise(rng);
  std::ofstream csv(dir.file(name + ".csv"));
  csv << "x,y\n";
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t cy = p(rng), cx = p(rng);
    csv << cx << ',' << cy << '\n';
    for (std::size_t y = 0; y < H; ++y)
      for (std::size_t x = 0; x < W; ++x) {
        const double dy = double(y) - double(cy), dx = double(x) - double(cx);
        a[y * W + x] += float(150.0 * std::exp(-(dy * dy + dx * dx) / 8.0));
      }
  }
  Array<std::uint8_t> u = Array<std::uint8_t>::from_shape({H, W});
  for (std::size_t i = 0; i < a.size(); ++i)
    u.data()[i] = std::uint8_t(std::clamp(a[i], 0.0f, 255.0f));
  io::write_image(dir.file(name + ".tif"), Image(std::move(u), Axes("yx")));
}

inline RunContext context(int threads) {
  RunContext ctx;
  ctx.threads = threads;
  return ctx;
}

}  // namespace bioforest::test
