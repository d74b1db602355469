// SPDX-License-Identifier: BSD-3-Clause
// JPEG reading through libjpeg: gray -> yx, colour -> yxc (RGB), uint8.
//
// libjpeg reports errors through error_exit, which must not return; we longjmp out of it.
// As for PNG, the libjpeg calls live in one C-style function (decode_jpeg) whose frame holds
// only plain data, so the longjmp skips no destructor.

#include <cstdio>
// jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>

#include <cerrno>
#include <csetjmp>
#include <cstring>
#include <vector>

#include "backends.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"

namespace bioforest::io::detail {

namespace {

constexpr std::size_t kMessageSize = JMSG_LENGTH_MAX + 64;

// libjpeg's error manager first (libjpeg sees only that part), then our jump target.
struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[kMessageSize];
};

struct JpegDecodeJob {
  // in
  const char* path;
  bool header_only;
  std::size_t y0, y1, x0, x1;
  unsigned char* dst;                         // region rows, packed
  unsigned char* row;                         // one decoded row
  std::uint32_t expect_width, expect_height;  // the header open_jpeg saw; buffers fit it
  int expect_channels;
  // out
  std::uint32_t width, height;
  int channels;
  char message[kMessageSize];
};

[[noreturn]] void on_jpeg_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// libjpeg only warns about corrupt or missing data (and fills in grey); a truncated or
// damaged file must fail instead of giving a silently wrong image.
bool is_corrupt_data_warning(int code) {
  switch (code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_PROGRESSION:
      return true;
    default:
      return false;
  }
}

void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  auto* err = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  if (is_corrupt_data_warning(cinfo->err->msg_code)) std::longjmp(err->jump, 1);
  logger().debug("libjpeg warning: {}", err->message);
}

bool decode_jpeg(JpegDecodeJob* job) {
  std::FILE* fp = std::fopen(job->path, "rb");
  if (!fp) {
    std::snprintf(job->message, kMessageSize, "cannot open: %s", std::strerror(errno));
    return false;
  }
  jpeg_decompress_struct cinfo;
  JpegErrors err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_jpeg_error;
  err.mgr.emit_message = on_jpeg_message;
  err.message[0] = '\0';
  // cinfo and fp are not modified after setjmp (only through pointers), so they are valid
  // after the longjmp.
  if (setjmp(err.jump)) {
    std::snprintf(job->message, kMessageSize, "%s", err.message);
    jpeg_destroy_decompress(&cinfo);
    std::fclose(fp);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_stdio_src(&cinfo, fp);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    std::snprintf(job->message, kMessageSize, "CMYK JPEG is not supported");
    jpeg_destroy_decompress(&cinfo);
    std::fclose(fp);
    return false;
  }
  cinfo.out_color_space = cinfo.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_calc_output_dimensions(&cinfo);
  job->width = cinfo.output_width;
  job->height = cinfo.output_height;
  job->channels = cinfo.output_components;
  if (!job->header_only && (job->width != job->expect_width || job->height != job->expect_height ||
                            job->channels != job->expect_channels)) {
    std::snprintf(job->message, kMessageSize, "the file changed since it was opened");
    jpeg_destroy_decompress(&cinfo);
    std::fclose(fp);
    return false;
  }
  if (!job->header_only) {
    jpeg_start_decompress(&cinfo);
    const std::size_t px = static_cast<std::size_t>(job->channels);
    const std::size_t n = (job->x1 - job->x0) * px;
    // JPEG rows decode in order: read up to y1 and no further.
    for (std::size_t y = 0; y < job->y1; ++y) {
      JSAMPROW row = job->row;
      if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
        std::snprintf(job->message, kMessageSize, "row %zu could not be decoded", y);
        jpeg_destroy_decompress(&cinfo);
        std::fclose(fp);
        return false;
      }
      if (y >= job->y0) std::memcpy(job->dst + (y - job->y0) * n, job->row + job->x0 * px, n);
    }
    if (job->y1 == job->height)
      jpeg_finish_decompress(&cinfo);
    else
      jpeg_abort_decompress(&cinfo);
  }
  jpeg_destroy_decompress(&cinfo);
  std::fclose(fp);
  return true;
}

class JpegReader final : public ImageReader {
 public:
  JpegReader(std::string file, ImageInfo info)
      : ImageReader(std::move(file), std::move(info)), native_axes_(info_.axes) {}

 protected:
  Image read_region(const Roi& roi) override {
    const std::size_t channels = info_.shape.size() == 3 ? info_.shape[2] : 1;
    // Decode whole pixels, then keep the channels the region asks for.
    Shape full = roi.shape();
    if (info_.shape.size() == 3) full[2] = channels;
    Image out(DType::uint8, full, native_axes_);
    if (roi.empty()) return out;
    std::vector<unsigned char> row(info_.shape[1] * channels);
    JpegDecodeJob job{};
    job.path = path_.c_str();
    job.y0 = roi.start[0];
    job.y1 = roi.stop[0];
    job.x0 = roi.start[1];
    job.x1 = roi.stop[1];
    job.dst = static_cast<unsigned char*>(out.raw_data());
    job.row = row.data();
    job.expect_width = static_cast<std::uint32_t>(info_.shape[1]);
    job.expect_height = static_cast<std::uint32_t>(info_.shape[0]);
    job.expect_channels = static_cast<int>(channels);
    if (!decode_jpeg(&job)) throw_input(path_, std::string("corrupt JPEG: ") + job.message);
    if (info_.shape.size() == 3 && full[2] != roi.shape()[2]) {
      Roi c = Roi::whole(full);
      c.start[2] = roi.start[2];
      c.stop[2] = roi.stop[2];
      return out.crop(c);
    }
    return out;
  }

 private:
  Axes native_axes_;  // info_.axes may be relabelled by --input-axes
};

}  // namespace

std::unique_ptr<ImageReader> open_jpeg(const std::string& file) {
  JpegDecodeJob job{};
  job.path = file.c_str();
  job.header_only = true;
  if (!decode_jpeg(&job)) throw_input(file, std::string("not a readable JPEG: ") + job.message);
  ImageInfo info;
  info.shape = {job.height, job.width};
  if (job.channels > 1) info.shape.push_back(static_cast<std::size_t>(job.channels));
  info.axes = Axes(job.channels > 1 ? "yxc" : "yx");
  info.dtype = DType::uint8;
  info.axes_from_metadata = true;  // the JPEG colour space says which axes it has
  info.format = "jpeg";
  info.compression = "jpeg";
  return std::make_unique<JpegReader>(file, std::move(info));
}

}  // namespace bioforest::io::detail
