// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// A small table of results: printed aligned on stdout for people, written as CSV for
/// spreadsheets and scripts. Numbers are formatted once, when a row is added.

#include <string>
#include <vector>

namespace bioforest::workflows::evaluate {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}

  /// Adds a row of already formatted cells (as many as the header has).
  void add_row(std::vector<std::string> cells);
  const std::vector<std::string>& header() const noexcept { return header_; }
  const std::vector<std::vector<std::string>>& rows() const noexcept { return rows_; }

  /// Columns padded to their widest cell, text left-aligned, numbers right-aligned.
  std::string text() const;
  /// RFC 4180 CSV (fields with commas, quotes or newlines quoted), header first.
  std::string csv() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

/// A number for tables and CSV: integers as integers, others with `digits` significant
/// digits, NaN as "nan".
std::string fmt(double value, int digits = 6);

}  // namespace bioforest::workflows::evaluate
