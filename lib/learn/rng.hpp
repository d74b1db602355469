// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: the forest's random numbers. Every tree owns a xoshiro256** generator whose state
// is filled by splitmix64 from (seed, stream), so a tree's draws depend on nothing but the
// seed and its index: the forest is the same whatever the thread count.

#include <cstdint>

namespace bioforest::learn::detail {

inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  /// Generator number `stream` of the family `seed` (e.g. stream = tree index).
  Rng(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t sm = seed ^ (0xD1B54A32D192ED03ull * (stream + 1));
    for (auto& w : s_)
      w = splitmix64(sm);
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, n) by Lemire's multiply-high (bias below n / 2^64: irrelevant here,
  /// and deterministic).
  std::uint32_t below(std::uint64_t n) {
    return std::uint32_t((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace bioforest::learn::detail
