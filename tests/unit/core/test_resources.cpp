// SPDX-License-Identifier: BSD-3-Clause
// Threads and memory as cluster users expect them: OMP_NUM_THREADS, then ilastik's
// LAZYFLOW_* variables, then SLURM's, then what this process may use.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "bioforest/core/resources.hpp"

using namespace bioforest;

namespace {
// Sets (value) or unsets (nullptr) environment variables for one scope, restoring them after.
class ScopedEnv {
 public:
  using Var = std::pair<const char*, const char*>;
  explicit ScopedEnv(std::initializer_list<Var> vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name);
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      set(name, value);
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_)
      set(name.c_str(), value ? value->c_str() : nullptr);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  static void set(const char* name, const char* value) {
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};
}  // namespace

TEST_CASE("default_threads: OMP_NUM_THREADS, LAZYFLOW_THREADS, SLURM, then affinity",
          "[core][resources]") {
  {
    ScopedEnv env({{"OMP_NUM_THREADS", "3"}, {"LAZYFLOW_THREADS", "5"}});
    CHECK(default_threads() == 3);
  }
  {
    ScopedEnv env(
        {{"OMP_NUM_THREADS", nullptr}, {"LAZYFLOW_THREADS", "5"}, {"SLURM_CPUS_PER_TASK", "7"}});
    CHECK(default_threads() == 5);
  }
  {
    ScopedEnv env({{"OMP_NUM_THREADS", nullptr},
                   {"LAZYFLOW_THREADS", "0"},  // ilastik's "no limit": not a count
                   {"SLURM_CPUS_PER_TASK", "7"}});
    CHECK(default_threads() == 7);
  }
  {
    ScopedEnv env({{"OMP_NUM_THREADS", nullptr},
                   {"LAZYFLOW_THREADS", nullptr},
                   {"SLURM_CPUS_PER_TASK", nullptr}});
    CHECK(default_threads() == affinity_cpus());
    CHECK(affinity_cpus() >= 1);
  }
}

TEST_CASE("default_ram_mb honours LAZYFLOW_TOTAL_RAM_MB; peak RSS is measured",
          "[core][resources]") {
  {
    ScopedEnv env({{"LAZYFLOW_TOTAL_RAM_MB", "1234"}});
    CHECK(default_ram_mb() == 1234);
  }
  {
    ScopedEnv env({{"LAZYFLOW_TOTAL_RAM_MB", nullptr}});
    CHECK(default_ram_mb() >= 1);
  }
  const std::size_t before = peak_rss_bytes();
  CHECK(before > 0);
  // Larger than any earlier peak of this process, so the high-water mark must rise to it.
  std::vector<char> block(before + (64u << 20));
  volatile char* pages = block.data();  // volatile: every page is really touched
  for (std::size_t k = 0; k < block.size(); k += 4096)
    pages[k] = 1;
  CHECK(peak_rss_bytes() >= block.size());
}
