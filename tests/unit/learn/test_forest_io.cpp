// SPDX-License-Identifier: BSD-3-Clause
#include <catch2/catch.hpp>

#include <cstring>

#include "bioforest/core/error.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/learn/classification_forest.hpp"
#include "bioforest/learn/importance.hpp"
#include "bioforest/learn/regression_forest.hpp"
#include "learn_test_data.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::learn;
using bioforest::learn::test::threads;

TEST_CASE("a saved and reloaded classification forest predicts bit-identically", "[learn]") {
  const auto p = learn::test::xor_problem(2000, 5, 21);
  const auto x = FeatureView::sample_major(p.x.data(), p.n, p.f);
  ForestOptions o;
  o.n_trees = 20;
  auto rf = ClassificationForest::train(x, p.y, o, threads(2), {1, 2, 3});
  rf.set_feature_names({"a", "b", "c", "d", "e"});
  bioforest::test::TempDir dir;
  const std::string path = dir.file("model.h5");
  {
    auto f = h5::File::create(path);
    rf.save(f, "/classifier/forest");
    f.close();
  }
  const auto f = h5::File::open_read(path);
  CHECK(f.read_numeric_attribute("/classifier/forest", "format_version") == std::vector<double>{1});
  const auto back = ClassificationForest::load(f, "/classifier/forest");
  CHECK(back.classes() == rf.classes());
  CHECK(back.feature_names() == rf.feature_names());
  CHECK(back.gini_importance() == rf.gini_importance());
  CHECK(back.oob().error == rf.oob().error);
  std::vector<float> a(p.n * 3), b(p.n * 3);
  rf.predict_proba(x, a.data(), threads(2));
  back.predict_proba(x, b.data(), threads(1));
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);

  const auto table = importance_table(back, x, p.y, 1, 3, threads(2));
  const std::string csv = table.to_csv();
  CHECK(csv.rfind("feature,impurity_decrease,permutation_mean,permutation_std\n\"a\",", 0) == 0);
  CHECK(table.permutation[0] > table.permutation[4]);

  CHECK_THROWS_AS(RegressionForest::load(f, "/classifier/forest"), Error);
  CHECK_THROWS_AS(ClassificationForest::load(f, "/nothing"), Error);
}

TEST_CASE("a newer format version is refused with a clear error", "[learn]") {
  const auto p = learn::test::separable(200, 3, 22);
  ForestOptions o;
  o.n_trees = 2;
  const auto rf = ClassificationForest::train(FeatureView::sample_major(p.x.data(), p.n, p.f), p.y,
                                              o, threads(1));
  bioforest::test::TempDir dir;
  auto f = h5::File::create(dir.file("m.h5"));
  rf.save(f, "rf");
  f.write_numeric_attribute("rf", "format_version", {2});
  try {
    ClassificationForest::load(f, "rf");
    FAIL("loaded a version-2 forest");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("version 2") != std::string::npos);
    CHECK(e.category() == ErrorCategory::input);
  }
  // A corrupted child index is caught by validation, not by a crash while predicting.
  f.write_numeric_attribute("rf", "format_version", {1});
  auto child = f.read<std::int32_t>("rf/child");
  child[0] = 1000000;
  f.write("rf/child", child);
  CHECK_THROWS_AS(ClassificationForest::load(f, "rf"), Error);
}

TEST_CASE("a regression forest round-trips through HDF5", "[learn]") {
  const auto p = learn::test::separable(500, 3, 23);
  std::vector<float> y(p.n);
  for (std::size_t i = 0; i < p.n; ++i)
    y[i] = p.x[i * 3] * 2 + p.x[i * 3 + 1];
  const auto x = FeatureView::sample_major(p.x.data(), p.n, p.f);
  ForestOptions o;
  o.n_trees = 10;
  const auto rf = RegressionForest::train(x, y, o, threads(2));
  bioforest::test::TempDir dir;
  {
    auto f = h5::File::create(dir.file("r.h5"));
    rf.save(f, "/density");
    f.close();
  }
  const auto back = RegressionForest::load(h5::File::open_read(dir.file("r.h5")), "/density");
  std::vector<float> a(p.n), b(p.n);
  rf.predict(x, a.data(), threads(2));
  back.predict(x, b.data(), threads(2));
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}
