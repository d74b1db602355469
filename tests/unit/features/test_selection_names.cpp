// SPDX-License-Identifier: BSD-3-Clause
// The small vocabulary of a feature selection: family ids and titles, schemes, default
// scales, ilastik's minimum-scale rule, and the halo blockwise computation needs.
#include <catch2/catch.hpp>

#include "bioforest/core/error.hpp"
#include "bioforest/features/selection.hpp"

using namespace bioforest;
using namespace bioforest::features;

TEST_CASE("family ids parse back; titles and properties are ilastik's", "[selection]") {
  for (int i = 0; i < kFamilyCount; ++i) {
    const auto f = FeatureFamily(i);
    CHECK(parse_family(family_id(f)) == f);
  }
  CHECK(family_id(FeatureFamily::GaussianSmoothing) == "GaussianSmoothing");
  CHECK(family_title(FeatureFamily::HessianOfGaussianEigenvalues) ==
        "Hessian of Gaussian Eigenvalues");
  CHECK(family_min_scale(FeatureFamily::GaussianSmoothing) == 0.3);
  CHECK(family_min_scale(FeatureFamily::LaplacianOfGaussian) == 0.7);
  CHECK(family_is_eigen(FeatureFamily::StructureTensorEigenvalues));
  CHECK_FALSE(family_is_eigen(FeatureFamily::DifferenceOfGaussians));
  CHECK_THROWS_AS(parse_family("GaussianBlur"), Error);
}

TEST_CASE("scheme names and default scales", "[selection]") {
  CHECK(parse_scheme(scheme_name(Scheme::ilastik)) == Scheme::ilastik);
  CHECK(parse_scheme("exact") == Scheme::exact);
  CHECK_THROWS_AS(parse_scheme("fast"), Error);
  CHECK(default_scales() == std::vector<double>{0.3, 0.7, 1.0, 1.6, 3.5, 5.0, 10.0});
}

TEST_CASE("column_in_2d applies ilastik's default when no flags are given", "[selection]") {
  FeatureSelection s = FeatureSelection::full_default();
  CHECK(s.column_in_2d(0, false));       // a 2-D image: every column is 2-D
  CHECK_FALSE(s.column_in_2d(0, true));  // a volume: 3-D filters
  s.compute_in_2d.assign(s.scales.size(), true);
  CHECK(s.column_in_2d(0, true));
}

TEST_CASE("feature_halo grows with the largest scale and has no z part in 2-D", "[selection]") {
  FeatureSelection small = FeatureSelection::empty_default();
  small.select(FeatureFamily::GaussianSmoothing, 1.0);
  FeatureSelection large = FeatureSelection::empty_default();
  large.select(FeatureFamily::GaussianSmoothing, 10.0);
  const Shape h2 = feature_halo(small, false), H2 = feature_halo(large, false);
  REQUIRE(h2.size() == 2);
  CHECK(h2[0] >= 4);  // at least the 3.5-sigma window of sigma 1
  CHECK(H2[0] > h2[0]);
  CHECK(H2[0] == H2[1]);
  const Shape h3 = feature_halo(large, true);
  REQUIRE(h3.size() == 3);
  CHECK(h3[0] == h3[1]);  // 3-D filters need z context too
  large.compute_in_2d.assign(large.scales.size(), true);
  CHECK(feature_halo(large, true)[0] == 0);  // slice by slice: none along z
}
