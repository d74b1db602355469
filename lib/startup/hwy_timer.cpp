// SPDX-License-Identifier: BSD-3-Clause
// Linked into every tool (an object library, so that it is always in the executable).
//
// Highway 1.0 (Debian 12's libhwy 1.0.3) measures its benchmark timer's resolution in a
// static initializer of libhwy.so: a loop of timer reads that took ~4 ms of every process
// start here, about 45 % of `pxclassify --version` (perf: 9.2 ms elapsed, 3.7-4.6 % of the
// CPU samples of a small image's train and predict calls). Only Highway's nanobenchmark
// reads the value, and we never call it. Upstream defers the measurement until a benchmark
// needs it (google/highway PR #2440, 2025); until Debian ships that, this definition,
// exported from the executable, is found before libhwy's own when its initializer calls
// the function through the PLT, and returns at once. (Were nanobenchmark ever used, it
// would only run more repetitions than it needs.) With a libhwy that no longer calls it
// at start-up, this function is simply never called.
#include <cstdint>

namespace hwy::platform {
__attribute__((visibility("default"))) std::uint64_t TimerResolution() {
  return 1;
}
}  // namespace hwy::platform
