// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Synthetic problems with known answers for the forest tests.

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "bioforest/core/run_context.hpp"

namespace bioforest::learn::test {

/// A run context with n threads.
inline RunContext threads(int n) {
  RunContext c;
  c.threads = n;
  return c;
}

struct Problem {
  std::vector<float> x;  // sample-major n x f
  std::vector<std::int32_t> y;
  std::size_t n = 0, f = 0;
};

/// Two classes separated by feature 0 (> 0.5 is class 2), other features noise.
inline Problem separable(std::size_t n, std::size_t f, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  Problem p{std::vector<float>(n * f), std::vector<std::int32_t>(n), n, f};
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < f; ++k)
      p.x[i * f + k] = u(g);
    p.y[i] = p.x[i * f] > 0.5f ? 2 : 1;
  }
  return p;
}

/// XOR of features 0 and 1 (labels 1/2), plus noise features.
inline Problem xor_problem(std::size_t n, std::size_t f, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Problem p{std::vector<float>(n * f), std::vector<std::int32_t>(n), n, f};
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < f; ++k)
      p.x[i * f + k] = u(g);
    p.y[i] = (p.x[i * f] > 0) != (p.x[i * f + 1] > 0) ? 2 : 1;
  }
  return p;
}

/// The same data, channel-planar ([feature][sample]).
inline std::vector<float> to_planar(const Problem& p) {
  std::vector<float> out(p.n * p.f);
  for (std::size_t i = 0; i < p.n; ++i)
    for (std::size_t k = 0; k < p.f; ++k)
      out[k * p.n + i] = p.x[i * p.f + k];
  return out;
}

}  // namespace bioforest::learn::test
