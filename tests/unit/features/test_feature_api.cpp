// SPDX-License-Identifier: BSD-3-Clause
// Selection rules, names, blockwise == whole image, thread independence, exact scheme.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "bioforest/core/blocking.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/features/compute.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::features;

namespace {

// Whole-image planar features, then the same image in blocks; bitwise comparison.
void check_blockwise(const Shape& spatial, std::size_t C, const FeatureSelection& sel,
                     const Shape& block_shape, int threads) {
  const int rank = int(spatial.size());
  FeatureComputer fc(sel, C, rank);
  std::size_t npx = 1;
  for (auto s : spatial)
    npx *= s;
  const auto data = test::uniform_floats(npx * C, 7, 0.f, 255.f);
  Shape full = spatial;
  full.push_back(C);
  FeatureComputer::Workspace ws(threads);
  std::vector<float> whole(npx * fc.n_channels());
  fc.compute(data.data(), full, Roi::whole(spatial), BlockBorders::whole(), whole.data(), ws);
  const auto blocks = make_blocks(spatial, block_shape, fc.halo());
  REQUIRE(blocks.size() > 1);
  std::vector<float> buf, out;
  std::size_t mismatches = 0;
  for (const Block& b : blocks) {
    buf.clear();
    for_each_row(spatial, b.outer, [&](std::size_t off) {
      buf.insert(buf.end(), data.begin() + off * C,
                 data.begin() + (off + b.outer.shape().back()) * C);
    });
    Shape bs = b.outer.shape();
    bs.push_back(C);
    const Roi core = b.core_in_outer();
    out.assign(core.size() * fc.n_channels(), -1.f);
    fc.compute(buf.data(), bs, core, BlockBorders::of(b.outer, spatial), out.data(), ws);
    for (std::size_t q = 0; q < fc.n_channels(); ++q) {
      std::size_t p = 0;
      for_each_row(spatial, b.core, [&](std::size_t off) {
        for (std::size_t x = 0; x < b.core.shape().back(); ++x, ++p)
          if (std::memcmp(&out[q * core.size() + p], &whole[q * npx + off + x], 4) != 0)
            ++mismatches;
      });
    }
  }
  CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("default selection, names and counts as ilastik", "[features]") {
  const auto sel = FeatureSelection::full_default();
  CHECK(feature_channel_count(sel, 1, false) == 49);
  CHECK(feature_channel_count(sel, 1, true) == 61);
  const auto n2 = feature_channel_names(sel, 1, false);
  CHECK(n2[0] == "Gaussian Smoothing (σ=0.3) in 2D");
  CHECK(n2[7] == "Laplacian of Gaussian (σ=0.7) in 2D");
  CHECK(n2.back() == "Hessian of Gaussian Eigenvalues (σ=10.0) in 2D [1]");
  const auto n3 = feature_channel_names(sel, 1, true);
  CHECK(n3[0] == "Gaussian Smoothing (σ=0.3)");
  CHECK(n3.back() == "Hessian of Gaussian Eigenvalues (σ=10.0) [2]");
  const auto rgb = feature_channel_names(sel, 3, false);
  CHECK(rgb[0] == "Gaussian Smoothing (σ=0.3) in 2D [0]");
  CHECK(rgb[2] == "Gaussian Smoothing (σ=0.3) in 2D [2]");
  CHECK(rgb.size() == 147);
  auto mix = sel;
  mix.compute_in_2d = {false, false, false, true, false, true, false};
  const auto nm = feature_channel_names(mix, 1, true);
  CHECK(nm[3] == "Gaussian Smoothing (σ=1.6) in 2D");
  CHECK(feature_channel_count(mix, 1, true) == 61 - 4);
  CHECK(python_float_repr(2.25) == "2.25");
  CHECK(python_float_repr(10) == "10.0");
}

TEST_CASE("selection validation follows ilastik's rules", "[features]") {
  auto sel = FeatureSelection::empty_default();
  sel.select(FeatureFamily::LaplacianOfGaussian, 0.3);
  CHECK_THROWS_AS(validate(sel), Error);
  try {
    validate(sel);
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::usage);
    CHECK(std::string(e.what()).find("LaplacianOfGaussian") != std::string::npos);
  }
  CHECK_THROWS_AS(validate(FeatureSelection::empty_default()), Error);  // nothing selected
  auto big = FeatureSelection::empty_default();
  big.select(FeatureFamily::GaussianSmoothing, 10.0);
  CHECK_NOTHROW(validate_for_shape(big, {36, 36}));
  CHECK_THROWS_AS(validate_for_shape(big, {35, 64}), Error);
  // z too short for a 3-D column, fine once the column is 2-D.
  CHECK_THROWS_AS(validate_for_shape(big, {10, 64, 64}), Error);
  big.compute_in_2d.assign(big.scales.size(), true);
  CHECK_NOTHROW(validate_for_shape(big, {10, 64, 64}));
  CHECK_THROWS_AS(parse_family("Gaussian"), Error);
  CHECK_THROWS_AS(parse_feature_shorthand("GaussianSmoothing"), Error);
  CHECK_THROWS_AS(parse_feature_shorthand("HessianOfGaussianEigenvalues:0.3"), Error);
}

TEST_CASE("JSON spec and shorthand round trip; unknown keys are errors", "[features]") {
  const auto sel = selection_from_json_text(
      R"({"scheme": "exact", "features": {"GaussianSmoothing": [0.3, 2.0],
          "HessianOfGaussianEigenvalues": [1.6]}, "compute_in_2d": [1.6]})");
  CHECK(sel.scheme == Scheme::exact);
  CHECK(sel.scales.size() == 8);  // 2.0 appended
  CHECK(sel.scales.back() == 2.0);
  CHECK(sel.compute_in_2d[3]);
  const auto again = selection_from_json_text(selection_to_json_text(sel));
  CHECK(again.matrix == sel.matrix);
  CHECK(again.scales == sel.scales);
  CHECK(again.compute_in_2d == sel.compute_in_2d);
  CHECK_THROWS_AS(selection_from_json_text(R"({"features": {}, "colour": 1})"), Error);
  CHECK_THROWS_AS(selection_from_json_text(R"({"features": {"Foo": [1.0]}})"), Error);
  CHECK_THROWS_AS(selection_from_json_text("{not json"), Error);
  const auto sh =
      parse_feature_shorthand("GaussianSmoothing:0.3,1.0;HessianOfGaussianEigenvalues:1.6");
  CHECK(feature_channel_count(sh, 1, false) == 4);
  CHECK(feature_channel_count(parse_feature_shorthand("default"), 1, false) == 49);
}

TEST_CASE("blockwise results equal whole-image results bit for bit (2-D)", "[features]") {
  check_blockwise({150, 170}, 1, FeatureSelection::full_default(), {64, 48}, 2);
  check_blockwise(
      {90, 80}, 3,
      parse_feature_shorthand("StructureTensorEigenvalues:1.0,3.5;DifferenceOfGaussians:1.6"),
      {40, 32}, 1);
}

TEST_CASE("blockwise results equal whole-image results bit for bit (3-D, mixed 2-D columns)",
          "[features]") {
  auto sel = parse_feature_shorthand(
      "GaussianSmoothing:0.3,3.5;HessianOfGaussianEigenvalues:0.7,1.6;StructureTensorEigenvalues:1."
      "0;"
      "GaussianGradientMagnitude:1.0;LaplacianOfGaussian:1.6;DifferenceOfGaussians:3.5");
  check_blockwise({40, 50, 45}, 1, sel, {16, 20, 45}, 2);
  sel.compute_in_2d.assign(sel.scales.size(), false);
  sel.compute_in_2d[3] = true;  // 1.6 slice-wise
  check_blockwise({30, 40, 44}, 2, sel, {12, 40, 20}, 2);
}

TEST_CASE("1 thread and 2 threads give identical features", "[features]") {
  const auto data = test::uniform_floats(64 * 70 * 3, 3, 0.f, 255.f);
  const auto sel = FeatureSelection::full_default();
  FeatureComputer fc(sel, 3, 2);
  std::vector<float> a(64 * 70 * fc.n_channels()), b(a.size());
  FeatureComputer::Workspace w1(1), w2(2);
  fc.compute(data.data(), {64, 70, 3}, Roi::whole({64, 70}), BlockBorders::whole(), a.data(), w1);
  fc.compute(data.data(), {64, 70, 3}, Roi::whole({64, 70}), BlockBorders::whole(), b.data(), w2);
  CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
}

TEST_CASE("exact scheme: Gaussian of a delta sums to 1, derivatives of a ramp", "[features]") {
  const std::size_t n = 64;
  std::vector<float> delta(n * n, 0.f), ramp(n * n);
  delta[32 * n + 32] = 1.f;
  for (std::size_t y = 0; y < n; ++y)
    for (std::size_t x = 0; x < n; ++x)
      ramp[y * n + x] = 2.f * float(x) + 0.5f * float(y);
  auto sel = parse_feature_shorthand(
      "GaussianSmoothing:2.0;GaussianGradientMagnitude:2.0;LaplacianOfGaussian:2.0");
  sel.scheme = Scheme::exact;
  FeatureComputer fc(sel, 1, 2);
  FeatureComputer::Workspace ws(1);
  std::vector<float> out(n * n * fc.n_channels());
  fc.compute(delta.data(), {n, n, 1}, Roi::whole({n, n}), BlockBorders::whole(), out.data(), ws);
  double sum = 0;
  for (std::size_t i = 0; i < n * n; ++i)
    sum += out[i];
  CHECK(std::abs(sum - 1.0) < 1e-5);
  fc.compute(ramp.data(), {n, n, 1}, Roi::whole({n, n}), BlockBorders::whole(), out.data(), ws);
  const std::size_t c = 32 * n + 32;
  CHECK(std::abs(out[c] - ramp[c]) < 1e-3);  // smoothing keeps a ramp
  // Channel order is ilastik's row order: GS, LoG, GGM.
  CHECK(std::abs(out[n * n + c]) < 1e-4);                              // no curvature
  CHECK(std::abs(out[2 * n * n + c] - std::sqrt(4.0 + 0.25)) < 1e-4);  // |gradient|
}

TEST_CASE("compute_features: axes, dtype and shape", "[features]") {
  Array<std::uint8_t> a =
      xt::zeros<std::uint8_t>({std::size_t(2), std::size_t(40), std::size_t(38)});
  for (std::size_t i = 0; i < a.size(); ++i)
    a.data()[i] = std::uint8_t(i * 7);
  const Image img(a, Axes("tyx"));
  RunContext ctx;
  ctx.threads = 2;
  const auto sel =
      parse_feature_shorthand("GaussianSmoothing:1.0;HessianOfGaussianEigenvalues:1.0");
  const Image f = compute_features(img, sel, ctx);
  CHECK(f.axes().str() == "tyxc");
  CHECK(f.dtype() == DType::float32);
  CHECK(f.shape() == Shape{2, 40, 38, 3});
  // Small RAM budget: many blocks, same numbers.
  RunContext small = ctx;
  small.ram_bytes = 40 * 1024;
  const Image g = compute_features(img, sel, small);
  CHECK(std::memcmp(f.data<float>(), g.data<float>(), f.bytes()) == 0);
}
