// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// imginfo as a library function: what each image is, and its value range.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bioforest/core/batch.hpp"
#include "bioforest/core/run_context.hpp"
#include "bioforest/io/convert.hpp"
#include "bioforest/io/reader.hpp"

namespace bioforest::workflows {

struct ImageReport {
  std::string path;
  io::ImageInfo info;
  std::optional<io::ImageStats> stats;
};

struct ImgInfoResult {
  std::vector<ImageReport> images;     ///< the inputs that could be read, in order
  std::vector<BatchFailure> failures;  ///< the others, with the reason
};

/// Opens each input (a failure is recorded and the rest go on) and, with `stats`, streams
/// it once for min/max/mean.
ImgInfoResult imginfo(const std::vector<std::string>& inputs, const io::ReadOptions& read,
                      bool stats, const RunContext& ctx);

/// The human-readable report printed on stdout.
std::string format_imginfo(const ImgInfoResult& result);
/// One JSON object per readable input (schemas/imginfo_summary.schema.json, "files").
nlohmann::ordered_json imginfo_json(const ImgInfoResult& result);

}  // namespace bioforest::workflows
