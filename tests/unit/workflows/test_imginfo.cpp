// SPDX-License-Identifier: BSD-3-Clause
// imginfo as a library call: every readable input reported (format, shape, axes, dtype,
// and with stats its value range), every other one recorded with its reason, in the
// printed report and in the summary JSON alike.
#include <catch2/catch.hpp>

#include "bioforest/io/writer.hpp"
#include "bioforest/workflows/imginfo.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

TEST_CASE("imginfo reports each readable input and records the others", "[imginfo]") {
  const test::TempDir dir;
  Image img(DType::uint16, {3, 5}, Axes("yx"));
  for (std::size_t i = 0; i < img.size(); ++i)
    img.data<std::uint16_t>()[i] = std::uint16_t(10 * i);
  const std::string tif = dir.file("ramp.tif");
  io::write_image(tif, img);
  const std::string missing = dir.file("missing.tif");

  const ImgInfoResult r = imginfo({tif, missing}, {}, true, RunContext{});
  REQUIRE(r.images.size() == 1);
  REQUIRE(r.failures.size() == 1);
  CHECK(r.failures[0].input == missing);
  const ImageReport& rep = r.images[0];
  CHECK(rep.info.shape == Shape{3, 5});
  CHECK(rep.info.dtype == DType::uint16);
  REQUIRE(rep.stats);
  CHECK(rep.stats->min == 0);
  CHECK(rep.stats->max == 140);
  CHECK(rep.stats->mean == Approx(70));

  const std::string text = format_imginfo(r);
  CHECK(text.find(tif) != std::string::npos);
  CHECK(text.find("uint16") != std::string::npos);
  CHECK(text.find("min/max:     0 / 140") != std::string::npos);

  const auto j = imginfo_json(r);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["path"] == tif);
  CHECK(j[0]["format"] == "tiff");
  CHECK(j[0]["shape"] == nlohmann::json::array({3, 5}));
  CHECK(j[0]["axes"] == "yx");
  CHECK(j[0]["dtype"] == "uint16");
  CHECK(j[0]["max"] == 140.0);

  const ImgInfoResult no_stats = imginfo({tif}, {}, false, RunContext{});
  CHECK_FALSE(no_stats.images[0].stats);
  CHECK_FALSE(imginfo_json(no_stats)[0].contains("min"));
}
