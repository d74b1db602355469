// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Batches: one bad input must not stop the others. Each input runs inside try_input; its
/// failure is recorded (input, reason, category) and the batch goes on. Cancellation and
/// usage errors that concern the whole run are not swallowed.

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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

/// Holds `m` if there is one: what the inputs of a batch share is locked only when they run
/// on several threads.
inline std::unique_lock<std::mutex> lock_if(std::mutex* m) {
  return m ? std::unique_lock<std::mutex>(*m) : std::unique_lock<std::mutex>();
}

/// run_batch over up to `workers` threads, for batches whose per-input work is partly serial
/// (reading, writing, images too small to share): each worker takes the next input not yet
/// taken and calls run(i, worker), worker in [0, workers); the calling thread is worker 0.
/// A worker's inputs run one after another, so per-worker state needs no lock; what the
/// inputs share (files, a library that is not thread-safe) is run's to guard. `skipped` and
/// `failures` come out in input order, as run_batch's. An exception that is not one input's
/// failure (cancellation, out of memory) stops handing out inputs and is rethrown once every
/// worker has finished its current input.
template <class F>
void run_batch_parallel(const std::vector<std::string>& inputs, const std::vector<bool>& skip,
                        const std::string& verb, std::size_t workers,
                        std::vector<std::string>& skipped, std::vector<BatchFailure>& failures,
                        F&& run) {
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!skip.empty() && skip[i])
      skipped.push_back(inputs[i]);
    else
      todo.push_back(i);
  }
  workers = std::clamp<std::size_t>(workers, 1, std::max<std::size_t>(todo.size(), 1));
  std::vector<std::optional<BatchFailure>> failed(todo.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](std::size_t worker) {
    for (std::size_t k = next++; k < todo.size() && !stop; k = next++) {
      const std::size_t i = todo[k];
      try {
        failed[k] = try_input(
            inputs[i], [&] { with_context(verb + " " + inputs[i], [&] { run(i, worker); }); });
      } catch (...) {
        const std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        stop = true;
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    for (std::size_t w = 1; w < workers; ++w)
      pool.emplace_back(work, w);
    work(0);
  }  // joins the pool
  if (error) std::rethrow_exception(error);
  for (auto& f : failed)
    if (f) failures.push_back(std::move(*f));
}

}  // namespace bioforest
