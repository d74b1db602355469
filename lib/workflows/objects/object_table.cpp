// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/objects/object_table.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "bioforest/core/error.hpp"
#include "bioforest/core/text.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/image_path.hpp"

namespace fs = std::filesystem;

namespace bioforest::workflows {

void ObjectTable::add_numbers(std::string name, std::vector<double> values) {
  BIOFOREST_CHECK(columns.empty() || values.size() == rows, "table column length");
  rows = values.size();
  columns.push_back(std::move(name));
  text.push_back(false);
  numbers.push_back(std::move(values));
  strings.emplace_back();
}

void ObjectTable::add_text(std::string name, std::vector<std::string> values) {
  BIOFOREST_CHECK(columns.empty() || values.size() == rows, "table column length");
  rows = values.size();
  columns.push_back(std::move(name));
  text.push_back(true);
  numbers.emplace_back();
  strings.push_back(std::move(values));
}

namespace {

bool is_hdf5(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  return ext == ".h5" || ext == ".hdf5";
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "nan";
    return;
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void write_csv(const ObjectTable& t, const std::string& path) {
  std::string out;
  for (std::size_t c = 0; c < t.columns.size(); ++c)
    out += (c ? "," : "") + csv_field(t.columns[c]);
  out += '\n';
  for (std::size_t r = 0; r < t.rows; ++r) {
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      if (c) out += ',';
      if (t.text[c])
        out += csv_field(t.strings[c][r]);
      else
        append_number(out, t.numbers[c][r]);
    }
    out += '\n';
  }
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw_output(path, "cannot create the table file");
  const bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  if (std::fclose(f) != 0 || !ok) throw_output(path, "writing the table failed (disk full?)");
}

void write_h5(const ObjectTable& t, const std::string& path) {
  auto f = h5::File::create(path);
  f.create_group("/table");
  f.write_strings("/table_columns", t.columns);
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    const std::string ds = "/table/" + t.columns[c];
    if (t.text[c])
      f.write_strings(ds, t.strings[c]);
    else
      f.write(ds, t.numbers[c]);
  }
  f.close();
}

}  // namespace

void write_object_table(const ObjectTable& table, const std::string& path, bool overwrite) {
  io::AtomicOutput out(path, overwrite);
  if (is_hdf5(path))
    write_h5(table, out.temp_path());
  else
    write_csv(table, out.temp_path());
  out.commit();
}

}  // namespace bioforest::workflows
