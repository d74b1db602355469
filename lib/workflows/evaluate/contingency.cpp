// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/evaluate/contingency.hpp"

#include <algorithm>
#include <unordered_map>

#include "bioforest/core/error.hpp"

namespace bioforest::workflows::evaluate {
namespace {

struct PairHash {
  std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& p) const noexcept {
    // splitmix-style mixing: label values are small and correlated.
    std::uint64_t h = p.first * 0x9E3779B97F4A7C15ull ^ (p.second + 0x632BE59BD9B4E019ull);
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

using PairCounts =
    std::unordered_map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t, PairHash>;

std::vector<std::uint64_t> sorted_unique(std::vector<std::uint64_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Builds the sorted table from (pred label, gt label) -> count.
Contingency table_from_pairs(const PairCounts& pairs) {
  Contingency t;
  std::vector<std::uint64_t> p, g;
  p.reserve(pairs.size());
  g.reserve(pairs.size());
  for (const auto& [key, n] : pairs) {
    p.push_back(key.first);
    g.push_back(key.second);
  }
  t.pred_labels = sorted_unique(std::move(p));
  t.gt_labels = sorted_unique(std::move(g));
  t.pred_sizes.assign(t.pred_labels.size(), 0);
  t.gt_sizes.assign(t.gt_labels.size(), 0);
  t.cells.reserve(pairs.size());
  for (const auto& [key, n] : pairs) {
    const auto i = static_cast<std::uint32_t>(label_index(t.pred_labels, key.first));
    const auto j = static_cast<std::uint32_t>(label_index(t.gt_labels, key.second));
    t.cells.push_back({i, j, n});
    t.pred_sizes[i] += n;
    t.gt_sizes[j] += n;
    t.total += n;
  }
  std::sort(t.cells.begin(), t.cells.end(), [](const auto& a, const auto& b) {
    return a.pred != b.pred ? a.pred < b.pred : a.gt < b.gt;
  });
  return t;
}

}  // namespace

std::int64_t label_index(const std::vector<std::uint64_t>& labels, std::uint64_t label) {
  auto it = std::lower_bound(labels.begin(), labels.end(), label);
  return it != labels.end() && *it == label ? it - labels.begin() : -1;
}

Contingency contingency(std::span<const std::uint64_t> pred, std::span<const std::uint64_t> gt) {
  BIOFOREST_CHECK(pred.size() == gt.size(), "label arrays of different sizes");
  PairCounts pairs;
  // Neighbouring pixels mostly share their pair: count runs, hash once per run.
  std::size_t i = 0;
  const std::size_t n = pred.size();
  while (i < n) {
    const std::uint64_t p = pred[i], g = gt[i];
    std::size_t j = i + 1;
    while (j < n && pred[j] == p && gt[j] == g)
      ++j;
    pairs[{p, g}] += j - i;
    i = j;
  }
  return table_from_pairs(pairs);
}

Contingency drop_labels(const Contingency& table, std::span<const std::uint64_t> drop_pred,
                        std::span<const std::uint64_t> drop_gt) {
  PairCounts pairs;
  auto dropped = [](std::span<const std::uint64_t> list, std::uint64_t label) {
    return std::find(list.begin(), list.end(), label) != list.end();
  };
  for (const auto& c : table.cells) {
    const auto p = table.pred_labels[c.pred], g = table.gt_labels[c.gt];
    if (dropped(drop_pred, p) || dropped(drop_gt, g)) continue;
    pairs[{p, g}] += c.count;
  }
  return table_from_pairs(pairs);
}

}  // namespace bioforest::workflows::evaluate
