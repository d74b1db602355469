// SPDX-License-Identifier: BSD-3-Clause
// Autocontext's pieces that do not need images: how a stage's probabilities enter the next
// stage (ilastik's conversion to the raw dtype), the export sources it offers, and its model
// file, every stage read back whole.
#include <catch2/catch.hpp>

#include "bioforest/core/error.hpp"
#include "bioforest/workflows/autocontext.hpp"
#include "pixel_model_fixture.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

TEST_CASE("stage probabilities take the raw data's dtype as in ilastik", "[autocontext]") {
  CHECK(stage_probability_value(0.5f, DType::float32) == 0.5f);
  CHECK(stage_probability_value(0.999f, DType::uint8) == 254.0f);  // truncated, not rounded
  CHECK(stage_probability_value(1.0f, DType::uint8) == 255.0f);
  CHECK(stage_probability_value(0.5f, DType::uint16) == 32767.0f);
  CHECK(stage_probability_value(0.0f, DType::uint16) == 0.0f);
}

TEST_CASE("autocontext export sources: last stage first, then all stages", "[autocontext]") {
  const auto s = autocontext_export_sources(2);
  REQUIRE(s.size() == 9);
  CHECK(s[0] == "Probabilities Stage 2");
  CHECK(s[3] == "Features Stage 2");
  CHECK(s[4] == "Probabilities Stage 1");
  CHECK(s.back() == "Probabilities All Stages");
  CHECK(match_autocontext_export_source("simple segmentation", 2) == "Simple Segmentation Stage 2");
  CHECK(match_autocontext_export_source("uncertainty_stage_1", 2) == "Uncertainty Stage 1");
  CHECK_THROWS_AS(match_autocontext_export_source("Probabilities Stage 3", 2), Error);
}

TEST_CASE("an autocontext model file holds every stage", "[autocontext]") {
  const test::TempDir dir;
  AutocontextModel m;
  m.stages = {test::small_trained_model(1), test::small_trained_model(3)};  // raw + 2 classes
  m.stage_input = StageInput::in_sample;
  m.spec_json = R"({"stages": 2})";
  m.spec_file = "/data/ac.json";
  const std::string path = dir.file("ac.h5");
  save_autocontext_model(m, path, false);
  CHECK_THROWS_AS(save_autocontext_model(m, path, false), Error);

  const AutocontextModel r = load_autocontext_model(path);
  REQUIRE(r.stages.size() == 2);
  CHECK(r.stage_input == StageInput::in_sample);
  CHECK(r.spec_json == m.spec_json);
  CHECK(r.spec_file == m.spec_file);
  for (std::size_t k = 0; k < 2; ++k) {
    INFO("stage " << k + 1);
    CHECK(r.stages[k].input_channels == m.stages[k].input_channels);
    CHECK(r.stages[k].feature_names == m.stages[k].feature_names);
    CHECK(test::fixed_probabilities(r.stages[k]) == test::fixed_probabilities(m.stages[k]));
  }
  CHECK(describe_autocontext_model(r).find("nuclei") != std::string::npos);
  const auto j = autocontext_model_json(r);
  CHECK(j["stages"].size() == 2);
  CHECK(j["stage_input"] == "in_sample");

  // A pixel model is not an autocontext model.
  save_pixel_model(test::small_trained_model(), dir.file("pixel.h5"), false);
  CHECK_THROWS_AS(load_autocontext_model(dir.file("pixel.h5")), Error);
}
