// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// evaluate as a library: scores result files against ground-truth files, one function per
/// kind of result, and renders each result as a text table, a summary JSON
/// (schemas/evaluate_summary.schema.json) and a per-image CSV table.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bioforest/core/run_context.hpp"
#include "bioforest/io/reader.hpp"
#include "bioforest/workflows/evaluate/count_metrics.hpp"
#include "bioforest/workflows/evaluate/ctc_metrics.hpp"
#include "bioforest/workflows/evaluate/instance_metrics.hpp"
#include "bioforest/workflows/evaluate/pixel_metrics.hpp"
#include "bioforest/workflows/evaluate/table.hpp"

namespace bioforest::workflows::evaluate {

struct ImagePair {
  std::string name;  ///< for tables: the GT file name
  std::string pred, gt;
};

/// The pairs to score: PRED and GT files; or PRED and GT folders (files paired by name, every
/// GT file needs a prediction); or, with `pairs_file`, its lines "PRED GT" (relative paths
/// are relative to the list; '#' lines and blank lines skipped). Errors: Error{input} for a
/// missing file or prediction, Error{usage} for a malformed list.
std::vector<ImagePair> image_pairs(const std::string& pred, const std::string& gt,
                                   const std::string& pairs_file = {});

// --- pixels ---------------------------------------------------------------------------------
struct PixelFileOptions {
  PixelOptions pixel;
  std::optional<double> threshold;  ///< for one-channel probability maps
  io::ReadOptions read;
};
struct PixelRun {
  std::vector<std::pair<std::string, PixelScores>> images;
  PixelScores pooled;  ///< from the summed confusion matrices
};
PixelRun evaluate_pixels(const std::vector<ImagePair>& pairs, const PixelFileOptions& options,
                         const RunContext& ctx);
nlohmann::ordered_json pixels_json(const PixelRun& run);
std::string format_pixels(const PixelRun& run);
Table pixels_csv(const PixelRun& run);

// --- instances ------------------------------------------------------------------------------
struct InstanceRun {
  InstanceOptions options;
  std::vector<InstanceImageScores> images;
  InstanceSummary summary;
};
InstanceRun evaluate_instances(const std::vector<ImagePair>& pairs, const InstanceOptions& options,
                               const io::ReadOptions& read, const RunContext& ctx);
nlohmann::ordered_json instances_json(const InstanceRun& run);
std::string format_instances(const InstanceRun& run);
Table instances_csv(const InstanceRun& run);

// --- counts ---------------------------------------------------------------------------------
nlohmann::ordered_json counts_json(const CountScores& scores);
std::string format_counts(const CountScores& scores);
Table counts_csv(const CountScores& scores);

// --- tracking -------------------------------------------------------------------------------
nlohmann::ordered_json tracking_json(const CtcScores& scores);
std::string format_tracking(const CtcScores& scores);
Table tracking_csv(const CtcScores& scores);

nlohmann::ordered_json vi_rand_json(const ViRandScores& scores);

}  // namespace bioforest::workflows::evaluate
