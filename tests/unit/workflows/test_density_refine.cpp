// SPDX-License-Identifier: BSD-3-Clause
// Stacked density refinement: the out-of-fold split by image, the halo of the smoothing
// scales, and a stacked model that trains, reloads and predicts the same
// whatever the threads or the block layout.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "bioforest/io/writer.hpp"
#include "bioforest/workflows/density_prediction.hpp"
#include "bioforest/workflows/density_refine.hpp"
#include "bioforest/workflows/density_training.hpp"
#include "density_blobs.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;
using bioforest::test::context;
using bioforest::test::write_blobs;

TEST_CASE("density refine: out-of-fold split: by image, balanced, fixed by the seed", "[density]") {
  const auto f = density_image_folds(10, 3, 7);
  REQUIRE(f.size() == 10);
  std::vector<int> size(3, 0);
  for (auto v : f) {
    REQUIRE(v < 3);
    ++size[v];
  }
  CHECK(*std::max_element(size.begin(), size.end()) - *std::min_element(size.begin(), size.end()) <=
        1);
  CHECK(density_image_folds(10, 3, 7) == f);
  CHECK(density_image_folds(10, 3, 8) != f);
  // More folds than images: one image per fold.
  const auto g = density_image_folds(2, 5, 1);
  CHECK(((g[0] == 0 && g[1] == 1) || (g[0] == 1 && g[1] == 0)));
  CHECK_THROWS(density_image_folds(1, 3, 0));
  CHECK_THROWS(density_image_folds(4, 1, 0));
}

TEST_CASE("density refine: the halo is the largest smoothing radius", "[density]") {
  CHECK(refine_halo({0, 8, 2}) == 24);
  CHECK(refine_halo({0}) == 0);
}

TEST_CASE(
    "density refine: a stacked model trains, reloads and predicts the same in blocks and threads",
    "[density]") {
  test::TempDir dir;
  nlohmann::json spec_doc = test::write_blob_training(dir);
  spec_doc["refine"] = "stacked";
  spec_doc["refine_scales"] = nlohmann::json::array({0, 4, 8});
  spec_doc["refine_folds"] = 3;
  const nlohmann::json doc = spec_doc;
  const auto spec = density_spec_from_json(doc, dir.file("spec.json"));
  const auto ctx = context(2);
  const DensityModel m = train_density(spec, ctx);
  REQUIRE(m.stacked());
  CHECK(m.refine_folds == 3);
  CHECK(m.refine_scales == std::vector<double>{0, 4, 8});
  CHECK(m.refine_forest.n_features() == m.forest.n_features() + 3);
  const DensityRequest req = test::blob_test_request(dir);
  const auto r = predict_density(m, req, ctx);
  const double total = test::check_blob_counts(r);

  SECTION("one thread: the same split, forests and counts") {
    const auto ctx1 = context(1);
    const DensityModel m1 = train_density(spec, ctx1);
    CHECK(m1.training_digest == m.training_digest);
    CHECK(predict_density(m1, req, ctx1).counts[0].total == total);
  }
  SECTION("reloads, and blocks (halo 3 x 8) give the same density") {
    save_density_model(m, dir.file("m.h5"), false);
    const DensityModel back = load_density_model(dir.file("m.h5"));
    REQUIRE(back.stacked());
    CHECK(predict_density(back, req, ctx).counts[0].total == total);
    test::check_blocks_agree(back, req, r, 8 << 20);
  }
  SECTION("one training image: trained without the refinement") {
    nlohmann::json one = doc;
    one["training"] = {{{"image", "a.tif"}, {"dots", "a.csv"}}};
    const DensityModel m1 = train_density(density_spec_from_json(one, dir.file("s.json")), ctx);
    CHECK_FALSE(m1.stacked());
  }
}
