// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/evaluate/instance_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace bioforest::workflows::evaluate {
namespace {

struct UnionFind {
  std::vector<std::uint32_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) {
    std::iota(parent.begin(), parent.end(), std::uint32_t{0});
  }
  std::uint32_t find(std::uint32_t x) {
    while (parent[x] != x)
      x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(std::uint32_t a, std::uint32_t b) { parent[find(a)] = find(b); }
};

// Minimum-cost assignment of every row to a distinct column (rows <= cols), the classic
// O(n^2 m) Hungarian algorithm with potentials. Returns the column of each row.
std::vector<std::size_t> hungarian(const std::vector<std::vector<double>>& cost) {
  const std::size_t n = cost.size(), m = cost.empty() ? 0 : cost[0].size();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(m + 1, 0);
  std::vector<std::size_t> p(m + 1, 0), way(m + 1, 0);
  for (std::size_t i = 1; i <= n; ++i) {
    p[0] = i;
    std::size_t j0 = 0;
    std::vector<double> minv(m + 1, inf);
    std::vector<char> used(m + 1, 0);
    do {
      used[j0] = 1;
      const std::size_t i0 = p[j0];
      double delta = inf;
      std::size_t j1 = 0;
      for (std::size_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (std::size_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const std::size_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  std::vector<std::size_t> row_to_col(n, 0);
  for (std::size_t j = 1; j <= m; ++j)
    if (p[j]) row_to_col[p[j] - 1] = j - 1;
  return row_to_col;
}

// Best matching inside one connected group of candidate pairs: most pairs first, then the
// largest summed IoU (the reference's cost -(ok * big + iou * ok)).
MatchCounts match_component(const std::vector<const IouGraph::Edge*>& edges) {
  if (edges.size() == 1) return {1, 0, 0, edges[0]->iou};
  std::vector<std::uint32_t> rows, cols;
  for (auto* e : edges) {
    rows.push_back(e->gt);
    cols.push_back(e->pred);
  }
  for (auto* v : {&rows, &cols}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  const bool transpose = rows.size() > cols.size();  // the algorithm wants rows <= cols
  const auto& R = transpose ? cols : rows;
  const auto& C = transpose ? rows : cols;
  const double big = double(std::min(R.size(), C.size()) + 1);
  std::vector<std::vector<double>> cost(R.size(), std::vector<double>(C.size(), 0.0));
  std::vector<std::vector<double>> iou(R.size(), std::vector<double>(C.size(), -1.0));
  auto pos = [](const std::vector<std::uint32_t>& v, std::uint32_t x) {
    return std::size_t(std::lower_bound(v.begin(), v.end(), x) - v.begin());
  };
  for (auto* e : edges) {
    const std::size_t r = pos(R, transpose ? e->pred : e->gt);
    const std::size_t c = pos(C, transpose ? e->gt : e->pred);
    cost[r][c] = -(big + e->iou);
    iou[r][c] = e->iou;
  }
  MatchCounts m;
  const auto assignment = hungarian(cost);
  for (std::size_t r = 0; r < R.size(); ++r) {
    const double v = iou[r][assignment[r]];
    if (v < 0) continue;  // assigned to a non-candidate: no match
    ++m.tp;
    m.sum_iou += v;
  }
  return m;
}

double safe_ratio(double num, double den, double if_empty) {
  return den ? num / den : if_empty;
}

}  // namespace

std::vector<double> default_iou_thresholds() {
  std::vector<double> t;
  // Integer percent / 100 gives the double nearest to 0.55 etc. (what "0.55" parses to).
  for (int i = 0; i < 10; ++i)
    t.push_back(double(50 + 5 * i) / 100.0);
  return t;
}

MatchRatios match_ratios(const MatchCounts& c) {
  const double tp = double(c.tp), fp = double(c.fp), fn = double(c.fn);
  MatchRatios r;
  r.precision = safe_ratio(tp, tp + fp, fn == 0 ? 1.0 : 0.0);
  r.recall = safe_ratio(tp, tp + fn, fp == 0 ? 1.0 : 0.0);
  r.f1 = safe_ratio(2 * tp, 2 * tp + fp + fn, 1.0);
  r.ap = safe_ratio(tp, tp + fp + fn, 1.0);
  r.mean_matched_iou = safe_ratio(c.sum_iou, tp, 0.0);
  r.panoptic_quality = (tp + fp + fn) > 0 ? c.sum_iou / (tp + fp / 2 + fn / 2) : 1.0;
  return r;
}

IouGraph iou_graph(const Contingency& t) {
  IouGraph g;
  // Object indices skip label 0 (background).
  const std::size_t gt0 = !t.gt_labels.empty() && t.gt_labels[0] == 0 ? 1 : 0;
  const std::size_t pred0 = !t.pred_labels.empty() && t.pred_labels[0] == 0 ? 1 : 0;
  g.gt_labels.assign(t.gt_labels.begin() + gt0, t.gt_labels.end());
  g.pred_labels.assign(t.pred_labels.begin() + pred0, t.pred_labels.end());
  for (const auto& c : t.cells) {
    if (c.gt < gt0 || c.pred < pred0) continue;
    const double inter = double(c.count);
    const double uni = double(t.gt_sizes[c.gt] + t.pred_sizes[c.pred]) - inter;
    g.edges.push_back({static_cast<std::uint32_t>(c.gt - gt0),
                       static_cast<std::uint32_t>(c.pred - pred0), inter / uni});
  }
  return g;
}

MatchCounts match_at(const IouGraph& graph, double tau, bool strict) {
  const std::size_t n_gt = graph.gt_labels.size(), n_pred = graph.pred_labels.size();
  std::vector<const IouGraph::Edge*> ok;
  for (const auto& e : graph.edges)
    if (strict ? e.iou > tau : e.iou >= tau) ok.push_back(&e);
  // Nodes: GT objects 0..n_gt-1, predictions n_gt..; components of the candidate graph.
  UnionFind uf(n_gt + n_pred);
  for (auto* e : ok)
    uf.unite(e->gt, static_cast<std::uint32_t>(n_gt + e->pred));
  std::vector<std::vector<const IouGraph::Edge*>> groups(n_gt + n_pred);
  for (auto* e : ok)
    groups[uf.find(e->gt)].push_back(e);
  MatchCounts total;
  for (const auto& group : groups) {
    if (group.empty()) continue;
    const auto m = match_component(group);
    total.tp += m.tp;
    total.sum_iou += m.sum_iou;
  }
  total.fp = n_pred - total.tp;
  total.fn = n_gt - total.tp;
  return total;
}

InstanceImageScores instance_scores(const LabelImage& pred, const LabelImage& gt,
                                    const InstanceOptions& options) {
  const Contingency table = contingency(pred.values, gt.values);
  const IouGraph graph = iou_graph(table);
  InstanceImageScores s;
  s.n_gt = graph.gt_labels.size();
  s.n_pred = graph.pred_labels.size();
  for (double tau : options.thresholds)
    s.by_tau.push_back(match_at(graph, tau, options.strict));
  s.vi = vi_rand(table, options.vi);
  return s;
}

InstanceSummary summarize_instances(const std::vector<InstanceImageScores>& images,
                                    const InstanceOptions& options) {
  InstanceSummary sum;
  const double n = double(images.size());
  for (std::size_t k = 0; k < options.thresholds.size(); ++k) {
    InstanceThresholdSummary t;
    t.tau = options.thresholds[k];
    for (const auto& img : images) {
      const auto& c = img.by_tau[k];
      t.dataset_counts.tp += c.tp;
      t.dataset_counts.fp += c.fp;
      t.dataset_counts.fn += c.fn;
      t.dataset_counts.sum_iou += c.sum_iou;
      const auto r = match_ratios(c);
      t.by_image.precision += r.precision / n;
      t.by_image.recall += r.recall / n;
      t.by_image.f1 += r.f1 / n;
      t.by_image.ap += r.ap / n;
      t.by_image.panoptic_quality += r.panoptic_quality / n;
    }
    t.dataset = match_ratios(t.dataset_counts);
    sum.by_tau.push_back(t);
  }
  // The DSB2018 leaderboard score needs every threshold 0.50..0.95.
  double dsb = 0;
  bool all = true;
  for (double tau : default_iou_thresholds()) {
    auto it = std::find_if(sum.by_tau.begin(), sum.by_tau.end(),
                           [&](const auto& t) { return std::abs(t.tau - tau) < 1e-9; });
    if (it == sum.by_tau.end()) {
      all = false;
      break;
    }
    dsb += it->by_image.ap / 10.0;
  }
  if (all && !images.empty()) sum.dsb2018_score = dsb;
  std::vector<ViRandScores> vis;
  for (const auto& img : images)
    vis.push_back(img.vi);
  sum.vi_mean = mean_vi_rand(vis);
  return sum;
}

}  // namespace bioforest::workflows::evaluate
