// SPDX-License-Identifier: BSD-3-Clause
// White-box tests of the tree builder (lib/learn/tree_builder.hpp): its two ways of
// searching a node's splits must grow the same trees, bit for bit.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "bioforest/learn/feature_matrix.hpp"
#include "tree_builder.hpp"

using namespace bioforest::learn;
using namespace bioforest::learn::detail;

namespace {

// Features that take every path of the split search: continuous values (sorted or
// presorted), few distinct values (the histogram), duplicates, and -0 beside +0.
std::vector<float> mixed_features(std::size_t n, std::size_t f, std::mt19937& g) {
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> x(n * f);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < f; ++k) {
      float v = u(g);
      if (k == 1) v = std::floor(v * 10.0f);               // 10 values
      if (k == 2) v = std::round(v * 400.0f) / 400.0f;     // duplicates
      if (k == 3 && v < 0.1f) v = (i % 2) ? 0.0f : -0.0f;  // signed zeros
      x[i * f + k] = v;
    }
  return x;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void check_same_trees(const PreparedData& d, std::uint64_t seed) {
  TreeBuilder presorted(d), sorted(d);
  TreeConfig with, without;
  with.mtry = without.mtry = 3;
  without.presorted_search = false;
  std::mt19937 g{std::uint32_t(seed)};
  std::vector<std::uint32_t> draws(d.n);
  std::size_t nodes = 0;
  for (std::uint64_t t = 0; t < 6; ++t) {
    std::fill(draws.begin(), draws.end(), 0u);
    std::uniform_int_distribution<std::size_t> pick(0, d.n - 1);
    for (std::size_t k = 0; k < d.n; ++k)
      ++draws[pick(g)];
    const GrownTree a = presorted.grow(draws, with, seed, 2 * t + 1);
    const GrownTree b = sorted.grow(draws, without, seed, 2 * t + 1);
    INFO("tree " << t);
    CHECK(a.feature == b.feature);
    CHECK(a.child == b.child);
    CHECK(a.leaf == b.leaf);
    CHECK(same_bits(a.threshold, b.threshold));
    CHECK(same_bits(a.values, b.values));
    CHECK(a.importance == b.importance);
    nodes += a.feature.size();
  }
  CHECK(nodes > 6 * 9);  // trees with splits below the root
}

}  // namespace

TEST_CASE("tree builder: the presorted search of large nodes grows the trees the sort grows",
          "[learn]") {
  const std::size_t F = 6;
  for (const std::size_t n : {std::size_t(150), std::size_t(2500)}) {
    std::mt19937 g{std::uint32_t(n)};
    const std::vector<float> x = mixed_features(n, F, g);
    const FeatureView view = FeatureView::sample_major(x.data(), n, F);
    std::uniform_real_distribution<float> noise(-0.3f, 0.3f);
    for (const std::size_t classes : {std::size_t(2), std::size_t(3)}) {
      INFO(n << " samples, " << classes << " classes");
      PreparedData d;
      d.n_channels = classes;
      d.cls.resize(n);
      d.base_weight.resize(n);
      // Class weights that are not integers: sums in another order would differ.
      const double weight[3] = {1.0, 2.7, 0.45};
      for (std::size_t i = 0; i < n; ++i) {
        const float s = x[i * F] + 0.2f * x[i * F + 1] / 10.0f - x[i * F + 2] + noise(g);
        d.cls[i] = std::int32_t(s > 0.1f) + (classes == 3 && s > 0.4f ? 1 : 0);
        d.base_weight[i] = weight[d.cls[i]];
      }
      prepare_features(view, 1, d);
      check_same_trees(d, 7 + n + classes);
    }
    INFO(n << " samples, regression");
    PreparedData r;
    r.regression = true;
    r.n_channels = 1;
    r.base_weight.assign(n, 1.0);
    r.y.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      r.y[i] = std::sin(6.0 * x[i * F]) + x[i * F + 1] * 0.1 + noise(g);
    prepare_features(view, 1, r);
    check_same_trees(r, 11 + n);
  }
}
