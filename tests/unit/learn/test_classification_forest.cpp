// SPDX-License-Identifier: BSD-3-Clause
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "bioforest/core/error.hpp"
#include "bioforest/learn/classification_forest.hpp"
#include "bioforest/learn/probabilities.hpp"
#include "learn_test_data.hpp"

#include <hwy/targets.h>

using namespace bioforest;
using namespace bioforest::learn;
using bioforest::learn::test::Problem;

using bioforest::learn::test::threads;

namespace {

FeatureView view(const Problem& p) {
  return FeatureView::sample_major(p.x.data(), p.n, p.f);
}

double accuracy(const ClassificationForest& rf, const Problem& p) {
  const auto pred = rf.predict(view(p), threads(2));
  std::size_t ok = 0;
  for (std::size_t i = 0; i < p.n; ++i)
    ok += pred[i] == p.y[i];
  return double(ok) / double(p.n);
}

bool same_forest(const TreeEnsemble& a, const TreeEnsemble& b) {
  auto same_f = [](const std::vector<float>& u, const std::vector<float>& v) {
    return u.size() == v.size() && std::memcmp(u.data(), v.data(), u.size() * sizeof(float)) == 0;
  };
  return a.tree_root == b.tree_root && a.feature == b.feature && a.child == b.child &&
         a.leaf == b.leaf && same_f(a.threshold, b.threshold) && same_f(a.values, b.values);
}

}  // namespace

TEST_CASE("separable problem: held-out accuracy near 1, ilastik defaults", "[learn]") {
  const Problem train = test::separable(2000, 9, 1), held = test::separable(2000, 9, 2);
  ForestOptions o;
  const auto rf = ClassificationForest::train(view(train), train.y, o, threads(2));
  CHECK(rf.n_trees() == 100);
  CHECK(rf.n_classes() == 2);
  CHECK(rf.classes() == std::vector<std::int32_t>{1, 2});
  CHECK(accuracy(rf, held) > 0.99);
  // Feature 0 carries all the information.
  const auto& imp = rf.gini_importance();
  REQUIRE(imp.size() == 9);
  for (std::size_t f = 1; f < 9; ++f)
    CHECK(imp[0] > 5 * imp[f]);
  CHECK(rf.oob().error < 0.02);
}

TEST_CASE("XOR needs two levels of splits and is learned", "[learn]") {
  const Problem train = test::xor_problem(4000, 4, 3), held = test::xor_problem(2000, 4, 4);
  const auto rf = ClassificationForest::train(view(train), train.y, ForestOptions{}, threads(2));
  CHECK(accuracy(rf, held) > 0.97);
}

TEST_CASE("trees grown to purity reproduce the training labels", "[learn]") {
  const Problem p = test::xor_problem(500, 3, 5);
  ForestOptions o;
  o.bootstrap = false;
  o.n_trees = 3;
  const auto rf = ClassificationForest::train(view(p), p.y, o, threads(1));
  CHECK(accuracy(rf, p) == 1.0);
  std::vector<float> prob(p.n * 2);
  rf.predict_proba(view(p), prob.data(), threads(1));
  for (float v : prob)
    CHECK((v == 0.0f || v == 1.0f));  // pure leaves
}

TEST_CASE("probabilities are the mean of leaf distributions and sum to 1", "[learn]") {
  const Problem p = test::xor_problem(1000, 5, 6);
  ForestOptions o;
  o.n_trees = 7;
  o.min_samples_leaf = 5;
  const auto rf = ClassificationForest::train(view(p), p.y, o, threads(2));
  std::vector<float> prob(p.n * 2);
  rf.predict_proba(view(p), prob.data(), threads(2));
  const auto& t = rf.ensemble();
  for (std::size_t i = 0; i < p.n; i += 37) {
    CHECK(prob[2 * i] + prob[2 * i + 1] == Approx(1.0f).margin(1e-6));
    double want0 = 0;  // walk every tree by hand
    for (std::size_t k = 0; k < t.n_trees(); ++k) {
      std::int32_t node = t.tree_root[k];
      while (!t.is_leaf(std::size_t(node)))
        node = p.x[i * p.f + std::size_t(t.feature[std::size_t(node)])] <
                       t.threshold[std::size_t(node)]
                   ? t.child[std::size_t(node)]
                   : t.child[std::size_t(node)] + 1;
      want0 += t.values[std::size_t(t.leaf[std::size_t(node)]) * 2];
    }
    CHECK(prob[2 * i] == Approx(want0 / 7).margin(1e-6));
  }
}

TEST_CASE("same seed: bit-identical forest and predictions for 1, 2 and 3 threads", "[learn]") {
  const Problem p = test::xor_problem(3000, 8, 7);
  ForestOptions o;
  o.n_trees = 13;
  o.seed = 99;
  const auto a = ClassificationForest::train(view(p), p.y, o, threads(1));
  const auto b = ClassificationForest::train(view(p), p.y, o, threads(2));
  const auto c = ClassificationForest::train(view(p), p.y, o, threads(3));
  CHECK(same_forest(a.ensemble(), b.ensemble()));
  CHECK(same_forest(a.ensemble(), c.ensemble()));
  CHECK(a.gini_importance() == c.gini_importance());
  CHECK(a.oob().prediction == c.oob().prediction);
  std::vector<float> pa(p.n * 2), pb(p.n * 2);
  a.predict_proba(view(p), pa.data(), threads(1));
  b.predict_proba(view(p), pb.data(), threads(3));
  CHECK(std::memcmp(pa.data(), pb.data(), pa.size() * sizeof(float)) == 0);
  o.seed = 100;
  const auto d = ClassificationForest::train(view(p), p.y, o, threads(2));
  CHECK_FALSE(same_forest(a.ensemble(), d.ensemble()));
}

TEST_CASE("fewer trees than threads: parallel split search grows the same trees", "[learn]") {
  const Problem p = test::xor_problem(6000, 12, 31);  // nodes above the parallel threshold
  ForestOptions o;
  o.n_trees = 3;
  o.seed = 5;
  const auto one = ClassificationForest::train(view(p), p.y, o, threads(1));
  const auto four = ClassificationForest::train(view(p), p.y, o, threads(4));
  CHECK(same_forest(one.ensemble(), four.ensemble()));
  CHECK(one.gini_importance() == four.gini_importance());
}

TEST_CASE("planar and sample-major views give bit-identical probabilities", "[learn]") {
  const Problem p = test::xor_problem(3001, 6, 8);  // not a multiple of any vector width
  const auto rf = ClassificationForest::train(view(p), p.y, ForestOptions{}, threads(2));
  const auto planar = test::to_planar(p);
  std::vector<float> a(p.n * 2), b(p.n * 2), c(p.n * 2);
  rf.predict_proba(view(p), a.data(), threads(2));
  rf.predict_proba(FeatureView::planar(planar.data(), p.n, p.f), b.data(), threads(2));
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  rf.predict_proba_planar(FeatureView::planar(planar.data(), p.n, p.f), c.data(), threads(1));
  for (std::size_t i = 0; i < p.n; ++i) {
    REQUIRE(c[i] == a[2 * i]);
    REQUIRE(c[p.n + i] == a[2 * i + 1]);
  }
  // The first rows of a planar block (feature stride = the whole block) read in place.
  const std::size_t rows = 40;
  std::vector<float> d(rows * 2);
  const FeatureView head{planar.data(), rows, p.f, 1, std::ptrdiff_t(p.n)};
  rf.predict_proba(head, d.data(), threads(1));
  for (std::size_t i = 0; i < rows * 2; ++i)
    CHECK(d[i] == a[i]);
}

TEST_CASE("imbalanced classes: class weights and balanced sampling raise minority recall",
          "[learn]") {
  // A rare class: 40 % of the samples with x0 > 0.9, 2 % elsewhere. Unweighted, the
  // majority wins everywhere; weighting or balanced sampling must find the region.
  auto make = [](std::uint32_t seed) {
    Problem q = test::separable(6000, 5, seed);
    std::mt19937 g(seed + 100);
    std::uniform_real_distribution<float> u(0, 1);
    for (std::size_t i = 0; i < q.n; ++i)
      q.y[i] = u(g) < (q.x[i * q.f] > 0.9f ? 0.4f : 0.02f) ? 2 : 1;
    return q;
  };
  const Problem p = make(9), held = make(10);
  ForestOptions plain;
  plain.min_samples_leaf = 20;
  ForestOptions balanced = plain;
  balanced.balanced_class_weights = true;
  ForestOptions sampled = plain;
  sampled.balanced_sampling = true;
  auto recall = [&](const ClassificationForest& rf) {
    const auto pred = rf.predict(view(held), threads(2));
    double hit = 0, pos = 0;
    for (std::size_t i = 0; i < held.n; ++i)
      if (held.y[i] == 2) {
        pos += 1;
        hit += pred[i] == 2;
      }
    return hit / pos;
  };
  const double r0 = recall(ClassificationForest::train(view(p), p.y, plain, threads(2)));
  const double r1 = recall(ClassificationForest::train(view(p), p.y, balanced, threads(2)));
  const double r2 = recall(ClassificationForest::train(view(p), p.y, sampled, threads(2)));
  CHECK(r1 > r0 + 0.2);
  CHECK(r2 > r0 + 0.2);
}

TEST_CASE("duplicate feature values: thresholds fall between distinct values", "[learn]") {
  // uint8-like features with many ties; also fully duplicated rows with conflicting labels.
  Problem p;
  p.n = 3000;
  p.f = 3;
  std::mt19937 g(11);
  for (std::size_t i = 0; i < p.n; ++i) {
    for (std::size_t k = 0; k < p.f; ++k)
      p.x.push_back(float(g() % 8));
    p.y.push_back(p.x[i * 3] >= 4 ? 2 : 1);
  }
  p.x[0] = p.x[3] = 5;
  p.x[1] = p.x[4] = 5;
  p.x[2] = p.x[5] = 5;
  p.y[0] = 1;
  p.y[1] = 2;  // identical rows, different labels: an impure leaf, no endless splitting
  const auto rf = ClassificationForest::train(view(p), p.y, ForestOptions{}, threads(2));
  const auto& t = rf.ensemble();
  for (std::size_t i = 0; i < t.n_nodes(); ++i)
    if (!t.is_leaf(i)) {
      const float th = t.threshold[i];
      CHECK(th == std::floor(th) + 0.5f);  // midpoint of adjacent integers
    }
  CHECK(accuracy(rf, p) > 0.99);
}

TEST_CASE("a single class: probability 1 for it, 0 for declared but unseen classes", "[learn]") {
  Problem p = test::separable(200, 3, 12);
  std::fill(p.y.begin(), p.y.end(), 2);
  const auto rf = ClassificationForest::train(view(p), p.y, ForestOptions{}, threads(2), {1, 2, 3});
  CHECK(rf.classes() == std::vector<std::int32_t>{1, 2, 3});
  std::vector<float> prob(p.n * 3);
  rf.predict_proba(view(p), prob.data(), threads(2));
  for (std::size_t i = 0; i < p.n; ++i) {
    CHECK(prob[3 * i] == 0.0f);
    CHECK(prob[3 * i + 1] == 1.0f);
    CHECK(prob[3 * i + 2] == 0.0f);
  }
  std::vector<float> unc(p.n);
  uncertainty(prob.data(), p.n, 3, ProbaLayout::row_major, unc.data());
  CHECK(unc[0] == 0.0f);
}

TEST_CASE("NaN features: training refuses them, prediction gives ilastik's all-zero row",
          "[learn]") {
  Problem p = test::separable(300, 4, 13);
  const auto rf = ClassificationForest::train(view(p), p.y, ForestOptions{}, threads(1));
  Problem bad = p;
  bad.x[5 * 4 + 2] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(ClassificationForest::train(view(bad), bad.y, ForestOptions{}, threads(1)),
                  Error);
  std::vector<float> prob(p.n * 2);
  rf.predict_proba(view(bad), prob.data(), threads(1));
  CHECK(prob[10] == 0.0f);
  CHECK(prob[11] == 0.0f);
  CHECK(prob[0] + prob[1] == Approx(1.0f));
}

TEST_CASE("bad input and options are usage errors", "[learn]") {
  const Problem p = test::separable(100, 4, 14);
  auto usage = [&](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.category() == ErrorCategory::usage;
    }
    return false;
  };
  ForestOptions o;
  CHECK(usage([&] {
    std::vector<std::int32_t> y = p.y;
    y[3] = 0;
    ClassificationForest::train(view(p), y, o, threads(1));
  }));
  CHECK(usage([&] { ClassificationForest::train(view(p), p.y, o, threads(1), {1}); }));
  CHECK(usage([&] {
    ForestOptions b;
    b.n_trees = 0;
    ClassificationForest::train(view(p), p.y, b, threads(1));
  }));
  CHECK(usage([&] {
    ForestOptions b;
    b.mtry = 5;
    ClassificationForest::train(view(p), p.y, b, threads(1));
  }));
  CHECK(usage([&] {
    ForestOptions b;
    b.class_weights = {1.0};
    ClassificationForest::train(view(p), p.y, b, threads(1));
  }));
  const auto rf = ClassificationForest::train(view(p), p.y, o, threads(1));
  std::vector<float> out(100 * 2);
  CHECK(usage([&] {
    rf.predict_proba(FeatureView::sample_major(p.x.data(), 50, 3), out.data(), threads(1));
  }));
}

TEST_CASE("max_depth and min_samples_leaf bound the trees", "[learn]") {
  const Problem p = test::xor_problem(2000, 4, 15);
  ForestOptions o;
  o.n_trees = 5;
  o.max_depth = 3;
  const auto shallow = ClassificationForest::train(view(p), p.y, o, threads(2));
  for (std::size_t t = 0; t < shallow.n_trees(); ++t) {
    std::size_t nodes =
        std::size_t(t + 1 < shallow.n_trees() ? shallow.ensemble().tree_root[t + 1]
                                              : std::int32_t(shallow.ensemble().n_nodes())) -
        std::size_t(shallow.ensemble().tree_root[t]);
    CHECK(nodes <= 15);  // a depth-3 binary tree
  }
  o.max_depth = 0;
  o.min_samples_leaf = 50;
  const auto leafy = ClassificationForest::train(view(p), p.y, o, threads(2));
  CHECK(leafy.ensemble().n_nodes() < 5 * 2 * 2000 / 50);
}

TEST_CASE("out-of-bag error tracks the held-out error", "[learn]") {
  const Problem p = test::xor_problem(3000, 6, 16), held = test::xor_problem(3000, 6, 17);
  const auto rf = ClassificationForest::train(view(p), p.y, ForestOptions{}, threads(2));
  const double held_err = 1.0 - accuracy(rf, held);
  CHECK(std::abs(rf.oob().error - held_err) < 0.02);
  CHECK(rf.oob().prediction.size() == p.n * 2);
  ForestOptions no_bag;
  no_bag.bootstrap = false;
  no_bag.n_trees = 2;
  CHECK(ClassificationForest::train(view(p), p.y, no_bag, threads(2)).oob().empty());
}

TEST_CASE("argmax and uncertainty helpers in both layouts", "[learn]") {
  const float rows[] = {0.2f, 0.5f, 0.3f, 0.6f, 0.2f, 0.2f, 0.4f, 0.4f, 0.2f};
  const float planar[] = {0.2f, 0.6f, 0.4f, 0.5f, 0.2f, 0.4f, 0.3f, 0.2f, 0.2f};
  std::uint32_t a[3], b[3];
  argmax(rows, 3, 3, ProbaLayout::row_major, a);
  argmax(planar, 3, 3, ProbaLayout::class_planar, b);
  CHECK(a[0] == 1);
  CHECK(a[1] == 0);
  CHECK(a[2] == 0);  // tie: the lower column
  CHECK(std::equal(a, a + 3, b));
  float u[3];
  uncertainty(rows, 3, 3, ProbaLayout::row_major, u);
  CHECK(u[0] == Approx(0.8f));
  CHECK(u[1] == Approx(0.6f));
  CHECK(u[2] == Approx(1.0f));
}

TEST_CASE("every compiled SIMD target predicts bit-identically", "[learn]") {
  // The runtime dispatch picks one target per CPU; a cluster mixes CPUs, so every target
  // compiled into the binary (AVX-512, AVX2, SSE4, ...) must give the same answer.
  const Problem p = test::xor_problem(5000, 7, 41);
  ForestOptions o;
  o.n_trees = 10;
  const auto rf = ClassificationForest::train(view(p), p.y, o, threads(2));
  const auto planar = test::to_planar(p);
  const auto pv = FeatureView::planar(planar.data(), p.n, p.f);
  std::vector<float> want(p.n * 2), got(p.n * 2);
  rf.predict_proba(pv, want.data(), threads(2));
  const auto targets = hwy::SupportedAndGeneratedTargets();
  for (const std::int64_t target : targets) {
    INFO(hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);
    rf.predict_proba(pv, got.data(), threads(2));
    CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) == 0);
    rf.predict_proba(view(p), got.data(), threads(1));
    CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) == 0);
  }
  hwy::SetSupportedTargetsForTest(0);  // back to the real CPU
  CHECK(targets.size() >= 2);
}

namespace {

/// Three classes: two clear regions and a noisy middle band where the trees disagree.
Problem three_classes(std::size_t n, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::uniform_int_distribution<int> any(1, 3);
  Problem p{std::vector<float>(n * 5), std::vector<std::int32_t>(n), n, 5};
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < 5; ++k)
      p.x[i * 5 + k] = u(g);
    const float a = p.x[i * 5], b = p.x[i * 5 + 1];
    p.y[i] = a < -0.3f ? 1 : a > 0.3f ? 2 : b > 0.5f ? 3 : any(g);
  }
  return p;
}

/// classes[argmax(predict_proba)] per sample.
std::vector<std::int32_t> labels_from_proba(const ClassificationForest& rf, const FeatureView& x) {
  std::vector<float> prob(x.n_samples * rf.n_classes());
  rf.predict_proba(x, prob.data(), threads(2));
  std::vector<std::uint32_t> col(x.n_samples);
  argmax(prob.data(), x.n_samples, rf.n_classes(), ProbaLayout::row_major, col.data());
  std::vector<std::int32_t> out(x.n_samples);
  for (std::size_t i = 0; i < x.n_samples; ++i)
    out[i] = rf.classes()[col[i]];
  return out;
}

}  // namespace

TEST_CASE("predict_labels equals argmax of predict_proba, with early exit, any threads",
          "[learn]") {
  const Problem train = three_classes(3000, 51);
  Problem held = three_classes(20000, 52);
  for (std::size_t i = 7; i < held.n; i += 997)  // rows with a NaN feature: the first class
    held.x[i * 5 + 3] = std::numeric_limits<float>::quiet_NaN();
  const auto planar = test::to_planar(held);
  // Grown to purity (one-hot leaves), with mixed leaves, and a tree count that is not a
  // multiple of the walk's group of trees.
  ForestOptions pure, mixed, odd;
  mixed.min_samples_leaf = 7;
  odd.n_trees = 13;
  for (const ForestOptions& o : {pure, mixed, odd}) {
    const auto rf = ClassificationForest::train(view(train), train.y, o, threads(2));
    const auto want = labels_from_proba(rf, view(held));
    CHECK(want[7] == 1);
    for (int t : {1, 2, 3}) {
      INFO("threads " << t << ", trees " << rf.n_trees());
      std::vector<std::int32_t> got(held.n);
      rf.predict_labels(view(held), got.data(), threads(t));
      CHECK(got == want);
      rf.predict_labels(FeatureView::planar(planar.data(), held.n, held.f), got.data(), threads(t));
      CHECK(got == want);
    }
    CHECK(rf.predict(view(held), threads(2)) == want);
  }
}

TEST_CASE("predict_labels of two classes (votes decide) equals argmax, on every SIMD target",
          "[learn]") {
  // Two classes have their own branch-free early exit on the votes, and rows leave the
  // block by compress-stores: both must give argmax's labels on every target, NaN rows and
  // a noisy band included (rows then leave after different groups of trees).
  auto two_classes = [](std::size_t n, std::uint32_t seed) {
    Problem p = three_classes(n, seed);
    for (auto& y : p.y)
      y = y == 2 ? 2 : 1;
    return p;
  };
  const Problem train = two_classes(3000, 61);
  Problem held = two_classes(20011, 62);  // not a multiple of a vector
  for (std::size_t i = 5; i < held.n; i += 911)
    held.x[i * 5 + 1] = std::numeric_limits<float>::quiet_NaN();
  const auto planar = test::to_planar(held);
  ForestOptions pure, odd;
  odd.n_trees = 13;
  for (const ForestOptions& o : {pure, odd}) {
    const auto rf = ClassificationForest::train(view(train), train.y, o, threads(2));
    const auto want = labels_from_proba(rf, view(held));
    CHECK(want[5] == 1);
    for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
      INFO(hwy::TargetName(target) << ", trees " << rf.n_trees());
      hwy::SetSupportedTargetsForTest(target);
      std::vector<std::int32_t> got(held.n);
      rf.predict_labels(view(held), got.data(), threads(2));
      CHECK(got == want);
      rf.predict_labels(FeatureView::planar(planar.data(), held.n, held.f), got.data(), threads(1));
      CHECK(got == want);
    }
    hwy::SetSupportedTargetsForTest(0);
  }
}

namespace {

/// Checks that two views of the same samples give bit-identical planar probabilities and
/// identical labels; returns the probabilities.
std::vector<float> same_planar_predictions(const ClassificationForest& rf, const FeatureView& a,
                                           const FeatureView& b, const RunContext& ctx) {
  const std::size_t n = a.n_samples, k = rf.n_classes();
  std::vector<float> want(n * k), got(n * k);
  rf.predict_proba_planar(a, want.data(), ctx);
  rf.predict_proba_planar(b, got.data(), ctx);
  CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) == 0);
  std::vector<std::int32_t> want_l(n), got_l(n);
  rf.predict_labels(a, want_l.data(), ctx);
  rf.predict_labels(b, got_l.data(), ctx);
  CHECK(got_l == want_l);
  return got;
}

}  // namespace

TEST_CASE("planes a padded stride apart are read in place, bit-identical to the copied path",
          "[learn]") {
  // The forest reads planes padded_plane_stride() apart in place and copies other layouts
  // block by block; both must give the same bits. The padding holds NaN, which must not
  // reach any row (the walk's vectors read past the samples but ignore those lanes). A
  // small call after a large one reuses the thread's id buffers, whose stale entries then
  // point past the small call's planes.
  const Problem train = three_classes(3000, 71);
  ForestOptions pure, mixed;
  mixed.min_samples_leaf = 7;
  for (const ForestOptions& o : {pure, mixed}) {
    const auto rf = ClassificationForest::train(view(train), train.y, o, threads(2));
    for (const std::size_t n : {std::size_t(20011), std::size_t(300)}) {
      Problem held = three_classes(n, 72);
      for (std::size_t i = 3; i < n; i += 97)
        held.x[i * 5 + 4] = std::numeric_limits<float>::quiet_NaN();
      const auto packed = test::to_planar(held);
      const std::size_t stride = padded_plane_stride(n);
      CHECK(is_padded_plane_stride(stride, n));
      CHECK_FALSE(is_padded_plane_stride(n, n));
      std::vector<float> padded(held.f * stride, std::numeric_limits<float>::quiet_NaN());
      for (std::size_t f = 0; f < held.f; ++f)
        std::copy_n(packed.begin() + std::ptrdiff_t(f * n), n,
                    padded.begin() + std::ptrdiff_t(f * stride));
      const auto pv = FeatureView::planar(packed.data(), n, held.f);
      const auto dv = FeatureView::planar(padded.data(), n, held.f, stride);
      for (int t : {1, 2, 3}) {
        INFO("n " << n << ", threads " << t << ", min_samples_leaf " << o.min_samples_leaf);
        CHECK(same_planar_predictions(rf, pv, dv, threads(t))[3] == 0.0f);
      }
    }
  }
}

TEST_CASE("an image's pixels walked in tiles give the bits of a list of samples", "[learn]") {
  // A view declared as an image's rows (FeatureView::row_length) is walked in 2-D tiles, each
  // copied run by run; every output layout must come back in pixel order with the same
  // bits, for widths of one, two and eight tile columns (the last one narrower), blocks
  // shrunk by the thread count, NaN rows, sample-major input, and rows that do not divide
  // the samples (then no tiles).
  const Problem train = three_classes(3000, 81);
  ForestOptions pure, mixed;
  mixed.min_samples_leaf = 7;
  struct Image {
    std::size_t width, rows;
  };
  for (const ForestOptions& o : {pure, mixed}) {
    const auto rf = ClassificationForest::train(view(train), train.y, o, threads(2));
    for (const Image im :
         {Image{100, 90}, Image{129, 101}, Image{300, 70}, Image{1000, 9}, Image{300, 67}}) {
      const std::size_t n = im.width * im.rows - (im.rows == 67 ? 13 : 0);
      Problem held = three_classes(n, 82);
      for (std::size_t i = 5; i < n; i += 89)
        held.x[i * 5 + 2] = std::numeric_limits<float>::quiet_NaN();
      const auto planar = test::to_planar(held);
      const auto list = FeatureView::planar(planar.data(), n, held.f);
      const auto image = list.image_rows(im.width);
      const auto image_rows = view(held).image_rows(im.width);
      for (int t : {1, 2, 3}) {
        INFO("width " << im.width << ", n " << n << ", threads " << t << ", min_samples_leaf "
                      << o.min_samples_leaf);
        CHECK(same_planar_predictions(rf, list, image, threads(t))[5] == 0.0f);
        std::vector<float> got_rows(n * 3), want_rows(n * 3);
        rf.predict_proba(view(held), want_rows.data(), threads(t));
        rf.predict_proba(image_rows, got_rows.data(), threads(t));
        CHECK(std::memcmp(want_rows.data(), got_rows.data(), n * 3 * sizeof(float)) == 0);
      }
    }
  }
}

TEST_CASE("trees stored out of order or sharing nodes are walked whole", "[learn]") {
  // The walk's queue is sized from each tree's node range when the trees are consecutive
  // ranges, else by walking each tree: trees listed in reverse, or one tree listed twice,
  // must predict as the forest they spell (one-hot leaves: vote counts, exact in any order).
  const Problem train = three_classes(3000, 91);
  ForestOptions o;
  o.n_trees = 6;
  const auto rf = ClassificationForest::train(view(train), train.y, o, threads(2));
  const Problem held = three_classes(4000, 92);
  const TreeEnsemble& t = rf.ensemble();
  std::vector<float> want(held.n * 3), got(held.n * 3);
  t.predict_mean(view(held), want.data(), threads(2));
  TreeEnsemble reversed = t;
  std::reverse(reversed.tree_root.begin(), reversed.tree_root.end());
  reversed.predict_mean(view(held), got.data(), threads(2));
  CHECK(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) == 0);
  // The largest tree listed twice (and the others once): means of the doubled forest.
  std::size_t big = 0;
  for (std::size_t k = 1; k < t.n_trees(); ++k)
    if (k + 1 < t.n_trees() &&
        t.tree_root[k + 1] - t.tree_root[k] > t.tree_root[big + 1] - t.tree_root[big])
      big = k;
  TreeEnsemble doubled = t;
  doubled.tree_root.push_back(t.tree_root[big]);
  std::vector<std::int32_t> leaves(t.n_trees() * held.n);
  t.leaves_of(view(held), 0, t.n_trees(), leaves.data());
  doubled.predict_mean(view(held), got.data(), threads(2));
  std::size_t same = 0;
  for (std::size_t i = 0; i < held.n; ++i)
    for (std::size_t c = 0; c < 3; ++c) {
      float sum = 0.0f;
      for (std::size_t k = 0; k <= t.n_trees(); ++k) {
        const std::size_t tree = k < t.n_trees() ? k : big;
        sum += t.values[std::size_t(t.leaf[std::size_t(leaves[tree * held.n + i])]) * 3 + c];
      }
      same += sum / float(t.n_trees() + 1) == got[i * 3 + c] ? 1 : 0;
    }
  CHECK(same == held.n * 3);
}

TEST_CASE("probabilities are bit-identical to float sums over the trees in order", "[learn]") {
  // Grown to purity the leaves are one-hot and the walk counts votes; with mixed leaves it
  // adds the values. Either way each sample's row must be its leaf rows summed in tree
  // order in float, divided by the tree count (a NaN row: zeros).
  const Problem train = three_classes(3000, 53);
  Problem held = three_classes(5000, 54);
  for (std::size_t i = 11; i < held.n; i += 1009)
    held.x[i * 5 + 2] = std::numeric_limits<float>::quiet_NaN();
  ForestOptions pure, mixed;
  pure.n_trees = 21;
  mixed.n_trees = 21;
  mixed.min_samples_leaf = 9;
  for (const ForestOptions& o : {pure, mixed}) {
    const auto rf = ClassificationForest::train(view(train), train.y, o, threads(2));
    const TreeEnsemble& t = rf.ensemble();
    bool one_hot = true;
    for (float v : t.values)
      one_hot &= v == 0.0f || v == 1.0f;
    CHECK(one_hot == (o.min_samples_leaf == 1));
    std::vector<std::int32_t> leaves(t.n_trees() * held.n);
    t.leaves_of(view(held), 0, t.n_trees(), leaves.data());
    std::vector<float> got(held.n * 3);
    rf.predict_proba(view(held), got.data(), threads(2));
    std::size_t same = 0;
    for (std::size_t i = 0; i < held.n; ++i) {
      float want[3] = {0.0f, 0.0f, 0.0f};
      for (std::size_t k = 0; k < t.n_trees(); ++k)
        for (std::size_t c = 0; c < 3; ++c)
          want[c] += t.values[std::size_t(t.leaf[std::size_t(leaves[k * held.n + i])]) * 3 + c];
      const bool nan_row = i % 1009 == 11;
      for (std::size_t c = 0; c < 3; ++c) {
        const float w = nan_row ? 0.0f : want[c] / float(t.n_trees());
        same += std::memcmp(&w, &got[i * 3 + c], sizeof(float)) == 0 ? 1 : 0;
      }
    }
    CHECK(same == held.n * 3);
  }
}

TEST_CASE("predict_labels: exact ties go to the first class, as argmax", "[learn]") {
  // Two single-leaf trees voting for different classes: means (0.5, 0.5) for every sample.
  TreeEnsemble t;
  t.n_features = 1;
  t.value_width = 2;
  t.tree_root = {0, 1};
  t.feature = {0, 0};
  t.threshold = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::quiet_NaN()};
  t.child = {0, 1};
  t.leaf = {0, 1};
  t.values = {0.0f, 1.0f, 1.0f, 0.0f};
  const auto rf = ClassificationForest::from_ensemble(t, {4, 9});
  const std::vector<float> x = {0.1f, 0.7f, -3.0f};
  std::vector<std::int32_t> got(3);
  rf.predict_labels(FeatureView::sample_major(x.data(), 3, 1), got.data(), threads(1));
  CHECK(got == std::vector<std::int32_t>{4, 4, 4});
}
