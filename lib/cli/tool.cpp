// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/cli/tool.hpp"

#include <hdf5.h>
#include <omp.h>
#include <png.h>
#include <tiffvers.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <locale>
#include <new>

#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/core/resources.hpp"
#include "bioforest/core/version.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/io/provenance.hpp"

namespace bioforest::cli {

namespace {

std::string version_text(const std::string& tool) {
  std::string s = tool + " (bioforest) " + version() + "\n" + build_info();
  s += std::string("libraries: ") + H5_VERS_INFO + "; " + "libtiff " +
       std::to_string(TIFFLIB_MAJOR_VERSION) + "." + std::to_string(TIFFLIB_MINOR_VERSION) + "." +
       std::to_string(TIFFLIB_MICRO_VERSION) + "; libpng " + PNG_LIBPNG_VER_STRING + "; spdlog " +
       std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
       std::to_string(SPDLOG_VER_PATCH) + "; nlohmann-json " +
       std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
       std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "; CLI11 " + CLI11_VERSION;
  return s;
}

int exit_code_for(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::usage:
      return kUsage;
    case ErrorCategory::cancelled:
      return cancel_flag().load() == SIGTERM ? kTerminated : kInterrupted;
    default:
      return kFailure;
  }
}

// CLI11 says "The following argument was not expected: --output_format"; ilastik users type
// underscores, so point them at the dashed spelling.
std::string parse_error_message(const CLI::ParseError& e, int argc, char** argv) {
  std::string msg = e.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a.starts_with("--") && a.find('_') != std::string::npos) {
        std::string dashed = a.substr(0, a.find('='));
        for (auto& c : dashed)
          if (c == '_') c = '-';
        msg += " (did you mean " + dashed + "?)";
        break;
      }
    }
  }
  return msg;
}

// Arguments no option or subcommand took, in the app and its chosen subcommands.
std::vector<std::string> all_remaining(const CLI::App& app) {
  std::vector<std::string> out = app.remaining();
  for (const CLI::App* sub : app.get_subcommands()) {
    const auto more = sub->remaining();
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

}  // namespace

void add_standard_options(CLI::App& app, StandardOptions& o, const std::string& tool) {
  const char* group = "Runtime";
  app.add_option("--threads,-j", o.threads,
                 "Worker threads [default: OMP_NUM_THREADS, LAZYFLOW_THREADS, "
                 "SLURM_CPUS_PER_TASK, else the CPUs this process may use]")
      ->check(CLI::PositiveNumber)
      ->group(group);
  app.add_option("--ram-mb", o.ram_mb,
                 "Memory budget for block buffers in MiB [default: LAZYFLOW_TOTAL_RAM_MB, "
                 "else half the RAM]")
      ->check(CLI::PositiveNumber)
      ->group(group);
  app.add_option("--log-level", o.log_level,
                 "trace, debug, info, warning, error or off [default: info]")
      ->group(group);
  app.add_flag("-q,--quiet", o.quiet, "Only warnings and errors; no progress")->group(group);
  app.add_flag("--overwrite", o.overwrite, "Replace outputs that exist")->group(group);
  app.add_option("--summary-json", o.summary_json,
                 "Write a machine-readable summary of the run to this file")
      ->group(group);
  app.set_version_flag(
      "--version", [tool] { return version_text(tool); },
      "Print the version and build details, then exit");
  app.set_help_flag("-h,--help", "Print this help, then exit");
}

Tool::Tool(std::string name, std::string description)
    : name_(std::move(name)), app_(std::move(description), name_) {
  add_standard_options(app_, std_, name_);
  app_.get_formatter()->column_width(34);
  app_.footer([this] {
    if (examples_.empty()) return std::string();
    std::string s = "Examples:\n";
    for (const auto& e : examples_)
      s += e;
    return s;
  });
}

void Tool::require_subcommand() {
  app_.require_subcommand(0, 1);
  needs_subcommand_ = true;
}

void Tool::add_example(const std::string& command, const std::string& what) {
  examples_.push_back("  # " + what + "\n  " + command + "\n");
}

CLI::App* add_train_subcommand(CLI::App& app, const std::string& description,
                               const std::string& schema, std::string& spec,
                               std::string& model_out) {
  auto* train = app.add_subcommand("train", description);
  train->add_option("spec", spec, "Project spec (schemas/" + schema + ".schema.json)")->required();
  train->add_option("-o,--output", model_out, "Model file to write (.h5)")->required();
  return train;
}

int finish_batch(Tool& tool, const std::vector<BatchFailure>& failures, std::size_t total) {
  auto& list = tool.summary()["failures"] = nlohmann::ordered_json::array();
  for (const auto& f : failures) {
    logger().error("{}", f.message);
    list.push_back({{"input", f.input}, {"error", f.message}});
  }
  if (failures.empty()) return kSuccess;
  if (failures.size() < total) {
    logger().error("{} of {} inputs failed; the others were processed", failures.size(), total);
    return kPartial;
  }
  return exit_code_for(failures.front().category);
}

std::string quoted_command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i) s += ' ';
    if (a.find_first_of(" \t\"'$\\*?[]{}()|&;<>`") == std::string::npos && !a.empty()) {
      s += a;
    } else {
      s += '\'';
      for (char c : a)
        s += c == '\'' ? std::string("'\\''") : std::string(1, c);
      s += '\'';
    }
  }
  return s;
}

int Tool::run(int argc, char** argv, const std::function<int()>& body) {
  std::locale::global(std::locale::classic());  // "." decimal points in CSV/JSON
  const auto t0 = std::chrono::steady_clock::now();
  try {
    app_.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app_.help();
    return kSuccess;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app_.help("", CLI::AppFormatMode::All);
    return kSuccess;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    return kSuccess;
  } catch (const CLI::ParseError& e) {
    // CLI11 checks required options before it complains about unknown ones; a misspelled
    // flag is the real problem, so name it first.
    std::string message = parse_error_message(e, argc, argv);
    if (dynamic_cast<const CLI::RequiredError*>(&e)) {
      for (const auto& extra : all_remaining(app_)) {
        if (extra.starts_with("-")) {
          message = parse_error_message(CLI::ExtrasError({extra}), argc, argv);
          break;
        }
      }
    }
    std::cerr << name_ << ": error: " << message << "\n"
              << "Try '" << name_ << " --help' for more information.\n";
    return kUsage;
  }
  if (needs_subcommand_ && app_.get_subcommands().empty()) {
    std::string names;
    for (const auto* sub : app_.get_subcommands({}))
      names += (names.empty() ? "" : ", ") + sub->get_name();
    std::cerr << name_ << ": error: a subcommand is required (" << names << ")\n"
              << "Try '" << name_ << " --help' for more information.\n";
    return kUsage;
  }

  int code = kFailure;
  try {
    configure_logging(name_, std_.quiet ? spdlog::level::warn : parse_log_level(std_.log_level));
    install_cancel_handlers();
    if (std_.threads <= 0) std_.threads = default_threads();
    if (std_.ram_mb == 0) std_.ram_mb = default_ram_mb();
    omp_set_num_threads(std_.threads);
    ctx_.threads = std_.threads;
    ctx_.ram_bytes = std_.ram_mb << 20;
    ctx_.cancel = &cancel_flag();
    ctx_.on_progress = make_progress_printer(std_.quiet);
    io::set_process_provenance({name_, version(), quoted_command_line(argc, argv), {}});
    if (!std_.summary_json.empty()) io::check_output_path(std_.summary_json, true);
    logger().debug("{} {}; threads {}, ram {} MiB", name_, version(), std_.threads, std_.ram_mb);
    code = body();
  } catch (const Error& e) {
    logger().error("{}", e.what());
    code = exit_code_for(e.category());
  } catch (const std::bad_alloc&) {
    logger().error("out of memory (lower --ram-mb or ask the scheduler for more memory)");
    code = kFailure;
  } catch (const std::exception& e) {
    logger().error("{}", e.what());
    code = kFailure;
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!std_.summary_json.empty() && code != kUsage) {
    try {
      finish_summary(code, seconds);
    } catch (const Error& e) {
      logger().error("{}", e.what());
      if (code == kSuccess) code = kFailure;
    }
  }
  logger().debug("done in {:.2f} s, peak RSS {} MiB", seconds, peak_rss_bytes() >> 20);
  return code;
}

void Tool::finish_summary(int code, double seconds) {
  nlohmann::ordered_json j;
  j["tool"] = name_;
  j["version"] = version();
  j["command_line"] = io::process_provenance().command_line;
  j["exit_code"] = code;
  j["threads"] = std_.threads;
  j["wall_seconds"] = seconds;
  j["peak_rss_mb"] = double(peak_rss_bytes()) / (1 << 20);
  for (auto it = summary_.begin(); it != summary_.end(); ++it)
    j[it.key()] = it.value();
  io::write_text_file(std_.summary_json, j.dump(2) + "\n", true);
}

}  // namespace bioforest::cli
