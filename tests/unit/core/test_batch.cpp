// SPDX-License-Identifier: BSD-3-Clause
// Batches: one bad input does not stop the others, skipped inputs are listed, cancellation
// is not swallowed.
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
