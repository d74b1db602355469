// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Applying a density counter: the density map of each image, block by block within the
/// memory budget, exported like any per-pixel result (float32, one channel), and the counts
/// it implies: per image, per time point, per box.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bioforest/core/batch.hpp"
#include "bioforest/core/run_context.hpp"
#include "bioforest/workflows/canonical_image.hpp"
#include "bioforest/workflows/density_model.hpp"
#include "bioforest/workflows/export.hpp"

namespace bioforest::workflows {

/// A counting region: spatial [start, stop) in (z, y, x) / (y, x) order, in one time point
/// or (t unset) in all of them.
struct CountBox {
  std::string name;
  Roi roi;
  std::optional<std::size_t> t;
  /// The objects it holds, when a user annotated it (training: box constraints).
  std::optional<double> count = std::nullopt;
};

/// Reads boxes from JSON: [{"name": "a", "start": [y0, x0], "stop": [y1, x1], "t": 0,
/// "count": 12}, ...] or {"boxes": [...]}; "name" defaults to "box<i>", "t" and "count"
/// are optional. Error{usage} naming the file and the box for anything else (stop <= start,
/// negative or mixed-rank coordinates, a negative count).
std::vector<CountBox> read_count_boxes(const std::string& path);

/// Error{input} naming the image unless every box lies inside it, with its rank and, when
/// given, an existing time point.
void check_boxes_fit(const std::vector<CountBox>& boxes, const CanonicalImage& raw);

/// The density export sources: "Density" (ilastik calls it "Probabilities"; both accepted).
/// Error{usage} for any other name.
std::string match_density_export_source(const std::string& text);

/// Runs the model over time points [t0, t1) and the spatial region `region` of `raw`, block
/// by block, calling sink(t, core, density) with the density over the core (row-major).
/// Error{input} if the image does not fit the model (channels, dimensionality, scales).
void density_blocks(const DensityModel& model, const CanonicalImage& raw, std::size_t t0,
                    std::size_t t1, const Roi& region,
                    const std::function<void(std::size_t, const Roi&, const float*)>& sink,
                    const RunContext& ctx);

struct DensityRequest {
  std::vector<std::string> inputs;
  io::ReadOptions read;
  /// Density maps to write; no sources = counts only.
  ExportOptions exports;
  std::vector<CountBox> boxes;
};

struct ImageCounts {
  std::string input, name;    ///< name: the file's nickname (as evaluate pairs them)
  bool time_series = false;   ///< the image has a t axis
  double total = 0;           ///< the density summed over the image (all time points)
  std::vector<double> per_t;  ///< per time point
  std::vector<double> boxes;  ///< per request box
};

struct DensityResult {
  std::vector<std::string> outputs;  ///< density maps written
  std::vector<std::string> skipped;  ///< inputs skipped by --skip-existing
  std::vector<ImageCounts> counts;   ///< one per processed input, in input order
  std::vector<BatchFailure> failures;
};

/// Predicts every input with one loaded model: counts, and the density maps asked for.
/// Output paths are checked before any work (Error{usage}); a failing input is recorded
/// and the batch goes on.
DensityResult predict_density(const DensityModel& model, const DensityRequest& request,
                              const RunContext& ctx);

/// "name,count,box,t,file" rows: per image the total (box and t empty), then one row per time
/// point of a time series (t set), then one per box. The total rows alone are what
/// `evaluate counts` reads.
std::string counts_csv(const DensityResult& result, const std::vector<CountBox>& boxes);
nlohmann::ordered_json counts_json(const DensityResult& result, const std::vector<CountBox>& boxes);

}  // namespace bioforest::workflows
