// SPDX-License-Identifier: BSD-3-Clause
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "bioforest/core/digest.hpp"
#include "bioforest/core/error.hpp"

using namespace bioforest;

namespace {
// FIPS 180-2's test vectors.
constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
}  // namespace

TEST_CASE("sha256_hex gives the standard digests", "[core][digest]") {
  CHECK(sha256_hex("") == kEmpty);
  CHECK(sha256_hex("abc") == kAbc);
}

TEST_CASE("Sha256 digests data given in pieces as a whole", "[core][digest]") {
  Sha256 d;
  d.update("a");
  d.update(std::string("bc"));
  CHECK(d.hex() == kAbc);
}

TEST_CASE("sha256_file digests the bytes of a file and rejects a missing one", "[core][digest]") {
  const auto path = std::filesystem::temp_directory_path() / "bioforest_test_digest.txt";
  std::ofstream(path, std::ios::binary) << "abc";
  CHECK(sha256_file(path.string()) == kAbc);
  std::filesystem::remove(path);
  try {
    sha256_file(path.string());
    FAIL("no error for a missing file");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::input);
  }
}

TEST_CASE("training_data_digest covers the features and then the targets", "[core][digest]") {
  const std::vector<float> x{1.f, 2.f, 3.f};
  const std::vector<std::int32_t> y{1, 2};
  Sha256 d;
  d.update(x.data(), x.size() * sizeof(float));
  d.update(y.data(), y.size() * sizeof(std::int32_t));
  CHECK(training_data_digest(x, y) == d.hex());
  CHECK(training_data_digest(x, std::vector<std::int32_t>{1, 1}) != training_data_digest(x, y));
  CHECK(training_data_digest(x, std::vector<float>{1.f, 2.f}) != training_data_digest(x, y));
}
