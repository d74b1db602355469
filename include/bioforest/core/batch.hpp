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

/// The batch loop of the tools that write per-input outputs: input i is listed in `skipped`
/// where skip[i] (--skip-existing found its outputs; an empty `skip` skips nothing), else
/// run(i) runs inside try_input with "<verb> <input>" as the error context, and its failure
/// is added to `failures` while the batch goes on.
template <class F>
void run_batch(const std::vector<std::string>& inputs, const std::vector<bool>& skip,
               const std::string& verb, std::vector<std::string>& skipped,
               std::vector<BatchFailure>& failures, F&& run) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!skip.empty() && skip[i]) {
      skipped.push_back(inputs[i]);
      continue;
    }
    auto failure =
        try_input(inputs[i], [&] { with_context(verb + " " + inputs[i], [&] { run(i); }); });
    if (failure) failures.push_back(std::move(*failure));
  }
}

}  // namespace bioforest
