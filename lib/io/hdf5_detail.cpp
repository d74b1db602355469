// SPDX-License-Identifier: BSD-3-Clause
#include "hdf5_detail.hpp"

#include <cstdint>

#include "bioforest/io/hdf5.hpp"

namespace bioforest::h5 {

void silence_errors() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto l = detail::lock();
    // HDF5 prints its whole error stack to stderr by default; we report through Error.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

}  // namespace bioforest::h5

namespace bioforest::h5::detail {

std::unique_lock<std::recursive_mutex> lock() {
  static std::recursive_mutex m;
  return std::unique_lock<std::recursive_mutex>(m);
}

namespace {
herr_t innermost(unsigned n, const H5E_error2_t* e, void* out) {
  // Walking upward, entry 0 is the function that detected the problem: the most specific.
  if (n == 0 && e && e->desc) *static_cast<std::string*>(out) = e->desc;
  return 0;
}
}  // namespace

std::string last_error() {
  std::string msg;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &msg);
  H5Eclear2(H5E_DEFAULT);
  return msg;
}

void fail(ErrorCategory category, const std::string& file, const std::string& object,
          const std::string& what) {
  const std::string why = last_error();
  throw Error(category, why.empty() ? what : what + ": " + why, file, object);
}

herr_t Handle::close() noexcept {
  if (id_ < 0) return 0;
  auto l = lock();
  const herr_t r = closer_ ? closer_(id_) : 0;
  id_ = -1;
  return r;
}

Handle checked(hid_t id, Handle::Closer closer, ErrorCategory category, const std::string& file,
               const std::string& object, const std::string& what) {
  if (id < 0) fail(category, file, object, what);
  return Handle(id, closer);
}

void check(herr_t status, ErrorCategory category, const std::string& file,
           const std::string& object, const std::string& what) {
  if (status < 0) fail(category, file, object, what);
}

Handle property_list(hid_t cls) {
  return checked(H5Pcreate(cls), H5Pclose, ErrorCategory::internal, {}, {},
                 "cannot create an HDF5 property list");
}

hid_t native_type(DType t) {
  switch (t) {
    case DType::uint8:
      return H5T_NATIVE_UINT8;
    case DType::uint16:
      return H5T_NATIVE_UINT16;
    case DType::uint32:
      return H5T_NATIVE_UINT32;
    case DType::int8:
      return H5T_NATIVE_INT8;
    case DType::int16:
      return H5T_NATIVE_INT16;
    case DType::int32:
      return H5T_NATIVE_INT32;
    case DType::float32:
      return H5T_NATIVE_FLOAT;
    case DType::float64:
      break;
  }
  return H5T_NATIVE_DOUBLE;
}

template <class T>
hid_t native_type_of() {
  if constexpr (std::is_same_v<T, std::int64_t>)
    return H5T_NATIVE_INT64;
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    return H5T_NATIVE_UINT64;
  else
    return native_type(dtype_of<T>());
}

template hid_t native_type_of<std::uint8_t>();
template hid_t native_type_of<std::uint16_t>();
template hid_t native_type_of<std::uint32_t>();
template hid_t native_type_of<std::int8_t>();
template hid_t native_type_of<std::int16_t>();
template hid_t native_type_of<std::int32_t>();
template hid_t native_type_of<float>();
template hid_t native_type_of<double>();
template hid_t native_type_of<std::int64_t>();
template hid_t native_type_of<std::uint64_t>();

std::optional<DType> dtype_of_type(hid_t type) {
  const std::size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      switch (size) {
        case 1:
          return is_signed ? DType::int8 : DType::uint8;
        case 2:
          return is_signed ? DType::int16 : DType::uint16;
        case 4:
          return is_signed ? DType::int32 : DType::uint32;
        default:
          return std::nullopt;
      }
    }
    case H5T_FLOAT:
      if (size == 4) return DType::float32;
      if (size == 8) return DType::float64;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::string describe_type(hid_t type) {
  const std::string bits = std::to_string(8 * H5Tget_size(type));
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return (H5Tget_sign(type) == H5T_SGN_2 ? "int" : "uint") + bits;
    case H5T_FLOAT:
      return "float" + bits;
    case H5T_STRING:
      return "string";
    case H5T_ENUM:
      return H5Tget_nmembers(type) == 2 ? "enum (bool?)" : "enum";
    case H5T_COMPOUND:
      return "compound";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_REFERENCE:
      return "reference";
    case H5T_VLEN:
      return "variable-length sequence";
    case H5T_ARRAY:
      return "array";
    case H5T_TIME:
      return "time";
    default:
      return "unknown";
  }
}

}  // namespace bioforest::h5::detail
