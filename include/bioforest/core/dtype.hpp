// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Pixel types: the eight numeric types images and outputs may have.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace bioforest {

enum class DType : std::uint8_t { uint8, uint16, uint32, int8, int16, int32, float32, float64 };

inline constexpr DType kAllDTypes[] = {DType::uint8, DType::uint16, DType::uint32,  DType::int8,
                                       DType::int16, DType::int32,  DType::float32, DType::float64};

/// "uint8", "float32", ... (numpy's spelling).
std::string_view dtype_name(DType t);
/// Parses numpy's spelling; throws Error{usage} naming the accepted values.
DType parse_dtype(std::string_view name);
std::size_t dtype_size(DType t);
bool dtype_is_float(DType t);
bool dtype_is_signed(DType t);
/// Smallest and largest representable value (the natural data range of integer types).
double dtype_min(DType t);
double dtype_max(DType t);

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, std::uint8_t>)
    return DType::uint8;
  else if constexpr (std::is_same_v<T, std::uint16_t>)
    return DType::uint16;
  else if constexpr (std::is_same_v<T, std::uint32_t>)
    return DType::uint32;
  else if constexpr (std::is_same_v<T, std::int8_t>)
    return DType::int8;
  else if constexpr (std::is_same_v<T, std::int16_t>)
    return DType::int16;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return DType::int32;
  else if constexpr (std::is_same_v<T, float>)
    return DType::float32;
  else if constexpr (std::is_same_v<T, double>)
    return DType::float64;
  else
    static_assert(sizeof(T) == 0, "unsupported pixel type");
}

/// Calls f(T{}) with the C++ type of `t`: the one place a runtime dtype becomes a type.
template <class F>
decltype(auto) visit_dtype(DType t, F&& f) {
  switch (t) {
    case DType::uint8:
      return f(std::uint8_t{});
    case DType::uint16:
      return f(std::uint16_t{});
    case DType::uint32:
      return f(std::uint32_t{});
    case DType::int8:
      return f(std::int8_t{});
    case DType::int16:
      return f(std::int16_t{});
    case DType::int32:
      return f(std::int32_t{});
    case DType::float32:
      return f(float{});
    case DType::float64:
      break;
  }
  return f(double{});
}

}  // namespace bioforest
