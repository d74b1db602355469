// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/text.hpp"

#include <algorithm>
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
  std::vector<std::string> cells;
  std::size_t i = 0;
  while (i < line.size()) {
    // One cell: blanks, then either a quoted part (commas and "" inside) or plain text up to
    // the next comma; blanks around it are dropped, text after a closing quote is kept.
    std::string cell;
    while (i < line.size() && kBlanks.find(line[i]) != std::string_view::npos)
      ++i;
    if (i < line.size() && line[i] == '"') {
      for (++i; i < line.size(); ++i) {
        if (line[i] != '"') {
          cell += line[i];
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          ++i;
          break;
        }
      }
    }
    const std::size_t comma = std::min(line.find(',', i), line.size());
    cell += trim(line.substr(i, comma - i));
    cells.push_back(std::move(cell));
    if (comma == line.size()) break;
    i = comma + 1;
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
