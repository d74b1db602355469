// SPDX-License-Identifier: BSD-3-Clause
// A pixel model file: saved atomically (never over an existing one unless asked), read back
// with everything predict needs and everything it was trained on, its forest predicting bit
// for bit as before; other files are refused by name.
#include <catch2/catch.hpp>

#include <filesystem>

#include "bioforest/core/error.hpp"
#include "bioforest/workflows/pixel_model.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;
namespace fs = std::filesystem;

namespace {
features::FeatureSelection selection() {
  features::FeatureSelection sel = features::FeatureSelection::empty_default();
  sel.select(features::FeatureFamily::GaussianSmoothing, 0.7);
  sel.select(features::FeatureFamily::HessianOfGaussianEigenvalues, 1.6);
  return sel;  // 1 + 2 channels for one 2-D input channel
}

/// A model of two classes on three features, trained on a noisy linear problem.
PixelModel trained_model() {
  PixelModel m;
  m.classes = {{"background", {0, 0, 255}}, {"nuclei", {255, 255, 0}}};
  m.features = selection();
  m.feature_names = features::feature_channel_names(m.features, 1, false);
  const std::size_t n = 300, F = m.feature_names.size();
  std::vector<float> x(n * F);
  std::vector<std::int32_t> y(n);
  std::uint32_t seed = 3;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < F; ++f)
      x[i * F + f] = float(test::lcg_next(seed) % 1000) / 100.0f;
    y[i] = x[i * F] + x[i * F + 1] > 10.0f ? 2 : 1;
  }
  learn::ForestOptions o;
  o.n_trees = 12;
  o.seed = 5;
  m.forest = learn::ClassificationForest::train(learn::FeatureView::sample_major(x.data(), n, F), y,
                                                o, RunContext{}, {1, 2});
  m.forest.set_feature_names(m.feature_names);
  m.spec_json = R"({"classes": [{"name": "background"}, {"name": "nuclei"}]})";
  m.spec_file = "/data/nuclei.json";
  m.training_digest = std::string(64, 'a');
  m.label_counts = {180, 120};
  return m;
}

std::vector<float> probabilities(const PixelModel& m) {
  const std::size_t n = 50, F = m.feature_names.size();
  std::vector<float> x(n * F), p(n * 2);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = float((i * 37) % 1000) / 100.0f;
  m.forest.predict_proba(learn::FeatureView::sample_major(x.data(), n, F), p.data(), RunContext{});
  return p;
}
}  // namespace

TEST_CASE("a saved pixel model reads back whole and predicts bit-identically", "[pixel_model]") {
  const test::TempDir dir;
  const PixelModel m = trained_model();
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
  CHECK(probabilities(r) == probabilities(m));

  const std::string text = describe_pixel_model(r);
  CHECK(text.find("nuclei") != std::string::npos);
  CHECK(text.find("120 labelled pixels") != std::string::npos);
  const auto j = pixel_model_json(r);
  CHECK(j.dump().find("nuclei") != std::string::npos);
}

TEST_CASE("saving never replaces a model unless asked, and leaves no partial file",
          "[pixel_model]") {
  const test::TempDir dir;
  const PixelModel m = trained_model();
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
