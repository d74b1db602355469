// SPDX-License-Identifier: BSD-3-Clause
#include "tree_builder.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>

#include "bioforest/core/error.hpp"
#include "rng.hpp"

namespace bioforest::learn::detail {

// ---------------------------------------------------------------- preparation

namespace {

/// Sorts keys[0, n) by bits [32, 32 + bits) (LSD radix, 8-bit digits), small n by std::sort.
void sort_keys(std::uint64_t* keys, std::uint64_t* tmp, std::size_t n, unsigned bits) {
  if (n < 128) {
    std::sort(keys, keys + n);
    return;
  }
  std::uint64_t* src = keys;
  std::uint64_t* dst = tmp;
  for (unsigned shift = 32; shift < 32 + bits; shift += 8) {
    std::size_t count[257] = {};
    for (std::size_t i = 0; i < n; ++i)
      ++count[((src[i] >> shift) & 0xFF) + 1];
    for (int b = 0; b < 256; ++b)
      count[b + 1] += count[b];
    for (std::size_t i = 0; i < n; ++i)
      dst[count[(src[i] >> shift) & 0xFF]++] = src[i];
    std::swap(src, dst);
  }
  if (src != keys) std::copy(src, src + n, keys);
}

/// An unsigned key with the order of finite floats (-0 and +0 equal, as they compare).
std::uint32_t orderable_key(float v) {
  std::uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  if (v == 0.0f) u = 0;  // -0 as +0
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

}  // namespace

void prepare_features(const FeatureView& x, int threads, PreparedData& d) {
  d.n = x.n_samples;
  d.n_features = x.n_features;
  d.rank.assign(d.n * d.n_features, 0);
  const bool keep_order = d.n <= kPresortedMaxSamples;
  d.order.assign(keep_order ? d.n * d.n_features : 0, 0);
  d.distinct.assign(d.n_features, {});
  std::vector<int> bad_feature(d.n_features, -1);  // first non-finite sample per feature
#pragma omp parallel num_threads(std::max(1, threads))
  {
    // (value key, sample) sorted by a stable radix sort: the order of sorting (value,
    // sample) pairs, at ~1/5 of std::sort's time for a few thousand samples.
    std::vector<std::uint64_t> keys(d.n), tmp(d.n);
#pragma omp for schedule(dynamic, 1)
    for (std::size_t f = 0; f < d.n_features; ++f) {
      for (std::size_t i = 0; i < d.n; ++i) {
        const float v = x.at(i, f);
        if (!std::isfinite(v) && bad_feature[f] < 0) bad_feature[f] = int(i);
        keys[i] = std::uint64_t(orderable_key(v)) << 32 | i;
      }
      if (bad_feature[f] >= 0) continue;
      sort_keys(keys.data(), tmp.data(), d.n, 32);
      auto& dist = d.distinct[f];
      std::uint32_t* r = d.rank.data() + f * d.n;
      std::uint32_t* o = keep_order ? d.order.data() + f * d.n : nullptr;
      for (std::size_t k = 0; k < d.n; ++k) {
        const auto i = std::uint32_t(keys[k]);
        if (o) o[k] = i;
        const float v = x.at(i, f);
        if (k == 0 || v != dist.back()) dist.push_back(v);
        r[i] = std::uint32_t(dist.size() - 1);
      }
    }
  }
  for (std::size_t f = 0; f < d.n_features; ++f)
    if (bad_feature[f] >= 0)
      throw_usage("feature " + std::to_string(f) + " of training sample " +
                  std::to_string(bad_feature[f]) +
                  " is NaN or infinite: the forest cannot be trained on it (remove or impute "
                  "such samples)");
}

void prepare_binned_features(const FeatureView& x, std::size_t max_bins, int threads,
                             PreparedData& d) {
  if (max_bins < 2) throw_internal("binned features need at least 2 bins");
  const std::size_t n = x.n_samples, F = x.n_features;
  d.n = n;
  d.n_features = F;
  const bool bytes = max_bins <= 256;
  d.rank.assign(bytes ? 0 : n * F, 0);
  d.rank8.assign(bytes ? n * F : 0, 0);
  d.order.clear();
  d.distinct.assign(F, {});
  d.lower.assign(F, {});
  const int nt = std::max(1, threads);
  // Cut points: quantiles of a fixed strided subsample (deterministic), each an actual
  // value, so no bin is empty; bin b holds the values in [edges[b], edges[b + 1]).
  const std::size_t m = std::min(n, 64 * max_bins);
  std::vector<std::vector<float>> edges(F);
#pragma omp parallel num_threads(nt)
  {
    std::vector<float> sub(m);
#pragma omp for schedule(dynamic, 1)
    for (std::size_t f = 0; f < F; ++f) {
      for (std::size_t k = 0; k < m; ++k)
        sub[k] = x.at(k * n / m, f);
      std::sort(sub.begin(), sub.end());  // NaN: caught below, any order will do
      auto& e = edges[f];
      for (std::size_t k = 0; k < m && e.size() <= max_bins; ++k)
        if (e.empty() || sub[k] > e.back()) e.push_back(sub[k]);
      if (e.size() > max_bins) {  // more values than bins: equal-count quantiles
        e.clear();
        for (std::size_t b = 0; b < max_bins; ++b)
          if (e.empty() || sub[b * m / max_bins] > e.back()) e.push_back(sub[b * m / max_bins]);
      }
    }
  }
  // Bins of every sample, sample by sample (rows are contiguous in sample-major views), with
  // each thread's smallest and largest value per bin, merged after.
  std::vector<std::vector<float>> hi(std::size_t(nt) * F), lo(std::size_t(nt) * F);
  std::vector<std::size_t> bad(std::size_t(nt) * F, n);  // first non-finite sample per feature
#pragma omp parallel num_threads(nt)
  {
    const std::size_t tid = std::size_t(omp_get_thread_num());
    for (std::size_t f = 0; f < F; ++f) {
      hi[tid * F + f].assign(edges[f].size(), -std::numeric_limits<float>::infinity());
      lo[tid * F + f].assign(edges[f].size(), std::numeric_limits<float>::infinity());
    }
#pragma omp for schedule(static, 4096)
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t f = 0; f < F; ++f) {
        const float v = x.at(i, f);
        if (!std::isfinite(v)) {
          bad[tid * F + f] = std::min(bad[tid * F + f], i);
          continue;
        }
        // The last edge <= v (edge 0 below it): a branchless binary search, as the bins of
        // neighbouring samples are unpredictable.
        const float* base = edges[f].data();
        for (std::size_t len = edges[f].size(); len > 1;) {
          const std::size_t half = len / 2;
          base = base[half] <= v ? base + half : base;
          len -= half;
        }
        const std::size_t b = std::size_t(base - edges[f].data());
        if (bytes)
          d.rank8[f * n + i] = std::uint8_t(b);
        else
          d.rank[f * n + i] = std::uint32_t(b);
        float& h = hi[tid * F + f][b];
        float& l = lo[tid * F + f][b];
        h = std::max(h, v);
        l = std::min(l, v);
      }
  }
  for (std::size_t f = 0; f < F; ++f) {
    std::size_t first_bad = n;
    for (int t = 0; t < nt; ++t)
      first_bad = std::min(first_bad, bad[std::size_t(t) * F + f]);
    if (first_bad < n)
      throw_usage("feature " + std::to_string(f) + " of training sample " +
                  std::to_string(first_bad) +
                  " is NaN or infinite: the forest cannot be trained on it (remove or impute "
                  "such samples)");
    d.distinct[f] = hi[f];
    d.lower[f] = lo[f];
    for (int t = 1; t < nt; ++t)
      for (std::size_t b = 0; b < edges[f].size(); ++b) {
        d.distinct[f][b] = std::max(d.distinct[f][b], hi[std::size_t(t) * F + f][b]);
        d.lower[f][b] = std::min(d.lower[f][b], lo[std::size_t(t) * F + f][b]);
      }
  }
}

// ---------------------------------------------------------------- helpers

namespace {

/// The float threshold t with lo < t <= hi such that, for every float x, x < t exactly when
/// x < (lo + hi) / 2 computed in double (vigra's midpoint, stored as double).
float midpoint_threshold(float lo, float hi) {
  const double mid = 0.5 * (double(lo) + double(hi));
  float t = float(mid);
  if (double(t) < mid) t = std::nextafter(t, std::numeric_limits<float>::infinity());
  return t;
}

unsigned bit_width32(std::uint32_t v) {
  return v == 0 ? 0 : 32 - unsigned(__builtin_clz(v));
}

}  // namespace

// ---------------------------------------------------------------- tree growth

struct TreeBuilder::NodeStats {
  std::vector<double> v;  // count, weight, channels
  double count() const { return v[0]; }
  double weight() const { return v[1]; }
  /// sum_c T_c^2 / W: the split score of not splitting.
  double score() const {
    double s = 0;
    for (std::size_t c = 2; c < v.size(); ++c)
      s += v[c] * v[c];
    return v[1] > 0 ? s / v[1] : 0.0;
  }
};

struct TreeBuilder::Split {
  double score = -std::numeric_limits<double>::infinity();
  std::uint32_t feature = 0, rank_lo = 0, rank_hi = 0;
};

TreeBuilder::TreeBuilder(const PreparedData& d, int inner_threads)
    : d_(d), width_(d.n_channels + 2), inner_threads_(std::max(1, inner_threads)) {
  idx_.reserve(d.n);
  tmp_.resize(d.n);
  scratch_.resize(std::size_t(inner_threads_));
  for (auto& s : scratch_) {
    s.ranks.resize(d.n);
    s.keys.resize(d.n);
    s.keys2.resize(d.n);
  }
  stat_.assign(d.n, SampleStat{});
  mark_.assign(d.n, 0u);
  if (!d.lower.empty()) y_local_.resize(d.n);
  local_.resize(d.n);
  if (!d.regression)
    for (std::size_t i = 0; i < d.n; ++i)
      stat_[i].chan = std::uint32_t(d.cls[i]);
}

void TreeBuilder::stats_of(std::size_t begin, std::size_t end, NodeStats& s, bool& pure) const {
  std::fill(s.v.begin(), s.v.end(), 0.0);
  for (std::size_t j = begin; j < end; ++j) {
    const std::uint32_t i = idx_[j];
    const SampleStat& st = stat_[i];
    s.v[0] += st.count;
    s.v[1] += st.weight;
    s.v[2 + st.chan] += st.value;
  }
  if (d_.regression) {
    pure = true;
    const double y0 = y_[idx_[begin]];
    for (std::size_t j = begin + 1; j < end && pure; ++j)
      pure = y_[idx_[j]] == y0;
  } else {
    int present = 0;
    for (std::size_t c = 2; c < width_; ++c)
      present += s.v[c] > 0 ? 1 : 0;
    pure = present <= 1;
  }
}

bool TreeBuilder::best_split_on(std::uint32_t f, std::size_t begin, std::size_t end,
                                const NodeStats& total, const TreeConfig& cfg, Split& best,
                                Scratch& s) {
  // The channel count as a compile-time constant for the common cases (2-4 classes,
  // regression), so that the per-sample and per-candidate loops unroll.
  switch (width_) {
    case 3:
      return best_split_w<3>(f, begin, end, total, cfg, best, s);
    case 4:
      return best_split_w<4>(f, begin, end, total, cfg, best, s);
    case 5:
      return best_split_w<5>(f, begin, end, total, cfg, best, s);
    case 6:
      return best_split_w<6>(f, begin, end, total, cfg, best, s);
    default:
      return best_split_w<0>(f, begin, end, total, cfg, best, s);
  }
}

template <std::size_t kW>
bool TreeBuilder::best_split_w(std::uint32_t f, std::size_t begin, std::size_t end,
                               const NodeStats& total, const TreeConfig& cfg, Split& best,
                               Scratch& s) {
  const std::size_t n = end - begin, W = kW ? kW : width_;
  bool valid = false;
  // Sized by the compile-time width where there is one, so that the sums stay in registers
  // (the variable-index add went through memory, a store-to-load chain per sample).
  double left[kW ? kW : 64 + 2];  // count, weight, channels (n_channels <= 64 is checked)
  std::fill(left, left + W, 0.0);
  auto add = [&](const SampleStat& st) {
    left[0] += st.count;
    left[1] += st.weight;
    if constexpr (kW > 0) {
      // + 0.0 leaves the other channels' sums as they are
      for (std::size_t c = 2; c < kW; ++c)
        left[c] += st.chan == c - 2 ? st.value : 0.0;
    } else {
      left[2 + st.chan] += st.value;
    }
  };
  const double* T = total.v.data();
  const double min_leaf = cfg.min_samples_leaf;
  auto consider = [&](std::uint32_t r_lo, std::uint32_t r_hi) {
    const double cl = left[0], cr = T[0] - cl;
    if (cl < min_leaf || cr < min_leaf) return;
    const double wl = left[1], wr = T[1] - wl;
    if (!(wl > 0) || !(wr > 0)) return;
    valid = true;
    double sl = 0, sr = 0;
    for (std::size_t c = 2; c < W; ++c) {
      const double l = left[c], r = T[c] - l;
      sl += l * l;
      sr += r * r;
    }
    // score > best  <=>  sl wr + sr wl > best wl wr (wl, wr > 0): a screen without the two
    // divisions, whose latency bounded the scan. Its margin is far above the rounding of
    // either form, so every candidate that can win is scored exactly as before: the same
    // splits, bit for bit.
    if (sl * wr + sr * wl < best.score * (wl * wr) * (1 - 1e-9)) return;
    const double score = sl / wl + sr / wr;
    if (score > best.score) best = {score, f, r_lo, r_hi};
  };

  // A large node's samples in (rank, sample) order are the presorted order of all samples
  // (d_.order, ties by sample) without those outside the node (mark_ != stamp_): a node's
  // samples are in ascending sample order (stable partitions), so the sort below orders
  // ties the same way. Compressing that order replaces the gather and sort with the same
  // candidates and the same sums in the same order: the same split, bit for bit. Features
  // with few distinct values keep the histogram, which sums by bin. Trees of a few thousand
  // scribbled pixels spend most of their search in their first nodes (dsb2018: ~2 splits
  // per tree; its 1636 samples, 1 thread: train 13.6-14.1 -> 10.6-11.1 ms, 11.6-12.8 with
  // the root alone). Only for small training sets: see kPresortedMaxSamples.
  if (presorted_) {
    const std::uint32_t* R = rank_ + std::size_t(f) * rank_n_;
    const std::uint32_t* order = d_.order.data() + std::size_t(f) * rank_n_;
    const std::uint32_t* mark = mark_.data();
    const std::uint32_t stamp = stamp_;
    std::size_t k0 = 0, k1 = rank_n_;
    while (k0 < k1 && mark[order[k0]] != stamp)
      ++k0;
    while (k1 > k0 && mark[order[k1 - 1]] != stamp)
      --k1;
    const std::uint32_t lo = R[order[k0]], hi = R[order[k1 - 1]];
    if (lo == hi) return false;                // constant in this node
    if (std::size_t(hi - lo) + 1 > n + 256) {  // not the histogram's case (below)
      // The node's samples in order, without a branch per sample (the out-of-node ones
      // come unpredictably: a mispredicted branch each made this slower than the sort).
      std::uint32_t* members = s.ranks.data();
      std::size_t m = 0;
      for (std::size_t k = k0; k < k1; ++k) {
        const std::uint32_t i = order[k];
        members[m] = i;
        m += mark[i] == stamp ? 1 : 0;
      }
      std::uint32_t prev = lo;
      for (std::size_t j = 0; j < m; ++j) {
        const std::uint32_t i = members[j], r = R[i];
        if (r != prev) {
          consider(prev, r);
          prev = r;
        }
        add(stat_[i]);
      }
      return valid;
    }
  }

  std::uint32_t rmin = std::numeric_limits<std::uint32_t>::max(), rmax = 0;
  auto gather = [&](const auto* R) {
    for (std::size_t j = 0; j < n; ++j) {
      const std::uint32_t r = R[idx_[begin + j]];
      s.ranks[j] = r;
      rmin = std::min(rmin, r);
      rmax = std::max(rmax, r);
    }
  };
  if (rank8_)
    gather(rank8_ + std::size_t(f) * rank_n_);
  else
    gather(rank_ + std::size_t(f) * rank_n_);
  if (rmin == rmax) return false;  // constant in this node

  const std::size_t span = std::size_t(rmax - rmin) + 1;
  // Binned features span at most max_bins: the histogram always fits, but for a handful of
  // samples clearing it costs more than sorting them.
  const bool histogram = d_.lower.empty() ? span <= n + 256 : span <= 4 * n + 64;
  if (histogram) {
    // Few distinct values here: a histogram over ranks, O(n + span), exact (bins are values).
    if (s.hist.size() < span * W) s.hist.resize(span * W);
    std::fill(s.hist.begin(), s.hist.begin() + std::ptrdiff_t(span * W), 0.0);
    for (std::size_t j = 0; j < n; ++j) {
      double* h = s.hist.data() + std::size_t(s.ranks[j] - rmin) * W;
      const SampleStat& st = local_[j];
      h[0] += st.count;
      h[1] += st.weight;
      h[2 + st.chan] += st.value;
    }
    std::int64_t prev = -1;
    for (std::size_t b = 0; b < span; ++b) {
      const double* h = s.hist.data() + b * W;
      if (h[0] == 0) continue;
      if (prev >= 0) consider(rmin + std::uint32_t(prev), rmin + std::uint32_t(b));
      for (std::size_t c = 0; c < W; ++c)
        left[c] += h[c];
      prev = std::int64_t(b);
    }
  } else {
    // Many distinct values: sort (rank, sample) keys and scan the groups of equal rank.
    for (std::size_t j = 0; j < n; ++j)
      s.keys[j] = (std::uint64_t(s.ranks[j] - rmin) << 32) | j;  // payload: node position
    sort_keys(s.keys.data(), s.keys2.data(), n, bit_width32(rmax - rmin));
    std::size_t j = 0;
    std::int64_t prev = -1;
    while (j < n) {
      const std::uint64_t r = s.keys[j] >> 32;
      if (prev >= 0) consider(rmin + std::uint32_t(prev), rmin + std::uint32_t(r));
      for (; j < n && (s.keys[j] >> 32) == r; ++j)
        add(local_[std::uint32_t(s.keys[j])]);
      prev = std::int64_t(r);
    }
  }
  return valid;
}

template <class R>
bool TreeBuilder::search_node(R& rng, std::size_t begin, std::size_t end, const NodeStats& total,
                              const TreeConfig& cfg, Split& best) {
  // mtry features without replacement (partial Fisher-Yates); if none of them can split
  // the node, keep drawing until one can or all were tried (as scikit-learn does).
  const std::size_t F = d_.n_features, first = std::min(cfg.mtry, F);
  // The node's sample records in node order: the searches then read them sequentially
  // (histogram) or within a small array (sort), not scattered over all samples.
  for (std::size_t j = begin; j < end; ++j)
    local_[j - begin] = stat_[idx_[j]];
  // Nodes of at least a quarter of the samples are searched on the presorted order (see
  // best_split_w): compressing all n samples' order beats gathering and sorting the node's
  // from about n / 5 of them.
  presorted_ = cfg.presorted_search && !d_.order.empty() && rank_ == d_.rank.data() &&
               4 * (end - begin) >= d_.n;
  if (presorted_) {
    if (++stamp_ == 0) {  // wrapped: no mark may equal a new stamp by accident
      std::fill(mark_.begin(), mark_.end(), 0u);
      stamp_ = 1;
    }
    for (std::size_t j = begin; j < end; ++j)
      mark_[idx_[j]] = stamp_;
  }
  bool found = false;
  std::size_t k = 0;
  if (inner_threads_ > 1 && end - begin >= 2048) {
    // The first mtry draws do not depend on the search, so they are drawn up front and
    // searched in parallel; reducing in draw order with the same strict comparison picks
    // the split the sequential loop picks.
    for (; k < first; ++k)
      std::swap(perm_[k], perm_[k + rng.below(F - k)]);
    std::vector<Split> part(first);
    std::vector<char> ok(first, 0);
#pragma omp parallel for num_threads(inner_threads_) schedule(dynamic, 1)
    for (std::size_t q = 0; q < first; ++q)
      ok[q] = best_split_on(perm_[q], begin, end, total, cfg, part[q],
                            scratch_[std::size_t(omp_get_thread_num())]);
    for (std::size_t q = 0; q < first; ++q) {
      found |= ok[q] != 0;
      if (ok[q] && part[q].score > best.score) best = part[q];
    }
  }
  for (; k < F; ++k) {
    if (k >= cfg.mtry && found) break;
    std::swap(perm_[k], perm_[k + rng.below(F - k)]);
    found |= best_split_on(perm_[k], begin, end, total, cfg, best, scratch_[0]);
  }
  return found;
}

GrownTree TreeBuilder::grow(const std::vector<std::uint32_t>& draws, const TreeConfig& cfg,
                            std::uint64_t rng_seed, std::uint64_t stream) {
  Rng rng(rng_seed, stream);
  idx_.clear();
  rank_ = d_.rank.data();
  rank8_ = nullptr;
  rank_n_ = d_.n;
  y_ = d_.y.data();
  if (!d_.lower.empty()) {
    // Binned features: the in-bag samples renumbered 0..m-1 (ascending, so the tree is the
    // one grown on global numbers) with their ranks copied into a tree-local matrix, whose
    // columns stay in cache where the global ones (every sample of the pool) would not.
    inbag_.clear();
    for (std::size_t i = 0; i < d_.n; ++i) {
      if (draws[i] == 0) continue;
      const auto k = std::uint32_t(inbag_.size());
      inbag_.push_back(std::uint32_t(i));
      idx_.push_back(k);
      SampleStat& st = stat_[k];
      st.count = draws[i];
      st.weight = draws[i] * d_.base_weight[i];
      st.value = st.weight * d_.y[i];
      y_local_[k] = d_.y[i];
    }
    const std::size_t m = inbag_.size();
    // One byte per rank with at most 256 bins: a column of 100 000 samples is then 100 kB,
    // and the columns a node searches fit in L2 together.
    auto copy_ranks = [&](const auto& global, auto& local) {
      local.resize(d_.n_features * m);
      for (std::size_t f = 0; f < d_.n_features; ++f) {
        const auto* R = global.data() + f * d_.n;
        auto* L = local.data() + f * m;
        for (std::size_t k = 0; k < m; ++k)
          L[k] = R[inbag_[k]];
      }
    };
    if (!d_.rank8.empty()) {
      copy_ranks(d_.rank8, local_rank8_);
      rank8_ = local_rank8_.data();
    } else {
      copy_ranks(d_.rank, local_rank_);
      rank_ = local_rank_.data();
    }
    rank_n_ = m;
    y_ = y_local_.data();
  } else {
    for (std::size_t i = 0; i < d_.n; ++i) {
      if (draws[i] == 0) continue;
      idx_.push_back(std::uint32_t(i));
      SampleStat& st = stat_[i];
      st.count = draws[i];
      st.weight = draws[i] * d_.base_weight[i];
      st.value = d_.regression ? st.weight * d_.y[i] : st.weight;
    }
  }
  perm_.resize(d_.n_features);
  std::iota(perm_.begin(), perm_.end(), 0u);

  GrownTree t;
  t.importance.assign(d_.n_features, 0.0);
  auto new_node = [&t] {
    t.feature.push_back(0);
    t.threshold.push_back(std::numeric_limits<float>::quiet_NaN());
    t.child.push_back(std::int32_t(t.child.size()));
    t.leaf.push_back(-1);
    return std::int32_t(t.feature.size() - 1);
  };
  if (idx_.empty()) throw_internal("a tree without samples");

  struct Item {
    std::int32_t node;
    std::size_t begin, end;
    int depth;
  };
  std::vector<Item> stack{{new_node(), 0, idx_.size(), 0}};
  NodeStats total{std::vector<double>(width_)};
  double root_weight = 0;
  while (!stack.empty()) {
    const Item it = stack.back();
    stack.pop_back();
    bool pure = false;
    stats_of(it.begin, it.end, total, pure);
    if (it.node == 0) root_weight = total.weight();

    Split best;
    bool found = false;
    const bool may_split = !pure && total.count() >= cfg.min_samples_split &&
                           it.end - it.begin >= 2 &&
                           (cfg.max_depth <= 0 || it.depth < cfg.max_depth);
    if (may_split) found = search_node(rng, it.begin, it.end, total, cfg, best);
    if (!found) {  // leaf: the normalised class distribution, or the mean target
      t.leaf[it.node] = std::int32_t(t.values.size() / d_.n_channels);
      const double w = total.weight();
      for (std::size_t c = 0; c < d_.n_channels; ++c)
        t.values.push_back(w > 0 ? float(total.v[2 + c] / w) : 0.0f);
      continue;
    }
    t.importance[best.feature] += best.score - total.score();
    const auto& dist = d_.distinct[best.feature];
    const float above =
        d_.lower.empty() ? dist[best.rank_hi] : d_.lower[best.feature][best.rank_hi];
    t.feature[it.node] = std::int32_t(best.feature);
    t.threshold[it.node] = midpoint_threshold(dist[best.rank_lo], above);
    const std::int32_t left = new_node();
    new_node();
    t.child[it.node] = left;
    // Stable partition: both children keep ascending sample order (cache-friendly gathers).
    std::size_t nl = 0, nr = 0;
    auto partition = [&](const auto* R) {
      for (std::size_t j = it.begin; j < it.end; ++j) {
        const std::uint32_t i = idx_[j];
        if (R[i] <= best.rank_lo)
          idx_[it.begin + nl++] = i;
        else
          tmp_[nr++] = i;
      }
    };
    if (rank8_)
      partition(rank8_ + std::size_t(best.feature) * rank_n_);
    else
      partition(rank_ + std::size_t(best.feature) * rank_n_);
    std::copy(tmp_.begin(), tmp_.begin() + nr, idx_.begin() + it.begin + nl);
    const std::size_t mid = it.begin + nl;
    stack.push_back({left + 1, mid, it.end, it.depth + 1});
    stack.push_back({left, it.begin, mid, it.depth + 1});
  }
  if (root_weight > 0)
    for (double& v : t.importance)
      v /= root_weight;
  return t;
}

}  // namespace bioforest::learn::detail
