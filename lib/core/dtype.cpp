// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/dtype.hpp"

#include <limits>

#include "bioforest/core/error.hpp"

namespace bioforest {

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::uint8:
      return "uint8";
    case DType::uint16:
      return "uint16";
    case DType::uint32:
      return "uint32";
    case DType::int8:
      return "int8";
    case DType::int16:
      return "int16";
    case DType::int32:
      return "int32";
    case DType::float32:
      return "float32";
    case DType::float64:
      return "float64";
  }
  return "?";
}

DType parse_dtype(std::string_view name) {
  for (DType t : kAllDTypes)
    if (dtype_name(t) == name) return t;
  throw_usage("unknown dtype '" + std::string(name) +
              "' (expected uint8, uint16, uint32, int8, int16, int32, float32 or float64)");
}

std::size_t dtype_size(DType t) {
  return visit_dtype(t, [](auto v) { return sizeof(v); });
}

bool dtype_is_float(DType t) {
  return t == DType::float32 || t == DType::float64;
}

bool dtype_is_signed(DType t) {
  return visit_dtype(t, [](auto v) { return std::numeric_limits<decltype(v)>::is_signed; });
}

double dtype_min(DType t) {
  return visit_dtype(
      t, [](auto v) { return static_cast<double>(std::numeric_limits<decltype(v)>::lowest()); });
}

double dtype_max(DType t) {
  return visit_dtype(
      t, [](auto v) { return static_cast<double>(std::numeric_limits<decltype(v)>::max()); });
}

}  // namespace bioforest
