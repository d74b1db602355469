// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/evaluate/vi_rand.hpp"

#include <algorithm>
#include <cmath>

namespace bioforest::workflows::evaluate {
namespace {

// -sum x log(x) over the probabilities count/N (0 log 0 = 0).
double entropy(const std::vector<double>& counts, double N, bool natural) {
  double h = 0;
  for (double c : counts) {
    if (c <= 0) continue;
    const double p = c / N;
    h -= p * (natural ? std::log(p) : std::log2(p));
  }
  return h;
}

double dot_scaled(const std::vector<double>& counts, double N) {
  double s = 0;
  for (double c : counts)
    s += (c / N) * (c / N);
  return s;
}

double dot(const std::vector<double>& counts) {
  double s = 0;
  for (double c : counts)
    s += c * c;
  return s;
}

}  // namespace

ViRandScores vi_rand(const Contingency& full, const ViRandOptions& options) {
  const Contingency t = drop_labels(full, options.ignore_seg, options.ignore_gt);
  ViRandScores s;
  s.n_pixels = t.total;
  if (t.total == 0) return s;
  const double N = double(t.total);
  std::vector<double> nij, a(t.pred_sizes.begin(), t.pred_sizes.end()),
      b(t.gt_sizes.begin(), t.gt_sizes.end());
  nij.reserve(t.cells.size());
  for (const auto& c : t.cells)
    nij.push_back(double(c.count));
  s.n_seg_labels = a.size();
  s.n_gt_labels = b.size();

  s.h_seg = entropy(a, N, options.natural_log);
  s.h_gt = entropy(b, N, options.natural_log);
  const double h_joint = entropy(nij, N, options.natural_log);
  s.mutual_info = s.h_seg + s.h_gt - h_joint;
  // Round-off can make a zero conditional entropy slightly negative.
  s.vi_split = std::max(h_joint - s.h_gt, 0.0);   // H(seg | gt)
  s.vi_merge = std::max(h_joint - s.h_seg, 0.0);  // H(gt | seg)
  s.vi = s.vi_split + s.vi_merge;

  const double sum_p2 = dot_scaled(nij, N), sum_s2 = dot_scaled(a, N), sum_t2 = dot_scaled(b, N);
  s.v_rand_split = sum_t2 > 0 ? sum_p2 / sum_t2 : 1.0;
  s.v_rand_merge = sum_s2 > 0 ? sum_p2 / sum_s2 : 1.0;
  s.v_rand = 2 * sum_p2 / (sum_s2 + sum_t2);
  s.rand_error_isbi = 1.0 - s.v_rand;

  // Pair counts without self-pairs (skimage.metrics.adapted_rand_error).
  const double sum_n2 = dot(nij) - N, sum_a2 = dot(a) - N, sum_b2 = dot(b) - N;
  s.adapted_rand_precision = sum_a2 > 0 ? sum_n2 / sum_a2 : 1.0;
  s.adapted_rand_recall = sum_b2 > 0 ? sum_n2 / sum_b2 : 1.0;
  const double pr = s.adapted_rand_precision, rc = s.adapted_rand_recall;
  s.adapted_rand_error = 1.0 - (pr + rc > 0 ? 2 * pr * rc / (pr + rc) : 0.0);

  const double pairs = N * (N - 1) / 2.0;
  const double agree = pairs + sum_n2 - sum_a2 / 2.0 - sum_b2 / 2.0;
  s.rand_index = pairs > 0 ? agree / pairs : 1.0;
  s.rand_error = 1.0 - s.rand_index;

  const double h_sum = s.h_seg + s.h_gt;
  s.v_info = h_sum > 0 ? 2 * s.mutual_info / h_sum : 1.0;
  s.v_info_split = s.h_seg > 0 ? s.mutual_info / s.h_seg : 1.0;
  s.v_info_merge = s.h_gt > 0 ? s.mutual_info / s.h_gt : 1.0;
  return s;
}

ViRandScores vi_rand(const LabelImage& seg, const LabelImage& gt, const ViRandOptions& options) {
  return vi_rand(contingency(seg.values, gt.values), options);
}

ViRandScores mean_vi_rand(const std::vector<ViRandScores>& scores) {
  ViRandScores m;
  // Images with no kept pixel have no scores (the reference skips them too).
  std::vector<const ViRandScores*> kept;
  for (const auto& s : scores)
    if (s.n_pixels) kept.push_back(&s);
  if (kept.empty()) return m;
  auto mean = [&](double ViRandScores::*f) {
    double sum = 0;
    for (auto* s : kept)
      sum += s->*f;
    return sum / double(kept.size());
  };
  for (auto f :
       {&ViRandScores::vi_split, &ViRandScores::vi_merge, &ViRandScores::vi, &ViRandScores::h_seg,
        &ViRandScores::h_gt, &ViRandScores::mutual_info, &ViRandScores::v_info,
        &ViRandScores::v_info_split, &ViRandScores::v_info_merge, &ViRandScores::v_rand,
        &ViRandScores::v_rand_split, &ViRandScores::v_rand_merge, &ViRandScores::rand_error_isbi,
        &ViRandScores::adapted_rand_error, &ViRandScores::adapted_rand_precision,
        &ViRandScores::adapted_rand_recall, &ViRandScores::rand_index, &ViRandScores::rand_error})
    m.*f = mean(f);
  for (auto* s : kept) {
    m.n_pixels += s->n_pixels;
    m.n_seg_labels += s->n_seg_labels;
    m.n_gt_labels += s->n_gt_labels;
  }
  return m;
}

}  // namespace bioforest::workflows::evaluate
