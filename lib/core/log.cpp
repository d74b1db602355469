// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/log.hpp"

#include <unistd.h>

#include <spdlog/sinks/ansicolor_sink.h>
#include <cstdlib>
#include <cstring>

#include "bioforest/core/error.hpp"

namespace bioforest {

namespace {

std::shared_ptr<spdlog::logger> make_logger(std::string_view tool, bool colour) {
  auto sink = std::make_shared<spdlog::sinks::ansicolor_stderr_sink_mt>(
      colour ? spdlog::color_mode::always : spdlog::color_mode::never);
  auto lg = std::make_shared<spdlog::logger>(std::string(tool), std::move(sink));
  // "pxclassify: warning: ..." reads like other Unix tools; colour marks the level.
  lg->set_pattern("%n: %^%l%$: %v");
  lg->flush_on(spdlog::level::trace);
  return lg;
}

std::shared_ptr<spdlog::logger>& logger_slot() {
  static std::shared_ptr<spdlog::logger> lg = make_logger("bioforest", false);
  return lg;
}

}  // namespace

spdlog::logger& logger() {
  return *logger_slot();
}

bool stderr_is_terminal() {
  return isatty(STDERR_FILENO) == 1;
}

bool stderr_wants_colour() {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return stderr_is_terminal();
}

spdlog::level::level_enum parse_log_level(std::string_view name) {
  if (name == "trace") return spdlog::level::trace;
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warn" || name == "warning") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  if (name == "off") return spdlog::level::off;
  throw_usage("unknown log level '" + std::string(name) +
              "' (expected trace, debug, info, warning, error or off)");
}

void configure_logging(std::string_view tool, spdlog::level::level_enum level) {
  auto lg = make_logger(tool, stderr_wants_colour());
  lg->set_level(level);
  logger_slot() = lg;
}

}  // namespace bioforest
