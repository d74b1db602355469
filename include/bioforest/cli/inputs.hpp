// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Input options shared by every tool that reads images: --input-axes and --stack-along
/// (with ilastik's underscore spellings), turned into io::ReadOptions.

#include <string>

#include <CLI/CLI.hpp>

#include "bioforest/io/reader.hpp"

namespace bioforest::cli {

struct InputOptions {
  std::string axes;               ///< --input-axes, e.g. "zyx", "tyx", "yxc"
  std::string stack_along = "z";  ///< --stack-along for quoted globs
  /// Validated io::ReadOptions; throws Error{usage} for bad axes letters.
  io::ReadOptions read_options() const;
};

void add_input_options(CLI::App& app, InputOptions& options);

}  // namespace bioforest::cli
