// SPDX-License-Identifier: BSD-3-Clause
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "bioforest/cli/tool.hpp"
#include "bioforest/core/log.hpp"

namespace bioforest::cli {

namespace {

// Shared state of one printer; a bar redraws on a terminal, a log file gets a line per 10 %.
struct ProgressState {
  std::mutex mutex;
  std::string stage;
  int last_decile = -1;
  int last_percent = -1;
  std::chrono::steady_clock::time_point stage_start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_line = stage_start;
  bool terminal = stderr_is_terminal();
};

void draw_bar(ProgressState& s, std::string_view stage, std::uint64_t done, std::uint64_t total) {
  const int percent = total ? int(100.0 * double(done) / double(total)) : 100;
  if (stage == s.stage && percent == s.last_percent) return;
  s.stage = stage;
  s.last_percent = percent;
  constexpr int width = 30;
  const int filled = percent * width / 100;
  std::fprintf(stderr, "\r%-24.24s [%s%s] %3d%%", std::string(stage).c_str(),
               std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), percent);
  if (done >= total) std::fputc('\n', stderr);
  std::fflush(stderr);
}

// Log files get a line per 10 % (at most one per 5 s, or one per 30 s of silence), and
// nothing for stages that finish within a few seconds: short runs stay quiet.
void write_line(ProgressState& s, std::string_view stage, std::uint64_t done, std::uint64_t total) {
  const auto now = std::chrono::steady_clock::now();
  if (stage != s.stage) {
    s.stage = stage;
    s.stage_start = s.last_line = now;
    s.last_decile = 0;
    return;
  }
  const int decile = total ? int(10.0 * double(done) / double(total)) : 10;
  const bool quiet_start = now - s.stage_start < std::chrono::seconds(3);
  const bool spaced = now - s.last_line > std::chrono::seconds(5);
  const bool silent = now - s.last_line > std::chrono::seconds(30);
  if (quiet_start || !((decile != s.last_decile && spaced) || silent)) return;
  s.last_decile = decile;
  s.last_line = now;
  logger().info("{}: {}/{} ({}%)", stage, done, total,
                total ? int(100.0 * double(done) / double(total)) : 100);
}

}  // namespace

ProgressFn make_progress_printer(bool quiet) {
  if (quiet) return {};
  auto state = std::make_shared<ProgressState>();
  return [state](std::string_view stage, std::uint64_t done, std::uint64_t total) {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (state->terminal)
      draw_bar(*state, stage, done, total);
    else
      write_line(*state, stage, done, total);
  };
}

}  // namespace bioforest::cli
