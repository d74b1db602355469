// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: growing one tree. Classification (Gini) and regression (squared error) share it:
// both choose the split that maximises  sum_c L_c^2 / W_L + sum_c R_c^2 / W_R, where the
// "channels" c are the per-class weights (Gini) or the weighted target sum (MSE), and W the
// weight of each side. The impurity decrease is that score minus sum_c T_c^2 / W.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bioforest/learn/feature_matrix.hpp"

namespace bioforest::learn::detail {

/// Training data prepared once per forest and shared read-only by all trees.
struct PreparedData {
  std::size_t n = 0, n_features = 0;
  /// rank[f * n + i]: position of sample i's value of feature f among the sorted distinct
  /// values of f. Splits are searched on ranks (integers), thresholds come from `distinct`.
  std::vector<std::uint32_t> rank;
  /// Exact features of at most kPresortedMaxSamples samples (prepare_features, else empty):
  /// order[f * n + k] = the sample of the k-th smallest value of f, ties by sample; large
  /// nodes' split search compresses it instead of sorting (TreeBuilder::best_split_w).
  std::vector<std::uint32_t> order;
  /// Binned features with at most 256 bins: the ranks as one byte each, instead of `rank`.
  std::vector<std::uint8_t> rank8;
  std::vector<std::vector<float>> distinct;  ///< per feature, ascending
  /// Binned features only (prepare_binned_features): the smallest value of each bin, while
  /// `distinct` holds the largest; a split between bins lo < hi cuts between distinct[lo]
  /// and lower[hi]. Empty: ranks are exact distinct values.
  std::vector<std::vector<float>> lower;
  bool regression = false;
  std::size_t n_channels = 0;       ///< classes (classification) or 1 (regression)
  std::vector<std::int32_t> cls;    ///< classification: column of each sample's class
  std::vector<double> y;            ///< regression: target of each sample
  std::vector<double> base_weight;  ///< per-sample weight (class weights), 1 by default
};

/// The presorted split search reads every sample's record in value order, at random: it
/// pays while those records stay in L2 (1636 samples: forest 13.6 -> 10.6-11.1 ms; 20 000:
/// the same; 200 000 samples, 4 classes: 15.7 -> 19.5 s).
constexpr std::size_t kPresortedMaxSamples = std::size_t(1) << 14;

/// Ranks and distinct values of every feature; throws Error{usage} on NaN or inf.
void prepare_features(const FeatureView& x, int threads, PreparedData& d);

/// As prepare_features, but the "ranks" are quantile bins (at most max_bins per feature,
/// edges from the sorted values of a fixed strided subsample of at most 64 * max_bins
/// samples): every node's split search is then a histogram over at most max_bins bins,
/// O(samples) instead of a sort of the node's samples. Features with fewer distinct values
/// in the subsample than bins keep one bin per value. Throws Error{usage} on NaN or inf.
void prepare_binned_features(const FeatureView& x, std::size_t max_bins, int threads,
                             PreparedData& d);

struct TreeConfig {
  std::size_t mtry = 1;
  int max_depth = 0;  // 0 = unlimited
  double min_samples_leaf = 1;
  double min_samples_split = 2;
  /// Nodes of at least a quarter of the samples are searched on the presorted order of
  /// exact features; false: every node gathers and sorts (the same trees, bit for bit: the
  /// reference the tests compare with).
  bool presorted_search = true;
};

/// One grown tree in the ensemble's layout (node 0 = root, children adjacent).
struct GrownTree {
  std::vector<std::int32_t> feature, child, leaf;
  std::vector<float> threshold, values;
  std::vector<double> importance;  ///< impurity decrease per feature, divided by root weight
};

class TreeBuilder {
 public:
  /// inner_threads > 1: the candidate features of large nodes are searched in parallel
  /// (for forests with fewer trees than threads); the tree is the same for any count.
  explicit TreeBuilder(const PreparedData& d, int inner_threads = 1);
  /// Grows a tree on the samples with draws[i] > 0 (draws = bootstrap counts), drawing
  /// candidate features from `rng_seed`/`stream`.
  GrownTree grow(const std::vector<std::uint32_t>& draws, const TreeConfig& cfg,
                 std::uint64_t rng_seed, std::uint64_t stream);

 private:
  struct Split;
  struct NodeStats;
  /// Buffers of one split search (one per thread searching).
  struct Scratch {
    std::vector<std::uint32_t> ranks;        // gathered ranks of the current node
    std::vector<std::uint64_t> keys, keys2;  // (rank, sample) sort keys
    std::vector<double> hist;                // per rank bin: count, weight, channels
  };
  bool best_split_on(std::uint32_t f, std::size_t begin, std::size_t end, const NodeStats& total,
                     const TreeConfig& cfg, Split& best, Scratch& s);
  template <std::size_t kW>
  bool best_split_w(std::uint32_t f, std::size_t begin, std::size_t end, const NodeStats& total,
                    const TreeConfig& cfg, Split& best, Scratch& s);
  /// Best split over the node's candidate features, drawn from rng; false if none splits.
  template <class R>
  bool search_node(R& rng, std::size_t begin, std::size_t end, const NodeStats& total,
                   const TreeConfig& cfg, Split& best);
  void stats_of(std::size_t begin, std::size_t end, NodeStats& s, bool& pure) const;

  const PreparedData& d_;
  std::size_t width_;                     // channels + 2 (count, weight)
  std::vector<std::uint32_t> idx_, tmp_;  // in-bag samples; nodes own ranges of idx_
  std::vector<Scratch> scratch_;          // one per inner thread
  int inner_threads_ = 1;
  /// What the split search adds per in-bag sample, in one record (one cache line touched
  /// per random access instead of four).
  struct SampleStat {
    double weight = 0, value = 0;  // draws x class weight; channel value (weight or weight x y)
    float count = 0;               // bootstrap draws
    std::uint32_t chan = 0;        // channel: class column, or 0 for regression
  };
  std::vector<SampleStat> stat_;  // per sample
  /// The node searched is large enough for the presorted scan (best_split_w); its samples
  /// have mark_[sample] == stamp_ (a new stamp per such node, unique across trees).
  bool presorted_ = false;
  std::vector<std::uint32_t> mark_;
  std::uint32_t stamp_ = 0;
  std::vector<SampleStat> local_;    // the current node's samples, in node order
  std::vector<std::uint32_t> perm_;  // feature order for sampling without replacement
  // The rank matrix the search reads (rank_[f * rank_n_ + sample]) and the targets: the
  // prepared data's, or for binned features the tree-local copies over the in-bag samples.
  const std::uint32_t* rank_ = nullptr;
  const std::uint8_t* rank8_ = nullptr;  // instead of rank_ when set: ranks of one byte
  std::size_t rank_n_ = 0;
  const double* y_ = nullptr;
  std::vector<std::uint32_t> inbag_, local_rank_;
  std::vector<std::uint8_t> local_rank8_;
  std::vector<double> y_local_;
};

}  // namespace bioforest::learn::detail
