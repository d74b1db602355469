// SPDX-License-Identifier: BSD-3-Clause
// Convex-hull, skeleton and neighbourhood object features: hand-made shapes with known
// answers, scikit-image's convex image and Euler number and numpy-computed defects on
// fixtures (tests/data/objects/fixtures.h5, scripts/make_object_fixtures.py), the agreement
// with vigra's skeleton features (ilastik's engine; a different skeleton, see skeleton.hpp),
// the neighbourhood against brute force, and independence from the thread count.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "bioforest/core/error.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/workflows/objects/connected_components.hpp"
#include "bioforest/workflows/objects/convex_hull.hpp"
#include "bioforest/workflows/objects/neighbourhood.hpp"
#include "bioforest/workflows/objects/object_features.hpp"
#include "bioforest/workflows/objects/skeleton.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

namespace {

std::vector<std::uint8_t> picture(const std::vector<std::string>& rows) {
  std::vector<std::uint8_t> m;
  for (const auto& r : rows)
    for (char c : r)
      m.push_back(c == '#');
  return m;
}

std::size_t col(const ObjectFeatures& t, const std::string& name) {
  const auto it = std::find(t.columns.begin(), t.columns.end(), name);
  REQUIRE(it != t.columns.end());
  return std::size_t(it - t.columns.begin());
}

// Bit-identical (NaN == NaN: 0/0 statistics of one-pixel regions are NaN, as in vigra).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

ObjectFeatures features_of(const std::vector<std::uint32_t>& labels, const Shape& shape,
                           const std::vector<std::string>& names, std::size_t threads = 2,
                           const ObjectFeatureOptions& opt = {}) {
  std::vector<float> raw(labels.size());
  for (std::size_t i = 0; i < raw.size(); ++i)
    raw[i] = float((i * 37) % 101);
  RunContext ctx;
  ctx.threads = threads;
  return compute_object_features(raw.data(), 1, labels.data(), shape,
                                 *std::max_element(labels.begin(), labels.end()), names, ctx, opt);
}

}  // namespace

TEST_CASE("2-D hull: monotone chain drops inner and collinear points", "[objects][hull]") {
  std::vector<HullPoint> p{{0, 0, 0}, {4, 0, 0}, {2, 0, 0}, {4, 4, 0},
                           {0, 4, 0}, {2, 2, 0}, {0, 2, 0}, {4, 4, 0}};
  const auto h = convex_hull_2d(p);
  REQUIRE(h.size() == 4);
  CHECK(h[0] == HullPoint{0, 0, 0});
  CHECK(h[1] == HullPoint{4, 0, 0});  // counter-clockwise
  CHECK(h[2] == HullPoint{4, 4, 0});
}

TEST_CASE("3-D hull of a cube's corners and inner points: 12 triangles", "[objects][hull]") {
  std::vector<HullPoint> p;
  for (std::int64_t z : {0, 1, 2})
    for (std::int64_t y : {0, 1, 2})
      for (std::int64_t x : {0, 1, 2})
        p.push_back({x * 2, y * 2, z * 2});
  const auto f = convex_hull_3d(p);
  // Face points (coplanar) may split the square faces further; every face is on the cube.
  REQUIRE(f.size() >= 12);
  for (const auto& t : f) {
    bool on_face = false;
    for (std::size_t a = 0; a < 3; ++a)
      for (std::int64_t v : {0, 4})
        on_face = on_face || (p[t[0]][a] == v && p[t[1]][a] == v && p[t[2]][a] == v);
    CHECK(on_face);
  }
}

TEST_CASE("convex hull image and features of an L", "[objects][hull]") {
  const auto m = picture({"#..",  //
                          "#..",  //
                          "###"});
  const auto h = convex_hull_image(m.data(), Shape{3, 3});
  CHECK(h == picture({"#..", "##.", "###"}));
  const auto f = convex_hull_features(m.data(), Shape{3, 3}, {10, 20, 0});
  CHECK(f.input_volume == 5);
  CHECK(f.hull_volume == 6);
  CHECK(f.convexity == Approx(5.0 / 6));
  CHECK(f.defect_count == 1);
  CHECK(f.defect_mean == 1);
  CHECK(f.defect_variance == 0);
  CHECK(f.defect_center[0] == 11);  // x = 1 + origin 10
  CHECK(f.defect_center[1] == 21);
  CHECK(f.input_center[0] == Approx(10 + 0.6));
  CHECK(f.input_center[1] == Approx(20 + 1.4));
  CHECK(f.defect_displacement_mean == Approx(std::hypot(0.4, 0.4)));
  // A convex object has no defects and convexity 1.
  const auto sq = picture({"##", "##"});
  const auto g = convex_hull_features(sq.data(), Shape{2, 2}, {0, 0, 0});
  CHECK(g.convexity == 1);
  CHECK(g.defect_count == 0);
  CHECK(g.defect_center == g.input_center);
}

TEST_CASE("hull features as ilastik stores them: the box, sample moments", "[objects][hull]") {
  // vigra's own unit-test object (testConvexHullFeatures2D), cropped to its box: the values
  // there equal the box convention's (its hull is its box).
  const auto m = picture({"####",  //
                          ".#..",  //
                          "####"});
  const auto f = convex_hull_features(m.data(), Shape{3, 4}, {1, 1, 0}, HullConvention::ilastik);
  CHECK(f.input_volume == 9);
  CHECK(f.hull_volume == 12);
  CHECK(f.convexity == Approx(9.0 / 12));
  CHECK(f.hull_center[0] == Approx(2.5));
  CHECK(f.hull_center[1] == Approx(2.0));
  CHECK(f.input_center[0] == Approx(2.5 - 1.0 / 18));
  CHECK(f.defect_count == 2);
  CHECK(f.defect_mean == Approx(1.5));
  CHECK(f.defect_variance == Approx(0.5));  // n - 1
  CHECK(f.defect_skewness == 0);            // undefined below 3 defects: 0
  CHECK(f.defect_kurtosis == 0);
  CHECK(f.defect_center[0] == Approx(8.0 / 3));
  CHECK(f.defect_displacement_mean ==
        Approx(((2.5 - 1.0 / 18 - 1) + 2 * (3.5 - 2.5 + 1.0 / 18)) / 3));
  // A non-convex object: the box, not the hull, and the skimage convention differs.
  const auto l = picture({"#...",  //
                          "#...",  //
                          "####"});
  const auto a = convex_hull_features(l.data(), Shape{3, 4}, {0, 0, 0}, HullConvention::ilastik);
  const auto b = convex_hull_features(l.data(), Shape{3, 4}, {0, 0, 0});
  CHECK(a.hull_volume == 12);
  CHECK(b.hull_volume < 12);
  CHECK(a.defect_count == 1);
  // Bias-corrected sample skewness and kurtosis from 4 defects: volumes 1, 1, 1, 5 (a
  // plus-shaped ring of defects around a cross).
  const auto x = picture({"..#..",  //
                          "..#..",  //
                          "#####",  //
                          "..#..",  //
                          "..#.."});
  auto c = x;
  c[0] = c[1] = 1;  // top-left defect shrinks to 2 pixels; the others stay 4
  const auto k = convex_hull_features(c.data(), Shape{5, 5}, {0, 0, 0}, HullConvention::ilastik);
  REQUIRE(k.defect_count == 4);
  const double mean = 3.5, m2 = 1.5 * 1.5 + 3 * 0.25, m3 = -3.375 + 3 * 0.125,
               m4 = 5.0625 + 3 * 0.0625, n = 4;
  const double g1 = std::sqrt(n) * m3 / std::pow(m2, 1.5), g2 = n * m4 / (m2 * m2) - 3;
  CHECK(k.defect_mean == Approx(mean));
  CHECK(k.defect_variance == Approx(m2 / (n - 1)));
  CHECK(k.defect_skewness == Approx(g1 * std::sqrt(n * (n - 1)) / (n - 2)));
  CHECK(k.defect_kurtosis == Approx(((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3))));
  CHECK(hull_convention_from_name(hull_convention_name(HullConvention::ilastik)) ==
        HullConvention::ilastik);
  CHECK_THROWS(hull_convention_from_name("vigra"));
}

TEST_CASE("3-D hull image of a flat object and of a hollow cube", "[objects][hull]") {
  // A single voxel row: flat, which scikit-image cannot hull; its own voxels are the hull.
  std::vector<std::uint8_t> row{1, 1, 1};
  CHECK(convex_hull_image(row.data(), Shape{1, 1, 3}) == row);
  // A 3x3x3 cube without its centre voxel: one defect of one voxel in the middle.
  std::vector<std::uint8_t> cube(27, 1);
  cube[13] = 0;
  const auto f = convex_hull_features(cube.data(), Shape{3, 3, 3}, {0, 0, 0});
  CHECK(f.hull_volume == 27);
  CHECK(f.defect_count == 1);
  CHECK(f.defect_center == std::array<double, 3>{1, 1, 1});
  CHECK(f.defect_displacement_mean == Approx(0).margin(1e-12));
}

namespace {

void compare_hull_fixture(const std::string& g) {
  auto f = h5::File::open_read(test::test_data("objects/fixtures.h5"));
  Shape shape;
  const auto labels = f.read<std::uint32_t>(g + "/labels", &shape);
  const std::size_t D = shape.size();
  const auto area = f.read<double>(g + "/area");
  const auto convex = f.read<double>(g + "/area_convex");
  const auto solidity = f.read<double>(g + "/solidity");
  const auto hc = f.read<double>(g + "/hull_centroid");
  const auto dn = f.read<double>(g + "/defect_count");
  const auto dmean = f.read<double>(g + "/defect_mean");
  const auto dvar = f.read<double>(g + "/defect_variance");
  const auto ddisp = f.read<double>(g + "/defect_displacement");
  const auto dc = f.read<double>(g + "/defect_centroid");
  const auto t =
      features_of(labels, shape,
                  {"InputVolume", "HullVolume", "Convexity", "DefectCount", "DefectVolumeMean",
                   "DefectVolumeVariance", "DefectDisplacementMean", "HullCenter", "DefectCenter"});
  std::size_t compared = 0;
  for (std::size_t r = 0; r < t.rows; ++r) {
    CHECK(t.at(r, col(t, "Object Area")) == area[r]);
    if (convex[r] == 0) continue;  // scikit-image's 3-D hull fails on flat objects
    ++compared;
    CHECK(t.at(r, col(t, "Convex Hull Area")) == convex[r]);
    CHECK(t.at(r, col(t, "Convexity")) == Approx(solidity[r]).epsilon(1e-12));
    CHECK(t.at(r, col(t, "Number of Defects")) == dn[r]);
    CHECK(t.at(r, col(t, "Mean Defect Area")) == Approx(dmean[r]).epsilon(1e-12));
    CHECK(t.at(r, col(t, "Variance of Defect Area")) == Approx(dvar[r]).epsilon(1e-9));
    CHECK(t.at(r, col(t, "Mean Defect Displacement")) ==
          Approx(ddisp[r]).epsilon(1e-9).margin(1e-12));
    for (std::size_t d = 0; d < D; ++d) {
      CHECK(t.at(r, col(t, "Convex Hull Center_" + std::to_string(d))) ==
            Approx(hc[r * D + d]).epsilon(1e-12));
      CHECK(t.at(r, col(t, "Defect Center_" + std::to_string(d))) ==
            Approx(dc[r * D + d]).epsilon(1e-12));
    }
  }
  CHECK(compared * 4 >= t.rows * 3);
}

}  // namespace

TEST_CASE("hull features match scikit-image's convex image in 2-D", "[objects][hull]") {
  compare_hull_fixture("shape2d");
}
TEST_CASE("hull features match scikit-image's convex image in 3-D", "[objects][hull]") {
  compare_hull_fixture("shape3d");
}

TEST_CASE("Zhang-Suen thins a thick bar to a line", "[objects][skeleton]") {
  std::vector<std::uint8_t> bar(7 * 20, 0);
  for (std::size_t y = 2; y < 5; ++y)
    for (std::size_t x = 2; x < 18; ++x)
      bar[y * 20 + x] = 1;
  zhang_suen_thin(bar.data(), 7, 20);
  std::size_t n = 0;
  for (std::size_t x = 0; x < 20; ++x) {
    std::size_t in_column = 0;
    for (std::size_t y = 0; y < 7; ++y)
      in_column += bar[y * 20 + x];
    CHECK(in_column <= 1);
    n += in_column;
  }
  CHECK(n >= 12);
  CHECK(n <= 16);
  // A skeleton is thin already: thinning it again changes nothing.
  const auto once = bar;
  zhang_suen_thin(bar.data(), 7, 20);
  CHECK(bar == once);
}

TEST_CASE("Zhang-Suen keeps blob objects in one piece and is idempotent", "[objects][skeleton]") {
  auto f = h5::File::open_read(test::test_data("objects/fixtures.h5"));
  Shape shape;
  const auto labels = f.read<std::uint32_t>("shape2d/labels", &shape);
  const std::size_t H = shape[0], W = shape[1];
  const std::uint32_t n = *std::max_element(labels.begin(), labels.end());
  std::size_t checked = 0;
  for (std::uint32_t id = 1; id <= n; ++id) {
    std::vector<std::uint8_t> m(H * W);
    for (std::size_t i = 0; i < m.size(); ++i)
      m[i] = labels[i] == id;
    if (std::count(m.begin(), m.end(), 1) < 30) continue;  // 2-pixel-thin bits may vanish
    auto t = m;
    zhang_suen_thin(t.data(), H, W);
    std::vector<std::uint32_t> cc(H * W);
    CHECK(label_components(t.data(), shape, Connectivity::indirect, cc.data()) == 1);
    auto again = t;
    zhang_suen_thin(again.data(), H, W);
    CHECK(again == t);
    ++checked;
  }
  CHECK(checked >= 10);
}

TEST_CASE("skeleton features of a bar and of a ring", "[objects][skeleton]") {
  std::vector<std::uint8_t> bar(5 * 45, 1);
  const auto b = skeleton_features(bar.data(), 5, 45, {100, 200});
  CHECK(b.hole_count == 0);
  CHECK(b.branch_count == 2);
  CHECK(b.diameter > 38);
  CHECK(b.diameter <= 45);
  CHECK(b.total_length == Approx(b.diameter));
  CHECK(b.average_length == Approx(b.total_length));
  CHECK(b.euclidean_diameter <= b.diameter);
  CHECK(b.center[1] == Approx(202).margin(1));
  CHECK(b.center[0] == Approx(122).margin(2));
  std::vector<std::uint8_t> ring(20 * 20, 0);
  for (std::size_t y = 0; y < 20; ++y)
    for (std::size_t x = 0; x < 20; ++x)
      ring[y * 20 + x] = !(y >= 5 && y < 15 && x >= 5 && x < 15);
  const auto r = skeleton_features(ring.data(), 20, 20, {0, 0});
  CHECK(r.hole_count == 1);
  CHECK(count_holes(ring.data(), 20, 20) == 1);
  CHECK(r.total_length > 40);
  CHECK(r.total_length < 80);
  // Corner spurs are short against the loop: pruned, so the loop has no end points.
  CHECK(r.branch_count == 0);
}

TEST_CASE("hole count matches scikit-image's Euler number; lengths near vigra's",
          "[objects][skeleton]") {
  auto f = h5::File::open_read(test::test_data("objects/fixtures.h5"));
  Shape shape;
  const auto labels = f.read<std::uint32_t>("shape2d/labels", &shape);
  const auto holes = f.read<double>("shape2d/holes");
  const auto vd = f.read<double>("shape2d/vigra/Diameter");
  const auto vt = f.read<double>("shape2d/vigra/Total Length");
  const auto t = features_of(labels, shape, {"Hole Count", "Diameter", "Total Length"});
  std::vector<double> rel_d, rel_t;
  for (std::size_t r = 0; r < t.rows; ++r) {
    CHECK(t.at(r, col(t, "Hole Count")) == holes[r]);
    if (vd[r] < 10) continue;  // tiny objects: a few pixels of difference dominate
    rel_d.push_back(std::abs(t.at(r, col(t, "Diameter")) - vd[r]) / vd[r]);
    rel_t.push_back(std::abs(t.at(r, col(t, "Total Length")) - vt[r]) / vt[r]);
  }
  REQUIRE(rel_d.size() >= 10);
  // A different skeleton (vigra's keeps a branch per convex corner): the median relative
  // differences stated in skeleton.hpp.
  std::sort(rel_d.begin(), rel_d.end());
  std::sort(rel_t.begin(), rel_t.end());
  const double med_d = rel_d[rel_d.size() / 2], med_t = rel_t[rel_t.size() / 2];
  INFO("median relative difference to vigra: diameter " << med_d << ", total length " << med_t);
  CHECK(med_d < 0.12);
  CHECK(med_t < 0.3);
}

TEST_CASE("neighbourhood: ellipsoidal dilation with ilastik's pitch, against brute force",
          "[objects][neighbourhood]") {
  std::mt19937 rng(3);
  const Shape zyx{1, 30, 40};
  std::vector<std::uint32_t> labels(30 * 40, 0);
  for (std::size_t i = 0; i < labels.size(); ++i)
    labels[i] = (rng() % 7 == 0) ? 1 + rng() % 3 : 0;
  for (const Margin m : {Margin{4, 2, 1}, Margin{3, 3, 1}, Margin{5, 1, 1}}) {
    for (std::uint32_t id = 1; id <= 3; ++id) {
      std::array<std::size_t, 3> lo{0, 29, 39}, hi{0, 0, 0};
      for (std::size_t y = 0; y < 30; ++y)
        for (std::size_t x = 0; x < 40; ++x)
          if (labels[y * 40 + x] == id) {
            lo[1] = std::min(lo[1], y), lo[2] = std::min(lo[2], x);
            hi[1] = std::max(hi[1], y), hi[2] = std::max(hi[2], x);
          }
      Neighbourhood nb;
      object_neighbourhood(labels.data(), zyx, id, lo, hi, m, nb);
      const double M = double(std::max({m[0], m[1], m[2]}));
      const double px = std::floor(M / double(m[0])), py = std::floor(M / double(m[1]));
      for (std::size_t y = 0; y < 30; ++y)
        for (std::size_t x = 0; x < 40; ++x) {
          double best = 1e300;
          for (std::size_t v = 0; v < 30; ++v)
            for (std::size_t u = 0; u < 40; ++u)
              if (labels[v * 40 + u] == id)
                best = std::min(best, std::pow(px * (double(x) - double(u)), 2) +
                                          std::pow(py * (double(y) - double(v)), 2));
          const int want = labels[y * 40 + x] == id ? 2 : (best < M * M ? 1 : 0);
          const bool inside = y >= nb.lo[1] && y < nb.lo[1] + nb.shape[1] && x >= nb.lo[2] &&
                              x < nb.lo[2] + nb.shape[2];
          const int got = inside ? nb.region[(y - nb.lo[1]) * nb.shape[2] + (x - nb.lo[2])] : 0;
          CHECK(got == want);
        }
    }
  }
}

TEST_CASE("neighbourhood features of a pixel in a plain ring", "[objects][neighbourhood]") {
  const Shape shape{11, 11};
  std::vector<std::uint32_t> labels(121, 0);
  labels[5 * 11 + 5] = 1;
  std::vector<float> raw(121, 2.0f);
  raw[5 * 11 + 5] = 10.0f;
  raw[0] = 100.0f;  // outside the neighbourhood
  RunContext ctx;
  ObjectFeatureOptions opt;
  opt.margin = {2, 2, 1};
  const auto t =
      compute_object_features(raw.data(), 1, labels.data(), shape, 1,
                              {"Mean in neighborhood", "Mean in object and neighborhood",
                               "Sum in neighborhood", "Maximum in object and neighborhood",
                               "Variance in neighborhood", "Histogram in neighborhood"},
                              ctx, opt);
  CHECK(t.at(0, col(t, "Mean Intensity in neighborhood")) == 2);
  CHECK(t.at(0, col(t, "Total Intensity in neighborhood")) == 16);  // 8 neighbours
  CHECK(t.at(0, col(t, "Mean Intensity in object and neighborhood")) == Approx(26.0 / 9));
  CHECK(t.at(0, col(t, "Maximum intensity in object and neighborhood")) == 10);
  CHECK(t.at(0, col(t, "Variance of Intensity in neighborhood")) == 0);
  double hist = 0;
  for (std::size_t b = 0; b < 64; ++b)
    hist += t.at(0, col(t, "Histogram of Intensity in neighborhood_" + std::to_string(b)));
  CHECK(hist == 8);
}

TEST_CASE("shape features: names, 2-D only skeleton, thread independence", "[objects]") {
  auto f = h5::File::open_read(test::test_data("objects/fixtures.h5"));
  Shape s2, s3;
  const auto l2 = f.read<std::uint32_t>("shape2d/labels", &s2);
  const auto l3 = f.read<std::uint32_t>("shape3d/labels", &s3);
  std::vector<std::string> all = supported_object_features();
  const auto a = features_of(l2, s2, all, 2);
  const auto b = features_of(l2, s2, all, 1);
  CHECK(same_bits(a.values, b.values));
  CHECK(std::find(a.columns.begin(), a.columns.end(), "Skeleton Center_1") != a.columns.end());
  CHECK_THROWS_AS(features_of(l3, s3, {"Diameter"}), Error);
  ObjectFeatureOptions skip;
  skip.skip_inapplicable = true;
  const auto c = features_of(l3, s3, all, 2, skip);
  const auto d = features_of(l3, s3, all, 1, skip);
  CHECK(same_bits(c.values, d.values));
  CHECK(std::find(c.columns.begin(), c.columns.end(), "Diameter") == c.columns.end());
  CHECK(std::find(c.columns.begin(), c.columns.end(), "Convex Hull Center_2") != c.columns.end());
  CHECK(match_object_feature("hull volume") == "HullVolume");
  CHECK(match_object_feature("Mean Defect Area") == "DefectVolumeMean");
  CHECK(match_object_feature("mean in neighborhood") == "Mean in neighborhood");
  CHECK(object_feature_display_name("Mean in object and neighborhood") ==
        "Mean Intensity in object and neighborhood");
  CHECK(is_convex_hull_feature("Convexity"));
  CHECK(is_skeleton_feature("Hole Count"));
  CHECK(is_neighbourhood_feature("Sum in neighborhood"));
  CHECK(default_object_features().size() == 24);
}

TEST_CASE("neighbourhood features per channel", "[objects][neighbourhood]") {
  const Shape shape{9, 12};
  std::vector<std::uint32_t> labels(9 * 12, 0);
  for (std::size_t x = 3; x < 6; ++x)
    labels[4 * 12 + x] = 1;
  labels[1 * 12 + 10] = 2;
  std::vector<float> raw(9 * 12 * 2);
  for (std::size_t i = 0; i < 9 * 12; ++i) {
    raw[2 * i] = float(i % 7);
    raw[2 * i + 1] = 2.0f * float(i % 7) + 1.0f;
  }
  RunContext ctx;
  ObjectFeatureOptions opt;
  opt.margin = {3, 2, 1};
  const auto t = compute_object_features(
      raw.data(), 2, labels.data(), shape, 2,
      {"Mean in neighborhood", "Minimum in neighborhood", "Sum in object and neighborhood"}, ctx,
      opt);
  for (std::size_t r = 0; r < 2; ++r) {
    CHECK(t.at(r, col(t, "Mean Intensity in neighborhood_1")) ==
          Approx(2 * t.at(r, col(t, "Mean Intensity in neighborhood_0")) + 1));
    CHECK(t.at(r, col(t, "Minimum intensity in neighborhood_1")) ==
          2 * t.at(r, col(t, "Minimum intensity in neighborhood_0")) + 1);
  }
  // Object 2 sits near the corner: its box is clipped to the frame.
  Neighbourhood nb;
  object_neighbourhood(labels.data(), Shape{1, 9, 12}, 2, {0, 1, 10}, {0, 1, 10}, opt.margin, nb);
  CHECK(nb.lo == std::array<std::size_t, 3>{0, 0, 7});
  CHECK(nb.shape == std::array<std::size_t, 3>{1, 4, 5});
}
