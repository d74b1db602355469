// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/evaluate/pixel_metrics.hpp"

#include <algorithm>
#include <numeric>
#include <type_traits>

#include "bioforest/core/error.hpp"

namespace bioforest::workflows::evaluate {
namespace {

double ratio(std::uint64_t num, std::uint64_t den) {
  return den ? static_cast<double>(num) / static_cast<double>(den) : 0.0;
}

std::vector<std::uint64_t> union_of(const std::vector<std::uint64_t>& a,
                                    const std::vector<std::uint64_t>& b) {
  std::vector<std::uint64_t> out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// Adds `m` into `target` (whose classes include m's).
void accumulate(ConfusionMatrix& target, const ConfusionMatrix& m) {
  const std::size_t k = m.classes.size(), K = target.classes.size();
  std::vector<std::size_t> pos(k);
  for (std::size_t i = 0; i < k; ++i)
    pos[i] = static_cast<std::size_t>(label_index(target.classes, m.classes[i]));
  for (std::size_t g = 0; g < k; ++g)
    for (std::size_t p = 0; p < k; ++p)
      target.counts[pos[g] * K + pos[p]] += m.at(g, p);
}

}  // namespace

std::uint64_t ConfusionMatrix::total() const {
  return std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
}

ConfusionMatrix confusion_matrix(const Contingency& table, const PixelOptions& options) {
  ConfusionMatrix m;
  for (const auto& c : table.cells) {
    const auto g = table.gt_labels[c.gt];
    if (options.ignore_label && g == *options.ignore_label) continue;
    m.classes.push_back(g);
    m.classes.push_back(table.pred_labels[c.pred]);
  }
  std::sort(m.classes.begin(), m.classes.end());
  m.classes.erase(std::unique(m.classes.begin(), m.classes.end()), m.classes.end());
  const std::size_t K = m.classes.size();
  m.counts.assign(K * K, 0);
  for (const auto& c : table.cells) {
    const auto g = table.gt_labels[c.gt];
    if (options.ignore_label && g == *options.ignore_label) continue;
    const auto gi = static_cast<std::size_t>(label_index(m.classes, g));
    const auto pi = static_cast<std::size_t>(label_index(m.classes, table.pred_labels[c.pred]));
    m.counts[gi * K + pi] += c.count;
  }
  return m;
}

ConfusionMatrix add_confusion(const ConfusionMatrix& a, const ConfusionMatrix& b) {
  ConfusionMatrix sum;
  sum.classes = union_of(a.classes, b.classes);
  sum.counts.assign(sum.classes.size() * sum.classes.size(), 0);
  accumulate(sum, a);
  accumulate(sum, b);
  return sum;
}

PixelScores pixel_scores(const ConfusionMatrix& confusion) {
  PixelScores s;
  s.confusion = confusion;
  const std::size_t K = confusion.classes.size();
  s.n_pixels = confusion.total();
  std::uint64_t correct = 0;
  for (std::size_t k = 0; k < K; ++k) {
    ClassScores c;
    c.label = confusion.classes[k];
    c.tp = confusion.at(k, k);
    for (std::size_t j = 0; j < K; ++j) {
      if (j == k) continue;
      c.fn += confusion.at(k, j);
      c.fp += confusion.at(j, k);
    }
    c.support = c.tp + c.fn;
    c.precision = ratio(c.tp, c.tp + c.fp);
    c.recall = ratio(c.tp, c.tp + c.fn);
    c.f1 = ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn);
    c.iou = ratio(c.tp, c.tp + c.fp + c.fn);
    correct += c.tp;
    s.mean_precision += c.precision;
    s.mean_recall += c.recall;
    s.mean_f1 += c.f1;
    s.mean_iou += c.iou;
    s.classes.push_back(c);
  }
  if (K) {
    s.mean_precision /= double(K);
    s.mean_recall /= double(K);
    s.mean_f1 /= double(K);
    s.mean_iou /= double(K);
  }
  s.accuracy = ratio(correct, s.n_pixels);
  return s;
}

PixelScores pixel_scores(const LabelImage& pred, const LabelImage& gt,
                         const PixelOptions& options) {
  return pixel_scores(confusion_matrix(contingency(pred.values, gt.values), options));
}

LabelImage class_labels(const Image& prediction, std::optional<double> threshold,
                        const std::string& file) {
  if (!dtype_is_float(prediction.dtype())) return to_labels(prediction, file);
  const std::size_t channels = prediction.extent('c');
  if (channels <= 1 && !threshold) {
    try {
      return to_labels(prediction, file);
    } catch (const Error&) {
      throw_input(file, "is a one-channel probability map (dtype " +
                            std::string(dtype_name(prediction.dtype())) +
                            "); give --threshold to turn it into classes");
    }
  }
  // Channels last, whatever the file's axis order.
  Axes order;
  {
    std::string keys;
    for (char a : prediction.axes().str())
      if (a != 'c') keys += a;
    if (prediction.axes().has('c')) keys += 'c';
    order = Axes(keys);
  }
  const Image img = prediction.transposed(order);
  LabelImage out;
  Shape shape = img.shape();
  if (img.axes().has('c')) shape.pop_back();
  out.shape = squeeze(shape);
  const std::size_t n = img.size() / std::max<std::size_t>(channels, 1);
  out.values.resize(n);
  img.visit([&](const auto& array) {
    using T = typename std::decay_t<decltype(array)>::value_type;
    const T* p = array.data();
    if (channels <= 1) {
      for (std::size_t i = 0; i < n; ++i)
        out.values[i] = double(p[i]) > *threshold ? 1 : 0;
      return;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const T* px = p + i * channels;
      // std::max_element keeps the first of equal maxima, like numpy.argmax.
      out.values[i] = 1 + static_cast<std::uint64_t>(std::max_element(px, px + channels) - px);
    }
  });
  return out;
}

}  // namespace bioforest::workflows::evaluate
