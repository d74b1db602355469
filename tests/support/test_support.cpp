// SPDX-License-Identifier: BSD-3-Clause
#include "test_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace fs = std::filesystem;

namespace bioforest::test {

std::string test_data(const std::string& name) {
  return std::string(BIOFOREST_SOURCE_DIR) + "/tests/data/" + name;
}

std::vector<float> uniform_floats(std::size_t n, std::uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v)
    x = u(rng);
  return v;
}

Image float_row(std::initializer_list<float> values) {
  Image img(DType::float32, {values.size()}, Axes("x"));
  std::copy(values.begin(), values.end(), img.data<float>());
  return img;
}

std::optional<std::string> shared_data(const std::string& relative) {
  const char* env = std::getenv("BIOFOREST_SHARED");
  const std::string root = env && *env ? env : std::string(BIOFOREST_SOURCE_DIR) + "/../shared";
  const std::string p = root + "/" + relative;
  if (fs::exists(p)) return p;
  return std::nullopt;
}

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = (fs::temp_directory_path() /
           ("bioforest-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++)))
              .string();
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace bioforest::test
