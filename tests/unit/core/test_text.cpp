// SPDX-License-Identifier: BSD-3-Clause
#include <catch2/catch.hpp>

#include "bioforest/core/text.hpp"

using namespace bioforest;

TEST_CASE("to_lower turns ASCII capitals into small letters only", "[core][text]") {
  CHECK(to_lower("Nuclei.TIF") == "nuclei.tif");
  CHECK(to_lower("gzip:9") == "gzip:9");
  CHECK(to_lower("") == "");
  CHECK(to_lower("\xc3\x89T\xc3\x89") == "\xc3\x89t\xc3\x89");  // UTF-8 bytes pass unchanged
}

TEST_CASE("trim drops the given characters at both ends, not inside", "[core][text]") {
  CHECK(trim("  x y\t\r") == "x y");
  CHECK(trim(" \t\r ").empty());
  CHECK(trim("").empty());
  CHECK(trim("\"a\"", "\"") == "a");
  CHECK(trim(std::string_view("v\0\0", 3), std::string_view(" \0", 2)) == "v");
}

TEST_CASE("split_csv_row cuts at commas and unwraps each cell", "[core][text]") {
  CHECK(split_csv_row("x,y,class") == std::vector<std::string>{"x", "y", "class"});
  CHECK(split_csv_row(" \"x\" , 12.5 ,\"a b\"\r") == std::vector<std::string>{"x", "12.5", "a b"});
  CHECK(split_csv_row("a,,b") == std::vector<std::string>{"a", "", "b"});
  CHECK(split_csv_row("a,b,") == std::vector<std::string>{"a", "b"});  // as std::getline
  CHECK(split_csv_row("").empty());
  CHECK(split_csv_row("one") == std::vector<std::string>{"one"});
  // Quoted cells keep their commas and doubled quotes: what csv_field writes reads back.
  CHECK(split_csv_row("3,\"dividing, early\",x") ==
        std::vector<std::string>{"3", "dividing, early", "x"});
  CHECK(split_csv_row("\"say \"\"hi\"\"\", 2") == std::vector<std::string>{"say \"hi\"", "2"});
  for (const std::string cell : {"plain", "a,b", "q\"uote", " padded "})
    CHECK(split_csv_row(csv_field(cell) + ",1") ==
          std::vector<std::string>{std::string(trim(cell)), "1"});
}

TEST_CASE("is_number accepts whole numbers only", "[core][text]") {
  CHECK(is_number("12"));
  CHECK(is_number("-3.5e2"));
  CHECK(is_number("0x1A"));  // strtod reads hexadecimal too
  CHECK_FALSE(is_number(""));
  CHECK_FALSE(is_number("x"));
  CHECK_FALSE(is_number("12px"));
  CHECK_FALSE(is_number("1 2"));
}

TEST_CASE("csv_field quotes only the cells that need it", "[core][text]") {
  CHECK(csv_field("nuclei") == "nuclei");
  CHECK(csv_field("12.5") == "12.5");
  CHECK(csv_field("dividing, early") == "\"dividing, early\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_field("") == "");
}
