// SPDX-License-Identifier: BSD-3-Clause
#include <catch2/catch.hpp>

#include <cstdint>

#include "bioforest/core/dtype.hpp"
#include "bioforest/core/error.hpp"

using namespace bioforest;

TEST_CASE("dtype names parse back to the same type", "[core][dtype]") {
  for (DType t : kAllDTypes)
    CHECK(parse_dtype(dtype_name(t)) == t);
  CHECK(parse_dtype("uint16") == DType::uint16);
  try {
    parse_dtype("uint12");
    FAIL("no error for an unknown dtype");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::usage);
    CHECK(std::string(e.what()).find("uint12") != std::string::npos);
  }
}

TEST_CASE("dtype sizes, signs and ranges are those of the C++ types", "[core][dtype]") {
  CHECK(dtype_size(DType::uint8) == 1);
  CHECK(dtype_size(DType::int16) == 2);
  CHECK(dtype_size(DType::uint32) == 4);
  CHECK(dtype_size(DType::float64) == 8);
  CHECK(dtype_is_float(DType::float32));
  CHECK_FALSE(dtype_is_float(DType::int32));
  CHECK(dtype_is_signed(DType::int8));
  CHECK_FALSE(dtype_is_signed(DType::uint16));
  CHECK(dtype_min(DType::uint8) == 0);
  CHECK(dtype_max(DType::uint8) == 255);
  CHECK(dtype_min(DType::int16) == -32768);
  CHECK(dtype_max(DType::uint16) == 65535);
  CHECK(dtype_min(DType::float32) < -1e38);  // lowest, not the smallest positive float
}

TEST_CASE("dtype_of and visit_dtype map between C++ types and DType", "[core][dtype]") {
  STATIC_REQUIRE(dtype_of<std::uint8_t>() == DType::uint8);
  STATIC_REQUIRE(dtype_of<std::int32_t>() == DType::int32);
  STATIC_REQUIRE(dtype_of<double>() == DType::float64);
  for (DType t : kAllDTypes)
    CHECK(visit_dtype(t, [](auto v) { return dtype_of<decltype(v)>(); }) == t);
}
