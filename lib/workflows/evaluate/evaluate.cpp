// SPDX-License-Identifier: BSD-3-Clause
// The file-level runs: resolve the pairs, read, check, score.
#include "bioforest/workflows/evaluate/evaluate.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bioforest/core/error.hpp"

namespace bioforest::workflows::evaluate {
namespace fs = std::filesystem;
namespace {

std::vector<ImagePair> pairs_from_list(const std::string& list) {
  std::ifstream f(list);
  if (!f) throw_input(list, fs::exists(list) ? "cannot open the pair list" : "no such file");
  const fs::path base = fs::path(list).parent_path();
  auto resolve = [&](const std::string& p) {
    return fs::path(p).is_absolute() || base.empty() ? p : (base / p).string();
  };
  std::vector<ImagePair> out;
  std::string line;
  for (std::size_t n = 1; std::getline(f, line); ++n) {
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;)
      words.push_back(w);
    if (words.empty() || words[0][0] == '#') continue;
    if (words.size() != 2)
      throw_usage(
          "line " + std::to_string(n) + " should be 'PRED GT' (two paths), got '" + line + "'",
          list);
    out.push_back({fs::path(words[1]).filename().string(), resolve(words[0]), resolve(words[1])});
  }
  if (out.empty()) throw_usage("the pair list holds no 'PRED GT' line", list);
  return out;
}

bool is_image_name(const std::string& name) {
  if (name.empty() || name[0] == '.') return false;
  std::string ext = fs::path(name).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  for (const char* e : {".tif", ".tiff", ".png", ".h5", ".hdf5", ".jpg", ".jpeg"})
    if (ext == e) return true;
  return false;
}

std::vector<ImagePair> pairs_from_folders(const std::string& pred, const std::string& gt) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(gt))
    if (e.is_regular_file() && is_image_name(e.path().filename().string()))
      names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  if (names.empty()) throw_input(gt, "the ground-truth folder holds no image files");
  std::vector<ImagePair> out;
  for (const auto& n : names) {
    const auto p = (fs::path(pred) / n).string();
    if (!fs::exists(p))
      throw_input(p, "missing: the ground truth " + (fs::path(gt) / n).string() +
                         " has no prediction of the same name");
    out.push_back({n, p, (fs::path(gt) / n).string()});
  }
  return out;
}

// Reads one pair and checks that the shapes agree.
template <class ReadPred>
std::pair<LabelImage, LabelImage> read_pair(const ImagePair& pair, const io::ReadOptions& read,
                                            ReadPred&& read_pred) {
  LabelImage gt = read_labels(pair.gt, read);
  LabelImage pred = read_pred(pair.pred);
  check_same_shape(pred.shape, pair.pred, gt.shape, pair.gt);
  return {std::move(pred), std::move(gt)};
}

}  // namespace

std::vector<ImagePair> image_pairs(const std::string& pred, const std::string& gt,
                                   const std::string& pairs_file) {
  if (!pairs_file.empty()) {
    if (!pred.empty() || !gt.empty()) throw_usage("give either PRED GT or --pairs, not both");
    return pairs_from_list(pairs_file);
  }
  if (pred.empty() || gt.empty()) throw_usage("give PRED and GT, or --pairs LIST");
  const bool pred_dir = fs::is_directory(pred), gt_dir = fs::is_directory(gt);
  if (pred_dir && gt_dir) return pairs_from_folders(pred, gt);
  if (pred_dir != gt_dir)
    throw_usage("PRED and GT must both be files or both be folders ('" + pred + "', '" + gt + "')");
  return {{fs::path(gt).filename().string(), pred, gt}};
}

PixelRun evaluate_pixels(const std::vector<ImagePair>& pairs, const PixelFileOptions& options,
                         const RunContext& ctx) {
  PixelRun run;
  ConfusionMatrix pooled;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    ctx.progress("scoring", i, pairs.size());
    ctx.check_cancelled();
    const auto [pred, gt] = read_pair(pairs[i], options.read, [&](const std::string& path) {
      return class_labels(io::read_image(path, options.read), options.threshold, path);
    });
    const auto m = confusion_matrix(contingency(pred.values, gt.values), options.pixel);
    pooled = add_confusion(pooled, m);
    run.images.emplace_back(pairs[i].name, pixel_scores(m));
  }
  run.pooled = pixel_scores(pooled);
  return run;
}

InstanceRun evaluate_instances(const std::vector<ImagePair>& pairs, const InstanceOptions& options,
                               const io::ReadOptions& read, const RunContext& ctx) {
  InstanceRun run;
  run.options = options;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    ctx.progress("scoring", i, pairs.size());
    ctx.check_cancelled();
    const auto [pred, gt] =
        read_pair(pairs[i], read, [&](const std::string& path) { return read_labels(path, read); });
    auto s = instance_scores(pred, gt, options);
    s.name = pairs[i].name;
    run.images.push_back(std::move(s));
  }
  run.summary = summarize_instances(run.images, options);
  return run;
}

}  // namespace bioforest::workflows::evaluate
