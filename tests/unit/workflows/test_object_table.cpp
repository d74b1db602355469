// SPDX-License-Identifier: BSD-3-Clause
// Object tables as objfeatures and objclassify write them: CSV that pandas and spreadsheets
// read (text cells quoted where needed, numbers in their shortest exact form) or HDF5 (one
// dataset per column, their order listed), never over an existing file unless asked.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "bioforest/core/error.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/workflows/objects/object_table.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

namespace {
ObjectTable small_table() {
  ObjectTable t;
  t.add_numbers("object_id", {1, 2, 3});
  t.add_numbers("Mean Intensity", {0.1, 1e-7, std::nan("")});
  t.add_text("Predicted Class", {"nucleus", "dividing, early", "debris"});
  return t;
}
}  // namespace

TEST_CASE("object tables as CSV: quoted text, shortest exact numbers", "[object_table]") {
  const test::TempDir dir;
  const std::string path = dir.file("objects.csv");
  write_object_table(small_table(), path, false);
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  CHECK(s.str() ==
        "object_id,Mean Intensity,Predicted Class\n"
        "1,0.1,nucleus\n"
        "2,1e-07,\"dividing, early\"\n"
        "3,nan,debris\n");
  CHECK_THROWS_WITH(write_object_table(small_table(), path, false), Catch::Contains("objects.csv"));
  CHECK_NOTHROW(write_object_table(small_table(), path, true));
}

TEST_CASE("object tables as HDF5: a dataset per column, in order", "[object_table]") {
  const test::TempDir dir;
  const std::string path = dir.file("objects.h5");
  write_object_table(small_table(), path, false);
  const h5::File f = h5::File::open_read(path);
  CHECK(f.read_strings("/table_columns") ==
        std::vector<std::string>{"object_id", "Mean Intensity", "Predicted Class"});
  CHECK(f.read<double>("/table/object_id") == std::vector<double>{1, 2, 3});
  CHECK(f.read_strings("/table/Predicted Class")[1] == "dividing, early");
}

TEST_CASE("an object table's columns have one length", "[object_table]") {
  ObjectTable t;
  t.add_numbers("a", {1, 2});
  CHECK(t.rows == 2);
  CHECK_THROWS(t.add_text("b", {"x"}));
}
