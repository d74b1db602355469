// SPDX-License-Identifier: BSD-3-Clause
#include <catch2/catch.hpp>

#include "bioforest/core/axes.hpp"
#include "bioforest/core/error.hpp"

using namespace bioforest;

TEST_CASE("Axes: index, spatial count, canonical order, permutations", "[core][axes]") {
  const Axes a("cyx");
  CHECK(a.index('y') == 1);
  CHECK(a.spatial_count() == 2);
  CHECK(Axes("tzyxc").spatial_count() == 3);
  CHECK(a.canonical() == Axes("yxc"));
  CHECK(a.permutation_to(Axes("yxc")) == std::vector<std::size_t>{1, 2, 0});
  CHECK(a.has('c'));
  CHECK_FALSE(a.has('z'));
}

TEST_CASE("guess_axes follows ilastik's guess", "[core][axes]") {
  CHECK(guess_axes({100}) == Axes("x"));
  CHECK(guess_axes({64, 64}) == Axes("yx"));
  CHECK(guess_axes({64, 64, 3}) == Axes("yxc"));
  CHECK(guess_axes({10, 64, 64}) == Axes("zyx"));
  CHECK(guess_axes({10, 64, 64, 2}) == Axes("zyxc"));
  CHECK(guess_axes({5, 10, 64, 64, 2}) == Axes("tzyxc"));
  CHECK_THROWS_AS(guess_axes({1, 2, 3, 4, 5, 6}), Error);
}

TEST_CASE("check_axes_fit names the axes, the shape and the file", "[core][axes]") {
  check_axes_fit(Axes("zyx"), {2, 3, 4});
  try {
    check_axes_fit(Axes("yx"), {2, 3, 4}, "vol.tif");
    FAIL("no error for axes that do not fit");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::usage);
    const std::string what = e.what();
    CHECK(what.find("yx") != std::string::npos);
    CHECK(what.find("2x3x4") != std::string::npos);
    CHECK(what.find("vol.tif") != std::string::npos);
  }
  CHECK(shape_str({512, 512, 3}) == "512x512x3");
  CHECK(shape_str({}) == "()");
}
