// SPDX-License-Identifier: BSD-3-Clause
// Trees of at most 64 one-hot leaves of at most 4 classes are walked whole as leaf bit
// masks (traverse.hpp, LeafMasks), the others by their top levels and partitions. Forests
// mixing both, with one and two words of leaf bits, 2, 3 and 5 classes (5: partitions
// only), one-hot or not (not: partitions only), must predict exactly what walking each tree
// node by node gives.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <limits>

#include "bioforest/learn/classification_forest.hpp"
#include "bioforest/learn/probabilities.hpp"
#include "learn_test_data.hpp"

#include <hwy/targets.h>

using namespace bioforest;
using namespace bioforest::learn;
using bioforest::learn::test::Problem;

using bioforest::learn::test::threads;

namespace {

/// k classes: two clear regions and a noisy band where labels are random, so that trees
/// grown to purity have hundreds of leaves and depth-limited ones fill their levels.
Problem noisy_classes(std::size_t n, int k, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::uniform_int_distribution<int> any(1, k);
  Problem p{std::vector<float>(n * 6), std::vector<std::int32_t>(n), n, 6};
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < 6; ++f)
      p.x[i * 6 + f] = u(g);
    const float a = p.x[i * 6];
    p.y[i] = a < -0.4f ? 1 : a > 0.4f ? 2 : any(g);
  }
  return p;
}

std::size_t leaves_of_tree(const TreeEnsemble& t, std::size_t tree) {
  const std::size_t end = tree + 1 < t.n_trees() ? std::size_t(t.tree_root[tree + 1]) : t.n_nodes();
  std::size_t leaves = 0;
  for (std::size_t i = std::size_t(t.tree_root[tree]); i < end; ++i)
    leaves += t.child[i] == std::int32_t(i) ? 1 : 0;
  return leaves;
}

/// Trees of 2-4 leaves, of up to 32, of 33-64 (depth 6 on noisy data) and of more than 64
/// (grown to purity), interleaved in one forest. With `one_hot`, every leaf row is made
/// one-hot (its first largest class), as trees grown to purity have them: the walk then
/// counts votes.
ClassificationForest mixed_sizes(const Problem& train, bool one_hot) {
  TreeEnsemble all;
  std::vector<std::int32_t> classes;
  for (int round = 0; round < 2; ++round) {
    for (const int depth : {2, 5, 6, 0}) {
      ForestOptions o;
      o.n_trees = 3;
      o.max_depth = depth;
      o.seed = std::uint64_t(10 * round + depth);
      const auto rf = ClassificationForest::train(
          FeatureView::sample_major(train.x.data(), train.n, train.f), train.y, o, threads(2));
      all.append(rf.ensemble());
      classes = rf.classes();
    }
  }
  if (one_hot) {
    const std::size_t w = all.value_width;
    for (std::size_t r = 0; r < all.values.size() / w; ++r) {
      float* row = all.values.data() + r * w;
      const auto best = std::size_t(std::max_element(row, row + w) - row);
      for (std::size_t c = 0; c < w; ++c)
        row[c] = c == best ? 1.0f : 0.0f;
    }
  }
  return ClassificationForest::from_ensemble(all, classes);
}

}  // namespace

TEST_CASE("small trees walked as leaf masks predict as the node-by-node walk", "[learn]") {
  for (const int k : {2, 3, 5}) {
    for (const bool one_hot : {true, false}) {  // votes, or sums of mixed leaves
      const Problem train = noisy_classes(4000, k, std::uint32_t(80 + k));
      const auto rf = mixed_sizes(train, one_hot);
      const TreeEnsemble& t = rf.ensemble();
      std::size_t tiny = 0, one_word = 0, two_words = 0, large = 0;
      for (std::size_t tree = 0; tree < t.n_trees(); ++tree) {
        const std::size_t l = leaves_of_tree(t, tree);
        tiny += l <= 4;
        one_word += l > 4 && l <= 32;
        two_words += l > 32 && l <= 64;
        large += l > 64;
      }
      INFO(k << " classes, one-hot " << one_hot << ": trees of <= 4 leaves " << tiny << ", <= 32 "
             << one_word << ", 33-64 " << two_words << ", > 64 " << large);
      REQUIRE(tiny > 0);
      REQUIRE(one_word > 0);
      REQUIRE(two_words > 0);
      REQUIRE(large > 0);

      // Held-out rows, not a multiple of any vector, a few with a NaN feature.
      Problem held = noisy_classes(9001, k, 90);
      for (std::size_t i = 4; i < held.n; i += 613)
        held.x[i * 6 + 5] = std::numeric_limits<float>::quiet_NaN();
      const auto nan_row = [](std::size_t i) { return i % 613 == 4; };
      // The reference: each tree walked node by node, leaf rows summed in tree order.
      std::vector<std::int32_t> leaves(t.n_trees() * held.n);
      const auto sample_major = FeatureView::sample_major(held.x.data(), held.n, held.f);
      t.leaves_of(sample_major, 0, t.n_trees(), leaves.data());
      const std::size_t w = std::size_t(k);
      std::vector<float> want(held.n * w, 0.0f);
      for (std::size_t i = 0; i < held.n; ++i) {
        for (std::size_t tree = 0; tree < t.n_trees(); ++tree) {
          const auto row = std::size_t(t.leaf[std::size_t(leaves[tree * held.n + i])]);
          for (std::size_t c = 0; c < w; ++c)
            want[i * w + c] += t.values[row * w + c];
        }
        for (std::size_t c = 0; c < w; ++c)
          want[i * w + c] = nan_row(i) ? 0.0f : want[i * w + c] / float(t.n_trees());
      }
      std::vector<std::uint32_t> want_col(held.n);
      argmax(want.data(), held.n, w, ProbaLayout::row_major, want_col.data());

      // Planar planes read in place (padded stride) and copied block by block.
      const auto packed = test::to_planar(held);
      const std::size_t stride = padded_plane_stride(held.n);
      std::vector<float> padded(held.f * stride, 0.0f);
      for (std::size_t f = 0; f < held.f; ++f)
        std::copy_n(packed.begin() + std::ptrdiff_t(f * held.n), held.n,
                    padded.begin() + std::ptrdiff_t(f * stride));
      const auto in_place = FeatureView::planar(padded.data(), held.n, held.f, stride);
      for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
        hwy::SetSupportedTargetsForTest(target);
        for (const FeatureView& v : {sample_major, in_place}) {
          INFO(hwy::TargetName(target) << (v.sample_stride == 1 ? ", in place" : ", copied"));
          std::vector<float> got(held.n * w);
          rf.predict_proba(v, got.data(), threads(2));
          CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
          std::vector<std::int32_t> labels(held.n);
          rf.predict_labels(v, labels.data(), threads(2));
          std::size_t same = 0;
          for (std::size_t i = 0; i < held.n; ++i)
            same += labels[i] == rf.classes()[want_col[i]] ? 1 : 0;
          CHECK(same == held.n);
        }
      }
      hwy::SetSupportedTargetsForTest(0);  // back to the real CPU
    }
  }
}
