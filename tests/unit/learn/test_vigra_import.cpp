// SPDX-License-Identifier: BSD-3-Clause
// ilastik's trained forests (vigra RF inside .ilp files) run in bioforest unchanged: our
// probabilities equal vigra's predictProbabilities (averaged over the stored forests by tree
// count, in LabelNames columns) to 1e-6, on real feature rows and on random ones. The
// expected values come from python3-vigra (scripts/learn/make_vigra_parity_fixture.py).
#include <catch2/catch.hpp>

#include <cmath>

#include "bioforest/core/error.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/learn/vigra_import.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::learn;

TEST_CASE("ilastik forests from .ilp projects predict as vigra does", "[learn]") {
  BIOFOREST_REQUIRE_SHARED(api, "data/ilastik_projects/api_projects");
  const auto fixture = h5::File::open_read(bioforest::test::test_data("learn/vigra_parity.h5"));
  RunContext ctx;
  ctx.threads = 2;
  int stages = 0;
  for (const auto& project : fixture.list("/")) {
    for (const auto& stage : fixture.list("/" + project)) {
      INFO(project << " " << stage);
      const auto ilp = h5::File::open_read(api + "/" + project);
      const auto rf = import_vigra_forests(ilp, stage + "/ClassifierForests");
      Shape xs, ps;
      const auto x = fixture.read<float>("/" + project + "/" + stage + "/features", &xs);
      const auto want = fixture.read<float>("/" + project + "/" + stage + "/probabilities", &ps);
      REQUIRE(xs.size() == 2);
      REQUIRE(rf.n_features() == xs[1]);
      REQUIRE(rf.n_classes() == ps[1]);
      CHECK(rf.n_trees() == 100);
      CHECK(rf.feature_names().size() == rf.n_features());
      std::vector<float> got(want.size());
      rf.predict_proba(FeatureView::sample_major(x.data(), xs[0], xs[1]), got.data(), ctx);
      double worst = 0;
      for (std::size_t i = 0; i < got.size(); ++i)
        worst = std::max(worst, std::abs(double(got[i]) - double(want[i])));
      CHECK(worst <= 1e-6);
      ++stages;
    }
  }
  CHECK(stages == 6);
}

TEST_CASE("unseen label names become zero columns; bad groups are input errors", "[learn]") {
  BIOFOREST_REQUIRE_SHARED(api, "data/ilastik_projects/api_projects");
  const auto ilp = h5::File::open_read(api + "/Autocontext_3D.ilp");
  const auto rf = import_vigra_forests(ilp, "PixelClassification/ClassifierForests");
  CHECK(rf.classes() == std::vector<std::int32_t>{1, 2, 3});
  const auto none = h5::File::open_read(api + "/PixelClassNoClassifier.ilp");
  try {
    import_vigra_forests(none, "PixelClassification/ClassifierForests");
    FAIL("imported a project without a classifier");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::input);
  }
}
