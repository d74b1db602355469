// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/error.hpp"

namespace bioforest {

Error::Error(ErrorCategory category, std::string reason, std::string file, std::string dataset)
    : category_(category),
      reason_(std::move(reason)),
      file_(std::move(file)),
      dataset_(std::move(dataset)) {
  compose();
}

Error& Error::add_context(std::string what) {
  context_.push_back(std::move(what));
  compose();
  return *this;
}

Error& Error::set_file_if_empty(const std::string& file, const std::string& dataset) {
  if (file_.empty()) {
    file_ = file;
    if (dataset_.empty()) dataset_ = dataset;
    compose();
  }
  return *this;
}

void Error::compose() {
  message_.clear();
  if (!file_.empty()) {
    message_ += file_;
    if (!dataset_.empty()) message_ += " (dataset " + dataset_ + ")";
    message_ += ": ";
  }
  message_ += reason_;
  if (!context_.empty()) {
    message_ += " (while ";
    for (std::size_t i = 0; i < context_.size(); ++i) {
      if (i) message_ += "; while ";
      message_ += context_[i];
    }
    message_ += ")";
  }
}

void throw_usage(std::string reason, std::string file) {
  throw Error(ErrorCategory::usage, std::move(reason), std::move(file));
}
void throw_input(std::string file, std::string reason, std::string dataset) {
  throw Error(ErrorCategory::input, std::move(reason), std::move(file), std::move(dataset));
}
void throw_output(std::string file, std::string reason, std::string dataset) {
  throw Error(ErrorCategory::output, std::move(reason), std::move(file), std::move(dataset));
}
void throw_internal(std::string reason) {
  throw Error(ErrorCategory::internal, "internal error: " + std::move(reason));
}

}  // namespace bioforest
