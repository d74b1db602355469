// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: what hdf5.cpp, hdf5_chunks.cpp and hdf5_image.cpp share on top of the HDF5 C API:
// owning handles, the library lock, turning HDF5's error stack into an Error, and the
// mapping between bioforest's dtypes and HDF5's native types.

#include <hdf5.h>

#include <mutex>
#include <optional>
#include <string>

#include "bioforest/core/dtype.hpp"
#include "bioforest/core/error.hpp"

namespace bioforest::h5::detail {

static_assert(sizeof(hid_t) == 8, "h5::hid must match hid_t");

/// Debian's HDF5 is built without thread safety: every call into the library goes through
/// this (recursive) lock, so that workflows may read blocks from several threads.
std::unique_lock<std::recursive_mutex> lock();

/// The innermost message of HDF5's error stack (where the failure was detected), or "" if
/// the stack is empty; clears the stack.
std::string last_error();

/// Throws Error{category} "WHAT: <HDF5's reason>" naming file and dataset. Call right after
/// the failing HDF5 call, before anything else resets the error stack.
[[noreturn]] void fail(ErrorCategory category, const std::string& file, const std::string& object,
                       const std::string& what);

/// An owning HDF5 identifier closed by the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      closer_ = o.closer_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const noexcept { return id_; }
  bool valid() const noexcept { return id_ >= 0; }
  /// Closes now and reports HDF5's result (negative on failure).
  herr_t close() noexcept;
  void reset() noexcept { close(); }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

/// Wraps a freshly returned id; throws fail(category, ...) if it is negative.
Handle checked(hid_t id, Handle::Closer closer, ErrorCategory category, const std::string& file,
               const std::string& object, const std::string& what);
/// Throws fail(category, ...) if `status` is negative.
void check(herr_t status, ErrorCategory category, const std::string& file,
           const std::string& object, const std::string& what);

/// A property list of `cls` (H5P_FILE_ACCESS, H5P_DATASET_CREATE, ...).
Handle property_list(hid_t cls);

/// HDF5's native memory type for a dtype (not to be closed).
hid_t native_type(DType t);
/// The native type of T: the eight dtypes plus int64_t / uint64_t.
template <class T>
hid_t native_type_of();

/// The dtype of an integer or float file type when it is one of the eight; nullopt otherwise.
std::optional<DType> dtype_of_type(hid_t type);
/// "int64", "bool (enum)", "string", "compound", ... for messages.
std::string describe_type(hid_t type);

}  // namespace bioforest::h5::detail
