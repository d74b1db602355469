// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik's data-export flags (dashed and underscore spellings), added to any predicting
/// tool by one call and turned into workflows::ExportOptions.

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bioforest/workflows/export.hpp"

namespace bioforest::cli {

struct ExportFlags {
  std::vector<std::string> sources;
  std::string format, filename_format, output, internal_path, dtype, drange, pipeline_drange,
      cutout, output_axes, compression;
  bool skip_existing = false;
  bool headless = false, readonly = false;  ///< accepted for ilastik scripts, no effect
};

/// Adds --export-source, -o, --output-filename-format, --output-format,
/// --output-internal-path, --export-dtype, --export-drange, --pipeline-result-drange,
/// --cutout-subregion, --output-axis-order, --compression, --skip-existing, and the no-op
/// --headless/--readonly. `sources_help` lists the tool's export sources.
void add_export_options(CLI::App& app, ExportFlags& flags, const std::string& sources_help);

/// Validated options; `match_source` maps a user's spelling to the display name (throwing
/// Error{usage} for an unknown one); `default_source` when none is given.
workflows::ExportOptions export_options(
    const ExportFlags& flags, bool overwrite,
    const std::function<std::string(const std::string&)>& match_source,
    const std::string& default_source);

}  // namespace bioforest::cli
