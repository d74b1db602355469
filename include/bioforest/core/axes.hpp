// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Named axes from ilastik's alphabet `t z y x c`, listed slowest first (C order).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bioforest {

using Shape = std::vector<std::size_t>;

/// An ordered set of distinct axis letters from "tzyxc", e.g. "zyx", "yxc", "tzyxc".
class Axes {
 public:
  static constexpr std::string_view kCanonical = "tzyxc";

  Axes() = default;
  /// Throws Error{usage} if `keys` has a letter outside tzyxc or a repeated letter.
  explicit Axes(std::string_view keys);

  const std::string& str() const noexcept { return keys_; }
  std::size_t size() const noexcept { return keys_.size(); }
  bool empty() const noexcept { return keys_.empty(); }
  char operator[](std::size_t i) const { return keys_[i]; }
  bool has(char key) const noexcept { return keys_.find(key) != std::string::npos; }
  /// Position of `key`; throws Error{internal} if absent.
  std::size_t index(char key) const;
  /// Number of spatial axes (z, y, x) present.
  std::size_t spatial_count() const noexcept;

  /// The same letters in canonical order t z y x c.
  Axes canonical() const;
  /// For each axis of `target`, the index of that axis in *this (target must be a permutation).
  std::vector<std::size_t> permutation_to(const Axes& target) const;

  bool operator==(const Axes& o) const noexcept { return keys_ == o.keys_; }
  bool operator!=(const Axes& o) const noexcept { return keys_ != o.keys_; }

 private:
  std::string keys_;
};

/// ilastik's guess when a file carries no axis metadata: 2-D yx; 3-D zyx (yxc if the last
/// dimension is <= 4); 4-D zyxc; 5-D tzyxc; 1-D x.
Axes guess_axes(const Shape& shape);

/// Throws Error{usage} naming both when `axes` does not fit `shape` (different rank).
void check_axes_fit(const Axes& axes, const Shape& shape, const std::string& file = {});

/// "512x512x3" style rendering of a shape, for messages.
std::string shape_str(const Shape& shape);

}  // namespace bioforest
