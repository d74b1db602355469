// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Small text helpers for what users write by hand: flag values, file extensions and the
/// rows of CSV tables (dot lists, object labels, count tables) as spreadsheets, FIJI and
/// pandas save them. ASCII only: these are names and numbers, not prose.

#include <string>
#include <string_view>
#include <vector>

namespace bioforest {

/// Blanks around a cell or a value: spaces, tabs and the '\r' of Windows line ends.
inline constexpr std::string_view kBlanks = " \t\r";

/// s with A-Z turned into a-z.
std::string to_lower(std::string s);

/// s without the leading and trailing characters that are in `strip`.
std::string_view trim(std::string_view s, std::string_view strip = kBlanks);

/// The comma-separated cells of one CSV row, each without the blanks around it; a quoted cell
/// (as spreadsheets and csv_field write text) loses its quotes and may hold commas and
/// doubled quotes ("dividing, early"; "say ""hi"""). Line breaks inside quotes are not
/// supported: the caller reads line by line. An empty last cell is dropped ("a,b," gives a
/// and b).
std::vector<std::string> split_csv_row(std::string_view line);

/// s as one cell of a CSV file we write (RFC 4180, as pandas and spreadsheets read it): in
/// double quotes, inner quotes doubled, when it holds a comma, a quote or a line break.
std::string csv_field(std::string_view s);

/// Whether the whole of s reads as one number (strtod): tells a header row from data.
bool is_number(const std::string& s);

}  // namespace bioforest
