// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// What every benchmark driver needs: raw arrays written by the Python side, and clocks.

#include <time.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "bioforest/core/error.hpp"

namespace bioforest::bench {

/// `count` little-endian values of T from `path`, starting at value `skip_to`.
template <class T>
std::vector<T> read_raw(const std::string& path, std::size_t count, std::size_t skip_to = 0) {
  std::vector<T> v(count);
  std::ifstream in(path, std::ios::binary);
  in.seekg(std::streamoff(skip_to * sizeof(T)));
  if (!in.read(reinterpret_cast<char*>(v.data()), std::streamsize(count * sizeof(T))))
    throw_input(path, "cannot read " + std::to_string(count) + " values");
  return v;
}

/// CPU seconds of the whole process (all threads): robust to a busy machine when tuning.
inline double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace bioforest::bench
