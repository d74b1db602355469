// SPDX-License-Identifier: BSD-3-Clause
// Connected components and thresholding: equal to scikit-image's `label` on fixtures, the
// blockwise result identical to the whole-volume one for any block shape, ilastik's
// threshold semantics (simple, hysteresis, size filter, relabelling).
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>

#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/memory_image.hpp"
#include "bioforest/workflows/objects/connected_components.hpp"
#include "bioforest/workflows/threshold.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

namespace {

std::vector<std::uint32_t> blockwise(const std::vector<std::uint8_t>& mask, const Shape& shape,
                                     const Shape& block, Connectivity c, std::uint32_t& n) {
  BlockwiseLabeling cc(shape, block, c);
  BlockwiseLabeling::MaskFn fn = [&](const Roi& core, std::vector<std::uint8_t>& m) {
    m.clear();
    for_each_row(shape, core, [&](std::size_t off) {
      m.insert(m.end(), mask.begin() + std::ptrdiff_t(off),
               mask.begin() + std::ptrdiff_t(off + core.shape().back()));
    });
  };
  RunContext ctx;
  cc.scan(fn, {}, ctx);
  n = cc.finalize(0, ~std::uint64_t(0), false);
  std::vector<std::uint32_t> out(mask.size());
  std::vector<std::uint32_t> b;
  for (std::size_t k = 0; k < cc.blocks().size(); ++k) {
    cc.block_labels(k, fn, b);
    std::size_t i = 0;
    const Roi& core = cc.blocks()[k].core;
    for_each_row(shape, core, [&](std::size_t off) {
      for (std::size_t x = 0; x < core.shape().back(); ++x)
        out[off + x] = b[i++];
    });
  }
  return out;
}

void check_fixture(const std::string& group, Connectivity c, const std::string& name) {
  auto f = h5::File::open_read(test::test_data("objects/fixtures.h5"));
  Shape shape;
  const auto mask = f.read<std::uint8_t>(group + "/mask", &shape);
  const auto expected = f.read<std::uint32_t>(group + "/" + name);
  std::vector<std::uint32_t> whole(mask.size());
  const std::uint32_t n = label_components(mask.data(), shape, c, whole.data());
  CHECK(n == *std::max_element(expected.begin(), expected.end()));
  CHECK(whole == expected);
  for (std::size_t bs : {3, 5, 7, 16}) {
    std::uint32_t nb = 0;
    const auto b = blockwise(mask, shape, Shape(shape.size(), bs), c, nb);
    CHECK(nb == n);
    CHECK(b == expected);
  }
}

CanonicalImage memory(Array<float> a, const std::string& axes) {
  return CanonicalImage(io::memory_image(Image(std::move(a), Axes(axes)), "mem"));
}

}  // namespace

TEST_CASE("connected components equal scikit-image's label, whole and blockwise", "[threshold]") {
  check_fixture("cc2d", Connectivity::direct, "direct");
  check_fixture("cc2d", Connectivity::indirect, "indirect");
  check_fixture("cc3d", Connectivity::direct, "direct");
  check_fixture("cc3d", Connectivity::indirect, "indirect");
}

TEST_CASE("connectivity counts", "[threshold]") {
  CHECK(parse_connectivity(4, 2) == Connectivity::direct);
  CHECK(parse_connectivity(26, 3) == Connectivity::indirect);
  CHECK_THROWS_AS(parse_connectivity(6, 2), Error);
}

TEST_CASE("simple threshold, size filter and blockwise identity", "[threshold]") {
  // Two squares (16 and 4 pixels) and a diagonal pair.
  Array<float> a = Array<float>::from_shape({12, 12});
  a.fill(0.0f);
  for (int y = 1; y < 5; ++y)
    for (int x = 1; x < 5; ++x)
      a(y, x) = 1.0f;
  for (int y = 7; y < 9; ++y)
    for (int x = 7; x < 9; ++x)
      a(y, x) = 0.9f;
  a(10, 1) = a(11, 2) = 1.0f;
  const auto img = memory(a, "yx");
  ThresholdSettings s;
  s.sigma = {0, 0, 0};
  s.min_size = 0;
  RunContext ctx;
  std::uint32_t n = 0;
  auto l = threshold_frame_in_memory(img, 0, s, n, ctx);
  CHECK(n == 4);  // direct: the diagonal pair is two objects
  s.neighbours = 8;
  l = threshold_frame_in_memory(img, 0, s, n, ctx);
  CHECK(n == 3);
  s.min_size = 4;
  s.max_size = 4;  // inclusive bounds: only the 2x2 square stays
  l = threshold_frame_in_memory(img, 0, s, n, ctx);
  CHECK(n == 1);
  CHECK(l[7 * 12 + 7] == 1);
  CHECK(l[1 * 12 + 1] == 0);
}

TEST_CASE("hysteresis keeps components with a core, blockwise equal to whole", "[threshold]") {
  Array<float> a = Array<float>::from_shape({6, 30, 40});
  std::uint32_t seed = 7;
  for (auto& v : a) {
    seed = seed * 1664525u + 1013904223u;
    v = float((seed >> 8) & 0xffff) / 65535.0f;
  }
  const auto img = memory(a, "zyx");
  ThresholdSettings s;
  s.method = ThresholdMethod::hysteresis;
  s.sigma = {0.5, 1.0, 1.0};
  s.low = 0.5;
  s.high = 0.56;
  s.min_size = 3;
  RunContext ctx;
  std::uint32_t n = 0;
  const auto whole = threshold_frame_in_memory(img, 0, s, n, ctx);
  REQUIRE(n > 0);
  for (std::size_t bs : {4, 9}) {
    std::vector<std::uint32_t> blk(whole.size(), 0);
    const Shape& sh = img.spatial_shape();
    const std::uint32_t nb = threshold_frame(
        img, 0, s,
        [&](const Roi& core, const std::vector<std::uint32_t>& labels) {
          std::size_t i = 0;
          for_each_row(sh, core, [&](std::size_t off) {
            for (std::size_t x = 0; x < core.shape().back(); ++x)
              blk[off + x] = labels[i++];
          });
        },
        ctx, Shape{bs, bs, bs});
    CHECK(nb == n);
    CHECK(blk == whole);
  }
  // Every kept object has a pixel >= high after smoothing, so raising `high` above every
  // smoothed value leaves nothing.
  s.high = 2.0;
  threshold_frame_in_memory(img, 0, s, n, ctx);
  CHECK(n == 0);
}

TEST_CASE("label images are relabelled consecutively in raster order", "[threshold]") {
  Array<float> a = Array<float>::from_shape({4, 5});
  a.fill(0.0f);
  a(0, 3) = 7;
  a(2, 0) = a(2, 1) = 3;
  a(3, 4) = 9;
  const auto img = memory(a, "yx");
  ThresholdSettings s;
  s.method = ThresholdMethod::labels;
  s.min_size = 0;
  RunContext ctx;
  std::uint32_t n = 0;
  const auto l = threshold_frame_in_memory(img, 0, s, n, ctx);
  CHECK(n == 3);
  CHECK(l[3] == 1);
  CHECK(l[10] == 2);
  CHECK(l[11] == 2);
  CHECK(l[19] == 3);
  s.method = ThresholdMethod::binary;
  a(0, 3) = 0;
  threshold_frame_in_memory(memory(a, "yx"), 0, s, n, ctx);
  CHECK(n == 2);
}

TEST_CASE("threshold settings from JSON validate", "[threshold]") {
  const auto s = threshold_settings_from_json(
      nlohmann::json{{"method", "hysteresis"}, {"sigma", {2.0, 1.0}}, {"min_size", 5}}, "s.json");
  CHECK(s.method == ThresholdMethod::hysteresis);
  CHECK(s.sigma[0] == 2.0);
  CHECK(s.sigma[2] == 1.0);
  CHECK(s.min_size == 5);
  CHECK_THROWS_AS(threshold_settings_from_json(nlohmann::json{{"method", "otsu"}}, "s.json"),
                  Error);
  CHECK_THROWS_AS(threshold_settings_from_json(nlohmann::json{{"connectivity", 5}}, "s.json"),
                  Error);
}

namespace {

// Reference labelling: breadth-first flood fill from each unlabelled pixel in raster order.
std::vector<std::uint32_t> flood_labels(const std::vector<std::uint8_t>& m, std::size_t Z,
                                        std::size_t Y, std::size_t X, bool indirect) {
  std::vector<std::uint32_t> out(m.size(), 0);
  std::uint32_t n = 0;
  std::vector<std::size_t> queue;
  for (std::size_t s = 0; s < m.size(); ++s) {
    if (!m[s] || out[s]) continue;
    out[s] = ++n;
    queue.assign(1, s);
    while (!queue.empty()) {
      const std::size_t p = queue.back();
      queue.pop_back();
      const auto z = std::ptrdiff_t(p / (Y * X)), y = std::ptrdiff_t((p / X) % Y),
                 x = std::ptrdiff_t(p % X);
      for (std::ptrdiff_t dz = -1; dz <= 1; ++dz)
        for (std::ptrdiff_t dy = -1; dy <= 1; ++dy)
          for (std::ptrdiff_t dx = -1; dx <= 1; ++dx) {
            const int steps = (dz != 0) + (dy != 0) + (dx != 0);
            if (steps == 0 || (!indirect && steps > 1)) continue;
            const std::ptrdiff_t a = z + dz, b = y + dy, c = x + dx;
            if (a < 0 || b < 0 || c < 0 || a >= std::ptrdiff_t(Z) || b >= std::ptrdiff_t(Y) ||
                c >= std::ptrdiff_t(X))
              continue;
            const std::size_t q = (std::size_t(a) * Y + std::size_t(b)) * X + std::size_t(c);
            if (m[q] && !out[q]) {
              out[q] = n;
              queue.push_back(q);
            }
          }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("run-based labelling equals a flood fill on random masks", "[threshold]") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    const bool three_d = trial % 2 == 1;
    const std::size_t Z = three_d ? 1 + rng() % 6 : 1, Y = 1 + rng() % 23, X = 1 + rng() % 29;
    const unsigned density = 2 + rng() % 5;  // 1/density of the pixels are background
    std::vector<std::uint8_t> m(Z * Y * X);
    for (auto& v : m)
      v = rng() % density != 0 ? (rng() % 3 == 0 ? 0 : 1) : 0;
    const Shape shape = three_d ? Shape{Z, Y, X} : Shape{Y, X};
    for (const bool indirect : {false, true}) {
      std::vector<std::uint32_t> got(m.size());
      const auto want = flood_labels(m, Z, Y, X, indirect);
      const std::uint32_t n = label_components(
          m.data(), shape, indirect ? Connectivity::indirect : Connectivity::direct, got.data());
      CHECK(got == want);
      CHECK(n == (want.empty() ? 0 : *std::max_element(want.begin(), want.end())));
    }
  }
}

TEST_CASE("threshold settings survive a JSON round trip", "[threshold]") {
  ThresholdSettings s;
  s.method = ThresholdMethod::hysteresis;
  s.low = 0.3, s.high = 0.9;
  s.channel = 1, s.core_channel = 2;
  s.sigma = {0.0, 2.0, 1.5};
  s.min_size = 4, s.max_size = 500;
  s.neighbours = 8;
  s.input_range = std::pair<double, double>{0, 255};
  const ThresholdSettings t = threshold_settings_from_json(threshold_settings_json(s), "s.json");
  CHECK(t.method == s.method);
  CHECK((t.low == s.low && t.high == s.high));
  CHECK((t.channel == 1 && t.core_channel == 2));
  CHECK(t.sigma == s.sigma);
  CHECK((t.min_size == 4 && t.max_size == 500));
  CHECK(t.neighbours == 8);
  CHECK(t.input_range == s.input_range);
}
