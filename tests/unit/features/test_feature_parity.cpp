// SPDX-License-Identifier: BSD-3-Clause
// Our features vs python3-vigra with ilastik's recipe (scripts/make_feature_fixtures.py):
// every family at every default scale, 2-D, RGB and 3-D, borders included.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bioforest/core/run_context.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/features/kernels.hpp"
#include "bioforest/io/hdf5.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::features;

namespace {

struct Case {
  std::string file;
  bool is3d;
};

// Largest |ours - ref| over the value range of each reference channel (channel-last arrays),
// with two documented allowances for limits of the float32 reference itself:
// - `floor`: an absolute floor (DoG at large scales is the difference of two float32
//   smoothings of nearly equal value: one ulp of the smoothed image is the resolution);
// - `eigen_group` > 1: a 3-D eigenvalue whose reference neighbour is within 1 % of the range
//   (near-degenerate tensor) may differ, since vigra forms the characteristic polynomial's
//   products in float there; the sum of the group (the trace) must still match.
double worst_relative_error(const std::vector<float>& ours, const std::vector<float>& ref,
                            std::size_t channels, double floor = 0, std::size_t eigen_group = 1) {
  double worst = 0;
  std::vector<double> range(channels);
  for (std::size_t q = 0; q < channels; ++q) {
    float lo = INFINITY, hi = -INFINITY;
    for (std::size_t i = q; i < ref.size(); i += channels) {
      lo = std::min(lo, ref[i]);
      hi = std::max(hi, ref[i]);
    }
    range[q] = std::max(double(hi - lo), 1e-12);
  }
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const std::size_t q = i % channels;
    double err = std::max(0.0, std::abs(double(ours[i]) - double(ref[i])) - floor) / range[q];
    if (err > 1e-4 && eigen_group == 3) {
      const std::size_t g0 = i - (q % 3);
      const std::size_t k = q % 3;
      double gap = INFINITY;  // distance to the neighbouring reference eigenvalue
      if (k > 0) gap = std::min(gap, double(ref[i - 1]) - ref[i]);
      if (k < 2) gap = std::min(gap, double(ref[i]) - ref[i + 1]);
      double trace_err = 0;
      for (std::size_t j = 0; j < 3; ++j)
        trace_err += double(ours[g0 + j]) - double(ref[g0 + j]);
      const double group_range =
          std::max({range[g0 % channels], range[g0 % channels + 1], range[g0 % channels + 2]});
      if (gap <= 1e-2 * group_range && std::abs(trace_err) <= 3e-4 * group_range) err = 0;
    }
    if (getenv("BF_DEBUG") && err > 1e-4)
      fprintf(stderr, "ch %zu idx %zu ours %.8g ref %.8g range %g\n", q, i / channels, ours[i],
              ref[i], range[q]);
    worst = std::max(worst, err);
  }
  return worst;
}

void check_case(const Case& c) {
  const auto f = h5::File::open_read(test::test_data("features/" + c.file));
  const Axes axes(f.read_string_attribute("input", "axes"));
  const Image input = f.read_image("input", Roi::whole(f.shape("input")), axes);
  std::vector<std::size_t> zs;
  if (c.is3d)
    for (double z : f.read_numeric_attribute("/", "z_slices"))
      zs.push_back(std::size_t(z));
  RunContext ctx;
  ctx.threads = 2;
  int checked = 0;
  for (const std::string& ds : f.datasets("/features")) {
    // "/features/<Family>/<scale>[ in 2D]"
    const auto slash = ds.rfind('/');
    const std::string family = ds.substr(10, slash - 10);
    std::string scale_text = ds.substr(slash + 1);
    const bool in2d = scale_text.find(" in 2D") != std::string::npos;
    if (in2d) scale_text = scale_text.substr(0, scale_text.find(' '));
    const double scale = std::stod(scale_text);
    FeatureSelection sel = FeatureSelection::empty_default();
    sel.select(parse_family(family), scale);
    if (c.is3d) {
      sel.compute_in_2d.assign(sel.scales.size(), false);
      if (in2d)
        for (std::size_t k = 0; k < sel.scales.size(); ++k)
          sel.compute_in_2d[k] = std::abs(sel.scales[k] - scale) < 1e-9;
    }
    Shape rshape;
    const std::vector<float> ref = f.read<float>(ds, &rshape);
    const Image ours = compute_features(input, sel, ctx);
    const std::size_t n = rshape.back();
    REQUIRE(ours.shape().back() == n);
    std::vector<float> mine;
    const float* p = ours.data<float>();
    if (c.is3d) {
      const std::size_t plane = ours.shape()[1] * ours.shape()[2] * n;
      for (std::size_t z : zs)
        mine.insert(mine.end(), p + z * plane, p + (z + 1) * plane);
    } else {
      mine.assign(p, p + ours.size());
    }
    REQUIRE(mine.size() == ref.size());
    // float32 resolution of the smoothed image for DoG (see worst_relative_error).
    double floor = 0;
    if (family == "DifferenceOfGaussians") {
      float mx = 0;
      for (float v : input.astype(DType::float32).array<float>())
        mx = std::max(mx, std::abs(v));
      floor = 2.0 * std::nextafter(mx, INFINITY) - 2.0 * mx;
    }
    const bool eigen3 = c.is3d && !in2d && family.find("Eigenvalues") != std::string::npos;
    const double err = worst_relative_error(mine, ref, n, floor, eigen3 ? 3 : 1);
    INFO(c.file << " " << ds << ": max |ours - vigra| / range = " << err);
    // The margin left by each channel group (the tolerance is 1e-4), for judging numerics.
    if (getenv("BF_MARGINS"))
      fprintf(stderr, "margin %s %s %.3g\n", c.file.c_str(), ds.c_str(), err);
    CHECK(err <= 1e-4);
    ++checked;
  }
  CHECK(checked >= 37);
}

}  // namespace

TEST_CASE("kernels equal vigra's Kernel1D values", "[features]") {
  const auto f = h5::File::open_read(test::test_data("features/kernels.h5"));
  int n = 0;
  for (const std::string& ds : f.datasets("/")) {
    // "/<sigma>/<order>/<window>"
    const auto a = ds.find('/', 1), b = ds.find('/', a + 1);
    const double sigma = std::stod(ds.substr(1, a - 1));
    const int order = std::stoi(ds.substr(a + 1, b - a - 1));
    const double window = std::stod(ds.substr(b + 1));
    const std::vector<double> ref = f.read<double>(ds);
    const Kernel k = gaussian_kernel(sigma, order, window);
    INFO(ds);
    REQUIRE(k.full.size() == ref.size());
    REQUIRE(k.radius == int(ref.size() / 2));
    for (std::size_t i = 0; i < ref.size(); ++i)
      CHECK(std::abs(k.full[i] - ref[i]) < 1e-12);
    // The float taps are the folded correlation taps of the same kernel.
    for (int m = 0; m <= k.radius; ++m) {
      const double c = k.odd ? 0.5 * (ref[k.radius - m] - ref[k.radius + m])
                             : 0.5 * (ref[k.radius - m] + ref[k.radius + m]);
      if (!(k.odd && m == 0)) CHECK(std::abs(k.half[m] - c) < 1e-7);
    }
    ++n;
  }
  CHECK(n == 72);
}

TEST_CASE("2-D nuclei features equal vigra with ilastik's recipe", "[features]") {
  check_case({"nuclei2d.h5", false});
}

TEST_CASE("RGB features equal vigra, channel order input channel -> eigenvalue", "[features]") {
  check_case({"rgb2d.h5", false});
}

TEST_CASE("3-D volume features equal vigra, incl. 2-D columns of a volume", "[features]") {
  check_case({"ovule3d.h5", true});
}
