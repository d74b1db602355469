// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// How many threads and how much memory a run may use, resolved the way cluster users expect.

#include <cstddef>

namespace bioforest {

/// OMP_NUM_THREADS, else LAZYFLOW_THREADS (> 0), else SLURM_CPUS_PER_TASK, else the CPUs in
/// this process's affinity mask (never the node's core count).
int default_threads();

/// LAZYFLOW_TOTAL_RAM_MB if set, else half of the physical memory, in MiB.
std::size_t default_ram_mb();

/// The CPUs this process may run on (sched_getaffinity).
int affinity_cpus();

/// Peak resident set size of this process so far, in bytes (VmHWM; getrusage as fallback).
std::size_t peak_rss_bytes();

}  // namespace bioforest
