// SPDX-License-Identifier: BSD-3-Clause
// Density counting: the dot density integrates to the dot count (borders, 2-D, 3-D, time
// points), dot CSVs, the sampling modes, training and counting on synthetic cells with a
// known count, model save/load, and thread-count independence.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include "bioforest/core/error.hpp"
#include "bioforest/io/memory_image.hpp"
#include "bioforest/io/writer.hpp"
#include "bioforest/workflows/density_prediction.hpp"
#include "bioforest/workflows/density_target.hpp"
#include "bioforest/workflows/density_training.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

namespace {

double sum(const std::vector<float>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0);
}

CanonicalImage blank(const Shape& shape, const std::string& axes) {
  return CanonicalImage(io::memory_image(Image(DType::uint8, shape, Axes(axes)), "blank"));
}

// Synthetic fluorescence cells: Gaussian blobs (sigma 2) at random centres, plus noise.
// Returns the image and writes nothing; `dots` receives the centres (y, x).
Image synthetic_cells(std::size_t H, std::size_t W, std::size_t n, std::uint32_t seed,
                      std::vector<Shape>& dots) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> py(3, H - 4), px(3, W - 4);
  Array<float> a = Array<float>::from_shape({H, W});
  std::normal_distribution<float> noise(0.0f, 3.0f);
  for (auto& v : a)
    v = 10.0f + noise(rng);
  dots.clear();
  for (std::size_t k = 0; k < n; ++k) {
    const Shape d{py(rng), px(rng)};
    dots.push_back(d);
    for (std::size_t y = 0; y < H; ++y)
      for (std::size_t x = 0; x < W; ++x) {
        const double dy = double(y) - double(d[0]), dx = double(x) - double(d[1]);
        a(y, x) += float(150.0 * std::exp(-(dy * dy + dx * dx) / 8.0));
      }
  }
  Array<std::uint8_t> u = Array<std::uint8_t>::from_shape({H, W});
  for (std::size_t i = 0; i < a.size(); ++i)
    u.data()[i] = std::uint8_t(std::clamp(a.data()[i], 0.0f, 255.0f));
  return Image(std::move(u), Axes("yx"));
}

// Writes a synthetic image and its dot CSV into `dir` as <name>.tif / <name>.csv.
void write_cells(const test::TempDir& dir, const std::string& name, std::size_t n,
                 std::uint32_t seed) {
  std::vector<Shape> dots;
  io::write_image(dir.file(name + ".tif"), synthetic_cells(96, 96, n, seed, dots));
  std::ofstream csv(dir.file(name + ".csv"));
  csv << "x,y\n";
  for (const auto& d : dots)
    csv << d[1] << ',' << d[0] << '\n';
}

nlohmann::json cells_spec(const std::string& sampling) {
  return {{"features",
           {{"features",
             {{"GaussianSmoothing", {0.7, 1.6, 3.5}},
              {"LaplacianOfGaussian", {1.6, 3.5}},
              {"HessianOfGaussianEigenvalues", {1.6}}}}}},
          {"sampling", sampling},
          {"training",
           {{{"image", "a.tif"}, {"dots", "a.csv"}}, {{"image", "b.tif"}, {"dots", "b.csv"}}}},
          {"regressor", {{"trees", 8}, {"forests", 2}, {"seed", 3}}}};
}

RunContext context(int threads) {
  RunContext ctx;
  ctx.threads = threads;
  return ctx;
}

}  // namespace

TEST_CASE("dot density integrates to the dot count, also at the borders", "[density]") {
  const Shape shape{40, 50};
  std::vector<Dot> dots{{0, {0, 0}}, {0, {39, 49}}, {0, {20, 1}}, {0, {5, 25}}, {0, {5, 26}}};
  for (double sigma : {0.5, 1.0, 2.5, 6.0}) {
    std::vector<float> d;
    dot_density(dots, 0, shape, sigma, d);
    REQUIRE(d.size() == 2000);
    CHECK(sum(d) == Approx(5.0).epsilon(1e-5));
    CHECK(*std::min_element(d.begin(), d.end()) >= 0.0f);
  }
  // A dot away from the border is ilastik's normalised Gaussian, peak about 1/(2 pi sigma^2)
  // (6 % more: the kernel is cut at 2 sigma and renormalised).
  std::vector<float> d;
  dot_density({{0, {20, 25}}}, 0, shape, 2.5, d);
  CHECK(d[20 * 50 + 25] == Approx(1.06 / (2 * M_PI * 2.5 * 2.5)).epsilon(0.02));
  CHECK(d[20 * 50 + 25 + 6] == 0.0f);  // radius floor(2 * 2.5 + 0.5) = 5
}

TEST_CASE("dot density in 3-D and per time point", "[density]") {
  const Shape shape{6, 20, 20};
  std::vector<Dot> dots{{0, {0, 10, 10}}, {1, {5, 0, 19}}, {1, {3, 3, 3}}};
  std::vector<float> d;
  dot_density(dots, 0, shape, 2.0, d);
  CHECK(sum(d) == Approx(1.0).epsilon(1e-5));
  dot_density(dots, 1, shape, 2.0, d);
  CHECK(sum(d) == Approx(2.0).epsilon(1e-5));
  dot_density(dots, 2, shape, 2.0, d);
  CHECK(sum(d) == 0.0);
}

TEST_CASE("dot CSVs: header, implicit columns, errors name the file and line", "[density]") {
  test::TempDir dir;
  const auto img2 = blank({30, 40}, "yx");
  {
    std::ofstream(dir.file("h.csv")) << "y,x\n3,4\n 10.4 , 20.6\n# comment\n\n";
    const auto dots = read_dots_csv(dir.file("h.csv"), img2);
    REQUIRE(dots.size() == 2);
    CHECK(dots[0].pos == Shape{3, 4});
    CHECK(dots[1].pos == Shape{10, 21});
  }
  {
    std::ofstream(dir.file("n.csv")) << "4,3\n";
    CHECK(read_dots_csv(dir.file("n.csv"), img2)[0].pos == Shape{3, 4});
  }
  const auto vol_t = blank({2, 5, 30, 40}, "tzyx");
  {
    std::ofstream(dir.file("v.csv")) << "1,2,3,1\n";
    const auto dots = read_dots_csv(dir.file("v.csv"), vol_t);
    CHECK(dots[0].pos == Shape{3, 2, 1});
    CHECK(dots[0].t == 1);
  }
  std::ofstream(dir.file("out.csv")) << "x,y\n1,1\n40,3\n";
  try {
    read_dots_csv(dir.file("out.csv"), img2);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::input);
    CHECK(e.file() == dir.file("out.csv"));
    CHECK(e.reason().find("line 3") != std::string::npos);
    CHECK(e.reason().find("outside") != std::string::npos);
  }
  std::ofstream(dir.file("bad.csv")) << "1,a\n";
  CHECK_THROWS_AS(read_dots_csv(dir.file("bad.csv"), img2), Error);
}

TEST_CASE("dot images: every non-zero pixel is a dot", "[density]") {
  Image im(DType::uint8, {10, 12, 3}, Axes("yxc"));
  im.data<std::uint8_t>()[(2 * 12 + 3) * 3 + 0] = 255;
  im.data<std::uint8_t>()[(7 * 12 + 11) * 3 + 2] = 1;
  const CanonicalImage c(io::memory_image(std::move(im), "dots"));
  const auto dots = read_dots_image(c);
  REQUIRE(dots.size() == 2);
  CHECK(dots[0].pos == Shape{2, 3});
  CHECK(dots[1].pos == Shape{7, 11});
}

TEST_CASE("sampling: 'all' takes every pixel, 'ilastik' the dots' support and strokes",
          "[density]") {
  test::TempDir dir;
  write_cells(dir, "a", 12, 1);
  write_cells(dir, "b", 20, 2);
  const auto ctx = context(2);
  const auto all = gather_density_training_set(
      density_spec_from_json(cells_spec("all"), dir.file("spec.json")), ctx);
  CHECK(all.n_samples() == 2 * 96 * 96);
  CHECK(all.n_dots == 32);
  CHECK(all.target_sum == Approx(32.0).epsilon(1e-4));
  const auto il = gather_density_training_set(
      density_spec_from_json(cells_spec("ilastik"), dir.file("spec.json")), ctx);
  CHECK(il.n_samples() < all.n_samples());
  CHECK(il.n_samples() > 32 * 50);
  for (float y : il.y)
    CHECK(y > kIlastikDensityThreshold);
  // A random quarter of the pixels: about a quarter, the same ones every time.
  nlohmann::json quarter = cells_spec("all");
  quarter["pixel_fraction"] = 0.25;
  const auto qspec = density_spec_from_json(quarter, dir.file("spec.json"));
  const auto q1 = gather_density_training_set(qspec, ctx);
  const auto q2 = gather_density_training_set(qspec, context(1));
  CHECK(double(q1.n_samples()) == Approx(0.25 * double(all.n_samples())).epsilon(0.05));
  CHECK(q1.x == q2.x);
  CHECK(q1.y == q2.y);
  // Trees draw at most max_samples_per_tree samples.
  nlohmann::json capped = cells_spec("all");
  capped["regressor"]["max_samples_per_tree"] = 1000;
  const auto o = resolve_forest(density_spec_from_json(capped, "s.json"), 20000, 9);
  CHECK(o.sample_fraction == Approx(0.05));
  CHECK(o.mtry == 3);
  CHECK(density_sampled(DensitySampling::ilastik, 0.0f, true));
  CHECK_FALSE(density_sampled(DensitySampling::ilastik, 1e-5f, false));
  CHECK(density_sampled(DensitySampling::all, 0.0f, false));
}

TEST_CASE("train and count synthetic cells with a known count", "[density]") {
  test::TempDir dir;
  write_cells(dir, "a", 25, 11);
  write_cells(dir, "b", 40, 12);
  write_cells(dir, "test", 30, 13);
  const auto ctx = context(2);
  const auto spec = density_spec_from_json(cells_spec("all"), dir.file("spec.json"));
  const DensityModel model = train_density(spec, ctx);
  CHECK(model.forest.n_trees() == 16);
  CHECK(model.n_dots == 65);
  DensityRequest req;
  req.inputs = {dir.file("test.tif")};
  req.boxes = {{"left", Roi{{0, 0}, {96, 48}}, std::nullopt},
               {"right", Roi{{0, 48}, {96, 96}}, std::nullopt}};
  const auto r = predict_density(model, req, ctx);
  REQUIRE(r.failures.empty());
  REQUIRE(r.counts.size() == 1);
  const auto& c = r.counts[0];
  CHECK(c.name == "test");
  CHECK(c.total == Approx(30.0).margin(3.0));
  CHECK(c.boxes[0] + c.boxes[1] == Approx(c.total).epsilon(1e-9));
  CHECK(r.outputs.empty());

  SECTION("the model reloads bit-identically") {
    save_density_model(model, dir.file("m.h5"), false);
    const DensityModel back = load_density_model(dir.file("m.h5"));
    CHECK(back.feature_names == model.feature_names);
    CHECK(back.training_digest == model.training_digest);
    CHECK(back.sigma == model.sigma);
    CHECK(back.background.radius == 17);  // the default at sigma 2.5
    CHECK(back.background.smoothing == model.background.smoothing);
    CHECK(back.background.presmoothing == model.background.presmoothing);
    const auto r2 = predict_density(back, req, ctx);
    CHECK(r2.counts[0].total == c.total);
    CHECK(r2.counts[0].boxes == c.boxes);
    CHECK_THROWS_AS(save_density_model(model, dir.file("m.h5"), false), Error);
  }
  SECTION("one or several threads give the same model and counts") {
    const auto ctx1 = context(1);
    const DensityModel m1 = train_density(spec, ctx1);
    CHECK(m1.training_digest == model.training_digest);
    const auto r1 = predict_density(m1, req, ctx1);
    CHECK(r1.counts[0].total == c.total);
  }
  SECTION("a box outside the image fails that input only") {
    DensityRequest bad = req;
    bad.inputs = {dir.file("test.tif"), dir.file("a.tif")};
    bad.boxes = {{"far", Roi{{0, 0}, {97, 10}}, std::nullopt}};
    const auto rb = predict_density(model, bad, ctx);
    CHECK(rb.failures.size() == 2);
    CHECK(rb.failures[0].message.find("far") != std::string::npos);
  }
}

TEST_CASE("count boxes are read from JSON and checked", "[density]") {
  test::TempDir dir;
  std::ofstream(dir.file("b.json"))
      << R"({"boxes": [{"name": "a", "start": [0, 0], "stop": [5, 6]}, {"start": [1, 2], "stop": [3, 4], "t": 2, "count": 7.5}]})";
  const auto boxes = read_count_boxes(dir.file("b.json"));
  REQUIRE(boxes.size() == 2);
  CHECK(boxes[0].name == "a");
  CHECK_FALSE(boxes[0].count);
  CHECK(boxes[1].name == "box1");
  CHECK(boxes[1].t == std::size_t(2));
  CHECK(boxes[1].count == 7.5);
  for (const char* bad : {R"([{"start": [5, 5], "stop": [5, 6]}])",
                          R"([{"start": [0, 0], "stop": [5, 6], "count": -1}])",
                          R"([{"start": [0, 0], "stop": [5, 6], "count": "many"}])"}) {
    std::ofstream(dir.file("bad.json")) << bad;
    try {
      read_count_boxes(dir.file("bad.json"));
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.category() == ErrorCategory::usage);
      CHECK(e.file() == dir.file("bad.json"));
    }
  }
}

TEST_CASE("specs that do not validate are refused with the pointer", "[density]") {
  nlohmann::json s = cells_spec("all");
  s["sampling"] = "sometimes";
  try {
    density_spec_from_json(s, "spec.json");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::usage);
    CHECK(std::string(e.what()).find("/sampling") != std::string::npos);
  }
  nlohmann::json no_dots = cells_spec("all");
  no_dots["training"][0].erase("dots");
  CHECK_THROWS_AS(density_spec_from_json(no_dots, "spec.json"), Error);
  const auto ok = density_spec_from_json(cells_spec("ilastik"), "spec.json");
  CHECK(ok.sigma == 2.5);
  CHECK(ok.forest.n_trees == 16);
  CHECK(ok.forest.sample_fraction == Approx(0.5));
  CHECK(ok.forest.max_depth == 50);
  CHECK(ok.sampling == DensitySampling::ilastik);
  CHECK(ok.forest.min_samples_leaf == 5);
  CHECK(ok.forest.max_bins == 256);
  CHECK(ok.refine == "none");
  CHECK(ok.linear_scales.empty());
  CHECK(ok.linear_tile == 32);
  // Our cap on the draws per tree (ilastik has none); null lifts it, a count sets it.
  CHECK(ok.max_samples_per_tree == 30000);
  nlohmann::json uncapped = cells_spec("all");
  uncapped["regressor"]["max_samples_per_tree"] = nullptr;
  uncapped["regressor"]["min_samples_leaf"] = 20;
  uncapped["regressor"]["max_bins"] = 0;
  uncapped["refine"] = "linear";
  uncapped["linear_scales"] = {16};
  const auto un = density_spec_from_json(uncapped, "spec.json");
  CHECK(un.max_samples_per_tree == 0);
  CHECK(un.forest.min_samples_leaf == 20);
  CHECK(un.forest.max_bins == 0);
  CHECK(un.refine == "linear");
  CHECK(un.linear_scales == std::vector<double>{16});
}

TEST_CASE("spec background: scaled with sigma by default, set, or 'none'", "[density]") {
  const auto by_default = density_spec_from_json(cells_spec("all"), "spec.json");
  CHECK(by_default.background.radius == 17);
  CHECK(by_default.background.smoothing == Approx(8.0));
  CHECK(by_default.background.presmoothing == 1.0);
  nlohmann::json s = cells_spec("all");
  s["sigma"] = 4.0;
  CHECK(density_spec_from_json(s, "spec.json").background.radius == 28);
  s["background"] = {{"radius", 9}};
  const auto set = density_spec_from_json(s, "spec.json");
  CHECK(set.background.radius == 9);
  CHECK(set.background.smoothing == Approx(12.8));
  s["background"] = "none";
  CHECK_FALSE(density_spec_from_json(s, "spec.json").background.enabled());
  for (const nlohmann::json& bad : {nlohmann::json("some"), nlohmann::json{{"radius", 0}},
                                    nlohmann::json{{"size", 3}}, nlohmann::json(12)}) {
    s["background"] = bad;
    try {
      density_spec_from_json(s, "spec.json");
      FAIL("expected an error for " << bad.dump());
    } catch (const Error& e) {
      CHECK(e.category() == ErrorCategory::usage);
      CHECK(std::string(e.what()).find("/background") != std::string::npos);
    }
  }
}

TEST_CASE("background subtraction: cells on an uneven floor count like cells on a flat one",
          "[density]") {
  test::TempDir dir;
  write_cells(dir, "a", 25, 11);
  write_cells(dir, "b", 40, 12);
  // The test image's cells on a floor that rises by 60 grey levels from left to right.
  std::vector<Shape> dots;
  Image test = synthetic_cells(96, 96, 30, 13, dots);
  auto* px = test.data<std::uint8_t>();
  for (std::size_t y = 0; y < 96; ++y)
    for (std::size_t x = 0; x < 96; ++x)
      px[y * 96 + x] = std::uint8_t(std::min(255.0, px[y * 96 + x] + 60.0 * double(x) / 95.0));
  io::write_image(dir.file("uneven.tif"), test);
  const auto ctx = context(2);
  DensityRequest req;
  req.inputs = {dir.file("uneven.tif")};
  auto count = [&](const nlohmann::json& background) {
    nlohmann::json s = cells_spec("all");
    if (!background.is_null()) s["background"] = background;
    const auto model = train_density(density_spec_from_json(s, dir.file("spec.json")), ctx);
    const auto r = predict_density(model, req, ctx);
    REQUIRE(r.failures.empty());
    return r.counts.at(0).total;
  };
  const double with = count(nullptr), without = count("none");
  CHECK(with == Approx(30.0).margin(3.0));
  // Without it the brighter floor reads as cell: more than twice the error.
  CHECK(std::abs(without - 30.0) > 2 * std::abs(with - 30.0));
}

TEST_CASE("resolve_mtry and resolve_forest: the spec's rules for a given feature count",
          "[density]") {
  DensitySpec spec;
  spec.forest.mtry = 0;
  spec.mtry_rule = "third";
  CHECK(resolve_mtry(spec, 49) == 16);
  CHECK(resolve_mtry(spec, 2) == 1);  // never below one
  spec.mtry_rule = "sqrt";
  CHECK(resolve_mtry(spec, 49) == 7);
  spec.mtry_rule = "all";
  CHECK(resolve_mtry(spec, 49) == 49);
  spec.forest.mtry = 5;  // a count wins over the rule
  CHECK(resolve_mtry(spec, 49) == 5);

  spec.forest.sample_fraction = 1.0;
  spec.max_samples_per_tree = 30000;
  CHECK(resolve_forest(spec, 120000, 49).sample_fraction == Approx(0.25));
  CHECK(resolve_forest(spec, 20000, 49).sample_fraction == 1.0);  // under the cap
  spec.max_samples_per_tree = 0;                                  // no cap
  CHECK(resolve_forest(spec, 120000, 49).sample_fraction == 1.0);
  CHECK(resolve_forest(spec, 120000, 49).mtry == 5);

  CHECK(sampling_name(DensitySampling::all) == "all");
  CHECK(sampling_name(DensitySampling::ilastik) == "ilastik");
}

TEST_CASE("count tables: a total per image, then its time points and boxes", "[density]") {
  DensityResult r;
  ImageCounts a;
  a.input = "/data/a,1.tif";  // a comma: the file cell is quoted
  a.name = "a,1";
  a.total = 12.5;
  a.boxes = {2.25};
  ImageCounts movie;
  movie.input = "/data/movie.tif";
  movie.name = "movie";
  movie.time_series = true;
  movie.total = 7;
  movie.per_t = {3, 4};
  movie.boxes = {1};
  r.counts = {a, movie};
  const std::vector<CountBox> boxes = {{"corner", Roi{{0, 0}, {4, 4}}, 1}};

  const std::string csv = counts_csv(r, boxes);
  CHECK(csv.rfind("name,count,box,t,file\n", 0) == 0);
  CHECK(csv.find("\"a,1\",12.5,,,\"/data/a,1.tif\"\n") != std::string::npos);
  CHECK(csv.find("\"a,1\",2.25,corner,1,\"/data/a,1.tif\"\n") != std::string::npos);
  CHECK(csv.find("movie,4,,1,/data/movie.tif\n") != std::string::npos);

  const auto j = counts_json(r, boxes);
  REQUIRE(j.size() == 2);
  CHECK(j[0]["count"] == 12.5);
  CHECK_FALSE(j[0].contains("per_t"));
  CHECK(j[0]["boxes"][0]["name"] == "corner");
  CHECK(j[0]["boxes"][0]["t"] == 1);
  CHECK(j[1]["per_t"] == nlohmann::json::array({3.0, 4.0}));
}

TEST_CASE("density export sources and boxes that must fit the image", "[density]") {
  CHECK(match_density_export_source("density") == "Density");
  // ilastik calls the density "Probabilities": accepted, and kept for the file names
  CHECK(match_density_export_source("probabilities") == "Probabilities");
  CHECK_THROWS_AS(match_density_export_source("Simple Segmentation"), Error);

  const CanonicalImage raw(io::memory_image(Image(DType::uint8, {3, 10, 12}, Axes("tyx")), "m"));
  CHECK_NOTHROW(check_boxes_fit({{"in", Roi{{0, 0}, {10, 12}}, 2}}, raw));
  CHECK_THROWS_WITH(check_boxes_fit({{"wide", Roi{{0, 0}, {10, 13}}, std::nullopt}}, raw),
                    Catch::Contains("wide"));
  CHECK_THROWS_AS(check_boxes_fit({{"late", Roi{{0, 0}, {2, 2}}, 3}}, raw), Error);
  CHECK_THROWS_AS(check_boxes_fit({{"3d", Roi{{0, 0, 0}, {1, 2, 2}}, std::nullopt}}, raw), Error);
}
