// SPDX-License-Identifier: BSD-3-Clause
// Project specs: every violation at once with its JSON pointer, unknown keys refused,
// paths relative to the spec's folder.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "bioforest/core/error.hpp"
#include "bioforest/workflows/spec_file.hpp"

using namespace bioforest;
using namespace bioforest::spec;
namespace fs = std::filesystem;

namespace {
const char* kValid = R"({"classes": [{"name": "background"}, {"name": "nuclei"}],
  "features": {"features": "default"},
  "training": [{"image": "img.tif", "labels": "labels.png"}]})";

bool has_pointer(const std::vector<Violation>& v, const std::string& pointer) {
  for (const auto& x : v)
    if (x.pointer == pointer) return true;
  return false;
}
}  // namespace

TEST_CASE("check_against_schema reports every violation with its pointer", "[spec_file]") {
  auto doc = nlohmann::json::parse(kValid);
  CHECK(check_against_schema(doc, "pixel_classification.schema.json").empty());
  doc["colour_scheme"] = "viridis";  // unknown key
  doc["classes"][1]["name"] = 7;     // wrong type
  doc.erase("training");             // missing required
  const auto v = check_against_schema(doc, "pixel_classification.schema.json");
  CHECK(v.size() >= 3);
  CHECK(has_pointer(v, "/classes/1/name"));
  try {
    throw_if_invalid(v, "spec.json");
    FAIL("no error for an invalid spec");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::usage);
    CHECK(e.file() == "spec.json");
    const std::string what = e.what();
    CHECK(what.find("problems") != std::string::npos);
    CHECK(what.find("/classes/1/name") != std::string::npos);
    CHECK(what.find("colour_scheme") != std::string::npos);
  }
  throw_if_invalid({}, "spec.json");  // nothing to report: no error
  CHECK_THROWS_AS(embedded_schema("no_such.schema.json"), Error);
  CHECK_FALSE(embedded_schema("density_counting.schema.json").empty());
}

TEST_CASE("read_json_file names the file for a missing file or a syntax error", "[spec_file]") {
  const fs::path dir = fs::temp_directory_path() / "bioforest_test_spec_file";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "ok.json") << kValid;
  CHECK(read_json_file((dir / "ok.json").string())["classes"].size() == 2);
  std::ofstream(dir / "bad.json") << "{\"classes\": [";
  for (const auto& name : {"bad.json", "missing.json"}) {
    const std::string path = (dir / name).string();
    try {
      read_json_file(path);
      FAIL("no error for " << name);
    } catch (const Error& e) {
      CHECK(e.category() == ErrorCategory::usage);
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("resolve_path is relative to the spec's folder", "[spec_file]") {
  CHECK(resolve_path("project/spec.json", "img/a.tif") == "project/img/a.tif");
  CHECK(resolve_path("project/spec.json", "../data/b.h5/raw") == "data/b.h5/raw");
  CHECK(resolve_path("project/spec.json", "/abs/c.png") == "/abs/c.png");
  CHECK(resolve_path("spec.json", "d.tif") == "d.tif");
  CHECK(resolve_path("project/spec.json", "").empty());
}
