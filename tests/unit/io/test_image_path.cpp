// SPDX-License-Identifier: BSD-3-Clause
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "bioforest/core/error.hpp"
#include "bioforest/io/image_path.hpp"

using namespace bioforest;
using namespace bioforest::io;
namespace fs = std::filesystem;

TEST_CASE("format_from_extension ignores case and knows every format", "[io][image_path]") {
  CHECK(format_from_extension("a/cells.TIF") == FileFormat::tiff);
  CHECK(format_from_extension("stack.ome.tiff") == FileFormat::tiff);
  CHECK(format_from_extension("big.btf") == FileFormat::tiff);
  CHECK(format_from_extension("data.H5") == FileFormat::hdf5);
  CHECK(format_from_extension("project.ilp") == FileFormat::hdf5);
  CHECK(format_from_extension("dots.Png") == FileFormat::png);
  CHECK(format_from_extension("photo.JPEG") == FileFormat::jpeg);
  CHECK(format_from_extension("arr.npy") == FileFormat::npy);
  CHECK(format_from_extension("notes.txt") == FileFormat::unknown);
  CHECK(std::string(format_name(FileFormat::hdf5)) == "hdf5");
  CHECK(std::string(format_name(FileFormat::tiff)) == "tiff");
}

TEST_CASE("parse_image_path splits HDF5 internal paths and marks globs", "[io][image_path]") {
  const ImagePath h = parse_image_path("out/new.h5/group/data");  // not on disk: by extension
  CHECK(h.file == "out/new.h5");
  CHECK(h.dataset == "/group/data");
  CHECK_FALSE(h.is_glob);
  const ImagePath g = parse_image_path("slices/*.png");
  CHECK(g.is_glob);
  CHECK(g.file == "slices/*.png");
  CHECK(g.dataset.empty());
  CHECK(parse_image_path("cells.tif").dataset.empty());
}

TEST_CASE("expand_glob sorts naturally and names a pattern that matches nothing",
          "[io][image_path]") {
  const fs::path dir = fs::temp_directory_path() / "bioforest_test_glob";
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* n : {"slice_10.png", "slice_2.png", "slice_1.png", "other.txt"})
    std::ofstream(dir / n) << "x";
  const auto files = expand_glob((dir / "slice_*.png").string());
  REQUIRE(files.size() == 3);
  CHECK(fs::path(files[0]).filename() == "slice_1.png");
  CHECK(fs::path(files[1]).filename() == "slice_2.png");
  CHECK(fs::path(files[2]).filename() == "slice_10.png");
  try {
    expand_glob((dir / "none_*.tif").string());
    FAIL("no error for a glob without matches");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::input);
    CHECK(std::string(e.what()).find("none_*.tif") != std::string::npos);
  }
  fs::remove_all(dir);
}
