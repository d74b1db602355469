// SPDX-License-Identifier: BSD-3-Clause
#include <algorithm>
#include <catch2/catch.hpp>

#include "bioforest/core/axes.hpp"
#include "bioforest/core/blocking.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/image.hpp"
#include "bioforest/core/plane_buffer.hpp"

using namespace bioforest;

TEST_CASE("image crop and paste round trip", "[core][image]") {
  Image img(DType::uint16, {4, 5, 6}, Axes("zyx"));
  auto* p = img.data<std::uint16_t>();
  for (std::size_t i = 0; i < img.size(); ++i)
    p[i] = std::uint16_t(i);
  Roi roi{{1, 2, 3}, {3, 5, 6}};
  Image c = img.crop(roi);
  CHECK(c.shape() == Shape{2, 3, 3});
  CHECK(c.data<std::uint16_t>()[0] == 1 * 30 + 2 * 6 + 3);
  Image z(DType::uint16, {4, 5, 6}, Axes("zyx"));
  z.paste(c, roi.start);
  CHECK(z.data<std::uint16_t>()[1 * 30 + 2 * 6 + 3] == 1 * 30 + 2 * 6 + 3);
  CHECK(z.data<std::uint16_t>()[0] == 0);
}

TEST_CASE(
    "image transposed: permutes, adds and drops singleton axes, moves no data when the "
    "others keep their order",
    "[core][image]") {
  // yx 2 x 3 with values 10 y + x.
  Image yx(DType::uint16, {2, 3}, Axes("yx"));
  for (std::size_t y = 0; y < 2; ++y)
    for (std::size_t x = 0; x < 3; ++x)
      yx.data<std::uint16_t>()[y * 3 + x] = std::uint16_t(10 * y + x);
  SECTION("a true permutation moves the values") {
    const Image xy = yx.transposed(Axes("xy"));
    CHECK(xy.shape() == Shape{3, 2});
    CHECK(xy.axes().str() == "xy");
    const auto* v = xy.data<std::uint16_t>();
    CHECK(v[0] == 0);   // x 0, y 0
    CHECK(v[1] == 10);  // x 0, y 1
    CHECK(v[2] == 1);   // x 1, y 0
    CHECK(v[5] == 12);  // x 2, y 1
  }
  SECTION("singleton axes added around the others: same values, same order") {
    const Image t = yx.transposed(Axes("tyxc"));
    CHECK(t.shape() == Shape{1, 2, 3, 1});
    CHECK(t.axes().str() == "tyxc");
    for (std::size_t i = 0; i < 6; ++i)
      CHECK(t.data<std::uint16_t>()[i] == yx.data<std::uint16_t>()[i]);
    // From a temporary no value moves: its memory is reused, either way.
    Image tmp = yx;
    const std::uint16_t* before = tmp.data<std::uint16_t>();
    Image added = std::move(tmp).transposed(Axes("tyxc"));
    CHECK(added.data<std::uint16_t>() == before);
    const Image back = std::move(added).transposed(Axes("yx"));
    CHECK(back.shape() == Shape{2, 3});
    CHECK(back.data<std::uint16_t>() == before);
  }
  SECTION("a singleton axis between permuted ones still permutes the others") {
    const Image c = yx.transposed(Axes("cxy"));
    CHECK(c.shape() == Shape{1, 3, 2});
    CHECK(c.data<std::uint16_t>()[1] == 10);
  }
  SECTION("an axis longer than 1 cannot be dropped") {
    CHECK_THROWS_AS(yx.transposed(Axes("x")), Error);
  }
}

TEST_CASE("PlaneBuffer grows, keeps its memory and contents, never shrinks", "[core]") {
  PlaneBuffer b;
  CHECK(b.capacity() == 0);
  float* p = b.reserve(1000);
  REQUIRE(p != nullptr);
  CHECK(b.capacity() == 1000);
  std::fill_n(p, 1000, 1.5f);
  CHECK(b.reserve(1000) == p);  // no growth: same memory, contents kept
  CHECK(b.reserve(10) == p);
  CHECK(b.capacity() == 1000);
  CHECK(p[999] == 1.5f);
  float* q = b.reserve(5000);
  CHECK(b.capacity() == 5000);
  q[4999] = 2.0f;  // all of it is usable
  CHECK(b.reserve(5) == q);
  CHECK(b.capacity() == 5000);
}
