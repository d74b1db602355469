// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/run_context.hpp"

#include <csignal>

#include "bioforest/core/error.hpp"

namespace bioforest {

void RunContext::progress(std::string_view stage, std::uint64_t done, std::uint64_t total) const {
  if (on_progress) on_progress(stage, done, total);
  check_cancelled();
}

void RunContext::check_cancelled() const {
  if (cancelled())
    throw Error(ErrorCategory::cancelled,
                cancel->load() == SIGTERM ? "terminated (SIGTERM)" : "interrupted (SIGINT)");
}

std::atomic<int>& cancel_flag() {
  static std::atomic<int> flag{0};
  return flag;
}

namespace {

extern "C" void on_cancel_signal(int sig) {
  auto& flag = cancel_flag();
  if (flag.load() != 0) {
    // Second signal: the user insists; leave now with the conventional code.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  flag.store(sig);
}

}  // namespace

void install_cancel_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_cancel_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace bioforest
