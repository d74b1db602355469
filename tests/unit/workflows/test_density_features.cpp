// SPDX-License-Identifier: BSD-3-Clause
// Density feature groups: their JSON form, their names, the input (less each channel's
// background, blocks equal to the whole image), the feature stack (each selection on its own
// channels, as computed alone; blocks equal the whole image) and models that carry groups
// through training, saving and prediction.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "bioforest/core/error.hpp"
#include "bioforest/features/background.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/io/writer.hpp"
#include "bioforest/workflows/density_features.hpp"
#include "bioforest/workflows/density_model.hpp"
#include "bioforest/workflows/density_prediction.hpp"
#include "bioforest/workflows/density_spec.hpp"
#include "bioforest/workflows/density_training.hpp"
#include "density_blobs.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

namespace {

features::FeatureSelection small_selection() {
  return features::selection_from_json(
      nlohmann::json{
          {"features", {{"GaussianSmoothing", {1.6, 3.5}}, {"LaplacianOfGaussian", {2.0}}}}},
      "test");
}

// A 40 x 50 image of 2 channels: a ramp and a checker pattern.
Image two_channel_image() {
  Array<std::uint8_t> a = Array<std::uint8_t>::from_shape({40, 50, 2});
  for (std::size_t y = 0; y < 40; ++y)
    for (std::size_t x = 0; x < 50; ++x) {
      a(y, x, 0) = std::uint8_t(3 * x + y);
      a(y, x, 1) = std::uint8_t(((x / 5 + y / 5) % 2) * 200 + x);
    }
  return Image(std::move(a), Axes("yxc"));
}

// two_channel_image() written to a fresh folder as two.tif and opened.
struct TwoChannelFile {
  test::TempDir dir;
  Image im = two_channel_image();
  std::unique_ptr<CanonicalImage> raw;
  TwoChannelFile() {
    io::write_image(path(), im);
    raw = std::make_unique<CanonicalImage>(path(), io::ReadOptions{});
  }
  std::string path() const { return dir.file("two.tif"); }
};

Image channel_of(const Image& im, std::size_t c) {
  const auto& a = im.array<std::uint8_t>();
  Array<std::uint8_t> out = Array<std::uint8_t>::from_shape({a.shape()[0], a.shape()[1]});
  for (std::size_t y = 0; y < a.shape()[0]; ++y)
    for (std::size_t x = 0; x < a.shape()[1]; ++x)
      out(y, x) = a(y, x, c);
  return Image(std::move(out), Axes("yx"));
}

}  // namespace

TEST_CASE("density feature groups: JSON round trip, errors name the source", "[density]") {
  const std::vector<DensityFeatureGroup> groups{{{0, 2}, small_selection()}};
  const auto back = feature_groups_from_json(feature_groups_to_json(groups), "m.h5");
  REQUIRE(back.size() == 1);
  CHECK(back[0].channels == std::vector<std::size_t>{0, 2});
  CHECK(features::selection_to_json(back[0].features) ==
        features::selection_to_json(groups[0].features));
  for (const char* bad : {R"({"channels": [0]})", R"([{"channels": [0]}])",
                          R"([{"channels": [], "features": {"features": "default"}}])",
                          R"([{"channels": [-1], "features": {"features": "default"}}])"}) {
    INFO(bad);
    try {
      feature_groups_from_json(nlohmann::json::parse(bad), "m.h5");
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.category() == ErrorCategory::usage);
      CHECK(e.file() == "m.h5");
    }
  }
}

TEST_CASE("density feature groups: names follow the main selection, tagged by channel",
          "[density]") {
  const auto sel = small_selection();
  const auto names = density_feature_names(sel, 1, {{{0, 1}, sel}}, false);
  const auto plain = features::feature_channel_names(sel, 1, false);
  const auto two = features::feature_channel_names(sel, 2, false);
  REQUIRE(names.size() == plain.size() + two.size());
  CHECK(std::equal(plain.begin(), plain.end(), names.begin()));
  CHECK(names[plain.size()] == two[0] + " [channels 0, 1]");
}

TEST_CASE("density input: each channel less its whole-image background, in any block",
          "[density]") {
  const TwoChannelFile file;
  const Image& im = file.im;
  const CanonicalImage& raw = *file.raw;
  features::BackgroundOptions bg;
  bg.radius = 6;
  bg.smoothing = 3;
  const DensityInput input(raw, bg);
  // The expected values: channel c less estimate_background of channel c's whole plane.
  std::vector<std::vector<float>> expected(2, std::vector<float>(40 * 50));
  std::vector<float> plane(40 * 50);
  for (std::size_t c = 0; c < 2; ++c) {
    const auto& a = im.array<std::uint8_t>();
    for (std::size_t i = 0; i < plane.size(); ++i)
      plane[i] = float(a.data()[i * 2 + c]);
    features::estimate_background(plane.data(), {40, 50}, bg, expected[c].data());
    for (std::size_t i = 0; i < plane.size(); ++i)
      expected[c][i] = plane[i] - expected[c][i];
  }
  const Roi block{{7, 11}, {30, 44}};
  std::vector<float> out, tmp;
  input.read(0, block, {}, tmp, out);  // both channels, channels last
  REQUIRE(out.size() == block.size() * 2);
  input.read(0, block, {1}, tmp, out);  // channel 1 only
  REQUIRE(out.size() == block.size());
  std::size_t k = 0;
  for (std::size_t y = 7; y < 30; ++y)
    for (std::size_t x = 11; x < 44; ++x, ++k)
      REQUIRE(out[k] == expected[1][y * 50 + x]);
  input.read(0, Roi::whole({40, 50}), {}, tmp, out);
  for (std::size_t i = 0; i < 40 * 50; ++i) {
    REQUIRE(out[2 * i] == expected[0][i]);
    REQUIRE(out[2 * i + 1] == expected[1][i]);
  }
  // Only the channels features read lose their background; the threads change nothing.
  const DensityInput one(raw, bg, {1}, 2);
  one.read(0, block, {}, tmp, out);
  CHECK(out[0] == float(im.array<std::uint8_t>()(7, 11, 0)));
  CHECK(out[1] == expected[1][7 * 50 + 11]);
  // Disabled, the input is the raw image.
  const DensityInput plain(raw, features::BackgroundOptions{});
  plain.read(0, block, {0}, tmp, out);
  CHECK(out[0] == float(im.array<std::uint8_t>()(7, 11, 0)));
}

TEST_CASE("density feature stack: each selection on its channels, blocks equal the whole",
          "[density]") {
  const TwoChannelFile file;
  const Image& im = file.im;
  const CanonicalImage& raw = *file.raw;
  REQUIRE(raw.channels() == 2);
  const auto sel = small_selection();
  const auto group_sel = features::selection_from_json(
      nlohmann::json{{"features", {{"GaussianGradientMagnitude", {1.0}}}}}, "test");
  // Main selection on channel 1, a group on channel 0.
  const DensityFeatureStack stack(sel, {1}, {{{0}, group_sel}}, raw);
  const std::size_t F1 = features::feature_channel_count(sel, 1, false);
  REQUIRE(stack.n_features() == F1 + 1);
  RunContext ctx;
  ctx.threads = 1;
  const Image ref1 = features::compute_features(channel_of(im, 1), sel, ctx);
  const Image ref0 = features::compute_features(channel_of(im, 0), group_sel, ctx);
  const std::size_t n = 40 * 50;
  features::FeatureComputer::Workspace ws(1);
  std::vector<float> out(stack.n_features() * n), scratch, data;
  stack.compute(0, Roi::whole({40, 50}), out.data(), ws, scratch, data);
  const float* r1 = ref1.data<float>();
  const float* r0 = ref0.data<float>();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < F1; ++f)
      REQUIRE(out[f * n + i] == r1[i * F1 + f]);
    REQUIRE(out[F1 * n + i] == r0[i]);
  }
  SECTION("a block gives the whole image's values") {
    const Roi block{{10, 20}, {25, 41}};
    std::vector<float> part(stack.n_features() * block.size());
    stack.compute(0, block, part.data(), ws, scratch, data);
    std::size_t k = 0;
    for (std::size_t y = 10; y < 25; ++y)
      for (std::size_t x = 20; x < 41; ++x, ++k)
        for (std::size_t f = 0; f < stack.n_features(); ++f)
          REQUIRE(part[f * block.size() + k] == Approx(out[f * n + y * 50 + x]).margin(1e-4));
  }
  SECTION("a group channel the image lacks is an input error naming it") {
    try {
      DensityFeatureStack bad(sel, {1}, {{{2}, group_sel}}, raw);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.category() == ErrorCategory::input);
      CHECK(e.file() == file.path());
    }
  }
}

TEST_CASE("density feature groups: a model trains with them, reloads and predicts the same",
          "[density]") {
  test::TempDir dir;
  nlohmann::json doc = test::write_blob_training(dir);
  // The blob images have one channel: a group on it adds large-scale features.
  doc["feature_groups"] = {
      {{"channels", {0}}, {"features", {{"features", {{"GaussianSmoothing", {5.0, 10.0}}}}}}}};
  const auto spec = density_spec_from_json(doc, dir.file("spec.json"));
  REQUIRE(spec.feature_groups.size() == 1);
  const auto ctx = test::context(2);
  const DensityModel m = train_density(spec, ctx);
  REQUIRE(m.feature_groups.size() == 1);
  CHECK(m.forest.n_features() == m.feature_names.size());
  CHECK(m.feature_names.back() == "Gaussian Smoothing (σ=10.0) in 2D [channels 0]");
  const DensityRequest req = test::blob_test_request(dir);
  const auto r = predict_density(m, req, ctx);
  test::check_blob_counts(r);
  save_density_model(m, dir.file("m.h5"), false);
  const DensityModel back = load_density_model(dir.file("m.h5"));
  REQUIRE(back.feature_groups.size() == 1);
  CHECK(back.feature_groups[0].channels == std::vector<std::size_t>{0});
  CHECK(predict_density(back, req, ctx).counts[0].total == r.counts[0].total);
  CHECK(describe_density_model(back).find("a feature group on channel(s) 0") != std::string::npos);
  test::check_blocks_agree(back, req, r, 2 << 20);

  SECTION("a group on a channel the training images lack: input error, naming the image") {
    nlohmann::json bad = doc;
    bad["feature_groups"][0]["channels"] = {3};
    test::check_training_fails(bad, dir.file("spec.json"), ErrorCategory::input, {"a.tif"});
  }
}
