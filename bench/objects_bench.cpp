// SPDX-License-Identifier: BSD-3-Clause
// Times bioforest's connected components + object features in memory, on the raw arrays
// scripts/bench/objects_peer.py prepares (little-endian uint8 mask, float32 raw): the same
// work the peers are timed on (labelling with the direct neighbourhood, then the features).
// Prints one JSON line with the best of REPEATS runs (wall and CPU seconds).
//
// usage: objects_bench MASK.u8 RAW.f32 Z Y X THREADS REPEATS FEATURE...
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/workflows/objects/connected_components.hpp"
#include "bioforest/workflows/objects/object_features.hpp"

using namespace bioforest;
using namespace bioforest::bench;
using namespace bioforest::workflows;

int main(int argc, char** argv) try {
  if (argc < 9) {
    std::fprintf(stderr, "usage: %s MASK.u8 RAW.f32 Z Y X THREADS REPEATS FEATURE...\n", argv[0]);
    return 2;
  }
  const std::size_t Z = std::stoul(argv[3]), Y = std::stoul(argv[4]), X = std::stoul(argv[5]);
  const Shape shape = Z > 1 ? Shape{Z, Y, X} : Shape{Y, X};
  RunContext ctx;
  ctx.threads = std::stoi(argv[6]);
  const int repeats = std::stoi(argv[7]);
  const std::vector<std::string> features(argv + 8, argv + argc);
  const auto mask = read_raw<std::uint8_t>(argv[1], Z * Y * X);
  const auto raw = read_raw<float>(argv[2], Z * Y * X);
  std::vector<std::uint32_t> labels(Z * Y * X);
  double best_label = 1e30, best_feat = 1e30, best_total = 1e30, best_cpu = 1e30;
  std::uint32_t n = 0;
  std::size_t columns = 0;
  for (int r = 0; r < repeats; ++r) {
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    n = label_components(mask.data(), shape, Connectivity::direct, labels.data());
    const double t_label = seconds_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    const auto f = compute_object_features(raw.data(), 1, labels.data(), shape, n, features, ctx);
    const double t_feat = seconds_since(t1);
    const double t_total = seconds_since(t0);
    best_cpu = std::min(best_cpu, cpu_seconds() - c0);
    columns = f.columns.size();
    best_label = std::min(best_label, t_label);
    best_feat = std::min(best_feat, t_feat);
    best_total = std::min(best_total, t_total);
  }
  std::printf(
      "{\"objects\": %u, \"columns\": %zu, \"label\": %.6f, \"features\": %.6f, "
      "\"total\": %.6f, \"cpu\": %.6f}\n",
      n, columns, best_label, best_feat, best_total, best_cpu);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "objects_bench: %s\n", e.what());
  return 1;
}
