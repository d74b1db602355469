// SPDX-License-Identifier: BSD-3-Clause
// The context every library call receives: progress goes to the caller's sink, and a
// cancel request (SIGINT / SIGTERM, caught by install_cancel_handlers) surfaces as
// Error{cancelled} at the next progress report or check.
#include <catch2/catch.hpp>

#include <csignal>
#include <string>
#include <vector>

#include "bioforest/core/error.hpp"
#include "bioforest/core/run_context.hpp"

using namespace bioforest;

TEST_CASE("progress reports to the sink and goes on while not cancelled", "[run_context]") {
  std::vector<std::string> seen;
  RunContext ctx;
  ctx.on_progress = [&](std::string_view stage, std::uint64_t done, std::uint64_t total) {
    seen.push_back(std::string(stage) + " " + std::to_string(done) + "/" + std::to_string(total));
  };
  ctx.progress("features", 1, 4);
  ctx.progress("features", 4, 4);
  CHECK(seen == std::vector<std::string>{"features 1/4", "features 4/4"});
  CHECK_FALSE(ctx.cancelled());
  CHECK_NOTHROW(ctx.check_cancelled());
  RunContext quiet;  // no sink, no flag
  CHECK_NOTHROW(quiet.progress("anything", 0, 0));
}

TEST_CASE("a cancel request surfaces as Error{cancelled} naming the signal", "[run_context]") {
  std::atomic<int> flag{0};
  int reports = 0;
  RunContext ctx;
  ctx.cancel = &flag;
  ctx.on_progress = [&](std::string_view, std::uint64_t, std::uint64_t) { ++reports; };
  flag = SIGINT;
  CHECK(ctx.cancelled());
  try {
    ctx.progress("training", 3, 10);
    FAIL("progress did not throw");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::cancelled);
    CHECK(std::string(e.what()).find("SIGINT") != std::string::npos);
  }
  CHECK(reports == 1);  // the report is made before the check
  flag = SIGTERM;
  CHECK_THROWS_WITH(ctx.check_cancelled(), Catch::Contains("SIGTERM"));
}

TEST_CASE("install_cancel_handlers turns SIGINT into the cancel flag", "[run_context]") {
  cancel_flag() = 0;
  install_cancel_handlers();
  std::raise(SIGINT);  // the process goes on
  CHECK(cancel_flag().load() == SIGINT);
  RunContext ctx;
  ctx.cancel = &cancel_flag();
  CHECK_THROWS_AS(ctx.check_cancelled(), Error);
  // Leave the process as it was: no request pending, default handlers.
  cancel_flag() = 0;
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}
