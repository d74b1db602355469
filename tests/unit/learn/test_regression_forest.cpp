// SPDX-License-Identifier: BSD-3-Clause
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>

#include "bioforest/core/error.hpp"
#include "bioforest/learn/importance.hpp"
#include "bioforest/learn/regression_forest.hpp"
#include "learn_test_data.hpp"

using namespace bioforest;
using namespace bioforest::learn;

using bioforest::learn::test::threads;

namespace {

struct Data {
  std::vector<float> x, y;
  std::size_t n, f;

  FeatureView view() const { return FeatureView::sample_major(x.data(), n, f); }
};

/// y = sin(3 x0) + x1^2, features 2.. are noise.
Data known_function(std::size_t n, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  Data d{{}, {}, n, 4};
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < d.f; ++k)
      d.x.push_back(u(g));
    d.y.push_back(std::sin(3 * d.x[i * 4]) + d.x[i * 4 + 1] * d.x[i * 4 + 1]);
  }
  return d;
}

/// A forest of `trees` trees (otherwise the defaults) trained on `tr` with 2 threads.
RegressionForest trained_on(const Data& tr, std::size_t trees) {
  ForestOptions o;
  o.n_trees = trees;
  return RegressionForest::train(tr.view(), tr.y, o, threads(2));
}

/// Mean squared error of `pred` and variance of the truth over the samples of `te`.
struct Fit {
  double mse = 0, var = 0;
};
Fit fit_of(const std::vector<float>& pred, const Data& te) {
  Fit r;
  double mean = 0;
  for (float v : te.y)
    mean += v / double(te.n);
  for (std::size_t i = 0; i < te.n; ++i) {
    r.mse += (pred[i] - te.y[i]) * (pred[i] - te.y[i]) / double(te.n);
    r.var += (te.y[i] - mean) * (te.y[i] - mean) / double(te.n);
  }
  return r;
}

}  // namespace

TEST_CASE("regression forest learns a known function", "[learn]") {
  const Data tr = known_function(4000, 1), te = known_function(2000, 2);
  const auto rf = trained_on(tr, 50);
  std::vector<float> pred(te.n);
  rf.predict(te.view(), pred.data(), threads(2));
  const Fit fit = fit_of(pred, te);
  CHECK(fit.mse < 0.03 * fit.var);  // R^2 > 0.97
  CHECK(rf.oob().error < 0.05 * fit.var);
  const auto& imp = rf.mse_importance();
  CHECK(imp[0] > imp[2] * 5);
  CHECK(imp[1] > imp[3]);  // x1^2 varies little: full-depth trees also split on noise
  std::vector<double> sd;
  const auto perm = permutation_importance(rf, te.view(), te.y, 2, 7, threads(2), &sd);
  CHECK(perm[0] > 0.1);
  CHECK(perm[1] > perm[3]);
  CHECK(std::abs(perm[3]) < 0.02);
}

TEST_CASE("regression: an image's pixels walked in tiles give the same bits", "[learn]") {
  // 3000 samples as an image of 20 rows of 150 pixels (two tile columns of 75).
  const Data tr = known_function(2000, 5), te = known_function(3000, 6);
  const auto rf = trained_on(tr, 20);
  const auto list = te.view();
  for (int t : {1, 2}) {
    std::vector<float> want(te.n), got(te.n);
    rf.predict(list, want.data(), threads(t));
    rf.predict(list.image_rows(150), got.data(), threads(t));
    CHECK(std::memcmp(want.data(), got.data(), te.n * sizeof(float)) == 0);
  }
}

TEST_CASE("regression: deterministic across threads, depth limit, constant target", "[learn]") {
  const Data tr = known_function(1500, 3);
  const auto x = tr.view();
  ForestOptions o;
  o.n_trees = 10;
  o.max_depth = 50;  // ilastik's counting settings
  const auto a = RegressionForest::train(x, tr.y, o, threads(1));
  const auto b = RegressionForest::train(x, tr.y, o, threads(2));
  const auto& ta = a.ensemble().threshold;
  const auto& tb = b.ensemble().threshold;
  REQUIRE(ta.size() == tb.size());
  CHECK(std::memcmp(ta.data(), tb.data(), ta.size() * sizeof(float)) == 0);  // NaN leaves
  CHECK(a.ensemble().values == b.ensemble().values);
  std::vector<float> c(tr.n, 2.5f), pred(tr.n);
  const auto flat = RegressionForest::train(x, c, o, threads(2));
  flat.predict(x, pred.data(), threads(2));
  CHECK(pred[7] == 2.5f);
  CHECK(flat.ensemble().n_nodes() == 10);  // one leaf per tree
  ForestOptions bad = o;
  bad.balanced_class_weights = true;
  CHECK_THROWS_AS(RegressionForest::train(x, tr.y, bad, threads(1)), Error);
}

TEST_CASE("regression with binned features: accurate, deterministic, exact when bins suffice",
          "[learn]") {
  SECTION("a known function: 64 bins lose little, and the trees do not depend on threads") {
    const Data tr = known_function(30000, 4), te = known_function(2000, 5);
    const auto x = tr.view();
    ForestOptions o;
    o.n_trees = 20;
    o.max_bins = 64;
    const auto rf = RegressionForest::train(x, tr.y, o, threads(2));
    std::vector<float> pred(te.n);
    rf.predict(FeatureView::sample_major(te.x.data(), te.n, te.f), pred.data(), threads(2));
    const Fit fit = fit_of(pred, te);
    CHECK(fit.mse < 0.03 * fit.var);
    // Every threshold lies strictly between two training values (between bins).
    const auto one = RegressionForest::train(x, tr.y, o, threads(1));
    CHECK(one.ensemble().values == rf.ensemble().values);
    const auto& t1 = one.ensemble().threshold;
    const auto& t2 = rf.ensemble().threshold;
    REQUIRE(t1.size() == t2.size());
    CHECK(std::memcmp(t1.data(), t2.data(), t1.size() * sizeof(float)) == 0);
  }
  SECTION("features with fewer values than bins: the same forest as exact splits") {
    // Integer features and targets: every sum is exact, so the binned search (one bin per
    // value, tree-local one-byte ranks) must pick the exact search's splits.
    std::mt19937 g(9);
    std::uniform_int_distribution<int> v(0, 40);
    const std::size_t n = 3000, f = 3;
    std::vector<float> xs(n * f), y(n);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t k = 0; k < f; ++k)
        xs[i * f + k] = float(v(g));
      y[i] = float(int(xs[i * f] > 20) * 3 + int(xs[i * f + 1]) % 4);
    }
    const auto x = FeatureView::sample_major(xs.data(), n, f);
    ForestOptions o;
    o.n_trees = 8;
    const auto exact = RegressionForest::train(x, y, o, threads(2));
    o.max_bins = 64;
    const auto binned = RegressionForest::train(x, y, o, threads(2));
    CHECK(binned.ensemble().feature == exact.ensemble().feature);
    CHECK(binned.ensemble().values == exact.ensemble().values);
    const auto& te = exact.ensemble().threshold;
    const auto& tb = binned.ensemble().threshold;
    REQUIRE(te.size() == tb.size());
    CHECK(std::memcmp(te.data(), tb.data(), te.size() * sizeof(float)) == 0);
  }
  SECTION("bad bin counts and NaN features are usage errors") {
    const Data tr = known_function(500, 6);
    auto x = tr.view();
    ForestOptions o;
    o.n_trees = 2;
    o.max_bins = 1;
    CHECK_THROWS_AS(RegressionForest::train(x, tr.y, o, threads(1)), Error);
    o.max_bins = 16;
    std::vector<float> bad = tr.x;
    bad[5] = std::nanf("");
    CHECK_THROWS_AS(RegressionForest::train(FeatureView::sample_major(bad.data(), tr.n, tr.f), tr.y,
                                            o, threads(1)),
                    Error);
  }
}
