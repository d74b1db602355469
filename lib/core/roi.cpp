// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/roi.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "bioforest/core/error.hpp"

namespace bioforest {

Roi Roi::whole(const Shape& shape) {
  return Roi{Shape(shape.size(), 0), shape};
}

Shape Roi::shape() const {
  Shape s(rank());
  for (std::size_t i = 0; i < rank(); ++i)
    s[i] = stop[i] > start[i] ? stop[i] - start[i] : 0;
  return s;
}

std::size_t Roi::size() const {
  std::size_t n = 1;
  for (std::size_t e : shape())
    n *= e;
  return n;
}

bool Roi::empty() const {
  return size() == 0;
}

bool Roi::contains(const Roi& inner) const {
  if (inner.rank() != rank()) return false;
  for (std::size_t i = 0; i < rank(); ++i)
    if (inner.start[i] < start[i] || inner.stop[i] > stop[i]) return false;
  return true;
}

Roi Roi::intersect(const Roi& other) const {
  BIOFOREST_CHECK(other.rank() == rank(), "ROI rank mismatch");
  Roi r = *this;
  for (std::size_t i = 0; i < rank(); ++i) {
    r.start[i] = std::max(start[i], other.start[i]);
    r.stop[i] = std::max(r.start[i], std::min(stop[i], other.stop[i]));
  }
  return r;
}

Roi Roi::grow(const Shape& halo, const Shape& bounds) const {
  BIOFOREST_CHECK(halo.size() == rank() && bounds.size() == rank(), "ROI rank mismatch");
  Roi r = *this;
  for (std::size_t i = 0; i < rank(); ++i) {
    r.start[i] = start[i] > halo[i] ? start[i] - halo[i] : 0;
    r.stop[i] = std::min(stop[i] + halo[i], bounds[i]);
  }
  return r;
}

Roi Roi::relative_to(const Shape& origin) const {
  BIOFOREST_CHECK(origin.size() == rank(), "ROI rank mismatch");
  Roi r = *this;
  for (std::size_t i = 0; i < rank(); ++i) {
    BIOFOREST_CHECK(origin[i] <= start[i], "ROI origin beyond start");
    r.start[i] -= origin[i];
    r.stop[i] -= origin[i];
  }
  return r;
}

Roi Roi::shifted(const Shape& offset) const {
  BIOFOREST_CHECK(offset.size() == rank(), "ROI rank mismatch");
  Roi r = *this;
  for (std::size_t i = 0; i < rank(); ++i) {
    r.start[i] += offset[i];
    r.stop[i] += offset[i];
  }
  return r;
}

std::string Roi::str() const {
  auto tuple = [](const Shape& s) {
    std::string t = "(";
    for (std::size_t i = 0; i < s.size(); ++i)
      t += (i ? "," : "") + std::to_string(s[i]);
    return t + ")";
  };
  return "[" + tuple(start) + "," + tuple(stop) + ")";
}

namespace {

// Parses "(a, None, c)" into optional integers; advances pos.
std::vector<std::optional<long long>> parse_tuple(const std::string& s, std::size_t& pos,
                                                  const std::string& text) {
  auto fail = [&] {
    throw_usage("cannot parse region '" + text + "': expected [(start,...),(stop,...)]");
  };
  auto skip = [&] {
    while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos])))
      ++pos;
  };
  skip();
  if (pos >= s.size() || s[pos] != '(') fail();
  ++pos;
  std::vector<std::optional<long long>> out;
  while (true) {
    skip();
    if (pos < s.size() && s[pos] == ')') {
      ++pos;
      break;
    }
    if (s.compare(pos, 4, "None") == 0) {
      out.emplace_back();
      pos += 4;
    } else {
      std::size_t used = 0;
      try {
        out.emplace_back(std::stoll(s.substr(pos), &used));
      } catch (...) {
        fail();
      }
      pos += used;
    }
    skip();
    if (pos < s.size() && s[pos] == ',')
      ++pos;
    else if (pos < s.size() && s[pos] == ')') {
      ++pos;
      break;
    } else
      fail();
  }
  return out;
}

}  // namespace

Roi parse_roi(const std::string& text, const Shape& shape) {
  std::size_t pos = 0;
  std::string s = text;
  while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos])))
    ++pos;
  if (pos < s.size() && s[pos] == '[') ++pos;
  auto start = parse_tuple(s, pos, text);
  while (pos < s.size() && (s[pos] == ',' || std::isspace(static_cast<unsigned char>(s[pos]))))
    ++pos;
  auto stop = parse_tuple(s, pos, text);
  if (start.size() != shape.size() || stop.size() != shape.size())
    throw_usage("region '" + text + "' has " + std::to_string(start.size()) +
                " coordinates but the image has " + std::to_string(shape.size()) + " axes (" +
                shape_str(shape) + ")");
  Roi roi = Roi::whole(shape);
  for (std::size_t i = 0; i < shape.size(); ++i) {
    auto clip = [&](long long v) {
      if (v < 0) v += static_cast<long long>(shape[i]);  // python-style negative index
      return static_cast<std::size_t>(std::clamp<long long>(v, 0, (long long)shape[i]));
    };
    if (start[i]) roi.start[i] = clip(*start[i]);
    if (stop[i]) roi.stop[i] = clip(*stop[i]);
    if (roi.stop[i] <= roi.start[i])
      throw_usage("region '" + text + "' is empty along axis " + std::to_string(i));
  }
  return roi;
}

}  // namespace bioforest
