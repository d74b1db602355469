// SPDX-License-Identifier: BSD-3-Clause
// How an ilastik project's lanes are found and read: label block slices, the stored file
// path of a lane (inside the project, relative, Windows-style, stacked, moved), and the
// stored axes applied only where they fit the file.
#include <catch2/catch.hpp>

#include <filesystem>

#include "bioforest/core/error.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/writer.hpp"
#include "bioforest/workflows/ilp_project.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;
namespace fs = std::filesystem;

namespace {
const std::string kInfo = "Input Data/infos/lane0000/Raw Data";

/// A project file whose lane 0 stores `entries` (dataset name -> string) under kInfo.
std::string project_with_lane(const test::TempDir& dir,
                              const std::vector<std::pair<std::string, std::string>>& entries) {
  const std::string ilp = dir.file("project.ilp");
  h5::File f = h5::File::create(ilp);
  f.create_group(kInfo);
  for (const auto& [name, value] : entries)
    f.write_string(kInfo + "/" + name, value);
  return ilp;
}

std::string lane_path(const std::string& ilp) {
  const h5::File f = h5::File::open_read(ilp);
  return ilp_lane_path(f, kInfo, ilp);
}

void write_gray(const std::string& path) {
  io::write_image(path, Image(DType::uint8, {4, 5}, Axes("yx")));
}
}  // namespace

TEST_CASE("parse_ilp_block_slice reads ilastik's blockSlice attribute", "[ilp]") {
  const Roi r = parse_ilp_block_slice("[0:1,10:57,3:80,0:1]", "p.ilp");
  CHECK(r.start == Shape{0, 10, 3, 0});
  CHECK(r.stop == Shape{1, 57, 80, 1});
  CHECK_THROWS_WITH(parse_ilp_block_slice("[:, :]", "p.ilp"),
                    Catch::Contains("p.ilp") && Catch::Contains("blockSlice"));
}

TEST_CASE("ilp_lane_path finds a lane's file the way ilastik does", "[ilp]") {
  const test::TempDir dir;
  fs::create_directories(dir.file("data"));
  write_gray(dir.file("data/raw.tif"));

  SECTION("data inside the project") {
    const std::string ilp =
        project_with_lane(dir, {{"location", "ProjectInternal"}, {"datasetId", "abc-123"}});
    CHECK(lane_path(ilp) == ilp + "/Input Data/local_data/abc-123");
  }
  SECTION("a path relative to the project's folder, with Windows separators") {
    const std::string ilp = project_with_lane(dir, {{"filePath", "data\\raw.tif"}});
    CHECK(lane_path(ilp) == dir.file("data/raw.tif"));
  }
  SECTION("an HDF5 dataset path keeps its inner part") {
    const std::string ilp = project_with_lane(dir, {{"filePath", "data/vol.h5/volume/raw"}});
    CHECK(lane_path(ilp) == dir.file("data/vol.h5/volume/raw"));
  }
  SECTION("a stack of files: the first") {
    const std::string ilp =
        project_with_lane(dir, {{"filePath", dir.file("data/raw.tif") + ":" + dir.file("x.tif")}});
    CHECK(lane_path(ilp) == dir.file("data/raw.tif"));
  }
  SECTION("a stored folder that is gone: the file of that name beside the project") {
    write_gray(dir.file("moved.tif"));
    const std::string ilp = project_with_lane(dir, {{"filePath", "/no/such/folder/moved.tif"}});
    CHECK(lane_path(ilp) == dir.file("moved.tif"));
  }
  SECTION("no file named: an input error naming the project") {
    const std::string ilp = project_with_lane(dir, {{"location", "FileSystem"}});
    CHECK_THROWS_WITH(lane_path(ilp),
                      Catch::Contains("project.ilp") && Catch::Contains("names no file"));
  }
}

TEST_CASE("ilp_lane_read_options applies stored axes only where they fit", "[ilp]") {
  const test::TempDir dir;
  const std::string tif = dir.file("raw.tif");
  write_gray(tif);  // 2-D: yx
  CHECK_FALSE(ilp_lane_read_options(tif, std::nullopt).axes);
  // ilastik stores "yxc" even for a file without channels: the c is dropped.
  const auto yxc = ilp_lane_read_options(tif, Axes("yxc"));
  REQUIRE(yxc.axes);
  CHECK(yxc.axes->str() == "yx");
  CHECK(ilp_lane_read_options(tif, Axes("xy")).axes->str() == "xy");
  // Axes of another rank than the file's: the file's own are used.
  CHECK_FALSE(ilp_lane_read_options(tif, Axes("zyxc")).axes);
}
