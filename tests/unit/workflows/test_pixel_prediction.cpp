// SPDX-License-Identifier: BSD-3-Clause
// Pixel prediction in batches: classify_blocks gives the same blocks' results bit for bit
// with its buffers reused from image to image, a lock and whole time points read once;
// predict_pixels writes the same files whatever the number of workers, lists its outputs
// in input order and goes on past a bad input; batch_workers deals out threads and memory.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "bioforest/core/error.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/memory_image.hpp"
#include "bioforest/io/writer.hpp"
#include "bioforest/workflows/pixel_prediction.hpp"
#include "bioforest/workflows/pixel_spec.hpp"
#include "bioforest/workflows/pixel_training.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

namespace {

// Bright discs on a noisy background, uint8 (y, x).
Image disc_image(std::size_t Y, std::size_t X, std::uint32_t seed) {
  Array<std::uint8_t> a = Array<std::uint8_t>::from_shape({Y, X});
  for (std::size_t y = 0; y < Y; ++y)
    for (std::size_t x = 0; x < X; ++x) {
      const bool in = ((y / 23) + (x / 31)) % 3 == 0;
      a.data()[y * X + x] = std::uint8_t((in ? 150 : 40) + test::lcg_next(seed) % 60);
    }
  return Image(std::move(a), Axes("yx"));
}

// The discs in channel 0 and their negative in channel 1, uint8 (y, x, c).
Image two_channel_disc_image(std::size_t Y, std::size_t X, std::uint32_t seed) {
  const Image one = disc_image(Y, X, seed);
  const auto* d = static_cast<const std::uint8_t*>(one.raw_data());
  Array<std::uint8_t> a = Array<std::uint8_t>::from_shape({Y, X, 2});
  for (std::size_t i = 0; i < Y * X; ++i) {
    a.data()[2 * i] = d[i];
    a.data()[2 * i + 1] = std::uint8_t(255 - d[i]);
  }
  return Image(std::move(a), Axes("yxc"));
}

// Scribbles: class 2 inside the discs, class 1 outside, on every 7th row (from channel 0).
Image scribbles(const Image& raw) {
  const Shape& s = raw.shape();
  const std::size_t C = s.size() == 3 ? s[2] : 1;
  Array<std::uint8_t> a = Array<std::uint8_t>::from_shape({s[0], s[1]});
  const auto* r = static_cast<const std::uint8_t*>(raw.raw_data());
  for (std::size_t i = 0; i < a.size(); ++i)
    a.data()[i] = (i / s[1]) % 7 == 3 ? std::uint8_t(r[i * C] >= 150 ? 2 : 1) : 0;
  return Image(std::move(a), Axes("yx"));
}

PixelModel train_model(test::TempDir& tmp, std::size_t n_classes, std::size_t channels = 1) {
  const Image raw = channels == 2 ? two_channel_disc_image(120, 160, 3) : disc_image(120, 160, 3);
  const std::string name = "train" + std::to_string(n_classes) + "_" + std::to_string(channels);
  io::write_image(tmp.file(name + ".tif"), raw);
  io::write_image(tmp.file(name + "_labels.png"), scribbles(raw));
  nlohmann::json classes = nlohmann::json::array();
  for (std::size_t k = 0; k < n_classes; ++k)
    classes.push_back({{"name", "class" + std::to_string(k + 1)}});
  const nlohmann::json doc = {
      {"classes", classes},
      {"features",
       {{"features",
         {{"GaussianSmoothing", {0.7, 3.5}},
          {"GaussianGradientMagnitude", {1.6}},
          {"HessianOfGaussianEigenvalues", {1.0}}}}}},
      {"training", {{{"image", name + ".tif"}, {"labels", name + "_labels.png"}}}},
      {"forest", {{"trees", 12}, {"seed", 5}}}};
  RunContext ctx;
  ctx.threads = 2;
  return train_pixel_classifier(pixel_spec_from_json(doc, tmp.file("spec.json")), ctx);
}

// Every block's probabilities (or labels) pasted into whole-region planes.
struct Collected {
  std::vector<float> probabilities;
  std::vector<std::int32_t> labels;
  std::size_t blocks = 0;
};

Collected collect(const PixelModel& model, const PixelSource& raw, const CanonicalImage* mask,
                  const Roi& region, const ClassifyOptions& options, const RunContext& ctx) {
  Collected c;
  const std::size_t K = model.classes.size(), n = region.size();
  c.probabilities.assign(K * n, -1.0f);
  c.labels.assign(n, -1);
  classify_blocks(
      model, raw, mask, 0, 1, region, options,
      [&](const PixelBlock& b) {
        ++c.blocks;
        const Roi rel = b.core.relative_to(region.start);
        const std::size_t row = rel.shape().back(), bn = b.core.size();
        std::size_t src = 0;
        for_each_row(region.shape(), rel, [&](std::size_t off) {
          for (std::size_t k = 0; b.probabilities && k < K; ++k)
            std::copy_n(b.probabilities + k * bn + src, row, &c.probabilities[k * n + off]);
          if (b.labels) std::copy_n(b.labels + src, row, &c.labels[off]);
          src += row;
        });
      },
      ctx);
  return c;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("batch_workers deals out threads and the memory budget", "[pixel_prediction]") {
  RunContext ctx;
  ctx.threads = 5;
  ctx.ram_bytes = 3000;
  auto w = batch_workers(ctx, 3);
  REQUIRE(w.size() == 3);
  CHECK(w[0].threads == 2);
  CHECK(w[1].threads == 2);
  CHECK(w[2].threads == 1);
  for (const auto& c : w)
    CHECK(c.ram_bytes == 1000);
  w = batch_workers(ctx, 40);
  REQUIRE(w.size() == 5);
  for (const auto& c : w)
    CHECK(c.threads == 1);
  w = batch_workers(ctx, 0);  // nothing to run (all skipped): one worker, everything
  REQUIRE(w.size() == 1);
  CHECK(w[0].threads == 5);
  CHECK(w[0].ram_bytes == 3000);
  ctx.threads = 0;
  w = batch_workers(ctx, 4);
  REQUIRE(w.size() == 1);
  CHECK(w[0].threads == 1);
}

TEST_CASE("classify_blocks: reused buffers, a lock and whole time points change nothing",
          "[pixel_prediction]") {
  test::TempDir tmp;
  // Three classes of which only two are labelled: the forest's columns are not the classes.
  for (const std::size_t n_classes : {2u, 3u}) {
    INFO(n_classes << " classes");
    const PixelModel model = train_model(tmp, n_classes);
    PredictionScratch scratch;  // reused by every call below: large, small, large again
    std::mutex lock;
    std::uint32_t seed = 1;
    for (const Shape& shape : {Shape{240, 530}, Shape{60, 90}, Shape{260, 410}}) {
      INFO("image " << shape[0] << " x " << shape[1]);
      const CanonicalImage raw(io::memory_image(disc_image(shape[0], shape[1], ++seed), "raw"));
      Array<std::uint32_t> m = Array<std::uint32_t>::from_shape(shape);
      for (std::size_t i = 0; i < m.size(); ++i)
        m.data()[i] = (i % shape[1]) % 5 != 0;
      const CanonicalImage mask(io::memory_image(Image(m, Axes("yx")), "mask"));
      for (const Roi& region : {Roi::whole(shape), Roi{{20, 30}, {shape[0] - 9, shape[1] - 20}}}) {
        for (const bool probabilities : {true, false}) {
          INFO("probabilities " << probabilities);
          RunContext plain;
          plain.threads = 1;
          // The default blocks: strips of whole rows, ~32K pixels but at least 64 rows.
          const Collected expected =
              collect(model, raw, &mask, region, ClassifyOptions{{false, probabilities}}, plain);
          const std::size_t rows = std::max<std::size_t>(64, 32768 / region.shape()[1]);
          CHECK(expected.blocks == (region.shape()[0] + rows - 1) / rows);
          // A budget that cuts the region into other, smaller blocks (other seams), the window
          // still read whole.
          for (const int threads : {1, 2}) {
            RunContext small;
            small.threads = threads;
            small.ram_bytes = std::size_t(2) << 20;
            const ClassifyOptions batched{{false, probabilities}, &scratch, &lock, true};
            const Collected got = collect(model, raw, &mask, region, batched, small);
            if (region.size() == shape[0] * shape[1] && shape[0] > 100)
              CHECK(got.blocks > expected.blocks);
            CHECK(same_bits(got.probabilities, expected.probabilities));
            CHECK(got.labels == expected.labels);
            // and block by block from the file
            const Collected direct =
                collect(model, raw, &mask, region,
                        ClassifyOptions{{false, probabilities}, &scratch}, small);
            CHECK(same_bits(direct.probabilities, expected.probabilities));
            CHECK(direct.labels == expected.labels);
          }
        }
      }
    }
  }
}

TEST_CASE("classify_blocks: whole time points of two channels change nothing",
          "[pixel_prediction]") {
  // The window is cut into blocks by rows of whole pixels (x and c together).
  test::TempDir tmp;
  const PixelModel model = train_model(tmp, 2, 2);
  const Shape shape{240, 530};
  const CanonicalImage raw(io::memory_image(two_channel_disc_image(shape[0], shape[1], 9), "raw"));
  for (const Roi& region : {Roi::whole(shape), Roi{{20, 30}, {shape[0] - 9, shape[1] - 20}}}) {
    RunContext plain;
    plain.threads = 1;
    const Collected expected = collect(model, raw, nullptr, region, ClassifyOptions{}, plain);
    RunContext small;
    small.threads = 2;
    small.ram_bytes = std::size_t(8) << 20;
    PredictionScratch scratch;
    const Collected got =
        collect(model, raw, nullptr, region, ClassifyOptions{{}, &scratch, nullptr, true}, small);
    CHECK(got.blocks > 1);
    CHECK(same_bits(got.probabilities, expected.probabilities));
  }
}

TEST_CASE("predict_pixels: same files with any number of workers, outputs in input order",
          "[pixel_prediction]") {
  test::TempDir tmp;
  const PixelModel model = train_model(tmp, 2);
  std::vector<std::string> inputs;
  for (int i = 0; i < 5; ++i) {
    inputs.push_back(tmp.file("in" + std::to_string(i) + (i % 2 ? ".png" : ".tif")));
    io::write_image(inputs.back(), disc_image(90 + 40 * std::size_t(i), 150, 20 + i));
  }
  std::ofstream(tmp.file("in2.tif")) << "not a TIFF";  // one bad input
  std::vector<std::vector<float>> expected;
  for (const int threads : {1, 2, 3}) {
    INFO(threads << " threads");
    const std::string dir = tmp.file("out" + std::to_string(threads));
    std::filesystem::create_directories(dir);
    PixelPredictRequest req;
    req.inputs = inputs;
    req.exports.sources = {"Probabilities", "Simple Segmentation"};
    req.exports.filename_format = dir + "/{nickname}_{result}";
    RunContext ctx;
    ctx.threads = threads;
    const PixelPredictResult r = predict_pixels(model, req, ctx);
    REQUIRE(r.failures.size() == 1);
    CHECK(r.failures[0].input == inputs[2]);
    CHECK(r.failures[0].category == ErrorCategory::input);
    REQUIRE(r.outputs.size() == 8);
    std::vector<std::vector<float>> got;
    for (std::size_t k = 0; k < r.outputs.size(); ++k) {
      const int i = int(k / 2) + (k >= 4 ? 1 : 0);
      const std::string slug = k % 2 ? "simple-segmentation" : "probabilities";
      CHECK(r.outputs[k] == dir + "/in" + std::to_string(i) + "_" + slug + ".h5");
      Shape shape;
      got.push_back(h5::File::open_read(r.outputs[k]).read<float>("exported_data", &shape));
      CHECK(shape[0] == 90 + 40 * std::size_t(i));
    }
    if (expected.empty()) expected = got;
    for (std::size_t k = 0; k < got.size(); ++k)
      CHECK(same_bits(got[k], expected[k]));
    // Skipped inputs are listed in order and not counted as workers' work.
    req.exports.skip_existing = true;
    const PixelPredictResult again = predict_pixels(model, req, ctx);
    CHECK(again.skipped == std::vector<std::string>{inputs[0], inputs[1], inputs[3], inputs[4]});
    CHECK(again.failures.size() == 1);
  }
}
