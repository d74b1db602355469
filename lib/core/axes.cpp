// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/axes.hpp"

#include "bioforest/core/error.hpp"

namespace bioforest {

Axes::Axes(std::string_view keys) : keys_(keys) {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (kCanonical.find(keys_[i]) == std::string_view::npos)
      throw_usage("axis '" + std::string(1, keys_[i]) + "' in '" + keys_ +
                  "' is not one of t, z, y, x, c");
    if (keys_.find(keys_[i]) != i)
      throw_usage("axis '" + std::string(1, keys_[i]) + "' repeated in '" + keys_ + "'");
  }
}

std::size_t Axes::index(char key) const {
  auto pos = keys_.find(key);
  if (pos == std::string::npos)
    throw_internal("axis '" + std::string(1, key) + "' not in '" + keys_ + "'");
  return pos;
}

std::size_t Axes::spatial_count() const noexcept {
  return std::size_t(has('z')) + has('y') + has('x');
}

Axes Axes::canonical() const {
  std::string out;
  for (char k : kCanonical)
    if (has(k)) out += k;
  return Axes(out);
}

std::vector<std::size_t> Axes::permutation_to(const Axes& target) const {
  if (target.size() != size()) throw_internal("axes '" + keys_ + "' vs '" + target.str() + "'");
  std::vector<std::size_t> perm;
  for (char k : target.str())
    perm.push_back(index(k));
  return perm;
}

Axes guess_axes(const Shape& shape) {
  switch (shape.size()) {
    case 1:
      return Axes("x");
    case 2:
      return Axes("yx");
    case 3:
      return Axes(shape[2] <= 4 ? "yxc" : "zyx");
    case 4:
      return Axes("zyxc");
    case 5:
      return Axes("tzyxc");
    default:
      throw_usage("cannot guess axes for a " + std::to_string(shape.size()) + "-D image");
  }
}

void check_axes_fit(const Axes& axes, const Shape& shape, const std::string& file) {
  if (axes.size() != shape.size())
    throw Error(ErrorCategory::usage,
                "axes '" + axes.str() + "' do not fit the image shape " + shape_str(shape) + " (" +
                    std::to_string(shape.size()) + " dimensions)",
                file);
}

std::string shape_str(const Shape& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s.empty() ? "()" : s;
}

}  // namespace bioforest
