// SPDX-License-Identifier: BSD-3-Clause
// What `imgconvert` and `imginfo --stats` do as library calls: an image streamed block by
// block into another format, transposed, cut out or changed in dtype, with the output
// appearing whole or not at all; and statistics gathered block by block.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <limits>

#include "bioforest/core/error.hpp"
#include "bioforest/core/run_context.hpp"
#include "bioforest/io/convert.hpp"
#include "bioforest/io/memory_image.hpp"
#include "bioforest/io/reader.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::io;
namespace fs = std::filesystem;

namespace {
/// A (z, y, x) float32 volume whose value at flat index i is i / 2.
Image half_ramp(const Shape& shape) {
  Image img(DType::float32, shape, Axes("zyx"));
  for (std::size_t i = 0; i < img.size(); ++i)
    img.data<float>()[i] = 0.5f * float(i);
  return img;
}

RunContext with_ram(std::size_t bytes) {
  RunContext ctx;
  ctx.ram_bytes = bytes;
  return ctx;
}
}  // namespace

TEST_CASE("compute_stats: min, max and mean of the finite values, non-finite counted",
          "[io][convert]") {
  Image img(DType::float32, {3, 4}, Axes("yx"));
  float* v = img.data<float>();
  for (std::size_t i = 0; i < 12; ++i)
    v[i] = float(i);
  v[5] = std::numeric_limits<float>::quiet_NaN();
  v[7] = std::numeric_limits<float>::infinity();
  auto reader = memory_image(std::move(img), "stats");
  const ImageStats s = compute_stats(*reader, with_ram(64));  // several blocks
  CHECK(s.non_finite == 2);
  CHECK(s.min == 0);
  CHECK(s.max == 11);
  CHECK(s.mean == Approx((66.0 - 5 - 7) / 10));

  auto bytes = memory_image(Image(DType::uint8, {2, 2}, Axes("yx")), "zeros");
  const ImageStats z = compute_stats(*bytes, RunContext{});
  CHECK((z.min == 0 && z.max == 0 && z.mean == 0 && z.non_finite == 0));
}

TEST_CASE("convert_image streams blocks into another format, unchanged", "[io][convert]") {
  const test::TempDir dir;
  const Image src = half_ramp({5, 6, 7});
  auto reader = memory_image(src, "volume");
  ConvertOptions o;
  const std::string out = dir.file("volume.tif");
  const ConvertResult r = convert_image(*reader, out, o, with_ram(256));
  CHECK(r.blocks > 1);
  CHECK(r.shape == Shape{5, 6, 7});
  CHECK(r.axes.str() == "zyx");
  CHECK(r.dtype == DType::float32);
  const Image back = read_image(out);
  REQUIRE(back.shape() == src.shape());
  CHECK(std::equal(src.data<float>(), src.data<float>() + src.size(), back.data<float>()));
}

TEST_CASE("convert_image: axis order, cutout and renormalised dtype", "[io][convert]") {
  const test::TempDir dir;
  auto reader = memory_image(half_ramp({2, 3, 4}), "volume");  // values 0 .. 11.5
  ConvertOptions o;
  o.output_axes = Axes("zxy");
  o.cutout = Roi{{1, 0, 1}, {2, 3, 3}};  // z = 1, y 0..2, x 1..2
  o.dtype = DtypeMapping{DType::uint8, Range{0, 11.5}, std::nullopt};
  const std::string out = dir.file("cut.h5");
  const ConvertResult r = convert_image(*reader, out, o, RunContext{});
  CHECK(r.shape == Shape{1, 2, 3});
  CHECK(r.axes.str() == "zxy");
  CHECK(r.dtype == DType::uint8);
  const Image back = read_image(out);
  REQUIRE(back.dtype() == DType::uint8);
  // (z=1, x=1, y=0): flat 12 + 0 * 4 + 1 = 13 -> 6.5 of 11.5 -> 144
  CHECK(back.data<std::uint8_t>()[0] == std::uint8_t(std::lround(6.5 / 11.5 * 255)));
}

TEST_CASE("convert_image leaves nothing behind when it fails", "[io][convert]") {
  const test::TempDir dir;
  auto reader = memory_image(half_ramp({2, 3, 4}), "volume");
  ConvertOptions o;
  o.cutout = Roi{{0, 0, 0}, {3, 3, 4}};  // beyond z
  const std::string out = dir.file("never.tif");
  CHECK_THROWS_AS(convert_image(*reader, out, o, RunContext{}), Error);
  CHECK_FALSE(fs::exists(out));
  CHECK(fs::is_empty(dir.path()));
}
