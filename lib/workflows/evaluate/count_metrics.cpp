// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/evaluate/count_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <type_traits>

#include "bioforest/core/error.hpp"
#include "bioforest/core/text.hpp"

namespace bioforest::workflows::evaluate {
namespace fs = std::filesystem;
namespace {

// Connected components of a mask with full (8 / 26) connectivity, by flood fill.
std::uint64_t count_components(const std::vector<char>& mask, const Shape& shape) {
  const std::size_t rank = shape.size();
  Shape strides(rank, 1);
  for (std::size_t i = rank; i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  // The 3^rank - 1 neighbour steps, each axis moving by -1, 0 or +1.
  std::size_t combos = 1;
  for (std::size_t a = 0; a < rank; ++a)
    combos *= 3;
  std::vector<std::vector<int>> steps;
  for (std::size_t k = 0; k < combos; ++k) {
    std::vector<int> step(rank);
    for (std::size_t a = 0, r = k; a < rank; ++a, r /= 3)
      step[a] = int(r % 3) - 1;
    if (std::any_of(step.begin(), step.end(), [](int v) { return v != 0; })) steps.push_back(step);
  }
  std::vector<char> seen(mask.size(), 0);
  std::vector<std::size_t> stack;
  std::uint64_t n = 0;
  Shape idx(rank);
  for (std::size_t start = 0; start < mask.size(); ++start) {
    if (!mask[start] || seen[start]) continue;
    ++n;
    seen[start] = 1;
    stack.push_back(start);
    while (!stack.empty()) {
      const std::size_t cur = stack.back();
      stack.pop_back();
      for (std::size_t a = 0, rest = cur; a < rank; ++a) {
        idx[a] = rest / strides[a];
        rest %= strides[a];
      }
      for (const auto& s : steps) {
        std::size_t off = 0;
        bool inside = true;
        for (std::size_t a = 0; a < rank && inside; ++a) {
          const auto v = static_cast<std::int64_t>(idx[a]) + s[a];
          inside = v >= 0 && v < static_cast<std::int64_t>(shape[a]);
          off += static_cast<std::size_t>(v) * strides[a];
        }
        if (inside && mask[off] && !seen[off]) {
          seen[off] = 1;
          stack.push_back(off);
        }
      }
    }
  }
  return n;
}

bool is_image_file(const fs::path& p) {
  const std::string ext = to_lower(p.extension().string());
  for (const char* e : {".png", ".tif", ".tiff", ".h5", ".hdf5", ".jpg", ".jpeg", ".bmp"})
    if (ext == e) return true;
  return false;
}

bool is_table(const std::string& source) {
  const std::string ext = to_lower(fs::path(source).extension().string());
  return ext == ".csv" || ext == ".txt";
}

// Image files of a folder (sorted) whose stem ends with `strip`, or the one file given.
std::vector<std::string> image_sources(const std::string& source, const std::string& strip) {
  if (!fs::is_directory(source)) {
    if (!fs::exists(source)) throw_input(source, "no such file or folder");
    return {source};
  }
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(source)) {
    if (!e.is_regular_file() || !is_image_file(e.path())) continue;
    if (!strip.empty() && !count_name(e.path().string(), "").ends_with(strip)) continue;
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty())
    throw_input(source,
                "holds no image files" + (strip.empty() ? "" : " ending in '" + strip + "'"));
  return files;
}

template <class CountFn>
std::map<std::string, double> counts_from(const std::string& source,
                                          const CountSourceOptions& options, const RunContext& ctx,
                                          CountFn&& count) {
  std::map<std::string, double> out;
  if (is_table(source)) {
    for (const auto& [name, c] : read_count_table(source))
      out[name] = c * options.scale;
    return out;
  }
  const auto files = image_sources(source, options.strip);
  for (std::size_t i = 0; i < files.size(); ++i) {
    ctx.progress("counting", i, files.size());
    out[count_name(files[i], options.strip)] = count(io::read_image(files[i], options.read));
  }
  return out;
}

}  // namespace

std::uint64_t count_dots(const Image& dots, const DotOptions& options) {
  const std::size_t channels = dots.extent('c');
  if (channels > 1 && options.channel >= channels)
    throw_usage("dot channel " + std::to_string(options.channel) + " but the image has " +
                std::to_string(channels) + " channels");
  Shape shape;
  for (std::size_t a = 0; a < dots.rank(); ++a)
    if (dots.axes()[a] != 'c') shape.push_back(dots.shape()[a]);
  // Channel-last copy so that one channel is a strided walk.
  std::string keys;
  for (char a : dots.axes().str())
    if (a != 'c') keys += a;
  if (dots.axes().has('c')) keys += 'c';
  const Image img = dots.transposed(Axes(keys));
  const std::size_t stride = std::max<std::size_t>(channels, 1);
  const std::size_t channel = channels > 1 ? options.channel : 0;
  std::vector<char> mask(img.size() / stride);
  img.visit([&](const auto& array) {
    const auto* p = array.data();
    for (std::size_t i = 0; i < mask.size(); ++i)
      mask[i] = double(p[i * stride + channel]) > options.threshold;
  });
  if (options.mode == DotOptions::Mode::pixels)
    return static_cast<std::uint64_t>(std::count(mask.begin(), mask.end(), 1));
  return count_components(mask, shape);
}

double density_count(const Image& density) {
  double sum = 0;
  density.visit([&](const auto& array) {
    for (auto v : array)
      sum += double(v);
  });
  return sum;
}

CountScores count_scores(std::vector<CountPair> pairs) {
  CountScores s;
  std::sort(pairs.begin(), pairs.end(), [](auto& a, auto& b) { return a.name < b.name; });
  s.n_images = pairs.size();
  if (pairs.empty()) return s;
  const double n = double(pairs.size());
  double abs_sum = 0, sq_sum = 0, signed_sum = 0, rel_sum = 0, gt_sum = 0;
  std::size_t rel_n = 0;
  for (const auto& p : pairs) {
    const double e = p.pred - p.gt;
    abs_sum += std::abs(e);
    sq_sum += e * e;
    signed_sum += e;
    gt_sum += p.gt;
    if (p.gt > 0) {
      rel_sum += std::abs(e) / p.gt;
      ++rel_n;
    }
  }
  s.mae = abs_sum / n;
  s.rmse = std::sqrt(sq_sum / n);
  s.bias = signed_sum / n;
  if (rel_n) s.mean_relative_abs_error = rel_sum / double(rel_n);
  s.gt_mean = gt_sum / n;
  double var = 0;
  for (const auto& p : pairs)
    var += (p.gt - s.gt_mean) * (p.gt - s.gt_mean);
  s.gt_std = std::sqrt(var / n);
  s.per_image = std::move(pairs);
  return s;
}

std::map<std::string, double> read_count_table(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw_input(path, fs::exists(path) ? "cannot open the count table" : "no such file");
  std::map<std::string, double> out;
  std::string line;
  while (std::getline(f, line)) {
    if (trim(line).empty() || line[0] == '#') continue;
    const auto cells = split_csv_row(line);
    if (cells.size() < 2) continue;
    const std::string& name = cells[0];
    const std::string& value = cells[1];
    if (!is_number(value)) continue;  // a header row
    out[name] = std::strtod(value.c_str(), nullptr);
  }
  if (out.empty()) throw_input(path, "holds no 'name,count' rows");
  return out;
}

std::string count_name(const std::string& path, const std::string& strip) {
  std::string base = fs::path(path).filename().string();
  if (is_image_file(base)) base = fs::path(base).stem().string();
  if (!strip.empty() && base.ends_with(strip)) base.resize(base.size() - strip.size());
  return base;
}

std::map<std::string, double> predicted_counts(const std::string& source,
                                               const CountSourceOptions& options,
                                               const RunContext& ctx) {
  return counts_from(source, options, ctx,
                     [&](const Image& img) { return density_count(img) * options.scale; });
}

std::map<std::string, double> true_counts(const std::string& source,
                                          const CountSourceOptions& options,
                                          const RunContext& ctx) {
  return counts_from(source, options, ctx,
                     [&](const Image& img) { return double(count_dots(img, options.dots)); });
}

std::vector<CountPair> pair_counts(const std::map<std::string, double>& gt,
                                   const std::map<std::string, double>& pred,
                                   const std::string& pred_source,
                                   const std::vector<std::string>& names) {
  std::vector<std::string> wanted = names;
  if (wanted.empty())
    for (const auto& [name, c] : gt)
      wanted.push_back(name);
  // One file against one file: pair them whatever their names.
  if (names.empty() && gt.size() == 1 && pred.size() == 1 && !pred.count(gt.begin()->first))
    return {{gt.begin()->first, gt.begin()->second, pred.begin()->second}};
  std::vector<CountPair> out;
  std::vector<std::string> missing;
  for (const auto& name : wanted) {
    auto g = gt.find(name);
    auto p = pred.find(name);
    if (p == pred.end()) {
      missing.push_back(name);
      continue;
    }
    if (g == gt.end()) throw_input(name, "is in the name list but has no ground-truth count");
    out.push_back({name, g->second, p->second});
  }
  if (!missing.empty())
    throw_input(pred_source, "has no prediction for " + std::to_string(missing.size()) +
                                 " of the ground-truth images, e.g. '" + missing.front() + "'");
  return out;
}

}  // namespace bioforest::workflows::evaluate
