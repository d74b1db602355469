// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Regions of interest: half-open boxes [start, stop) in an N-d index space.

#include <cstddef>
#include <string>

#include "bioforest/core/axes.hpp"

namespace bioforest {

struct Roi {
  Shape start, stop;  ///< per axis, start <= stop

  /// The whole of an array of `shape`.
  static Roi whole(const Shape& shape);

  std::size_t rank() const noexcept { return start.size(); }
  Shape shape() const;
  std::size_t size() const;  ///< number of elements
  bool empty() const;
  bool contains(const Roi& inner) const;
  bool operator==(const Roi& o) const { return start == o.start && stop == o.stop; }

  /// Intersection (empty box if disjoint).
  Roi intersect(const Roi& other) const;
  /// Grown by `halo` per axis on both sides, clipped to [0, bounds).
  Roi grow(const Shape& halo, const Shape& bounds) const;
  /// Coordinates relative to `origin` (origin must be <= start on every axis).
  Roi relative_to(const Shape& origin) const;
  /// Coordinates shifted by +offset.
  Roi shifted(const Shape& offset) const;

  /// "[(0,0),(10,20))" rendering, for messages.
  std::string str() const;
};

/// Parses ilastik's cutout syntax "[(start...),(stop...)]" where an entry may be None
/// (meaning 0 / full extent); throws Error{usage}. Result is clipped to `shape`.
Roi parse_roi(const std::string& text, const Shape& shape);

}  // namespace bioforest
