// SPDX-License-Identifier: BSD-3-Clause
// Normalised Gaussian smoothing of whole fields: constants stay constant up to the borders,
// and a window that holds the radius around its core agrees with the whole field there.
#include <catch2/catch.hpp>

#include <vector>

#include "bioforest/features/smoothing.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::features;

TEST_CASE("normalised smoothing: constants stay, a window holding the radius agrees",
          "[smoothing]") {
  const Shape shape{40, 50};
  std::vector<float> c(40 * 50, 2.5f), out(c.size());
  smooth_normalized(c.data(), shape, 4.0, out.data());
  for (float v : out)
    REQUIRE(v == Approx(2.5f).epsilon(1e-5));
  const std::vector<float> a = test::uniform_floats(c.size(), 1, 0, 1);
  smooth_normalized(a.data(), shape, 3.0, out.data());
  // Window rows [5, 35), columns [0, 30): the core [14, 26) x [0, 21) is 9 = 3 sigma away
  // from every window edge that is not an image edge.
  const std::size_t y0 = 5, y1 = 35, x1 = 30;
  std::vector<float> win((y1 - y0) * x1), wout(win.size());
  for (std::size_t y = y0; y < y1; ++y)
    for (std::size_t x = 0; x < x1; ++x)
      win[(y - y0) * x1 + x] = a[y * 50 + x];
  smooth_normalized(win.data(), Shape{y1 - y0, x1}, 3.0, wout.data());
  for (std::size_t y = 14; y < 26; ++y)
    for (std::size_t x = 0; x < 21; ++x)
      REQUIRE(wout[(y - y0) * x1 + x] == out[y * 50 + x]);
  CHECK(truncated_gaussian_radius(3.0) == 9);
  CHECK(truncated_gaussian_radius(0.5) == 2);
  CHECK(truncated_gaussian_radius(0.0) == 0);
}

TEST_CASE("normalised smoothing: in place equals out of place, sigma 0 copies", "[smoothing]") {
  const Shape shape{6, 7, 8};
  const std::vector<float> a = test::uniform_floats(6 * 7 * 8, 2, -1, 1);
  std::vector<float> out(a.size());
  smooth_normalized(a.data(), shape, 0.0, out.data());
  CHECK(out == a);
  smooth_normalized(a.data(), shape, 1.5, out.data());
  std::vector<float> b = a;
  smooth_normalized(b.data(), shape, 1.5, b.data());
  CHECK(b == out);
  std::vector<float> threaded(a.size());
  smooth_normalized(a.data(), shape, 1.5, threaded.data(), 3);
  CHECK(threaded == out);
  // A delta spreads over its neighbours and keeps (nearly) its mass away from the borders.
  std::vector<float> delta(a.size(), 0.0f);
  delta[(3 * 7 + 3) * 8 + 4] = 1.0f;
  smooth_normalized(delta.data(), shape, 0.7, out.data());
  double sum = 0;
  for (float v : out)
    sum += v;
  CHECK(sum == Approx(1.0).epsilon(0.02));
  CHECK(out[(3 * 7 + 3) * 8 + 4] > out[(3 * 7 + 3) * 8 + 5]);
}
