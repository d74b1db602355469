// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Per-object tables (ilastik's exported object table): named numeric or text columns,
/// written as CSV (plain ',' joins, a header line, no quoting, as ilastik) or HDF5.

#include <string>
#include <vector>

namespace bioforest::workflows {

struct ObjectTable {
  std::vector<std::string> columns;
  std::vector<bool> text;                         ///< per column: text or numbers
  std::vector<std::vector<double>> numbers;       ///< per column (empty for text columns)
  std::vector<std::vector<std::string>> strings;  ///< per column (empty for numeric ones)
  std::size_t rows = 0;

  void add_numbers(std::string name, std::vector<double> values);
  void add_text(std::string name, std::vector<std::string> values);
};

/// Writes `table` atomically: HDF5 if the path ends in .h5/.hdf5 (one dataset per column
/// under /table, their order in the string list /table_columns), CSV otherwise. Numbers are
/// written in their shortest exact decimal form. Error{usage} if the file exists and
/// !overwrite.
void write_object_table(const ObjectTable& table, const std::string& path, bool overwrite);

}  // namespace bioforest::workflows
