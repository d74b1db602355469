// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// What every executable shares: the standard options (added by one call), option parsing
/// with CLI11, logging and progress set-up, the summary JSON, and run_main's single place
/// where errors become exit codes. A tool's main.cpp declares its own options and calls one
/// library function inside Tool::run.

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bioforest/core/batch.hpp"
#include "bioforest/core/run_context.hpp"

namespace bioforest::cli {

/// Exit codes (DESIGN.md, Conventions).
enum ExitCode : int {
  kSuccess = 0,
  kFailure = 1,        ///< runtime failure: unreadable input, write error
  kUsage = 2,          ///< usage or spec error, before any output
  kPartial = 3,        ///< batch: some inputs failed, the others were processed
  kInterrupted = 130,  ///< SIGINT
  kTerminated = 143,   ///< SIGTERM
};

/// Same name, same meaning, in every tool.
struct StandardOptions {
  int threads = 0;         ///< --threads; 0 until parsed (then >= 1)
  std::size_t ram_mb = 0;  ///< --ram-mb
  std::string log_level = "info";
  bool quiet = false;        ///< -q: warnings and errors only, no progress
  bool overwrite = false;    ///< --overwrite
  std::string summary_json;  ///< --summary-json PATH
};

class Tool {
 public:
  Tool(std::string name, std::string description);

  CLI::App& app() noexcept { return app_; }
  const std::string& name() const noexcept { return name_; }
  const StandardOptions& standard() const noexcept { return std_; }
  /// The tool has subcommands (pxclassify train|predict|...): exactly one must be given.
  /// Checked after parsing, so an unknown flag is reported as such first.
  void require_subcommand();
  /// Adds a copy-pasteable example to the --help text.
  void add_example(const std::string& command, const std::string& what);

  /// Resources, progress and cancellation for library calls (valid inside run()).
  const RunContext& context() const noexcept { return ctx_; }
  /// The machine-readable result; written to --summary-json at the end of run().
  nlohmann::ordered_json& summary() noexcept { return summary_; }

  /// Parses argv, sets up logging/threads/progress/signals, calls body, and maps any error
  /// to an exit code (printing one line "tool: error: ..." on stderr). Returns the exit code.
  int run(int argc, char** argv, const std::function<int()>& body);

 private:
  void finish_summary(int code, double seconds);

  std::string name_;
  CLI::App app_;
  StandardOptions std_;
  RunContext ctx_;
  nlohmann::ordered_json summary_;
  std::vector<std::string> examples_;
  bool needs_subcommand_ = false;
};

/// Adds --threads, --ram-mb, --log-level, -q/--quiet, --overwrite, --summary-json and
/// --version to `app` (Tool's constructor calls it; tools never need to).
void add_standard_options(CLI::App& app, StandardOptions& options, const std::string& tool);

/// The `train SPEC -o MODEL.h5` subcommand of every learning tool: the project spec (a JSON
/// file valid against schemas/<schema>.schema.json) and the model file to write.
CLI::App* add_train_subcommand(CLI::App& app, const std::string& description,
                               const std::string& schema, std::string& spec,
                               std::string& model_out);

/// Ends a batch: logs each failure on stderr (one line each), lists them in the summary,
/// and returns 0 if none failed, 3 if some failed, or the first failure's own code (1 or 2)
/// if every input failed.
int finish_batch(Tool& tool, const std::vector<BatchFailure>& failures, std::size_t total);

/// The shell-quoted command line, for provenance and logs.
std::string quoted_command_line(int argc, char** argv);

/// A progress sink: a bar when stderr is a terminal, a plain line every 10 % (or 30 s)
/// otherwise, nothing when quiet.
ProgressFn make_progress_printer(bool quiet);

}  // namespace bioforest::cli
