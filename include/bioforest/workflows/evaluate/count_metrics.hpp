// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Counting accuracy: predicted counts (density-map sums or a table) against ground-truth dot
/// annotations (or a table), as ../shared/reference/eval/counting_mae.py scores them:
/// MAE, RMSE, mean signed error (bias), mean relative absolute error over images with a
/// non-zero true count. Images are paired by name (file stem minus a suffix such as "dots").

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bioforest/core/image.hpp"
#include "bioforest/core/run_context.hpp"
#include "bioforest/io/reader.hpp"

namespace bioforest::workflows::evaluate {

struct DotOptions {
  enum class Mode { pixels, components };
  /// pixels: one dot per pixel above threshold; components: one per 8-connected blob (fully
  /// connected in 3-D), for dots drawn larger than a pixel.
  Mode mode = Mode::pixels;
  std::size_t channel = 0;  ///< of RGB(A) dot images (VGG cells: red)
  double threshold = 0;     ///< a dot pixel's value exceeds this
};

/// Number of dots in a dot-annotation image.
std::uint64_t count_dots(const Image& dots, const DotOptions& options = {});
/// Sum of a density map (all channels), in double precision.
double density_count(const Image& density);

struct CountPair {
  std::string name;
  double gt = 0, pred = 0;
};

struct CountScores {
  std::size_t n_images = 0;
  double mae = 0, rmse = 0, bias = 0;             ///< bias = mean(pred - gt)
  std::optional<double> mean_relative_abs_error;  ///< over images with gt > 0
  double gt_mean = 0, gt_std = 0;                 ///< population std (numpy's default)
  std::vector<CountPair> per_image;
};

CountScores count_scores(std::vector<CountPair> pairs);

/// "name,count" rows; rows whose count does not parse (a header) and '#' lines are skipped.
/// Throws Error{input} for an unreadable file or one with no count at all.
std::map<std::string, double> read_count_table(const std::string& path);

/// File name without folder, image extension and then `strip` ("001dots.png" -> "001").
std::string count_name(const std::string& path, const std::string& strip);

struct CountSourceOptions {
  std::string strip;   ///< name suffix removed before pairing
  double scale = 1.0;  ///< predictions: multiply counts (e.g. 0.01 for densities x100)
  DotOptions dots;     ///< ground truth: how to count dots
  io::ReadOptions read;
};

/// Counts from a CSV table, an image, or a folder of images (sorted by name; only names that
/// end with `strip`). Predictions are density maps, ground truths dot images.
std::map<std::string, double> predicted_counts(const std::string& source,
                                               const CountSourceOptions& options,
                                               const RunContext& ctx);
std::map<std::string, double> true_counts(const std::string& source,
                                          const CountSourceOptions& options, const RunContext& ctx);

/// Pairs every ground-truth name (or only `names` when given) with its prediction; throws
/// Error{input} naming the prediction source when one is missing.
std::vector<CountPair> pair_counts(const std::map<std::string, double>& gt,
                                   const std::map<std::string, double>& pred,
                                   const std::string& pred_source,
                                   const std::vector<std::string>& names = {});

}  // namespace bioforest::workflows::evaluate
