// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The one exception type of bioforest: a reason, the file and dataset it concerns, a category
/// that decides the exit code, and a chain of context added as it travels outwards.

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace bioforest {

/// What kind of failure: decides the exit code in the tool's run_main.
enum class ErrorCategory {
  usage,      ///< bad flag, bad spec, output exists: exit 2, detected before any output
  input,      ///< unreadable, corrupt or unsuitable input: exit 1
  output,     ///< cannot write the result (permissions, disk full): exit 1
  internal,   ///< a broken invariant inside bioforest: exit 1
  cancelled,  ///< SIGINT/SIGTERM arrived: exit 130/143
};

class Error : public std::exception {
 public:
  Error(ErrorCategory category, std::string reason, std::string file = {},
        std::string dataset = {});

  ErrorCategory category() const noexcept { return category_; }
  const std::string& reason() const noexcept { return reason_; }
  const std::string& file() const noexcept { return file_; }
  const std::string& dataset() const noexcept { return dataset_; }
  /// Outer contexts, innermost first ("reading dataset /x in a.h5", "loading spec.json").
  const std::vector<std::string>& context() const noexcept { return context_; }

  /// Adds an outer context ("while loading training data for spec.json").
  Error& add_context(std::string what);
  /// Fills in the file (and dataset) when the thrower did not know it.
  Error& set_file_if_empty(const std::string& file, const std::string& dataset = {});

  /// One line: "FILE[ (dataset D)]: REASON (while CONTEXT; while CONTEXT2)".
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  void compose();

  ErrorCategory category_;
  std::string reason_, file_, dataset_;
  std::vector<std::string> context_;
  std::string message_;
};

/// Shorthands for the common categories.
[[noreturn]] void throw_usage(std::string reason, std::string file = {});
[[noreturn]] void throw_input(std::string file, std::string reason, std::string dataset = {});
[[noreturn]] void throw_output(std::string file, std::string reason, std::string dataset = {});
[[noreturn]] void throw_internal(std::string reason);

/// Runs f; an Error escaping from it gets `what` added to its context chain.
template <class F>
decltype(auto) with_context(const std::string& what, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (Error& e) {
    e.add_context(what);
    throw;
  }
}

}  // namespace bioforest

/// A precondition that stays on in release builds; throws Error{internal} with the message.
#define BIOFOREST_CHECK(cond, msg)                                               \
  do {                                                                           \
    if (!(cond)) ::bioforest::throw_internal(std::string(msg) + " [" #cond "]"); \
  } while (0)
