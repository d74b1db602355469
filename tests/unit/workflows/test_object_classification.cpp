// SPDX-License-Identifier: BSD-3-Clause
// Object classification: classifier columns in the selection's order, model files with the
// standard header (and refusal of other kinds), band-by-band extraction equal to whole-frame
// extraction, and the reading of ilastik Object Classification projects.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "bioforest/core/error.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/memory_image.hpp"
#include "bioforest/workflows/object_classification.hpp"
#include "bioforest/workflows/object_classification_blockwise.hpp"
#include "bioforest/workflows/object_classification_import.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

namespace {

// Rectangles of ids 1..n on a (z,) y, x grid, raw = a gradient plus 10 * id.
struct Scene {
  Shape shape;
  std::vector<std::uint32_t> ids;
  std::vector<float> raw;
};

Scene scene(const Shape& shape) {
  Scene s{shape, {}, {}};
  std::size_t total = 1;
  for (auto e : shape)
    total *= e;
  s.ids.assign(total, 0);
  s.raw.resize(total);
  const std::size_t X = shape.back(), Y = shape[shape.size() - 2];
  const std::size_t Z = shape.size() == 3 ? shape[0] : 1;
  // Boxes: (z0, z1, y0, y1, x0, x1); tall ones cross many bands.
  const std::vector<std::array<std::size_t, 6>> boxes{{0, Z, 1, 30, 2, 5},
                                                      {0, 1, 3, 6, 8, 14},
                                                      {std::size_t{Z > 1}, Z, 10, 12, 8, 20},
                                                      {0, Z, 20, 39, 16, 18},
                                                      {0, 1, 33, 36, 4, 9}};
  std::uint32_t id = 0;
  for (const auto& b : boxes) {
    ++id;
    for (std::size_t z = b[0]; z < b[1]; ++z)
      for (std::size_t y = b[2]; y < b[3]; ++y)
        for (std::size_t x = b[4]; x < b[5]; ++x)
          s.ids[(z * Y + y) * X + x] = id;
  }
  for (std::size_t i = 0; i < total; ++i)
    s.raw[i] = float(i % 17) * 0.5f + 10.0f * float(s.ids[i]);
  return s;
}

CanonicalImage as_image(const std::vector<float>& v, const Shape& shape) {
  Image im(DType::float32, shape, Axes(shape.size() == 3 ? "zyx" : "yx"));
  std::copy(v.begin(), v.end(), im.data<float>());
  return CanonicalImage(io::memory_image(std::move(im), "raw"));
}

CanonicalImage as_labels(const std::vector<std::uint32_t>& v, const Shape& shape) {
  Image im(DType::uint32, shape, Axes(shape.size() == 3 ? "zyx" : "yx"));
  std::copy(v.begin(), v.end(), im.data<std::uint32_t>());
  return CanonicalImage(io::memory_image(std::move(im), "seg"));
}

void check_banded_equals_whole(const Shape& shape, std::size_t rows_per_band) {
  const Scene s = scene(shape);
  const auto raw = as_image(s.raw, shape);
  const auto seg = as_labels(s.ids, shape);
  RunContext ctx;
  const auto features = default_object_features();
  const FrameObjects whole = extract_objects(raw, seg, 0, segmentation_as_is(), features, ctx);
  const BandedObjects banded(raw, seg, 0, segmentation_as_is(), features, rows_per_band, ctx);
  const FrameObjects& b = banded.objects();
  REQUIRE(b.n == whole.n);
  REQUIRE(b.n == 5);
  REQUIRE(b.features.columns == whole.features.columns);
  for (std::size_t i = 0; i < whole.features.values.size(); ++i) {
    const double w = whole.features.values[i], v = b.features.values[i];
    INFO(whole.features.columns[i % whole.features.columns.size()]);
    // Degenerate objects (flat in z) have NaN principal moments in both.
    CHECK(
        ((std::isnan(w) && std::isnan(v)) || std::abs(w - v) <= 1e-9 * std::max(1.0, std::abs(w))));
  }
  CHECK(banded.bands().size() == (shape[0] + rows_per_band - 1) / rows_per_band);
  std::vector<std::uint32_t> ids, all;
  for (const auto& band : banded.bands()) {
    banded.read_labels(band, ids);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  CHECK(all == whole.labels);
}

void write_scalar(h5::File& f, const std::string& path, double v) {
  f.write(path, std::vector<double>{v});
}

}  // namespace

TEST_CASE("classifier columns follow the selection's order", "[objclassify]") {
  const Scene s = scene({40, 24});
  RunContext ctx;
  const auto f =
      compute_object_features(s.raw.data(), 1, s.ids.data(), s.shape, 5, {"Mean", "Count"}, ctx);
  const auto cols = classifier_columns(f, {"Mean", "RegionCenter"});
  REQUIRE(cols.size() == 3);
  CHECK(cols[0] == "Mean Intensity");
  CHECK(cols[1] == "Center of the object_0");
  CHECK(cols[2] == "Center of the object_1");
  const auto x = object_feature_matrix(f, cols);
  REQUIRE(x.size() == 5 * 3);
  CHECK(x[0] > 10.0f);  // object 1's mean includes its offset of 10
}

TEST_CASE("segmentation settings: a label image as it is, or a mask's components",
          "[objclassify]") {
  ObjectModel m;
  CHECK(segmentation_settings(m).method == ThresholdMethod::labels);
  CHECK(segmentation_settings(m).min_size == 0);
  m.threshold.method = ThresholdMethod::binary;
  CHECK(segmentation_settings(m).method == ThresholdMethod::binary);
}

TEST_CASE("band-by-band extraction equals whole-frame extraction", "[objclassify]") {
  check_banded_equals_whole({40, 24}, 7);
  check_banded_equals_whole({40, 24}, 1);
  check_banded_equals_whole({40, 24}, 40);
  check_banded_equals_whole({4, 40, 24}, 1);
}

TEST_CASE("band sizes follow the budget; only standard features are band-safe", "[objclassify]") {
  const Scene s = scene({40, 24});
  const auto raw = as_image(s.raw, s.shape);
  RunContext small, large;
  small.ram_bytes = 1;
  large.ram_bytes = std::size_t(1) << 30;
  CHECK(band_rows(raw, 2, small) == 1);
  CHECK(band_rows(raw, 2, large) >= 40);
  CHECK(band_safe_features(default_object_features()));
  CHECK_FALSE(band_safe_features({"Count", "Convexity"}));
}

TEST_CASE("object models carry the standard header and round-trip", "[objclassify]") {
  test::TempDir dir;
  const Scene s = scene({40, 24});
  const auto raw = as_image(s.raw, s.shape);
  const auto seg = as_labels(s.ids, s.shape);
  RunContext ctx;
  ObjectModel m;
  m.class_names = {"thin", "wide"};
  m.class_colors = {{255, 0, 0}, {0, 0, 255}};
  m.features = {"Count", "Mean"};
  std::vector<FrameObjects> frames{
      extract_objects(raw, seg, 0, segmentation_as_is(), m.features, ctx)};
  std::vector<float> x;
  std::vector<std::int32_t> y;
  gather_labelled_objects(frames, {{{1, 1}, {4, 1}, {2, 2}, {3, 2}}}, m, x, y);
  CHECK(m.label_counts == std::vector<std::size_t>{2, 2});
  CHECK(m.columns.size() == 2);
  CHECK(x.size() == 8);
  learn::ForestOptions o;
  o.n_trees = 5;
  fit_object_forest(m, x, y, o, ctx);
  const std::string path = dir.file("m.h5");
  save_object_model(m, path, false);
  {
    auto f = h5::File::open_read(path);
    CHECK(f.read_string_attribute("/", "bioforest_model") == "object_classification");
    CHECK(f.read_numeric_attribute("/", "format_version").at(0) == 1.0);
  }
  const auto back = load_object_model(path);
  CHECK(back.class_names == m.class_names);
  CHECK(back.class_colors == m.class_colors);
  CHECK(back.columns == m.columns);
  CHECK(back.label_counts == m.label_counts);
  CHECK(back.forest.n_trees() == 5);
  CHECK(m.training_digest.size() == 64);
  CHECK(back.training_digest == m.training_digest);
  CHECK(describe_object_model(back).find("class 2 'wide': 2 labelled objects") !=
        std::string::npos);
  CHECK(object_model_json(back)["classes"][1]["color"][2] == 255);

  // Another kind of model is refused, naming both kinds.
  const std::string px = dir.file("px.h5");
  {
    auto f = h5::File::create(px);
    f.write_string_attribute("/", "bioforest_model", "pixel_classification");
    f.write_numeric_attribute("/", "format_version", {1.0});
  }
  try {
    load_object_model(px);
    FAIL("a pixel model loaded as an object model");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::input);
    CHECK(std::string(e.what()).find("pixel_classification") != std::string::npos);
  }
}

TEST_CASE("ilastik projects: threshold settings, feature order, labels, object ids",
          "[objclassify]") {
  test::TempDir dir;
  const std::string ilp = dir.file("p.ilp");
  {
    auto f = h5::File::create(ilp);
    f.write_string("workflowName", "Object Classification (from prediction image)");
    write_scalar(f, "ThresholdTwoLevels/CurOperator", 1);
    write_scalar(f, "ThresholdTwoLevels/LowThreshold", 0.3);
    write_scalar(f, "ThresholdTwoLevels/HighThreshold", 0.7);
    write_scalar(f, "ThresholdTwoLevels/MinSize", 5);
    write_scalar(f, "ThresholdTwoLevels/Channel", 1);
    write_scalar(f, "ThresholdTwoLevels/SmootherSigma/z", 0.0);
    write_scalar(f, "ThresholdTwoLevels/SmootherSigma/y", 2.0);
    write_scalar(f, "ThresholdTwoLevels/SmootherSigma/x", 3.0);
    for (const char* name : {"Variance", "Count", "Coord<Minimum>", "Mean in neighborhood"})
      f.create_group(std::string("ObjectClassification/SelectedFeatures/Standard Object "
                                 "Features/") +
                     name);
    f.write(
        "ObjectClassification/SelectedFeatures/Standard Object Features/Mean in "
        "neighborhood/margin",
        std::vector<std::int32_t>{12, 7});
    f.create_group("ObjectClassification/SelectedFeatures/2D Convex Hull Features/Convexity");
    // A user's plugin bioforest has no counterpart for.
    f.create_group("ObjectClassification/SelectedFeatures/Texture Plugin/Spherical Texture");
    f.write("ObjectClassification/LabelInputs/0000/0", std::vector<double>{0, 2, 0, 1});
    // One block of a 1 x 4(x) x 3(y) x 1 x 1 label image, t x y z c.
    std::vector<std::uint32_t> block(12);
    for (std::size_t x = 0; x < 4; ++x)
      for (std::size_t y = 0; y < 3; ++y)
        block[x * 3 + y] = std::uint32_t(10 * y + x);
    f.write("ObjectExtraction/LabelImage_v2/labelimage000/block0000", block, {1, 4, 3, 1, 1});
    f.write_string_attribute("ObjectExtraction/LabelImage_v2/labelimage000/block0000", "blockSlice",
                             "[0:1,0:4,0:3,0:1,0:1]");
  }
  auto f = h5::File::open_read(ilp);
  const auto s = ilp_threshold_settings(f);
  CHECK(s.method == ThresholdMethod::hysteresis);
  CHECK(s.low == 0.3);
  CHECK(s.high == 0.7);
  CHECK(s.min_size == 5);
  CHECK(s.max_size == 1000000);  // ilastik's default where the project says nothing
  CHECK(s.channel == 1);
  CHECK(s.sigma == std::array<double, 3>{0.0, 2.0, 3.0});

  const auto sel = ilp_feature_selection(f);
  // Plugins sorted, features sorted inside each ("Coord<Minimum>" < "Count" < "Mean ...").
  CHECK(sel.ours == std::vector<std::string>{"Convexity", "Coord<Minimum >", "Count",
                                             "Mean in neighborhood", "Variance"});
  CHECK(sel.missing == std::vector<std::string>{"Texture Plugin/Spherical Texture"});
  try {
    ilp_object_features(f);
    FAIL("unsupported features accepted");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("Texture Plugin/Spherical Texture") != std::string::npos);
  }
  CHECK(ilp_margin(f) == Margin{12, 7, 1});

  const auto labels = ilp_object_labels(f, 0);
  REQUIRE(labels.size() == 1);
  CHECK(labels[0] == std::map<std::uint32_t, int>{{1, 2}, {3, 1}});
  CHECK(ilp_object_labels(f, 1).empty());

  const auto ids = ilp_object_ids(f, 0, 0, {3, 4});
  REQUIRE(ids.size() == 12);
  for (std::size_t y = 0; y < 3; ++y)
    for (std::size_t x = 0; x < 4; ++x)
      CHECK(ids[y * 4 + x] == 10 * y + x);
  CHECK(ilp_object_ids(f, 1, 0, {3, 4}).empty());
}

TEST_CASE("ilastik projects: workflows without thresholding, unsupported methods",
          "[objclassify]") {
  test::TempDir dir;
  auto make = [&](const std::string& name, const std::string& workflow, int op) {
    const std::string p = dir.file(name);
    auto f = h5::File::create(p);
    f.write_string("workflowName", workflow);
    write_scalar(f, "ThresholdTwoLevels/CurOperator", op);
    return p;
  };
  {
    auto f = h5::File::open_read(make("b.ilp", "Object Classification (from binary image)", 0));
    CHECK(ilp_threshold_settings(f).method == ThresholdMethod::binary);
  }
  {
    auto f = h5::File::open_read(make("l.ilp", "Object Classification (from label image)", 0));
    CHECK(ilp_threshold_settings(f).method == ThresholdMethod::labels);
  }
  auto f = h5::File::open_read(make("g.ilp", "Object Classification (from prediction image)", 2));
  CHECK_THROWS_AS(ilp_threshold_settings(f), Error);
  // Not an object-classification project at all.
  CHECK_THROWS_AS(import_ilp_object_model(dir.file("g.ilp"), {}, RunContext{}), Error);
}

TEST_CASE("a real ilastik project's objects and labels", "[objclassify][shared]") {
  BIOFOREST_REQUIRE_SHARED(
      ilp, "data/ilastik_projects/test_projects/ObjectClassification2d3c_wPred.ilp");
  auto f = h5::File::open_read(ilp);
  const auto labels = ilp_object_labels(f, 0);
  REQUIRE(labels.size() == 1);
  CHECK(labels[0].size() == 4);
  const auto ids = ilp_object_ids(f, 0, 0, {73, 187});
  REQUIRE(ids.size() == 73 * 187);
  CHECK(*std::max_element(ids.begin(), ids.end()) == 12);
  const auto s = ilp_threshold_settings(f);
  CHECK(s.method == ThresholdMethod::simple);
  CHECK(s.min_size == 50);
  CHECK_FALSE(ilp_feature_selection(f).ours.empty());
}

TEST_CASE("object ids of whole frames: the frame, or a region of it", "[objclassify]") {
  const Scene s = scene({40, 24});
  std::vector<FrameObjects> frames(1);
  frames[0].labels = s.ids;
  const ObjectIds ids = object_ids_of(frames, s.shape);
  CHECK(ids.frames == 1);
  REQUIRE(ids.bands(0).size() == 1);
  std::vector<std::uint32_t> scratch;
  CHECK(&ids.read(0, ids.bands(0)[0], scratch) == &frames[0].labels);
  Roi r;
  r.start = {20, 16};
  r.stop = {22, 18};
  CHECK(ids.read(0, r, scratch) == std::vector<std::uint32_t>{4, 4, 4, 4});
  r.start = {0, 0};
  r.stop = {1, 1};
  CHECK(ids.read(0, r, scratch) == std::vector<std::uint32_t>{0});
}
