// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: a libtiff file with its own error and warning handlers, so libtiff never prints.
// Warnings go to the debug log; errors are collected and become the reason of an Error.

#include <memory>
#include <string>

#include <tiffio.h>

#include "bioforest/core/error.hpp"

namespace bioforest::io::detail {

class TiffHandle {
 public:
  /// Opens `file` read-only; throws Error{input} with libtiff's reason.
  static TiffHandle open_read(const std::string& file);
  /// Opens the file descriptor `fd` (which libtiff then owns and closes) for writing, "w" or
  /// "w8" (BigTIFF); `name` is the path used in messages. Throws Error{output}.
  static TiffHandle open_write(int fd, const std::string& name, bool bigtiff);

  TiffHandle(TiffHandle&&) noexcept = default;
  TiffHandle& operator=(TiffHandle&&) noexcept = default;
  ~TiffHandle();

  TIFF* get() const noexcept { return tif_.get(); }
  const std::string& name() const noexcept { return state_->name; }

  /// Throws an Error of `category` naming the file: `what`, then libtiff's reason if any.
  [[noreturn]] void fail(ErrorCategory category, const std::string& what) const;
  /// Whether libtiff reported an error since the last fail()/clear_error().
  bool has_error() const noexcept { return !state_->errors.empty(); }
  void clear_error() noexcept { state_->errors.clear(); }

  /// Closes the file (TIFFClose has no result, so errors reported during it are checked);
  /// throws Error{output} for a writer that libtiff reported an error for.
  void close();

  /// Handler state; public for the C callbacks in tiff_handle.cpp.
  struct State {
    std::string name;
    std::string errors;  // libtiff's error messages, "; "-separated
  };

 private:
  struct Closer {
    void operator()(TIFF* t) const noexcept { TIFFClose(t); }
  };
  TiffHandle(std::unique_ptr<State> state, TIFF* tif) : state_(std::move(state)), tif_(tif) {}
  // The state must outlive the TIFF (libtiff calls the handlers until TIFFClose returns):
  // members are destroyed in reverse order, so tif_ goes first.
  std::unique_ptr<State> state_;
  std::unique_ptr<TIFF, Closer> tif_;
};

/// "none", "lzw", "deflate", "packbits", "jpeg", ... for a TIFF Compression tag value.
std::string tiff_compression_name(unsigned compression);

}  // namespace bioforest::io::detail
