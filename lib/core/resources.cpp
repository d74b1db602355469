// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/resources.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace bioforest {

namespace {

long env_positive(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  return (end && *end == '\0' && n > 0) ? n : 0;
}

}  // namespace

int affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? int(n) : 1;
}

int default_threads() {
  for (const char* name : {"OMP_NUM_THREADS", "LAZYFLOW_THREADS", "SLURM_CPUS_PER_TASK"})
    if (long n = env_positive(name)) return int(n);
  return affinity_cpus();
}

std::size_t default_ram_mb() {
  if (long n = env_positive("LAZYFLOW_TOTAL_RAM_MB")) return std::size_t(n);
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) return std::size_t(pages) * std::size_t(page) / (2u << 20);
  return 2048;
}

std::size_t peak_rss_bytes() {
  // VmHWM belongs to this process image. getrusage's ru_maxrss survives fork+exec, so a
  // tool started by a large parent (a Python pipeline holding arrays) would report the
  // parent's size.
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    std::size_t kb = 0;
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "VmHWM: %zu kB", &kb) == 1) break;
    std::fclose(f);
    if (kb) return kb * 1024;
  }
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return std::size_t(u.ru_maxrss) * 1024;
}

}  // namespace bioforest
