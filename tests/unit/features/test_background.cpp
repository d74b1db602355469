// SPDX-License-Identifier: BSD-3-Clause
// Background subtraction: the grey opening against a brute-force minimum and maximum over
// clipped boxes (2-D and 3-D), and the background of bright spots on a sloping floor.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "bioforest/core/error.hpp"
#include "bioforest/features/background.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::features;

namespace {

// The extremum over the box of half-side r around every pixel, clipped at the borders.
std::vector<float> brute_box(const std::vector<float>& in, const Shape& shape, std::size_t r,
                             bool minimum) {
  const std::size_t Z = shape.size() == 3 ? shape[0] : 1, Y = shape[shape.size() - 2],
                    X = shape.back();
  std::vector<float> out(in.size());
  auto lo = [&](std::size_t i) { return i >= r ? i - r : 0; };
  for (std::size_t z = 0; z < Z; ++z)
    for (std::size_t y = 0; y < Y; ++y)
      for (std::size_t x = 0; x < X; ++x) {
        float best = in[(z * Y + y) * X + x];
        for (std::size_t zz = lo(z); zz <= std::min(Z - 1, z + r); ++zz)
          for (std::size_t yy = lo(y); yy <= std::min(Y - 1, y + r); ++yy)
            for (std::size_t xx = lo(x); xx <= std::min(X - 1, x + r); ++xx) {
              const float v = in[(zz * Y + yy) * X + xx];
              best = minimum ? std::min(best, v) : std::max(best, v);
            }
        out[(z * Y + y) * X + x] = best;
      }
  return out;
}

}  // namespace

TEST_CASE("grey opening equals a brute-force erosion then dilation, borders clipped",
          "[background]") {
  for (const Shape& shape : {Shape{23, 31}, Shape{1, 9}, Shape{5, 9, 12}}) {
    const std::size_t n = shape.size() == 3 ? shape[0] * shape[1] * shape[2] : shape[0] * shape[1];
    const auto a = test::uniform_floats(n, std::uint32_t(n), 0, 100);
    for (std::size_t r : {1u, 2u, 4u, 40u}) {
      const int rank = int(shape.size());
      const Shape s3 = rank == 3 ? shape : Shape{1, shape[0], shape[1]};
      const auto expected = brute_box(brute_box(a, s3, r, true), s3, r, false);
      std::vector<float> out(n);
      grey_opening(a.data(), shape, r, out.data());
      INFO("rank " << rank << ", radius " << r);
      REQUIRE(out == expected);
      std::vector<float> in_place = a;
      grey_opening(in_place.data(), shape, r, in_place.data(), 3);  // threads: the same
      REQUIRE(in_place == expected);
    }
  }
}

TEST_CASE("grey opening lies below the field and removes what is narrower than the box",
          "[background]") {
  const Shape shape{40, 40};
  std::vector<float> f(40 * 40, 10.0f), out(f.size());
  for (std::size_t y = 18; y < 23; ++y)  // a 5 x 5 bright square
    for (std::size_t x = 18; x < 23; ++x)
      f[y * 40 + x] = 200.0f;
  grey_opening(f.data(), shape, 3, out.data());  // box 7 x 7: the square goes
  for (float v : out)
    REQUIRE(v == 10.0f);
  grey_opening(f.data(), shape, 2, out.data());  // box 5 x 5: it fits, and stays
  CHECK(out == f);
}

TEST_CASE("background of bright spots on a sloping floor follows the floor", "[background]") {
  const std::size_t H = 96, W = 128;
  const Shape shape{H, W};
  std::vector<float> floor(H * W), image(H * W), bg(H * W), bg2(H * W);
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0, 1);
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x)
      floor[y * W + x] = 40.0f + 0.3f * float(x) + 0.1f * float(y);
  image = floor;
  for (std::size_t k = 0; k < 40; ++k) {  // Gaussian spots of radius ~4 on a 16-pixel grid
    const double cy = 8 + 16 * double(k / 8 % 6), cx = 8 + 16 * double(k % 8);
    for (std::size_t y = 0; y < H; ++y)
      for (std::size_t x = 0; x < W; ++x) {
        const double d2 = (double(y) - cy) * (double(y) - cy) + (double(x) - cx) * (double(x) - cx);
        image[y * W + x] += float(120.0 * std::exp(-d2 / (2 * 2.5 * 2.5)));
      }
  }
  for (auto& v : image)
    v += noise(rng);
  BackgroundOptions o;
  o.radius = 12;
  o.smoothing = 6;
  estimate_background(image.data(), shape, o, bg.data());
  estimate_background(image.data(), shape, o, bg2.data(), 2);
  CHECK(bg2 == bg);
  // Away from the borders the background is the floor, spots removed, within a few grey
  // levels (the opening sits at the floor's local minimum, under the noise).
  double worst = 0;
  for (std::size_t y = 16; y < H - 16; ++y)
    for (std::size_t x = 16; x < W - 16; ++x)
      worst = std::max(worst, double(std::abs(bg[y * W + x] - floor[y * W + x])));
  CHECK(worst < 6.0);
  // A spot's centre keeps its height once the background is gone.
  const std::size_t c = 40 * W + 56;
  CHECK(image[c] - bg[c] == Approx(120.0).margin(8.0));
  CHECK_THROWS_AS(estimate_background(image.data(), shape, BackgroundOptions{}, bg.data()), Error);
}
