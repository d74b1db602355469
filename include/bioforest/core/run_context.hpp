// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// What every library entry point receives: resources, a progress sink and a cancel flag.
/// The library never prints and never exits; it reports through this context.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace bioforest {

/// Called with a stage name and work done out of total. May be called from any thread the
/// library runs on; implementations must be thread-safe.
using ProgressFn =
    std::function<void(std::string_view stage, std::uint64_t done, std::uint64_t total)>;

struct RunContext {
  int threads = 1;                                  ///< worker threads for OpenMP regions
  std::size_t ram_bytes = std::size_t(2048) << 20;  ///< memory budget for block buffers
  ProgressFn on_progress;                           ///< may be empty
  const std::atomic<int>* cancel = nullptr;         ///< non-zero = cancelled (the signal number)

  /// Reports progress, then throws Error{cancelled} if a cancel was requested.
  /// Must not be called inside an OpenMP parallel region (exceptions cannot leave it):
  /// there, test cancelled() and leave the loop, then call check_cancelled() after it.
  void progress(std::string_view stage, std::uint64_t done, std::uint64_t total) const;
  bool cancelled() const noexcept { return cancel && cancel->load(std::memory_order_relaxed); }
  /// Throws Error{cancelled} if a cancel was requested.
  void check_cancelled() const;
};

/// SIGINT/SIGTERM set this flag to the signal number (see install_cancel_handlers).
std::atomic<int>& cancel_flag();
/// Installs handlers for SIGINT and SIGTERM that set cancel_flag() instead of killing the
/// process, so temporary outputs are removed on the way out. A second signal kills at once.
void install_cancel_handlers();

}  // namespace bioforest
