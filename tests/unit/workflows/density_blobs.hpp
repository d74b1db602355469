// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Synthetic density-counting data shared by the density unit tests.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include "bioforest/core/image.hpp"
#include "bioforest/core/run_context.hpp"

#include "bioforest/core/error.hpp"
#include "bioforest/io/writer.hpp"
#include "bioforest/workflows/density_prediction.hpp"
#include "bioforest/workflows/density_spec.hpp"
#include "bioforest/workflows/density_training.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

namespace bioforest::test {

// Gaussian blobs (sigma 2) on noise, their centres as a dot CSV.
inline void write_blobs(const test::TempDir& dir, const std::string& name, std::size_t n,
                        std::uint32_t seed, std::size_t size = 80) {
  const std::size_t H = size, W = size;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> p(3, size - 4);
  std::normal_distribution<float> noise(0.0f, 3.0f);
  std::vector<float> a(H * W);
  for (auto& v : a)
    v = 10.0f + noise(rng);
  std::ofstream csv(dir.file(name + ".csv"));
  csv << "x,y\n";
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t cy = p(rng), cx = p(rng);
    csv << cx << ',' << cy << '\n';
    for (std::size_t y = 0; y < H; ++y)
      for (std::size_t x = 0; x < W; ++x) {
        const double dy = double(y) - double(cy), dx = double(x) - double(cx);
        a[y * W + x] += float(150.0 * std::exp(-(dy * dy + dx * dx) / 8.0));
      }
  }
  Array<std::uint8_t> u = Array<std::uint8_t>::from_shape({H, W});
  for (std::size_t i = 0; i < a.size(); ++i)
    u.data()[i] = std::uint8_t(std::clamp(a[i], 0.0f, 255.0f));
  io::write_image(dir.file(name + ".tif"), Image(std::move(u), Axes("yx")));
}

inline RunContext context(int threads) {
  RunContext ctx;
  ctx.threads = threads;
  return ctx;
}

/// Three small training images of 10, 30 and 20 blobs and a 200 x 200 test image of 150
/// (test.tif), written to `dir`; returns the spec of a small forest trained on the three
/// (a few features, 2 x 6 trees), to which a test adds its refinement.
inline nlohmann::json write_blob_training(const TempDir& dir) {
  write_blobs(dir, "a", 10, 21);
  write_blobs(dir, "b", 30, 22);
  write_blobs(dir, "c", 20, 23);
  write_blobs(dir, "test", 150, 24, 200);
  return {{"features",
           {{"features",
             {{"GaussianSmoothing", {0.7, 1.6, 3.5}}, {"LaplacianOfGaussian", {1.6, 3.5}}}}}},
          {"training",
           {{{"image", "a.tif"}, {"dots", "a.csv"}},
            {{"image", "b.tif"}, {"dots", "b.csv"}},
            {{"image", "c.tif"}, {"dots", "c.csv"}}}},
          {"regressor", {{"trees", 6}, {"forests", 2}, {"seed", 5}}}};
}

/// A request for test.tif of write_blob_training, counting its top and bottom parts.
inline workflows::DensityRequest blob_test_request(const TempDir& dir) {
  workflows::DensityRequest req;
  req.inputs = {dir.file("test.tif")};
  req.boxes = {{"top", Roi{{0, 0}, {90, 200}}, std::nullopt},
               {"bottom", Roi{{90, 0}, {200, 200}}, std::nullopt}};
  return req;
}

/// Checks a prediction of blob_test_request: no failure, about the 150 blobs, boxes that add
/// up to the total; returns the total.
inline double check_blob_counts(const workflows::DensityResult& r) {
  REQUIRE(r.failures.empty());
  const double total = r.counts[0].total;
  CHECK(total == Approx(150.0).margin(20.0));
  CHECK(r.counts[0].boxes[0] + r.counts[0].boxes[1] == Approx(total).epsilon(1e-9));
  return total;
}

/// Trains the spec `doc` (read as if from `spec_path`) and checks that it fails with an error
/// of `category` whose message holds every needle.
inline void check_training_fails(const nlohmann::json& doc, const std::string& spec_path,
                                 ErrorCategory category,
                                 std::initializer_list<std::string_view> needles) {
  try {
    workflows::train_density(workflows::density_spec_from_json(doc, spec_path), context(2));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.category() == category);
    for (auto n : needles)
      CHECK(std::string_view(e.what()).find(n) != std::string_view::npos);
  }
}

/// Predicts with `model` on 2 threads within `ram_bytes`, which must cut the image into
/// several blocks, and checks that the counts equal `whole`'s (the whole image at once).
inline void check_blocks_agree(const workflows::DensityModel& model,
                               const workflows::DensityRequest& req,
                               const workflows::DensityResult& whole, std::size_t ram_bytes) {
  RunContext small = context(2);
  small.ram_bytes = ram_bytes;
  std::atomic<std::uint64_t> blocks{0};
  small.on_progress = [&](std::string_view stage, std::uint64_t, std::uint64_t total) {
    if (stage.starts_with("density of")) blocks = total;
  };
  const auto rs = workflows::predict_density(model, req, small);
  CHECK(blocks > 1);
  REQUIRE(rs.failures.empty());
  CHECK(rs.counts[0].total == Approx(whole.counts[0].total).epsilon(1e-6));
  CHECK(rs.counts[0].boxes[0] == Approx(whole.counts[0].boxes[0]).epsilon(1e-6));
}

}  // namespace bioforest::test
