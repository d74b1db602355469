// SPDX-License-Identifier: BSD-3-Clause
// PNG through libpng: reading 1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA and palette images
// (expanded to 8 or 16 bits per sample) and writing uint8/uint16 yx or yxc images.
//
// libpng reports errors by longjmp. A longjmp must not cross a frame that owns a C++ object
// with a destructor, so every libpng call lives in a C-style function (decode_png,
// encode_png) whose frames hold only plain data: the C++ side allocates all buffers before
// the call and turns a false return into an Error afterwards.

#include <png.h>
#include <unistd.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include "backends.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "canonical_view.hpp"

namespace bioforest::io::detail {

namespace {

constexpr std::size_t kMessageSize = 512;

bool host_is_little_endian() {
  const std::uint16_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

// ---- the C side: plain data and functions that may be longjmp'ed over ------------------

struct PngDecodeJob {
  // in
  const char* path;
  bool header_only;
  std::size_t y0, y1, x0, x1;                 // region to copy
  unsigned char* dst;                         // region rows, packed
  unsigned char* row;                         // one decoded row (non-interlaced images)
  unsigned char** rows;                       // every row of the image (interlaced images)
  std::uint32_t expect_width, expect_height;  // the header open_png saw; buffers fit it
  int expect_channels, expect_bit_depth;
  // out
  std::uint32_t width, height;
  int channels, bit_depth;
  bool interlaced;
  char message[kMessageSize];
};

struct PngEncodeJob {
  std::FILE* fp;
  std::uint32_t width, height;
  int color_type, bit_depth;
  unsigned char** rows;
  char message[kMessageSize];
};

void on_png_error(png_structp png, png_const_charp msg) {
  auto* message = static_cast<char*>(png_get_error_ptr(png));
  std::snprintf(message, kMessageSize, "%s", msg);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp msg) {
  logger().debug("libpng warning: {}", msg);
}

// Transforms to 8 or 16 bits per sample in host byte order; returns the interlace passes.
int set_read_transforms(png_structp png, png_infop info) {
  png_set_expand(png);  // palette -> RGB(A), 1/2/4-bit gray -> 8-bit, tRNS -> alpha
  if (png_get_bit_depth(png, info) == 16 && host_is_little_endian()) png_set_swap(png);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  return passes;
}

void copy_region_row(const PngDecodeJob* job, const unsigned char* row, std::size_t y) {
  const std::size_t px = std::size_t(job->channels) * (job->bit_depth / 8);
  const std::size_t n = (job->x1 - job->x0) * px;
  std::memcpy(job->dst + (y - job->y0) * n, row + job->x0 * px, n);
}

bool decode_png(PngDecodeJob* job) {
  std::FILE* fp = std::fopen(job->path, "rb");
  if (!fp) {
    std::snprintf(job->message, kMessageSize, "cannot open: %s", std::strerror(errno));
    return false;
  }
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, job->message, on_png_error, on_png_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    std::fclose(fp);
    std::snprintf(job->message, kMessageSize, "out of memory");
    return false;
  }
  // png, info and fp are not modified after setjmp, so they keep their values after longjmp.
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    std::fclose(fp);
    return false;
  }
  png_init_io(png, fp);
  png_read_info(png, info);
  job->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
  set_read_transforms(png, info);
  job->width = png_get_image_width(png, info);
  job->height = png_get_image_height(png, info);
  job->channels = png_get_channels(png, info);
  job->bit_depth = png_get_bit_depth(png, info);
  const bool same_header = job->width == job->expect_width && job->height == job->expect_height &&
                           job->channels == job->expect_channels &&
                           job->bit_depth == job->expect_bit_depth;
  if (!job->header_only && !same_header) {
    std::snprintf(job->message, kMessageSize, "the file changed since it was opened");
    png_destroy_read_struct(&png, &info, nullptr);
    std::fclose(fp);
    return false;
  }
  if (!job->header_only) {
    if (job->interlaced) {
      // Interlaced rows only exist after every pass: decode the whole image.
      png_read_image(png, job->rows);
      for (std::size_t y = job->y0; y < job->y1; ++y)
        copy_region_row(job, job->rows[y], y);
    } else {
      // PNG rows decode in order: read up to y1 and no further.
      for (std::size_t y = 0; y < job->y1; ++y) {
        png_read_row(png, job->row, nullptr);
        if (y >= job->y0) copy_region_row(job, job->row, y);
      }
    }
    if (job->y1 == job->height) png_read_end(png, nullptr);  // checks the trailing chunks
  }
  png_destroy_read_struct(&png, &info, nullptr);
  std::fclose(fp);
  return true;
}

bool encode_png(PngEncodeJob* job) {
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, job->message, on_png_error, on_png_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    std::snprintf(job->message, kMessageSize, "out of memory");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, job->fp);
  png_set_IHDR(png, info, job->width, job->height, job->bit_depth, job->color_type,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  if (job->bit_depth == 16 && host_is_little_endian()) png_set_swap(png);  // PNG is big-endian
  png_write_image(png, job->rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

// ---- the C++ side ---------------------------------------------------------------------

PngDecodeJob decode_job(const std::string& file) {
  PngDecodeJob job{};
  job.path = file.c_str();
  job.header_only = true;
  return job;
}

class PngReader final : public ImageReader {
 public:
  PngReader(std::string file, ImageInfo info, bool interlaced)
      : ImageReader(std::move(file), std::move(info)), interlaced_(interlaced) {}

 protected:
  Image read_region(const Roi& roi) override {
    Image out(info_.dtype, roi.shape(), native_axes_);
    if (roi.empty()) return out;
    const std::size_t height = info_.shape[0], width = info_.shape[1];
    const std::size_t px = (info_.shape.size() == 3 ? info_.shape[2] : 1) * dtype_size(info_.dtype);
    const bool all_channels = info_.shape.size() == 2 || roi.shape()[2] == info_.shape[2];
    // Decode whole-pixel rows, then pick channels if the region asks for a subset.
    Image rows = all_channels
                     ? Image()
                     : Image(info_.dtype, Shape{roi.shape()[0], roi.shape()[1], info_.shape[2]},
                             native_axes_);
    std::vector<unsigned char> row(width * px);
    std::vector<unsigned char> whole(interlaced_ ? height * width * px : 0);
    std::vector<unsigned char*> row_ptrs(interlaced_ ? height : 0);
    for (std::size_t y = 0; y < row_ptrs.size(); ++y)
      row_ptrs[y] = whole.data() + y * width * px;

    PngDecodeJob job = decode_job(path_);
    job.header_only = false;
    job.y0 = roi.start[0];
    job.y1 = roi.stop[0];
    job.x0 = roi.start[1];
    job.x1 = roi.stop[1];
    job.dst = static_cast<unsigned char*>(all_channels ? out.raw_data() : rows.raw_data());
    job.row = row.data();
    job.rows = row_ptrs.data();
    job.expect_width = static_cast<std::uint32_t>(width);
    job.expect_height = static_cast<std::uint32_t>(height);
    job.expect_channels = static_cast<int>(info_.shape.size() == 3 ? info_.shape[2] : 1);
    job.expect_bit_depth = info_.dtype == DType::uint16 ? 16 : 8;
    if (!decode_png(&job)) throw_input(path_, std::string("corrupt PNG: ") + job.message);
    if (!all_channels) {
      Roi c = Roi::whole(rows.shape());
      c.start[2] = roi.start[2];
      c.stop[2] = roi.stop[2];
      return rows.crop(c);
    }
    return out;
  }

 private:
  bool interlaced_;
  Axes native_axes_ = info_.axes;  // info_.axes may be relabelled by --input-axes
};

// ---- writing ---------------------------------------------------------------------------

int color_type_for(std::size_t channels) {
  switch (channels) {
    case 1:
      return PNG_COLOR_TYPE_GRAY;
    case 2:
      return PNG_COLOR_TYPE_GRAY_ALPHA;
    case 3:
      return PNG_COLOR_TYPE_RGB;
    default:
      return PNG_COLOR_TYPE_RGB_ALPHA;
  }
}

void check_png_writable(const std::string& path, const Shape& shape, DType dtype,
                        const Axes& axes) {
  if (dtype != DType::uint8 && dtype != DType::uint16)
    throw_usage("PNG holds uint8 or uint16 2-D images; use .tif or .h5 for " +
                    std::string(dtype_name(dtype)),
                path);
  const CanonicalView v = canonical_view(axes, shape);
  if (v.extent[0] != 1 || v.extent[1] != 1 || v.extent[4] > 4)
    throw_usage("PNG holds 2-D images with axes yx or yxc (c <= 4); this image has axes " +
                    axes.str() + " and shape " + shape_str(shape) +
                    "; use .tif or .h5, or the 'png sequence' format",
                path);
  if (v.extent[2] == 0 || v.extent[3] == 0 || v.extent[2] > PNG_UINT_31_MAX ||
      v.extent[3] > PNG_UINT_31_MAX)
    throw_usage("PNG cannot hold an image of shape " + shape_str(shape), path);
}

class PngWriter final : public ImageWriter {
 public:
  PngWriter(const std::string& path, const Shape& shape, DType dtype, const Axes& axes,
            const WriteOptions& options)
      : ImageWriter(path, shape, dtype, axes),
        out_(path, options.overwrite),
        view_(canonical_view(axes, shape)),
        buffer_(dtype, shape, axes) {}

  void write(const Image& block, const Shape& offset) override {
    if (block.axes() != axes_)
      throw_internal("block axes " + block.axes().str() + " differ from the output's " +
                     axes_.str());
    buffer_.paste(block, offset);
  }

  void commit() override {
    if (out_.committed()) return;
    std::vector<unsigned char> pixels = interleaved();
    const std::size_t row_bytes = view_.extent[3] * view_.extent[4] * dtype_size(dtype_);
    std::vector<unsigned char*> rows(view_.extent[2]);
    for (std::size_t y = 0; y < rows.size(); ++y)
      rows[y] = pixels.data() + y * row_bytes;

    std::FILE* fp = std::fopen(out_.temp_path().c_str(), "wb");
    if (!fp) throw_output(path_, std::string("cannot create the file: ") + std::strerror(errno));
    PngEncodeJob job{};
    job.fp = fp;
    job.width = static_cast<std::uint32_t>(view_.extent[3]);
    job.height = static_cast<std::uint32_t>(view_.extent[2]);
    job.color_type = color_type_for(view_.extent[4]);
    job.bit_depth = dtype_ == DType::uint16 ? 16 : 8;
    job.rows = rows.data();
    const bool encoded = encode_png(&job);
    // Flush and sync before close so a full disk is reported here, not lost.
    const bool flushed = encoded && std::fflush(fp) == 0 && ::fsync(fileno(fp)) == 0;
    const int err = errno;
    const bool closed = std::fclose(fp) == 0;
    if (!encoded) throw_output(path_, std::string("cannot write the PNG: ") + job.message);
    if (!flushed || !closed)
      throw_output(path_,
                   std::string("cannot write the file: ") + std::strerror(flushed ? errno : err));
    out_.commit();
  }

 private:
  // The image as y, x, c rows of whole pixels, whatever its axis order.
  std::vector<unsigned char> interleaved() const {
    const auto& e = view_.extent;
    std::vector<unsigned char> px(e[2] * e[3] * e[4] * dtype_size(dtype_));
    buffer_.visit([&](const auto& a) {
      using T = typename std::decay_t<decltype(a)>::value_type;
      T* d = reinterpret_cast<T*>(px.data());
      for (std::size_t y = 0; y < e[2]; ++y)
        for (std::size_t x = 0; x < e[3]; ++x)
          for (std::size_t c = 0; c < e[4]; ++c)
            *d++ = a.data()[view_.offset(0, 0, y, x, c)];
    });
    return px;
  }

  AtomicOutput out_;
  CanonicalView view_;
  Image buffer_;
};

}  // namespace

std::unique_ptr<ImageReader> open_png(const std::string& file) {
  PngDecodeJob job = decode_job(file);
  if (!decode_png(&job)) throw_input(file, std::string("not a readable PNG: ") + job.message);
  ImageInfo info;
  info.shape = {job.height, job.width};
  if (job.channels > 1) info.shape.push_back(static_cast<std::size_t>(job.channels));
  info.axes = Axes(job.channels > 1 ? "yxc" : "yx");
  info.dtype = job.bit_depth == 16 ? DType::uint16 : DType::uint8;
  info.axes_from_metadata = true;  // PNG's colour type says which axes it has
  info.format = "png";
  info.compression = "deflate";
  return std::make_unique<PngReader>(file, std::move(info), job.interlaced);
}

std::unique_ptr<ImageWriter> create_png(const std::string& path, const Shape& shape, DType dtype,
                                        const Axes& axes, const WriteOptions& options) {
  check_png_writable(path, shape, dtype, axes);
  return std::make_unique<PngWriter>(path, shape, dtype, axes, options);
}

}  // namespace bioforest::io::detail
