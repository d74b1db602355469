// SPDX-License-Identifier: BSD-3-Clause
// The project spec's classes: names and colours as a user writes them, with ilastik's
// default colours where none is given.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "bioforest/workflows/pixel_spec.hpp"

using namespace bioforest::workflows;

TEST_CASE("parse_classes reads names and colours, defaulting to ilastik's", "[pixel_spec]") {
  const auto classes = parse_classes(nlohmann::json::parse(
      R"([{"name": "background"}, {"name": "nuclei", "color": "#0080ff"},
          {"name": "debris", "color": [1, 2, 3]}])"));
  REQUIRE(classes.size() == 3);
  CHECK(classes[0].color == default_class_color(0));
  CHECK(classes[1].color == std::array<std::uint8_t, 3>{0, 128, 255});
  CHECK(classes[2].color == std::array<std::uint8_t, 3>{1, 2, 3});
  CHECK(class_names(classes) == std::vector<std::string>{"background", "nuclei", "debris"});
  CHECK(class_names({}).empty());
}

TEST_CASE("default_class_color starts with ilastik's red and green and cycles", "[pixel_spec]") {
  CHECK(default_class_color(0) == std::array<std::uint8_t, 3>{255, 0, 0});
  CHECK(default_class_color(1) == std::array<std::uint8_t, 3>{0, 255, 0});
  CHECK(default_class_color(0) != default_class_color(2));
  std::size_t period = 1;
  while (default_class_color(period) != default_class_color(0))
    ++period;
  CHECK(default_class_color(period + 1) == default_class_color(1));
}
