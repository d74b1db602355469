// SPDX-License-Identifier: BSD-3-Clause
// Linear density on the forest ("refine": "linear"): the terms, the tile least squares on
// cases with a known answer, and a linear model that trains, reloads and predicts the same
// in blocks.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "bioforest/core/error.hpp"
#include "bioforest/features/smoothing.hpp"
#include "bioforest/io/writer.hpp"
#include "bioforest/workflows/density_linear.hpp"
#include "bioforest/workflows/density_prediction.hpp"
#include "bioforest/workflows/density_refine.hpp"
#include "bioforest/workflows/density_training.hpp"
#include "density_blobs.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;
using bioforest::test::context;
using bioforest::test::write_blobs;

TEST_CASE("density linear: terms are the density and its products with its smoothings",
          "[density]") {
  const Shape shape{20, 30};
  std::vector<float> c(600, 0.5f), terms;
  linear_density_terms(c.data(), shape, {4.0, 8.0}, terms);
  REQUIRE(terms.size() == 3 * 600);
  for (std::size_t i = 0; i < 600; ++i) {
    REQUIRE(terms[i] == 0.5f);
    REQUIRE(terms[600 + i] == Approx(0.25f).epsilon(1e-5));
    REQUIRE(terms[1200 + i] == Approx(0.25f).epsilon(1e-5));
  }
  const auto a = test::uniform_floats(600, 3, 0, 0.01f);
  std::vector<float> smooth(600);
  features::smooth_normalized(a.data(), shape, 4.0, smooth.data());
  linear_density_terms(a.data(), shape, {4.0}, terms);
  REQUIRE(terms.size() == 2 * 600);
  for (std::size_t i = 0; i < 600; ++i)
    REQUIRE(terms[600 + i] == a[i] * smooth[i]);
  linear_density_terms(a.data(), shape, {}, terms);
  CHECK(terms == a);
}

TEST_CASE("density linear: tile least squares recover known weights", "[density]") {
  // Target = 0.7 t0 + 2.5 t1 - 0.3 t2 exactly, on tiles that do not divide the image.
  const Shape shape{50, 70};
  const std::size_t n = 50 * 70;
  LinearDensityFit fit(3);
  for (std::uint32_t img = 0; img < 3; ++img) {
    std::vector<float> terms;
    for (std::uint32_t j = 0; j < 3; ++j) {
      const auto f = test::uniform_floats(n, 10 * img + j, 0, 0.01f);
      terms.insert(terms.end(), f.begin(), f.end());
    }
    std::vector<float> target(n);
    for (std::size_t i = 0; i < n; ++i)
      target[i] = 0.7f * terms[i] + 2.5f * terms[n + i] - 0.3f * terms[2 * n + i];
    fit.add(terms.data(), target.data(), shape, 16);
  }
  CHECK(fit.n_tiles() == 3 * 4 * 5);
  const auto w = fit.solve();
  REQUIRE(w.size() == 3);
  CHECK(w[0] == Approx(0.7).margin(1e-4));
  CHECK(w[1] == Approx(2.5).margin(1e-4));
  CHECK(w[2] == Approx(-0.3).margin(1e-4));

  SECTION("a gain: one term, counts twice the density") {
    LinearDensityFit one(1);
    const auto d = test::uniform_floats(n, 99, 0, 0.01f);
    std::vector<float> target(n);
    for (std::size_t i = 0; i < n; ++i)
      target[i] = 2 * d[i];
    one.add(d.data(), target.data(), shape, 25);
    CHECK(one.solve()[0] == Approx(2.0).epsilon(1e-6));
  }
  SECTION("3-D fields tile along every axis") {
    LinearDensityFit one(1);
    const auto d = test::uniform_floats(8 * 9 * 10, 5, 0, 0.01f);
    one.add(d.data(), d.data(), Shape{8, 9, 10}, 4);
    CHECK(one.n_tiles() == 2 * 3 * 3);
    CHECK(one.solve()[0] == Approx(1.0).epsilon(1e-6));
  }
  SECTION("no tiles, or no signal: a usage error") {
    CHECK_THROWS_AS(LinearDensityFit(2).solve(), Error);
    LinearDensityFit zero(1);
    std::vector<float> z(n, 0.0f), t(n, 1.0f);
    zero.add(z.data(), t.data(), shape, 16);
    CHECK_THROWS_AS(zero.solve(), Error);
  }
}

TEST_CASE("density linear: combining terms weights them and clips at zero", "[density]") {
  const std::vector<float> terms{1, 2, 3, /* term 1 */ 1, -4, 0};
  std::vector<float> out(3);
  combine_linear_terms(terms.data(), 3, {2.0, 0.5}, out.data());
  CHECK(out == std::vector<float>{2.5f, 2.0f, 6.0f});
  combine_linear_terms(terms.data(), 3, {0.5, 1.0}, out.data());
  CHECK(out == std::vector<float>{1.5f, 0.0f, 1.5f});
}

TEST_CASE("density linear: a linear model trains, reloads and predicts the same in blocks",
          "[density]") {
  test::TempDir dir;
  nlohmann::json spec_doc = test::write_blob_training(dir);
  spec_doc["refine"] = "linear";
  spec_doc["linear_scales"] = nlohmann::json::array({8});
  spec_doc["linear_tile"] = 16;
  spec_doc["refine_folds"] = 3;
  const nlohmann::json doc = spec_doc;
  const auto spec = density_spec_from_json(doc, dir.file("spec.json"));
  const auto ctx = context(2);
  const DensityModel m = train_density(spec, ctx);
  REQUIRE(m.linear());
  CHECK(m.refine_folds == 3);
  CHECK(m.refine_scales == std::vector<double>{8});
  REQUIRE(m.refine_weights.size() == 2);
  // The forest's density is close to right on such blobs: a gain near one.
  CHECK(m.refine_weights[0] == Approx(1.0).margin(0.3));
  const DensityRequest req = test::blob_test_request(dir);
  const auto r = predict_density(m, req, ctx);
  const double total = test::check_blob_counts(r);

  SECTION("reloads, and blocks (halo 3 x 8) give the same density") {
    save_density_model(m, dir.file("m.h5"), false);
    const DensityModel back = load_density_model(dir.file("m.h5"));
    REQUIRE(back.linear());
    CHECK(back.refine_weights == m.refine_weights);
    CHECK(predict_density(back, req, ctx).counts[0].total == total);
    test::check_blocks_agree(back, req, r, 2 << 20);
  }
  SECTION("no crowding scales: one gain") {
    nlohmann::json g = doc;
    g["linear_scales"] = nlohmann::json::array();
    const DensityModel mg = train_density(density_spec_from_json(g, dir.file("s.json")), ctx);
    REQUIRE(mg.refine_weights.size() == 1);
    save_density_model(mg, dir.file("g.h5"), false);
    CHECK(load_density_model(dir.file("g.h5")).refine_weights == mg.refine_weights);
  }
  SECTION("one training image: trained without the refinement") {
    nlohmann::json one = doc;
    one["training"] = {{{"image", "a.tif"}, {"dots", "a.csv"}}};
    const DensityModel m1 = train_density(density_spec_from_json(one, dir.file("s.json")), ctx);
    CHECK_FALSE(m1.linear());
  }
}

TEST_CASE("density linear: region sums and weighted regions (box constraints)", "[density]") {
  // Two terms over a 6 x 5 field; region rows 1..3, columns 2..4.
  const Shape shape{6, 5};
  std::vector<float> terms(2 * 30);
  for (std::size_t i = 0; i < 30; ++i) {
    terms[i] = float(i);
    terms[30 + i] = 1.0f;
  }
  double sums[2];
  region_term_sums(terms.data(), 2, shape, Roi{{1, 2}, {4, 5}}, sums);
  // Rows 1..3 x columns 2..4: (7+8+9) + (12+13+14) + (17+18+19) = 117, and 9 pixels.
  CHECK(sums[0] == 117.0);
  CHECK(sums[1] == 9.0);

  SECTION("regions alone recover a gain; the weights decide between disagreeing regions") {
    LinearDensityFit fit(1);
    const double a = 10.0;
    fit.add_region(&a, 30.0, 1.0);
    CHECK(fit.n_regions() == 1);
    CHECK(fit.n_tiles() == 0);
    CHECK(fit.solve()[0] == Approx(3.0).epsilon(1e-6));
    // A second region saying gain 1, weighted 3x: (3 * 1 + 1 * 3) / 4 = 1.5.
    const double b = 10.0;
    fit.add_region(&b, 10.0, 3.0);
    CHECK(fit.solve()[0] == Approx(1.5).epsilon(1e-6));
  }
  SECTION("regions join the tiles' equations") {
    LinearDensityFit fit(1);
    const auto d = test::uniform_floats(30, 3, 0, 0.01f);
    fit.add(d.data(), d.data(), shape, 100);  // one tile, gain 1
    double s = 0;
    for (float v : d)
      s += v;
    fit.add_region(&s, 3 * s, 1.0);  // a region of the same sum saying gain 3
    CHECK(fit.solve()[0] == Approx(2.0).epsilon(1e-6));
  }
  SECTION("bad regions are internal errors") {
    LinearDensityFit fit(1);
    const double a = 1.0;
    CHECK_THROWS_AS(fit.add_region(&a, -1.0, 1.0), Error);
    CHECK_THROWS_AS(fit.add_region(&a, 1.0, 0.0), Error);
  }
}

TEST_CASE("density linear: annotated boxes train the linear density", "[density]") {
  test::TempDir dir;
  nlohmann::json doc = test::write_blob_training(dir);
  doc["refine"] = "linear";
  doc["linear_scales"] = nlohmann::json::array();
  doc["linear_tile"] = 16;
  write_blobs(dir, "boxed", 60, 31, 120);
  const auto ctx = context(2);
  const DensityModel plain = train_density(density_spec_from_json(doc, dir.file("s.json")), ctx);
  REQUIRE(plain.linear());
  CHECK(plain.refine_boxes == 0);
  // The forest's count of the boxed image's two halves.
  DensityRequest req;
  req.inputs = {dir.file("boxed.tif")};
  req.boxes = {{"top", Roi{{0, 0}, {60, 120}}, std::nullopt},
               {"bottom", Roi{{60, 0}, {120, 120}}, std::nullopt}};
  DensityModel forest_only = plain;
  forest_only.refine = "none";
  const auto c = predict_density(forest_only, req, ctx).counts.at(0).boxes;
  REQUIRE(c[0] + c[1] > 10);

  auto write_boxes = [&](double factor) {
    std::ofstream(dir.file("boxes.json")) << nlohmann::json{
        {"boxes",
         {{{"name", "top"}, {"start", {0, 0}}, {"stop", {60, 120}}, {"count", factor * c[0]}},
          {{"name", "bottom"},
           {"start", {60, 0}},
           {"stop", {120, 120}},
           {"count", factor * c[1]}}}}}.dump();
  };
  doc["box_annotations"] = {{{"image", "boxed.tif"}, {"boxes", "boxes.json"}}};

  SECTION("boxes claiming twice the forest's count raise the gain") {
    write_boxes(2.0);
    const DensityModel m = train_density(density_spec_from_json(doc, dir.file("s.json")), ctx);
    REQUIRE(m.linear());
    CHECK(m.refine_boxes == 2);
    // Each 60 x 120 box weighs 16^2 / 7200 of a tile against the three images' 75 tiles,
    // and its count residual is ~c times a tile's: the gain moves well above the plain one.
    CHECK(m.refine_weights[0] > plain.refine_weights[0] + 0.1);
    save_density_model(m, dir.file("m.h5"), false);
    const DensityModel back = load_density_model(dir.file("m.h5"));
    CHECK(back.refine_boxes == 2);
    CHECK(back.refine_weights == m.refine_weights);
    CHECK(describe_density_model(back).find("2 annotated boxes") != std::string::npos);
  }
  SECTION("one dotted image: the boxes alone give the gain") {
    write_boxes(2.0);
    nlohmann::json one = doc;
    one["training"] = {{{"image", "a.tif"}, {"dots", "a.csv"}}};
    const DensityModel m1 = train_density(density_spec_from_json(one, dir.file("s.json")), ctx);
    REQUIRE(m1.linear());
    CHECK(m1.refine_folds == 0);
    // The gain that makes this forest's box sums twice its own box counts... of a forest
    // trained on one image: compare with that forest's own counts.
    DensityModel f1 = m1;
    f1.refine = "none";
    const auto c1 = predict_density(f1, req, ctx).counts.at(0).boxes;
    const double want = 2.0 * (c[0] * c1[0] + c[1] * c1[1]) / (c1[0] * c1[0] + c1[1] * c1[1]);
    CHECK(m1.refine_weights[0] == Approx(want).epsilon(1e-4));
  }
  SECTION("a box without a count, or outside the image, is an error naming the file") {
    std::ofstream(dir.file("boxes.json"))
        << R"([{"name": "a", "start": [0, 0], "stop": [10, 10]}])";
    test::check_training_fails(doc, dir.file("s.json"), ErrorCategory::usage,
                               {"boxes.json", "no \"count\""});
    std::ofstream(dir.file("boxes.json"))
        << R"([{"name": "a", "start": [0, 0], "stop": [10, 500], "count": 3}])";
    test::check_training_fails(doc, dir.file("s.json"), ErrorCategory::input, {"boxed.tif"});
  }
  SECTION("box annotations need the linear refinement") {
    nlohmann::json none = doc;
    none["refine"] = "none";
    CHECK_THROWS_AS(density_spec_from_json(none, dir.file("s.json")), Error);
  }
}
