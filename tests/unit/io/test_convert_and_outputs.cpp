// SPDX-License-Identifier: BSD-3-Clause
// Renormalisation on dtype changes (ilastik's --export-drange done right) and outputs that
// appear whole or not at all.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "bioforest/core/error.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/io/convert.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::io;
namespace fs = std::filesystem;

namespace {
std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("parse_range reads a pair in the spellings ilastik users write", "[io][convert]") {
  CHECK(parse_range("0,255") == Range{0, 255});
  CHECK(parse_range("(0, 255)") == Range{0, 255});
  CHECK(parse_range("[0.0,1.0]") == Range{0, 1});
  CHECK_THROWS_AS(parse_range("0;255"), Error);
  CHECK_THROWS_AS(parse_range("1"), Error);
}

TEST_CASE("convert_dtype maps a range onto the target, rounds and clamps", "[io][convert]") {
  const Image p = test::float_row({0.f, 0.25f, 0.5f, 1.f});
  const Image u8 = convert_dtype(p, {DType::uint8, Range{0, 1}, std::nullopt});
  REQUIRE(u8.dtype() == DType::uint8);
  const auto* v = u8.data<std::uint8_t>();
  CHECK(v[0] == 0);
  CHECK(v[1] == 64);  // 63.75 rounded to nearest, not truncated to 63
  CHECK(v[2] == 128);
  CHECK(v[3] == 255);
  const Image to100 = convert_dtype(p, {DType::uint16, Range{0, 1}, Range{0, 100}});
  CHECK(to100.data<std::uint16_t>()[1] == 25);
  // Without a range, values are cast, clamped to the dtype instead of wrapping.
  const Image cast = convert_dtype(test::float_row({-5.f, 300.f, 7.4f}), {DType::uint8, {}, {}});
  CHECK(cast.data<std::uint8_t>()[0] == 0);
  CHECK(cast.data<std::uint8_t>()[1] == 255);
  CHECK(cast.data<std::uint8_t>()[2] == 7);
}

TEST_CASE("convert_dtype rounds half to even and clamps as nearbyint and clamp do, NaN to 0",
          "[io][convert]") {
  // Values around every integer type's limits, halves, and NaN, as float64.
  std::vector<double> values{std::nan(""),        0.5,  1.5,   2.5,   -0.5, -1.5, -2.5,
                             0.49999999999999994, -0.0, 1e300, -1e300};
  for (const double edge :
       {0.0, 127.0, 128.0, 255.0, 256.0, 32767.0, 65535.0, 2147483647.0, 4294967295.0}) {
    for (const double d : {-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0}) {
      values.push_back(edge + d);
      values.push_back(-edge + d);
    }
  }
  Array<double> a = Array<double>::from_shape({1, values.size()});
  std::copy(values.begin(), values.end(), a.data());
  const Image in(std::move(a), Axes("yx"));
  auto check = [&](auto tag, DType dtype) {
    using T = decltype(tag);
    const Image out = convert_dtype(in, {dtype, {}, {}});
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double v = values[i];
      T expected = 0;
      if (!std::isnan(v))
        expected = T(std::clamp(std::nearbyint(v), double(std::numeric_limits<T>::lowest()),
                                double(std::numeric_limits<T>::max())));
      INFO(dtype_name(dtype) << " of " << v);
      CHECK(out.data<T>()[i] == expected);
    }
  };
  check(std::uint8_t{}, DType::uint8);
  check(std::int8_t{}, DType::int8);
  check(std::uint16_t{}, DType::uint16);
  check(std::int16_t{}, DType::int16);
  check(std::uint32_t{}, DType::uint32);
  check(std::int32_t{}, DType::int32);
}

TEST_CASE("outputs appear whole, only when committed, never over a file by accident",
          "[io][atomic_output]") {
  const fs::path dir = fs::temp_directory_path() / "bioforest_test_outputs";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string out = (dir / "table.csv").string();
  write_text_file(out, "a,b\n", false);
  CHECK(read_text(out) == "a,b\n");
  try {
    check_output_path(out, false);
    FAIL("no error for an existing output");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::usage);
    CHECK(std::string(e.what()).find("--overwrite") != std::string::npos);
  }
  write_text_file(out, "c\n", true);
  CHECK(read_text(out) == "c\n");
  try {
    check_output_path((dir / "missing" / "x.h5").string(), true);
    FAIL("no error for a missing folder");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::output);
  }
  {
    AtomicOutput o((dir / "half.h5").string(), false);
    std::ofstream(o.temp_path()) << "partial";
    CHECK(o.final_path() == (dir / "half.h5").string());
    CHECK_FALSE(o.committed());
  }  // not committed: neither the file nor its temporary remains
  CHECK_FALSE(fs::exists(dir / "half.h5"));
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  {
    AtomicOutput o((dir / "whole.h5").string(), false);
    std::ofstream(o.temp_path()) << "done";
    o.commit();
    CHECK(o.committed());
  }
  CHECK(read_text(dir / "whole.h5") == "done");
  fs::remove_all(dir);
}
