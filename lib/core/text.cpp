// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/text.hpp"

#include <cstdlib>

namespace bioforest {

std::string to_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return s;
}

std::string_view trim(std::string_view s, std::string_view strip) {
  const auto b = s.find_first_not_of(strip);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(strip) - b + 1);
}

std::vector<std::string> split_csv_row(std::string_view line) {
  constexpr std::string_view kCellPadding = " \t\r\"";
  std::vector<std::string> cells;
  while (!line.empty()) {
    const auto comma = line.find(',');
    cells.emplace_back(trim(line.substr(0, comma), kCellPadding));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return cells;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string q = "\"";
  for (char c : s)
    q += c == '"' ? std::string_view("\"\"") : std::string_view(&c, 1);
  return q + "\"";
}

bool is_number(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

}  // namespace bioforest
