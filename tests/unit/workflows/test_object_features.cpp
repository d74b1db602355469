// SPDX-License-Identifier: BSD-3-Clause
// Object features against scikit-image's regionprops and vigra's region features (ilastik's
// engine) on real crops (tests/data/objects/fixtures.h5, scripts/make_object_fixtures.py),
// and independence from the thread count.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "bioforest/core/error.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/workflows/objects/object_features.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

namespace {

struct Fixture {
  Shape shape;
  std::vector<float> raw;
  std::vector<std::uint32_t> labels;
  std::uint32_t n = 0;
};

Fixture load(const h5::File& f, const std::string& g) {
  Fixture x;
  x.raw = f.read<float>(g + "/raw", &x.shape);
  x.labels = f.read<std::uint32_t>(g + "/labels");
  x.n = *std::max_element(x.labels.begin(), x.labels.end());
  return x;
}

std::size_t col(const ObjectFeatures& t, const std::string& name) {
  const auto it = std::find(t.columns.begin(), t.columns.end(), name);
  REQUIRE(it != t.columns.end());
  return std::size_t(it - t.columns.begin());
}

void compare(const std::string& g) {
  auto f = h5::File::open_read(test::test_data("objects/fixtures.h5"));
  const Fixture x = load(f, g);
  const std::size_t D = x.shape.size();
  RunContext ctx;
  ctx.threads = 2;
  const auto t = compute_object_features(x.raw.data(), 1, x.labels.data(), x.shape, x.n,
                                         default_object_features(), ctx);
  REQUIRE(t.rows == x.n);
  const auto area = f.read<double>(g + "/area");
  const auto centroid = f.read<double>(g + "/centroid");
  const auto bbox = f.read<double>(g + "/bbox");
  const auto mean = f.read<double>(g + "/intensity_mean");
  const auto mn = f.read<double>(g + "/intensity_min");
  const auto mx = f.read<double>(g + "/intensity_max");
  const auto inertia = f.read<double>(g + "/inertia_tensor_eigvals");
  const auto vq = f.read<double>(g + "/vigra/Quantiles");
  const auto vh = f.read<double>(g + "/vigra/Histogram");
  const auto vvar = f.read<double>(g + "/vigra/Variance");
  const auto vskew = f.read<double>(g + "/vigra/Skewness");
  const auto vkurt = f.read<double>(g + "/vigra/Kurtosis");
  const auto vwc = f.read<double>(g + "/vigra/Weighted<RegionCenter>");
  const auto vwr = f.read<double>(g + "/vigra/Weighted<RegionRadii>");
  const auto vamax = f.read<double>(g + "/vigra/Coord<ArgMaxWeight >");
  const auto vpsk = f.read<double>(g + "/vigra/Coord<Principal<Skewness > >");
  const auto vaxes = f.read<double>(g + "/vigra/RegionAxes");
  for (std::size_t r = 0; r < x.n; ++r) {
    CHECK(t.at(r, col(t, "Size in pixels")) == area[r]);
    CHECK(t.at(r, col(t, "Mean Intensity")) == Approx(mean[r]).epsilon(1e-9));
    CHECK(t.at(r, col(t, "Minimum intensity")) == mn[r]);
    CHECK(t.at(r, col(t, "Maximum intensity")) == mx[r]);
    CHECK(t.at(r, col(t, "Variance of Intensity")) == Approx(vvar[r]).epsilon(1e-6));
    CHECK(t.at(r, col(t, "Skewness of Intensity")) == Approx(vskew[r]).epsilon(1e-5).margin(1e-9));
    CHECK(t.at(r, col(t, "Kurtosis of Intensity")) == Approx(vkurt[r]).epsilon(1e-5).margin(1e-9));
    for (std::size_t d = 0; d < D; ++d) {
      // scikit-image is (z,) y, x; ilastik's columns are x, y(, z).
      const std::size_t s = D - 1 - d;
      CHECK(t.at(r, col(t, "Center of the object_" + std::to_string(d))) ==
            Approx(centroid[r * D + s]).epsilon(1e-12));
      CHECK(t.at(r, col(t, "Bounding Box Minimum_" + std::to_string(d))) == bbox[r * 2 * D + s]);
      CHECK(t.at(r, col(t, "Bounding Box Maximum_" + std::to_string(d))) ==
            bbox[r * 2 * D + D + s]);
      CHECK(t.at(r, col(t, "Weighted<RegionCenter>_" + std::to_string(d))) ==
            Approx(vwc[r * D + d]).epsilon(1e-6));
      CHECK(t.at(r, col(t, "Weighted<RegionRadii>_" + std::to_string(d))) ==
            Approx(vwr[r * D + d]).epsilon(1e-5).margin(1e-6));
      CHECK(t.at(r, col(t, "Coord<ArgMaxWeight >_" + std::to_string(d))) == vamax[r * D + d]);
      // The sign follows the eigenvector's: vigra's, as its eigensystem leaves it.
      CHECK(t.at(r, col(t, "Coord<Principal<Skewness > >_" + std::to_string(d))) ==
            Approx(vpsk[r * D + d]).epsilon(1e-4).margin(1e-6));
    }
    // scikit-image's inertia tensor is trace(cov) I - cov, so its eigenvalues (descending)
    // are S - e (ascending) with e = radii^2 and S their sum.
    std::vector<double> e(D);
    for (std::size_t d = 0; d < D; ++d) {
      const double radius = t.at(r, col(t, "Radii of the object_" + std::to_string(d)));
      e[d] = radius * radius;
    }
    const double S = std::accumulate(e.begin(), e.end(), 0.0);
    for (std::size_t d = 0; d < D; ++d)
      CHECK(S - e[D - 1 - d] == Approx(inertia[r * D + d]).epsilon(1e-9).margin(1e-9));
    for (std::size_t q = 0; q < 7; ++q)
      CHECK(t.at(r, col(t, "Quantiles of Intensity_" + std::to_string(q))) ==
            Approx(vq[r * 7 + q]).epsilon(1e-5));
    for (std::size_t b = 0; b < 64; ++b)
      CHECK(t.at(r, col(t, "Histogram of Intensity_" + std::to_string(b))) == vh[r * 64 + b]);
    // vigra's eigenvector signs too (ilastik's forests split on these columns).
    for (std::size_t k = 0; k < D * D; ++k)
      CHECK(t.at(r, col(t, "Principal components of the object_" + std::to_string(k))) ==
            Approx(vaxes[r * D * D + k]).margin(1e-6));
  }
  if (D == 2) {
    const auto ecc = f.read<double>(g + "/eccentricity");
    const auto major = f.read<double>(g + "/major_axis_length");
    for (std::size_t r = 0; r < x.n; ++r) {
      const double r0 = t.at(r, col(t, "Radii of the object_0"));
      const double r1 = t.at(r, col(t, "Radii of the object_1"));
      CHECK(4 * r0 == Approx(major[r]).epsilon(1e-9));
      CHECK(std::sqrt(1 - (r1 * r1) / (r0 * r0)) == Approx(ecc[r]).epsilon(1e-6).margin(1e-9));
    }
  }
  // Same values whatever the thread count.
  ctx.threads = 1;
  const auto t1 = compute_object_features(x.raw.data(), 1, x.labels.data(), x.shape, x.n,
                                          default_object_features(), ctx);
  CHECK(t1.values == t.values);
}

}  // namespace

TEST_CASE("object features match regionprops and vigra in 2-D", "[objects]") {
  compare("rp2d");
}
TEST_CASE("object features match regionprops and vigra in 3-D", "[objects]") {
  compare("rp3d");
}

TEST_CASE("feature names match ilastik's spellings", "[objects]") {
  CHECK(match_object_feature("coord<argmaxweight>") == "Coord<ArgMaxWeight >");
  CHECK(match_object_feature("Mean Intensity") == "Mean");
  CHECK_THROWS_AS(match_object_feature("Texture"), Error);
  CHECK(object_feature_display_name("Count") == "Size in pixels");
}
