// SPDX-License-Identifier: BSD-3-Clause
// An input seen in the workflows' order: time points of (z, y, x, c) volumes whatever the
// file's axes; results carry its t, z, y, x plus c; a region given in the file's own axes
// splits into a time range and a spatial ROI; labels must be whole non-negative numbers.
#include <catch2/catch.hpp>

#include "bioforest/core/error.hpp"
#include "bioforest/io/memory_image.hpp"
#include "bioforest/workflows/canonical_image.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

namespace {
/// An image of `shape` and `axes` whose value at flat index i is i.
CanonicalImage ramp(const Shape& shape, const std::string& axes, const std::string& name) {
  Image img(DType::float32, shape, Axes(axes));
  float* v = img.data<float>();
  for (std::size_t i = 0; i < img.size(); ++i)
    v[i] = float(i);
  return CanonicalImage(io::memory_image(std::move(img), name));
}
}  // namespace

TEST_CASE("CanonicalImage: t, channels and spatial shape in the workflows' order", "[canonical]") {
  const CanonicalImage gray = ramp({6, 8}, "yx", "gray");
  CHECK(gray.t() == 1);
  CHECK(gray.channels() == 1);
  CHECK(gray.spatial_shape() == Shape{6, 8});
  CHECK_FALSE(gray.is_3d());
  CHECK(gray.result_axes().str() == "yxc");
  CHECK(gray.result_shape(3) == Shape{6, 8, 3});

  // Channels first and x before y in the file: the same canonical view.
  const CanonicalImage cxy = ramp({2, 8, 6}, "cxy", "cxy");
  CHECK(cxy.channels() == 2);
  CHECK(cxy.spatial_shape() == Shape{6, 8});

  const CanonicalImage movie = ramp({3, 4, 5, 6}, "tzyx", "movie");
  CHECK(movie.t() == 3);
  CHECK(movie.is_3d());
  CHECK(movie.spatial_shape() == Shape{4, 5, 6});
  CHECK(movie.result_axes().str() == "tzyxc");
  CHECK(movie.result_shape(2) == Shape{3, 4, 5, 6, 2});
}

TEST_CASE("read_float returns a region with the channels last", "[canonical]") {
  const CanonicalImage img = ramp({2, 3, 4}, "cyx", "cyx");  // value = c * 12 + y * 4 + x
  std::vector<float> out;
  img.read_float(0, Roi{{1, 2}, {3, 4}}, out);
  // (y, x, c) for y in 1..2, x in 2..3
  CHECK(out == std::vector<float>{6, 18, 7, 19, 10, 22, 11, 23});
}

TEST_CASE("split_roi turns a region in the file's axes into t and spatial ranges", "[canonical]") {
  const CanonicalImage movie = ramp({5, 7, 9}, "tyx", "movie");
  std::size_t t0 = 0, t1 = 0;
  Roi spatial;
  movie.split_roi(Roi{{1, 2, 3}, {4, 6, 9}}, t0, t1, spatial);
  CHECK(t0 == 1);
  CHECK(t1 == 4);
  CHECK(spatial.start == Shape{2, 3});
  CHECK(spatial.stop == Shape{6, 9});

  const CanonicalImage rgb = ramp({7, 9, 3}, "yxc", "rgb");
  rgb.split_roi(Roi{{0, 1, 0}, {5, 9, 3}}, t0, t1, spatial);
  CHECK((t0 == 0 && t1 == 1));
  CHECK(spatial.start == Shape{0, 1});
  CHECK_THROWS_WITH(rgb.split_roi(Roi{{0, 0, 1}, {7, 9, 3}}, t0, t1, spatial),
                    Catch::Contains("every channel"));
}

TEST_CASE("read_labels refuses negative, fractional and multi-channel labels", "[canonical]") {
  std::vector<std::uint32_t> labels;
  const CanonicalImage ok = ramp({2, 3}, "yx", "ok");
  ok.read_labels(0, Roi::whole(Shape{2, 3}), labels);
  CHECK(labels == std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5});

  Image frac(DType::float32, {2, 2}, Axes("yx"));
  frac.data<float>()[3] = 1.5f;
  const CanonicalImage fractional(io::memory_image(std::move(frac), "fractional"));
  CHECK_THROWS_AS(fractional.read_labels(0, Roi::whole(Shape{2, 2}), labels), Error);

  Image neg(DType::float32, {2, 2}, Axes("yx"));
  neg.data<float>()[0] = -1.0f;
  const CanonicalImage negative(io::memory_image(std::move(neg), "negative"));
  CHECK_THROWS_WITH(negative.read_labels(0, Roi::whole(Shape{2, 2}), labels),
                    Catch::Contains("negative"));

  const CanonicalImage two_channels = ramp({2, 2, 2}, "yxc", "two_channels");
  CHECK_THROWS_WITH(two_channels.read_labels(0, Roi::whole(Shape{2, 2}), labels),
                    Catch::Contains("two_channels"));
}

TEST_CASE("check_same_grid names both files when shapes differ", "[canonical]") {
  const CanonicalImage raw = ramp({6, 8}, "yx", "raw.tif");
  const CanonicalImage same = ramp({6, 8}, "yx", "labels.png");
  const CanonicalImage other = ramp({6, 9}, "yx", "mask.png");
  CHECK_NOTHROW(check_same_grid(raw, same, "label image"));
  CHECK_THROWS_WITH(check_same_grid(raw, other, "mask"), Catch::Contains("mask.png") &&
                                                             Catch::Contains("raw.tif") &&
                                                             Catch::Contains("6x9"));
}
