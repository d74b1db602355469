// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Batches: one bad input must not stop the others. Each input runs inside try_input; its
/// failure is recorded (input, reason, category) and the batch goes on. Cancellation and
/// usage errors that concern the whole run are not swallowed.

#include <optional>
#include <string>
#include <vector>

#include "bioforest/core/error.hpp"

namespace bioforest {

struct BatchFailure {
  std::string input;
  std::string message;  ///< the Error's one-line what()
  ErrorCategory category;
};

/// Runs f(); an Error other than `cancelled` becomes a BatchFailure for `input`.
template <class F>
std::optional<BatchFailure> try_input(const std::string& input, F&& f) {
  try {
    f();
    return std::nullopt;
  } catch (Error& e) {
    if (e.category() == ErrorCategory::cancelled) throw;
    e.set_file_if_empty(input);
    return BatchFailure{input, e.what(), e.category()};
  }
}

}  // namespace bioforest
