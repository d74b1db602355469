// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The flat storage of a forest and its batched prediction engine, shared by the
/// classification and regression forests and by the vigra import.
///
/// All trees live in one set of node arrays (struct of arrays, so that SIMD gathers touch
/// only what a step needs). A split node i sends a sample to child[i] if x[feature[i]] <
/// threshold[i] and to child[i] + 1 otherwise (children are adjacent). A leaf has
/// child[i] == i and threshold NaN, so a traversal step leaves it where it is: lanes that
/// reached their leaf idle while the others walk on, without a branch.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bioforest/core/run_context.hpp"
#include "bioforest/learn/feature_matrix.hpp"

namespace bioforest::learn {

struct TreeEnsemble {
  std::size_t n_features = 0;
  std::size_t value_width = 0;          ///< leaf values per leaf: K classes, or 1 (regression)
  std::vector<std::int32_t> tree_root;  ///< node index of each tree's root
  std::vector<std::int32_t> feature;    ///< per node (0 for leaves)
  std::vector<float> threshold;         ///< per node (NaN for leaves)
  std::vector<std::int32_t> child;      ///< per node: left child; self for a leaf
  std::vector<std::int32_t> leaf;       ///< per node: leaf row in `values`, -1 for splits
  std::vector<float> values;            ///< leaves x value_width

  std::size_t n_trees() const noexcept { return tree_root.size(); }
  std::size_t n_nodes() const noexcept { return feature.size(); }
  bool is_leaf(std::size_t node) const noexcept { return leaf[node] >= 0; }

  /// Throws Error{input} if the arrays are inconsistent (used after loading a file).
  void validate() const;

  /// out[i * value_width + k] = mean over trees of the leaf value k reached by sample i
  /// (the unweighted mean, as vigra's predictProbabilities). A sample with a NaN feature
  /// gets all zeros (vigra's and ilastik's behaviour). Parallel over blocks of samples;
  /// the result does not depend on ctx.threads.
  void predict_mean(const FeatureView& x, float* out, const RunContext& ctx) const;
  /// The same, written value-planar: out[k * x.n_samples + i].
  void predict_mean_planar(const FeatureView& x, float* out, const RunContext& ctx) const;

  /// out[i] = the column of the largest predict_mean value of sample i (ties: the lower
  /// column; rows with a NaN feature: 0), identical to argmax(predict_mean) whatever
  /// ctx.threads, but faster: after every few trees, samples whose leading column can no
  /// longer be overtaken by the remaining trees (each moves a column by at most the
  /// spread of the leaf values; float rounding is bounded with a margin) stop walking.
  void predict_argmax(const FeatureView& x, std::uint32_t* out, const RunContext& ctx) const;

  /// For each sample of a view and each tree in [first_tree, last_tree): the leaf node
  /// reached (tree-major: out[(t - first_tree) * n + i]). Single-threaded; used by OOB.
  void leaves_of(const FeatureView& x, std::size_t first_tree, std::size_t last_tree,
                 std::int32_t* out) const;

  /// Appends another ensemble's trees (same n_features and value_width).
  void append(const TreeEnsemble& other);
};

}  // namespace bioforest::learn
