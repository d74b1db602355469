// SPDX-License-Identifier: BSD-3-Clause
// The one exception type: its one-line message (file, dataset, reason, contexts), and the
// helpers that fill it in on the way out.
#include <catch2/catch.hpp>

#include <string>

#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"

using namespace bioforest;

TEST_CASE("Error's message names the file, the dataset, the reason and the contexts",
          "[core][error]") {
  Error e(ErrorCategory::input, "not a 2-D image", "a.h5", "/raw");
  CHECK(std::string(e.what()) == "a.h5 (dataset /raw): not a 2-D image");
  e.add_context("reading the training images").add_context("training spec.json");
  CHECK(std::string(e.what()) ==
        "a.h5 (dataset /raw): not a 2-D image (while reading the training images; while "
        "training spec.json)");
  CHECK(e.context().size() == 2);
  CHECK(Error(ErrorCategory::usage, "bad flag").what() == std::string("bad flag"));
}

TEST_CASE("set_file_if_empty fills in only what the thrower did not know", "[core][error]") {
  Error e(ErrorCategory::input, "truncated");
  e.set_file_if_empty("b.tif");
  CHECK(e.file() == "b.tif");
  CHECK(std::string(e.what()) == "b.tif: truncated");
  e.set_file_if_empty("c.tif", "/x");
  CHECK(e.file() == "b.tif");
}

TEST_CASE("with_context adds its words to an Error passing through", "[core][error]") {
  try {
    with_context("loading model.h5", [] { throw_input("model.h5", "no forest", "/forest"); });
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::input);
    CHECK(e.dataset() == "/forest");
    CHECK(std::string(e.what()).ends_with("(while loading model.h5)"));
  }
  CHECK(with_context("nothing goes wrong", [] { return 7; }) == 7);
  CHECK_THROWS_AS(throw_internal("broken"), Error);
  CHECK_THROWS_AS(throw_output("out.tif", "disk full"), Error);
}

TEST_CASE("parse_log_level accepts the documented names only", "[core][log]") {
  CHECK(parse_log_level("debug") == spdlog::level::debug);
  CHECK(parse_log_level("warning") == spdlog::level::warn);
  CHECK(parse_log_level("warn") == spdlog::level::warn);
  CHECK(parse_log_level("off") == spdlog::level::off);
  CHECK_THROWS_AS(parse_log_level("verbose"), Error);
}
