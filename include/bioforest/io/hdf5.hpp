// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// A small RAII layer over the HDF5 C API for what bioforest stores besides images: model
/// files (forests, specs, digests) and ilastik `.ilp` projects. HDF5's own error printing is
/// silenced; every failure becomes an Error naming the file, the object and the reason.
/// File locking is off for read-only opens so network filesystems work.

#include <cstdint>
#include <string>
#include <vector>

#include "bioforest/core/image.hpp"

namespace bioforest::h5 {

using hid = std::int64_t;  ///< HDF5's hid_t, without including hdf5.h here

/// An open HDF5 file. Move-only; closes (checking errors) in the destructor or in close().
class File {
 public:
  /// Opens read-only; Error{input} if missing or not HDF5.
  static File open_read(const std::string& path);
  /// Opens for reading and writing an existing file; Error{output} on failure.
  static File open_write(const std::string& path);
  /// Creates (truncates) `path`; Error{output} on failure. Callers use AtomicOutput's
  /// temp_path() for anything a user will see.
  static File create(const std::string& path);

  File(File&& o) noexcept;
  File& operator=(File&& o) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  /// Flushes and closes; throws Error{output} if HDF5 reports a failure (e.g. disk full).
  void close();

  hid id() const noexcept { return id_; }
  const std::string& path() const noexcept { return path_; }

  /// Whether an object (group or dataset) exists at `path` ("/a/b"; intermediate groups may
  /// be missing).
  bool exists(const std::string& path) const;
  bool is_dataset(const std::string& path) const;
  bool is_group(const std::string& path) const;
  /// Names of the members of a group, sorted.
  std::vector<std::string> list(const std::string& group = "/") const;
  /// All datasets below `group`, as absolute paths, sorted.
  std::vector<std::string> datasets(const std::string& group = "/") const;
  /// Creates a group and its parents if missing.
  void create_group(const std::string& path);

  /// Shape of a dataset (empty for a scalar).
  Shape shape(const std::string& dataset) const;
  DType dtype(const std::string& dataset) const;  ///< Error{input} for non-numeric datasets

  /// Reads a numeric dataset (any of the eight dtypes, converted to T) in C order.
  template <class T>
  std::vector<T> read(const std::string& dataset, Shape* shape = nullptr) const;
  /// Reads a region of a numeric dataset as an Image of its own dtype, with `axes`.
  Image read_image(const std::string& dataset, const Roi& roi, const Axes& axes) const;
  /// Writes a numeric dataset of `shape` (empty shape: 1-D of data.size()); replaces an
  /// existing one. gzip_level < 0: no compression.
  template <class T>
  void write(const std::string& dataset, const std::vector<T>& data, const Shape& shape = {},
             int gzip_level = -1);

  /// A string dataset (scalar, variable- or fixed-length, as h5py writes `bytes` or `str`).
  std::string read_string(const std::string& dataset) const;
  /// A 1-D array of strings (fixed- or variable-length).
  std::vector<std::string> read_strings(const std::string& dataset) const;
  void write_string(const std::string& dataset, const std::string& value);
  void write_strings(const std::string& dataset, const std::vector<std::string>& values);

  /// Attributes on any object (string attributes are variable-length UTF-8 when written).
  bool has_attribute(const std::string& object, const std::string& name) const;
  std::string read_string_attribute(const std::string& object, const std::string& name) const;
  void write_string_attribute(const std::string& object, const std::string& name,
                              const std::string& value);
  std::vector<double> read_numeric_attribute(const std::string& object,
                                             const std::string& name) const;
  void write_numeric_attribute(const std::string& object, const std::string& name,
                               const std::vector<double>& values);

 private:
  File(hid id, std::string path) : id_(id), path_(std::move(path)) {}
  hid id_ = -1;
  std::string path_;
};

/// Silences HDF5's automatic error-stack printing (called once by every entry point).
void silence_errors();

}  // namespace bioforest::h5
