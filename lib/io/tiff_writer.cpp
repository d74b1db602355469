// SPDX-License-Identifier: BSD-3-Clause
// Writing TIFF as an ImageJ hyperstack (or OME-TIFF): one single-sample page per (t, z, c)
// plane in ImageJ's XYCZT order (c fastest, then z, then t), so FIJI opens the file with the
// right axes and our reader reads back the same axes.
//
// Uncompressed output (the default) is laid out as ImageJ writes it, pixel data of all pages
// contiguous and the IFDs after it (tiff_contiguous.cpp): ImageJ's own reader needs that.
// Compressed or tiled output goes through libtiff; FIJI opens it through Bio-Formats.
//
// The contiguous layout fixes every pixel's file offset in advance, so uncompressed output is
// streamed: each block is stored where it belongs as it arrives (one large pwrite per run of
// whole rows), and the IFDs are written in commit(); memory stays at one block. Compressed and
// tiled pages are written in order by libtiff and cannot be revisited block by block, so for
// those the writer keeps the whole image in memory and writes the file in commit(). Data
// larger than RAM belongs in HDF5 or uncompressed TIFF.
//
// Durability: write() and close() results are checked (a full disk or quota shows in write(),
// NFS reports deferred errors at close()), then the finished file is renamed into place, so
// other processes see the whole file or none. The file is not fsynced, like our HDF5 outputs
// (H5Fclose does not fsync) and tifffile's: fsync only matters if the machine crashes before
// the kernel writes the file back (about 30 s by default), and waiting for the disk would cost
// a batch job (which can simply be rerun) seconds per GB on every output.
//
// ImageJ itself only holds uint8, uint16 and float32 hyperstacks. Other dtypes are still
// written with their own TIFF sample format and the same description: FIJI's reader opens
// int8/int16/int32/uint32/float64 pages by converting them, tifffile and bioforest read them
// exactly.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>

#include "backends.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/core/text.hpp"
#include "bioforest/core/version.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "canonical_view.hpp"
#include "tiff_contiguous.hpp"
#include "tiff_handle.hpp"
#include "tiff_metadata.hpp"

namespace bioforest::io::detail {

namespace {

// Classic TIFF addresses 4 GiB; keep a margin for IFDs and the description.
constexpr double kClassicTiffLimit = 3.9e9;
// Strips of about this many bytes: small enough for region reads, large enough to compress.
constexpr std::size_t kStripBytes = 64 * 1024;

std::uint16_t parse_compression(const std::string& name, const std::string& path) {
  const std::string n = to_lower(name);
  if (n.empty() || n == "none") return COMPRESSION_NONE;
  if (n == "lzw") return COMPRESSION_LZW;
  if (n == "packbits") return COMPRESSION_PACKBITS;
  // HDF5's spellings mean the same zlib stream; accept them so one flag serves both formats.
  if (n == "deflate" || n == "zlib" || n == "zip" || n.starts_with("gzip"))
    return COMPRESSION_ADOBE_DEFLATE;
  throw_usage("unknown TIFF compression '" + name + "' (expected none, lzw, deflate or packbits)",
              path);
}

std::uint16_t sample_format(DType t) {
  if (dtype_is_float(t)) return SAMPLEFORMAT_IEEEFP;
  return dtype_is_signed(t) ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT;
}

std::uint32_t round_up_16(std::size_t n) {
  return static_cast<std::uint32_t>(std::max<std::size_t>(16, (n + 15) / 16 * 16));
}

// Owns a file descriptor until release; closes it (unchecked) on the error path.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  FdGuard& operator=(FdGuard&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = o.release();
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Copies rows [y0, y1) x columns [x0, x1) of plane (t, z, c) into dst (row stride in elements).
template <class T>
void gather(const T* src, const CanonicalView& v, std::size_t t, std::size_t z, std::size_t c,
            std::size_t y0, std::size_t y1, std::size_t x0, std::size_t x1, T* dst,
            std::size_t dst_stride) {
  const std::size_t sx = v.stride[3], n = x1 - x0;
  for (std::size_t y = y0; y < y1; ++y) {
    const T* s = src + v.offset(t, z, y, x0, c);
    T* d = dst + (y - y0) * dst_stride;
    if (sx == 1) {
      std::memcpy(d, s, n * sizeof(T));
      continue;
    }
    for (std::size_t x = 0; x < n; ++x)
      d[x] = s[x * sx];
  }
}

class TiffWriter final : public ImageWriter {
 public:
  TiffWriter(const std::string& path, const Shape& shape, DType dtype, const Axes& axes,
             const WriteOptions& options, std::string format)
      : ImageWriter(path, shape, dtype, axes),
        out_(path, options.overwrite),
        options_(options),
        format_(std::move(format)),
        compression_(parse_compression(options.compression, path)),
        view_(canonical_view(axes, shape)) {
    choose_tiles();
    if (compression_ == COMPRESSION_NONE && tile_w_ == 0)
      open_contiguous();
    else
      buffer_ = Image(dtype, shape, axes);
  }

  void write(const Image& block, const Shape& offset) override {
    if (block.axes() != axes_)
      throw_internal("block axes " + block.axes().str() + " differ from the output's " +
                     axes_.str());
    if (contiguous_)
      store(block, offset);
    else
      buffer_.paste(block, offset);
  }

  void commit() override;

 private:
  void choose_tiles();
  bool want_bigtiff() const;
  std::string description() const;
  void set_page_tags(TIFF* tif, bool first_page) const;
  void write_page(TiffHandle& h, std::size_t t, std::size_t z, std::size_t c);
  void write_strips(TiffHandle& h, std::size_t t, std::size_t z, std::size_t c);
  void write_tiles(TiffHandle& h, std::size_t t, std::size_t z, std::size_t c);
  void write_with_libtiff(int fd);
  void open_contiguous();
  void store(const Image& block, const Shape& offset);
  std::uint32_t rows_per_strip() const;
  int create_temp() const;
  void close_checked(FdGuard& fd) const;

  AtomicOutput out_;
  WriteOptions options_;
  std::string format_;
  std::uint16_t compression_;
  CanonicalView view_;
  std::uint32_t tile_w_ = 0, tile_h_ = 0;  // 0: strips
  Image buffer_;                           // libtiff output only: the whole image
  std::vector<std::byte> scratch_;
  // Contiguous output: the temporary file, open from the start. Declared after out_, so it
  // closes before out_'s destructor removes an uncommitted temporary file.
  FdGuard fd_{-1};
  std::optional<ContiguousTiff> contiguous_;
};

// Tiles only on request (options.chunks in the image's axes): ImageJ's own reader does not
// read tiled TIFF, FIJI's Bio-Formats does. TIFF tiles are multiples of 16.
void TiffWriter::choose_tiles() {
  if (options_.chunks.size() != shape_.size() || !axes_.has('y') || !axes_.has('x')) return;
  const std::size_t cy = options_.chunks[axes_.index('y')];
  const std::size_t cx = options_.chunks[axes_.index('x')];
  if (cy == 0 || cx == 0) return;
  tile_h_ = round_up_16(cy);
  tile_w_ = round_up_16(cx);
  if (tile_h_ != cy || tile_w_ != cx)
    logger().debug("{}: TIFF tiles are multiples of 16; using {}x{}", path_, tile_h_, tile_w_);
}

bool TiffWriter::want_bigtiff() const {
  const auto& e = view_.extent;
  const double pages = static_cast<double>(e[0] * e[1] * e[4]);
  double pixels = static_cast<double>(dtype_size(dtype_));
  for (std::size_t n : shape_)
    pixels *= static_cast<double>(n);
  const double bytes = pixels + pages * 512;
  return options_.bigtiff || bytes > kClassicTiffLimit;
}

std::string TiffWriter::description() const {
  const auto& e = view_.extent;
  if (format_ == "ome-tiff")
    return make_ome_xml(e[3], e[2], e[1], e[4], e[0], dtype_,
                        std::filesystem::path(path_).filename().string());
  return make_imagej_description(e[4], e[1], e[0], axes_.canonical(), options_.drange);
}

void TiffWriter::set_page_tags(TIFF* tif, bool first_page) const {
  const auto& e = view_.extent;
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(e[3]));
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(e[2]));
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, static_cast<std::uint16_t>(8 * dtype_size(dtype_)));
  TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, sample_format(dtype_));
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, static_cast<std::uint16_t>(1));
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, compression_);
  if (tile_w_) {
    TIFFSetField(tif, TIFFTAG_TILEWIDTH, tile_w_);
    TIFFSetField(tif, TIFFTAG_TILELENGTH, tile_h_);
  } else {
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rows_per_strip());
  }
  if (first_page) {
    // ImageJ and OME both read their metadata from the first IFD only.
    TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, description().c_str());
    TIFFSetField(tif, TIFFTAG_SOFTWARE, (std::string("bioforest ") + version()).c_str());
  }
}

std::uint32_t TiffWriter::rows_per_strip() const {
  const std::size_t row = view_.extent[3] * dtype_size(dtype_);
  return static_cast<std::uint32_t>(std::clamp<std::size_t>(kStripBytes / row, 1, view_.extent[2]));
}

void TiffWriter::write_strips(TiffHandle& h, std::size_t t, std::size_t z, std::size_t c) {
  TIFF* tif = h.get();
  const std::size_t height = view_.extent[2], width = view_.extent[3];
  std::uint32_t rows = 1;
  TIFFGetField(tif, TIFFTAG_ROWSPERSTRIP, &rows);
  const std::size_t es = dtype_size(dtype_);
  scratch_.resize(std::size_t(rows) * width * es);
  for (std::size_t y0 = 0; y0 < height; y0 += rows) {
    const std::size_t y1 = std::min<std::size_t>(y0 + rows, height);
    buffer_.visit([&](const auto& a) {
      using T = typename std::decay_t<decltype(a)>::value_type;
      gather(a.data(), view_, t, z, c, y0, y1, 0, width, reinterpret_cast<T*>(scratch_.data()),
             width);
    });
    const auto strip = TIFFComputeStrip(tif, static_cast<std::uint32_t>(y0), 0);
    if (TIFFWriteEncodedStrip(tif, strip, scratch_.data(),
                              static_cast<tmsize_t>((y1 - y0) * width * es)) < 0)
      h.fail(ErrorCategory::output,
             "cannot write strip " + std::to_string(strip) + " (disk full?)");
  }
}

void TiffWriter::write_tiles(TiffHandle& h, std::size_t t, std::size_t z, std::size_t c) {
  TIFF* tif = h.get();
  const std::size_t height = view_.extent[2], width = view_.extent[3];
  const std::size_t es = dtype_size(dtype_);
  scratch_.resize(std::size_t(tile_w_) * tile_h_ * es);
  for (std::size_t y0 = 0; y0 < height; y0 += tile_h_)
    for (std::size_t x0 = 0; x0 < width; x0 += tile_w_) {
      // Edge tiles are padded with zeros (their pixels beyond the image are never read).
      std::fill(scratch_.begin(), scratch_.end(), std::byte{0});
      const std::size_t y1 = std::min<std::size_t>(y0 + tile_h_, height);
      const std::size_t x1 = std::min<std::size_t>(x0 + tile_w_, width);
      buffer_.visit([&](const auto& a) {
        using T = typename std::decay_t<decltype(a)>::value_type;
        gather(a.data(), view_, t, z, c, y0, y1, x0, x1, reinterpret_cast<T*>(scratch_.data()),
               tile_w_);
      });
      const auto tile = TIFFComputeTile(tif, static_cast<std::uint32_t>(x0),
                                        static_cast<std::uint32_t>(y0), 0, 0);
      if (TIFFWriteEncodedTile(tif, tile, scratch_.data(), static_cast<tmsize_t>(scratch_.size())) <
          0)
        h.fail(ErrorCategory::output,
               "cannot write tile " + std::to_string(tile) + " (disk full?)");
    }
}

void TiffWriter::write_page(TiffHandle& h, std::size_t t, std::size_t z, std::size_t c) {
  const bool first = t == 0 && z == 0 && c == 0;
  set_page_tags(h.get(), first);
  if (tile_w_)
    write_tiles(h, t, z, c);
  else
    write_strips(h, t, z, c);
  if (!TIFFWriteDirectory(h.get()) || h.has_error())
    h.fail(ErrorCategory::output, "cannot write page t=" + std::to_string(t) +
                                      " z=" + std::to_string(z) + " c=" + std::to_string(c) +
                                      " (disk full?)");
}

// libtiff closes its descriptor without reporting errors; it gets a duplicate, so that commit()
// can close the file itself and see deferred write errors (full disk, quota, NFS).
void TiffWriter::write_with_libtiff(int fd) {
  const int lib_fd = ::dup(fd);
  if (lib_fd < 0) throw_output(path_, std::string("dup failed: ") + std::strerror(errno));
  TiffHandle h = TiffHandle::open_write(lib_fd, path_, want_bigtiff());
  const auto& e = view_.extent;
  for (std::size_t t = 0; t < e[0]; ++t)
    for (std::size_t z = 0; z < e[1]; ++z)
      for (std::size_t c = 0; c < e[4]; ++c)
        write_page(h, t, z, c);
  h.close();
}

int TiffWriter::create_temp() const {
  const int fd = ::open(out_.temp_path().c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    throw_output(path_, std::string("cannot create the temporary file: ") + std::strerror(errno));
  return fd;
}

void TiffWriter::close_checked(FdGuard& fd) const {
  if (::close(fd.release()) != 0)
    throw_output(path_, std::string("cannot close the file: ") + std::strerror(errno));
}

// Uncompressed strips: the layout ImageJ reads (all pixel data contiguous, IFDs after it).
void TiffWriter::open_contiguous() {
  const auto& e = view_.extent;
  ContiguousTiffSpec spec;
  spec.width = static_cast<std::uint32_t>(e[3]);
  spec.height = static_cast<std::uint32_t>(e[2]);
  spec.pages = e[0] * e[1] * e[4];
  spec.bits = static_cast<std::uint16_t>(8 * dtype_size(dtype_));
  spec.sample_format = sample_format(dtype_);
  spec.rows_per_strip = rows_per_strip();
  spec.bigtiff = want_bigtiff();
  spec.description = description();
  spec.software = std::string("bioforest ") + version();
  spec.name = path_;
  fd_ = FdGuard(create_temp());
  contiguous_.emplace(fd_.get(), std::move(spec));
}

namespace {

// Where a block's pixels go in the image, along t z y x c (0 for absent axes).
std::array<std::size_t, 5> canonical_offset(const Axes& axes, const Shape& offset) {
  constexpr std::string_view kTzyxc = "tzyxc";
  std::array<std::size_t, 5> o{0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < axes.size(); ++i)
    o[kTzyxc.find(axes[i])] = offset[i];
  return o;
}

// Merges writes that continue each other both in memory and in the file into one pwrite: a
// block of whole planes in z y x order is one call however many pages it spans.
class WriteRun {
 public:
  explicit WriteRun(const ContiguousTiff& f) : f_(f) {}
  void add(std::uint64_t at, const std::byte* p, std::size_t n) {
    if (n_ && at == at_ + n_ && p == p_ + n_) {
      n_ += n;
      return;
    }
    flush();
    at_ = at;
    p_ = p;
    n_ = n;
  }
  void flush() {
    if (n_) f_.write_at(at_, p_, n_);
    n_ = 0;
  }

 private:
  const ContiguousTiff& f_;
  std::uint64_t at_ = 0;
  const std::byte* p_ = nullptr;
  std::size_t n_ = 0;
};

}  // namespace

void TiffWriter::store(const Image& block, const Shape& offset) {
  const Shape bs = block.shape();
  if (offset.size() != bs.size())
    throw_internal("TIFF writer: offset rank differs from the block's");
  for (std::size_t d = 0; d < bs.size(); ++d)
    if (offset[d] + bs[d] > shape_[d])
      throw_internal("TIFF writer: block at " + shape_str(offset) + " of shape " + shape_str(bs) +
                     " outside image " + shape_str(shape_));
  if (block.size() == 0) return;
  const ContiguousTiff& file = *contiguous_;
  const CanonicalView bv = canonical_view(axes_, bs);  // the block's own memory layout
  const auto o = canonical_offset(axes_, offset);
  const auto& e = view_.extent;
  const std::size_t es = dtype_size(dtype_), width = e[3];
  const std::size_t rows = bv.extent[2], cols = bv.extent[3];
  // Rows of a page are contiguous in the block when x is the fastest axis and y the next.
  const bool rows_contiguous = bv.stride[3] == 1 && bv.stride[2] == cols;
  const auto* base = static_cast<const std::byte*>(block.raw_data());
  if (!rows_contiguous) scratch_.resize(rows * cols * es);
  WriteRun run(file);
  for (std::size_t t = 0; t < bv.extent[0]; ++t)
    for (std::size_t z = 0; z < bv.extent[1]; ++z)
      for (std::size_t c = 0; c < bv.extent[4]; ++c) {
        // Pages run in ImageJ's XYCZT order: c fastest, then z, then t.
        const std::size_t page = ((o[0] + t) * e[1] + (o[1] + z)) * e[4] + (o[4] + c);
        const std::uint64_t first_row =
            file.page_offset(page) + (std::uint64_t(o[2]) * width + o[3]) * es;
        const std::byte* src = base + bv.offset(t, z, 0, 0, c) * es;
        if (!rows_contiguous) {
          // Channels interleaved (or y not next to x): gather the page's part first.
          block.visit([&](const auto& a) {
            using T = typename std::decay_t<decltype(a)>::value_type;
            gather(a.data(), bv, t, z, c, 0, rows, 0, cols, reinterpret_cast<T*>(scratch_.data()),
                   cols);
          });
          src = scratch_.data();
          run.flush();  // the scratch buffer is reused for the next page
        }
        if (cols == width) {
          run.add(first_row, src, rows * cols * es);
        } else {
          for (std::size_t y = 0; y < rows; ++y)
            run.add(first_row + std::uint64_t(y) * width * es, src + y * cols * es, cols * es);
        }
        if (!rows_contiguous) run.flush();
      }
  run.flush();
}

void TiffWriter::commit() {
  if (out_.committed()) return;
  if (contiguous_) {
    contiguous_->finish();
    contiguous_.reset();
    close_checked(fd_);
  } else {
    FdGuard fd(create_temp());
    write_with_libtiff(fd.get());
    close_checked(fd);
  }
  out_.commit();
}

}  // namespace

std::unique_ptr<ImageWriter> create_tiff(const std::string& path, const Shape& shape, DType dtype,
                                         const Axes& axes, const WriteOptions& options,
                                         const std::string& format) {
  for (std::size_t n : shape)
    if (n == 0) throw_usage("cannot write an empty image (shape " + shape_str(shape) + ")", path);
  const CanonicalView v = canonical_view(axes, shape);
  if (v.extent[2] > UINT32_MAX || v.extent[3] > UINT32_MAX)
    throw_usage("TIFF pages hold at most 2^32-1 rows and columns", path);
  return std::make_unique<TiffWriter>(path, shape, dtype, axes, options, format);
}

}  // namespace bioforest::io::detail
