// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/evaluate/table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "bioforest/core/error.hpp"
#include "bioforest/core/text.hpp"

namespace bioforest::workflows::evaluate {
namespace {

// Numbers are right-aligned in printed tables; "nan" is how an undefined score prints.
bool looks_numeric(const std::string& s) {
  return is_number(s) || s == "nan";
}

}  // namespace

void Table::add_row(std::vector<std::string> cells) {
  BIOFOREST_CHECK(cells.size() == header_.size(), "table row with a wrong number of cells");
  rows_.push_back(std::move(cells));
}

std::string Table::text() const {
  std::vector<std::size_t> width(header_.size());
  for (std::size_t c = 0; c < header_.size(); ++c) {
    width[c] = header_[c].size();
    for (const auto& r : rows_)
      width[c] = std::max(width[c], r[c].size());
  }
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells, bool is_header) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const auto pad = std::string(width[c] - cells[c].size(), ' ');
      const bool right = !is_header && looks_numeric(cells[c]);
      if (c) out << "  ";
      out << (right ? pad + cells[c] : cells[c] + (c + 1 < cells.size() ? pad : ""));
    }
    out << "\n";
  };
  line(header_, true);
  for (const auto& r : rows_)
    line(r, false);
  return out.str();
}

std::string Table::csv() const {
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c)
      out << (c ? "," : "") << csv_field(cells[c]);
    out << "\n";
  };
  line(header_);
  for (const auto& r : rows_)
    line(r);
  return out.str();
}

std::string fmt(double value, int digits) {
  if (std::isnan(value)) return "nan";
  if (value == std::floor(value) && std::abs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, value);
  return buf;
}

}  // namespace bioforest::workflows::evaluate
