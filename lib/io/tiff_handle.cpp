// SPDX-License-Identifier: BSD-3-Clause
#include "tiff_handle.hpp"

#include <unistd.h>

#include <cstdarg>
#include <cstdio>

#include "bioforest/core/log.hpp"

namespace bioforest::io::detail {

namespace {

std::string format_message(const char* module, const char* fmt, va_list ap) {
  char buf[1024];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string m = buf;
  if (module && *module) m = std::string(module) + ": " + m;
  return m;
}

// Returning 1 tells libtiff the message was handled: it then calls no global handler.
int on_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* state = static_cast<TiffHandle::State*>(user);
  // Keep the first few messages: the first is usually the cause, later ones its echoes.
  if (state->errors.size() < 2000) {
    if (!state->errors.empty()) state->errors += "; ";
    state->errors += format_message(module, fmt, ap);
  }
  return 1;
}

int on_warning(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* state = static_cast<TiffHandle::State*>(user);
  logger().debug("libtiff warning in {}: {}", state->name, format_message(module, fmt, ap));
  return 1;
}

// Options carrying our handlers; libtiff copies what it needs during the open call.
struct OpenOptions {
  explicit OpenOptions(TiffHandle::State* state) : opts(TIFFOpenOptionsAlloc()) {
    TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, state);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, state);
  }
  ~OpenOptions() { TIFFOpenOptionsFree(opts); }
  OpenOptions(const OpenOptions&) = delete;
  OpenOptions& operator=(const OpenOptions&) = delete;
  TIFFOpenOptions* opts;
};

}  // namespace

TiffHandle TiffHandle::open_read(const std::string& file) {
  auto state = std::make_unique<State>(State{file, {}});
  OpenOptions o(state.get());
  TIFF* tif = TIFFOpenExt(file.c_str(), "r", o.opts);
  if (!tif) {
    const std::string why = state->errors.empty() ? "libtiff could not open it" : state->errors;
    throw_input(file, "not a readable TIFF file: " + why);
  }
  return TiffHandle(std::move(state), tif);
}

TiffHandle TiffHandle::open_write(int fd, const std::string& name, bool bigtiff) {
  auto state = std::make_unique<State>(State{name, {}});
  OpenOptions o(state.get());
  TIFF* tif = TIFFFdOpenExt(fd, name.c_str(), bigtiff ? "w8" : "w", o.opts);
  if (!tif) {
    ::close(fd);  // libtiff takes ownership only on success
    const std::string why = state->errors.empty() ? "libtiff could not open it" : state->errors;
    throw_output(name, "cannot create the TIFF file: " + why);
  }
  return TiffHandle(std::move(state), tif);
}

TiffHandle::~TiffHandle() = default;

void TiffHandle::fail(ErrorCategory category, const std::string& what) const {
  std::string reason = what;
  if (!state_->errors.empty()) reason += " (libtiff: " + state_->errors + ")";
  state_->errors.clear();
  throw Error(category, reason, state_->name);
}

void TiffHandle::close() {
  tif_.reset();
  if (has_error()) fail(ErrorCategory::output, "closing the TIFF file failed");
}

std::string tiff_compression_name(unsigned compression) {
  switch (compression) {
    case COMPRESSION_NONE:
      return "none";
    case COMPRESSION_LZW:
      return "lzw";
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE:
      return "deflate";
    case COMPRESSION_PACKBITS:
      return "packbits";
    case COMPRESSION_JPEG:
    case COMPRESSION_OJPEG:
      return "jpeg";
    case COMPRESSION_ZSTD:
      return "zstd";
    case COMPRESSION_LZMA:
      return "lzma";
    case COMPRESSION_WEBP:
      return "webp";
    case COMPRESSION_JP2000:
      return "jpeg2000";
    case COMPRESSION_CCITTRLE:
    case COMPRESSION_CCITTFAX3:
    case COMPRESSION_CCITTFAX4:
      return "ccitt";
    default:
      break;
  }
  return "tiff compression " + std::to_string(compression);
}

}  // namespace bioforest::io::detail
