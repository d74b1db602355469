// SPDX-License-Identifier: BSD-3-Clause
// Batches: one bad input does not stop the others, skipped inputs are listed, cancellation
// is not swallowed.
#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "bioforest/core/batch.hpp"

using namespace bioforest;

TEST_CASE("run_batch skips, records failures with context, and goes on", "[batch]") {
  const std::vector<std::string> inputs{"a.tif", "b.tif", "c.tif", "d.tif"};
  std::vector<std::string> skipped, done;
  std::vector<BatchFailure> failures;
  run_batch(inputs, {false, true, false, false}, "predicting", skipped, failures,
            [&](std::size_t i) {
              if (i == 2) throw_input("", "truncated strip");
              done.push_back(inputs[i]);
            });
  CHECK(done == std::vector<std::string>{"a.tif", "d.tif"});
  CHECK(skipped == std::vector<std::string>{"b.tif"});
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].input == "c.tif");
  CHECK(failures[0].category == ErrorCategory::input);
  const std::string message = failures[0].message;
  CHECK(message.find("c.tif") != std::string::npos);
  CHECK(message.find("truncated strip") != std::string::npos);
  CHECK(message.find("predicting c.tif") != std::string::npos);
}

TEST_CASE("run_batch with no skip list runs every input; cancellation escapes", "[batch]") {
  std::vector<std::string> skipped;
  std::vector<BatchFailure> failures;
  std::size_t runs = 0;
  run_batch({"x", "y"}, {}, "counting", skipped, failures, [&](std::size_t) { ++runs; });
  CHECK(runs == 2);
  CHECK(skipped.empty());
  CHECK_THROWS_AS(
      run_batch({"x"}, {}, "counting", skipped, failures,
                [](std::size_t) { throw Error(ErrorCategory::cancelled, "interrupted"); }),
      Error);
}

TEST_CASE("run_batch_parallel runs every input once, failures and skips in input order",
          "[batch]") {
  std::vector<std::string> inputs;
  for (int i = 0; i < 40; ++i)
    inputs.push_back("img" + std::to_string(i) + ".png");
  std::vector<bool> skip(inputs.size(), false);
  skip[3] = skip[17] = true;
  for (const std::size_t workers : {1, 2, 3, 64}) {
    std::vector<std::string> skipped;
    std::vector<BatchFailure> failures;
    std::vector<std::atomic<int>> runs(inputs.size());
    std::vector<std::atomic<int>> by_worker(workers);
    run_batch_parallel(inputs, skip, "predicting", workers, skipped, failures,
                       [&](std::size_t i, std::size_t worker) {
                         REQUIRE(worker < workers);
                         ++by_worker[worker];
                         ++runs[i];
                         if (i % 10 == 9) throw_input("", "bad header");
                       });
    for (std::size_t i = 0; i < inputs.size(); ++i)
      CHECK(runs[i] == (skip[i] ? 0 : 1));
    CHECK(skipped == std::vector<std::string>{"img3.png", "img17.png"});
    REQUIRE(failures.size() == 4);
    for (std::size_t k = 0; k < failures.size(); ++k) {
      CHECK(failures[k].input == inputs[10 * k + 9]);
      CHECK(failures[k].category == ErrorCategory::input);
      CHECK(failures[k].message.find("predicting " + inputs[10 * k + 9]) != std::string::npos);
      CHECK(failures[k].message.find("bad header") != std::string::npos);
    }
    int total = 0;
    for (auto& n : by_worker)
      total += n;
    CHECK(total == 38);
  }
}

TEST_CASE("run_batch_parallel overlaps inputs on its workers", "[batch]") {
  // Two inputs that each wait for the other to start finish only if they run concurrently.
  std::atomic<int> started{0};
  std::vector<std::string> skipped;
  std::vector<BatchFailure> failures;
  run_batch_parallel({"a", "b"}, {}, "waiting", 2, skipped, failures,
                     [&](std::size_t, std::size_t) {
                       ++started;
                       for (int spin = 0; started < 2 && spin < 2000; ++spin)
                         std::this_thread::sleep_for(std::chrono::milliseconds(1));
                       if (started < 2) throw_input("", "ran alone");
                     });
  CHECK(failures.empty());
}

TEST_CASE("run_batch_parallel rethrows cancellation after its workers stop", "[batch]") {
  std::vector<std::string> skipped;
  std::vector<BatchFailure> failures;
  std::atomic<int> runs{0};
  std::vector<std::string> inputs(100, "x");
  auto cancel_at_5 = [&](std::size_t i, std::size_t) {
    ++runs;
    if (i == 5) throw Error(ErrorCategory::cancelled, "interrupted");
  };
  // One worker: inputs run in order, and none is handed out after the cancellation.
  CHECK_THROWS_AS(run_batch_parallel(inputs, {}, "counting", 1, skipped, failures, cancel_at_5),
                  Error);
  CHECK(runs == 6);
  // Two workers: rethrown too, not recorded as a failure (how many inputs the other worker
  // ran before it saw the stop depends on the scheduler, so it is not asserted).
  CHECK_THROWS_AS(run_batch_parallel(inputs, {}, "counting", 2, skipped, failures, cancel_at_5),
                  Error);
  CHECK(failures.empty());
  // An empty batch runs nothing.
  run_batch_parallel({}, {}, "counting", 4, skipped, failures,
                     [&](std::size_t, std::size_t) { ++runs; });
  CHECK(failures.empty());
}
