// SPDX-License-Identifier: BSD-3-Clause
// A pixel model file: saved atomically (never over an existing one unless asked), read back
// with everything predict needs and everything it was trained on, its forest predicting bit
// for bit as before; other files are refused by name.
#include <catch2/catch.hpp>

#include <filesystem>

#include "bioforest/core/error.hpp"
#include "bioforest/workflows/pixel_model.hpp"
#include "pixel_model_fixture.hpp"

using namespace bioforest;
using namespace bioforest::workflows;
namespace fs = std::filesystem;

TEST_CASE("a saved pixel model reads back whole and predicts bit-identically", "[pixel_model]") {
  const test::TempDir dir;
  const PixelModel m = test::small_trained_model();
  const std::string path = dir.file("nuclei.model.h5");
  save_pixel_model(m, path, false);
  const PixelModel r = load_pixel_model(path);
  REQUIRE(r.classes.size() == 2);
  CHECK(r.classes[1].name == "nuclei");
  CHECK(r.classes[1].color == std::array<std::uint8_t, 3>{255, 255, 0});
  CHECK(r.feature_names == m.feature_names);
  CHECK(features::feature_channel_names(r.features, 1, false) == m.feature_names);
  CHECK((r.input_channels == 1 && r.spatial_rank == 2));
  CHECK(r.spec_json == m.spec_json);
  CHECK(r.spec_file == m.spec_file);
  CHECK(r.training_digest == m.training_digest);
  CHECK(r.label_counts == m.label_counts);
  CHECK(r.source == "bioforest");
  CHECK(r.forest.ensemble().n_trees() == 12);
  CHECK(test::fixed_probabilities(r) == test::fixed_probabilities(m));

  const std::string text = describe_pixel_model(r);
  CHECK(text.find("nuclei") != std::string::npos);
  CHECK(text.find("120 labelled pixels") != std::string::npos);
  const auto j = pixel_model_json(r);
  CHECK(j.dump().find("nuclei") != std::string::npos);
}

TEST_CASE("saving never replaces a model unless asked, and leaves no partial file",
          "[pixel_model]") {
  const test::TempDir dir;
  const PixelModel m = test::small_trained_model();
  const std::string path = dir.file("model.h5");
  save_pixel_model(m, path, false);
  const auto written = fs::last_write_time(path);
  CHECK_THROWS_WITH(save_pixel_model(m, path, false), Catch::Contains("model.h5"));
  CHECK(fs::last_write_time(path) == written);
  CHECK_NOTHROW(save_pixel_model(m, path, true));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path()))
    ++files;
  CHECK(files == 1);  // no temporary left beside it
}

TEST_CASE("load_pixel_model refuses files that are not pixel models", "[pixel_model]") {
  const test::TempDir dir;
  const std::string other = dir.file("other.h5");
  {
    h5::File f = h5::File::create(other);
    f.write_string("note", "just data");
  }
  CHECK_THROWS_WITH(load_pixel_model(other),
                    Catch::Contains("other.h5") && Catch::Contains("neither"));

  const std::string density = dir.file("density.h5");
  {
    h5::File f = h5::File::create(density);
    write_model_header(f, "density_counting", "bioforest");
  }
  const h5::File f = h5::File::open_read(density);
  CHECK_NOTHROW(check_model_header(f, "density_counting"));
  CHECK_THROWS_AS(check_model_header(f, "pixel_classification"), Error);
  CHECK_THROWS_AS(load_pixel_model(dir.file("missing.h5")), Error);
}
