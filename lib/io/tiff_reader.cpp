// SPDX-License-Identifier: BSD-3-Clause
// Reading TIFF: plain single/multi-page files, ImageJ hyperstacks and OME-TIFF, stripped or
// tiled, contiguous or planar samples, any compression libtiff decodes. A region read touches
// only the pages (IFDs) and the strips/tiles the region overlaps.

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "backends.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "tiff_handle.hpp"
#include "tiff_metadata.hpp"

namespace bioforest::io::detail {

namespace {

// What every plane of a stack must share with the first one.
struct PageFormat {
  std::uint32_t width = 0, height = 0;
  std::uint16_t samples = 1, bits = 0, sample_format = SAMPLEFORMAT_UINT;
  std::uint16_t compression = COMPRESSION_NONE, photometric = PHOTOMETRIC_MINISBLACK;
  bool operator==(const PageFormat& o) const {
    return width == o.width && height == o.height && samples == o.samples && bits == o.bits &&
           sample_format == o.sample_format;
  }
};

// How one page's pixels are cut into chunks (strips or tiles).
struct PageGeometry {
  bool tiled = false, planar = false;
  std::uint32_t chunk_w = 0, chunk_h = 0;  // tile size, or (width, rows per strip)
};

PageFormat read_page_format(TIFF* tif) {
  PageFormat f;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &f.width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &f.height);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &f.samples);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &f.bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &f.sample_format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &f.compression);
  if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &f.photometric))
    f.photometric = f.samples >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
  return f;
}

std::optional<DType> dtype_for(const PageFormat& f) {
  switch (f.sample_format) {
    case SAMPLEFORMAT_UINT:
    case SAMPLEFORMAT_VOID:
      if (f.bits == 8) return DType::uint8;
      if (f.bits == 16) return DType::uint16;
      if (f.bits == 32) return DType::uint32;
      break;
    case SAMPLEFORMAT_INT:
      if (f.bits == 8) return DType::int8;
      if (f.bits == 16) return DType::int16;
      if (f.bits == 32) return DType::int32;
      break;
    case SAMPLEFORMAT_IEEEFP:
      if (f.bits == 32) return DType::float32;
      if (f.bits == 64) return DType::float64;
      break;
    default:
      break;
  }
  return std::nullopt;
}

std::string sample_format_name(const PageFormat& f) {
  const char* kind = f.sample_format == SAMPLEFORMAT_INT      ? "signed integer"
                     : f.sample_format == SAMPLEFORMAT_IEEEFP ? "floating-point"
                     : f.sample_format == SAMPLEFORMAT_UINT   ? "unsigned integer"
                     : f.sample_format == SAMPLEFORMAT_VOID   ? "untyped"
                                                              : "complex";
  return std::to_string(f.bits) + "-bit " + kind;
}

std::string description_of(TIFF* tif) {
  char* d = nullptr;
  if (TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &d) && d) return d;
  return {};
}

bool is_reduced_resolution(TIFF* tif) {
  std::uint32_t subfile = 0;
  return TIFFGetField(tif, TIFFTAG_SUBFILETYPE, &subfile) && (subfile & FILETYPE_REDUCEDIMAGE);
}

// Every top-level IFD, found in one walk of the IFD chain, so that a page is reached by its
// offset (TIFFSetSubDirectory) instead of walking the chain again from the start.
struct PageIndex {
  std::vector<toff_t> offsets;
  std::vector<bool> like_first;  // full resolution and the same format as page 0
};

PageIndex walk_pages(TiffHandle& h, const PageFormat& first) {
  TIFF* tif = h.get();
  PageIndex p;
  do {
    p.offsets.push_back(TIFFCurrentDirOffset(tif));
    p.like_first.push_back(p.offsets.size() == 1 ||
                           (!is_reduced_resolution(tif) && read_page_format(tif) == first));
  } while (TIFFReadDirectory(tif));
  if (h.has_error())
    h.fail(ErrorCategory::input, "cannot read the list of pages (truncated or corrupt file?)");
  return p;
}

// Plain TIFF: every full-resolution page shaped like the first is a z slice. Thumbnails and
// pyramid levels stored as top-level IFDs are skipped.
StackLayout plain_layout(const TiffHandle& h, const PageIndex& pages) {
  StackLayout l;
  for (std::size_t i = 0; i < pages.offsets.size(); ++i) {
    if (pages.like_first[i])
      l.plane_ifd.push_back(i);
    else
      logger().debug("{}: page {} differs from the first page; skipped", h.name(), i);
  }
  l.z = l.plane_ifd.size();
  if (l.z > 1)
    logger().debug("{}: {} pages without ImageJ/OME metadata; reading them as z", h.name(), l.z);
  return l;
}

// Canonical t z y x c extents of the whole stack.
using Extents = std::array<std::size_t, 5>;
constexpr std::string_view kTzyxc = "tzyxc";

// The axes to report: the writer's recorded axes if they fit, else every non-singleton axis
// plus y and x.
Axes choose_axes(const Extents& e, const std::string& recorded) {
  if (!recorded.empty()) {
    try {
      const Axes a = Axes(recorded).canonical();
      bool fits = true;
      for (std::size_t i = 0; i < 5; ++i)
        if (!a.has(kTzyxc[i]) && e[i] != 1) fits = false;
      if (fits) return a;
    } catch (const Error&) {
    }
    logger().debug("ignoring recorded axes '{}': they do not fit the file", recorded);
  }
  std::string keys;
  for (std::size_t i = 0; i < 5; ++i)
    if (e[i] > 1 || kTzyxc[i] == 'y' || kTzyxc[i] == 'x') keys += kTzyxc[i];
  return Axes(keys);
}

// A window of one page to copy out: rows [y0, y1), columns [x0, x1), samples [s0, s1), into
// `dst` with the given byte strides (dst points at sample s0 of pixel (y0, x0)).
struct Window {
  std::size_t y0, y1, x0, x1, s0, s1;
  std::byte* dst;
  std::size_t row_stride, pixel_stride;
};

// A decoded strip or tile: its pixel box and layout in the decode buffer.
struct Chunk {
  std::size_t y0, y1, x0, x1;
  std::size_t width;         // pixels per buffer row (tile width, or image width for strips)
  std::size_t samples;       // samples per pixel in the buffer (1 for planar)
  std::size_t first_sample;  // which sample the buffer's first sample is
};

// Copies the part of `chunk` inside `w`; row runs go with one memcpy when the layouts agree.
void copy_chunk(const std::byte* src, const Chunk& c, const Window& w, std::size_t es) {
  const std::size_t ya = std::max(w.y0, c.y0), yb = std::min(w.y1, c.y1);
  const std::size_t xa = std::max(w.x0, c.x0), xb = std::min(w.x1, c.x1);
  const std::size_t sa = std::max(w.s0, c.first_sample);
  const std::size_t sb = std::min(w.s1, c.first_sample + c.samples);
  if (ya >= yb || xa >= xb || sa >= sb) return;
  const std::size_t pixel_bytes = (sb - sa) * es, src_pixel = c.samples * es;
  const bool whole_pixels = pixel_bytes == src_pixel && pixel_bytes == w.pixel_stride;
  for (std::size_t y = ya; y < yb; ++y) {
    const std::byte* s =
        src + (((y - c.y0) * c.width + (xa - c.x0)) * c.samples + (sa - c.first_sample)) * es;
    std::byte* d =
        w.dst + (y - w.y0) * w.row_stride + (xa - w.x0) * w.pixel_stride + (sa - w.s0) * es;
    if (whole_pixels) {
      std::memcpy(d, s, pixel_bytes * (xb - xa));
      continue;
    }
    for (std::size_t x = xa; x < xb; ++x, s += src_pixel, d += w.pixel_stride)
      std::memcpy(d, s, pixel_bytes);
  }
}

class TiffReader final : public ImageReader {
 public:
  TiffReader(std::string file, ImageInfo info, TiffHandle h, PageFormat format, StackLayout layout,
             Extents extents, PageIndex pages)
      : ImageReader(std::move(file), std::move(info)),
        tif_(std::move(h)),
        offsets_(std::move(pages.offsets)),
        format_(format),
        layout_(std::move(layout)),
        ext_(extents),
        native_axes_(info_.axes) {}

 protected:
  Image read_region(const Roi& roi) override;

 private:
  void select_page(std::size_t ifd);
  PageGeometry page_geometry() const;
  void read_window(const Window& w);
  void read_chunk(bool tiled, std::uint32_t index, std::size_t used_bytes);

  // Not thread-safe: libtiff keeps one current page per TIFF*; use one reader per thread.
  TiffHandle tif_;
  std::vector<toff_t> offsets_;                         // IFD offset of every page
  std::size_t current_ = static_cast<std::size_t>(-1);  // page libtiff has loaded
  PageFormat format_;
  StackLayout layout_;
  Extents ext_;
  Axes native_axes_;  // info_.axes may be relabelled by --input-axes; positions follow these
  std::vector<std::byte> chunk_;
};

void TiffReader::select_page(std::size_t ifd) {
  TIFF* tif = tif_.get();
  if (current_ != ifd || tif_.has_error()) {
    current_ = static_cast<std::size_t>(-1);
    if (!TIFFSetSubDirectory(tif, offsets_[ifd]) || tif_.has_error())
      tif_.fail(ErrorCategory::input, "cannot read page " + std::to_string(ifd));
    current_ = ifd;
  }
  const PageFormat f = read_page_format(tif);
  if (!(f == format_))
    throw_input(path_, "page " + std::to_string(ifd) + " (" + std::to_string(f.width) + "x" +
                           std::to_string(f.height) + ", " + sample_format_name(f) +
                           ") differs from the first page (" + std::to_string(format_.width) + "x" +
                           std::to_string(format_.height) + ", " + sample_format_name(format_) +
                           ")");
  // libtiff converts JPEG's YCbCr to RGB itself when asked; it must be asked per directory.
  if (f.compression == COMPRESSION_JPEG && f.photometric == PHOTOMETRIC_YCBCR)
    TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
}

PageGeometry TiffReader::page_geometry() const {
  TIFF* tif = tif_.get();
  PageGeometry g;
  std::uint16_t planar = PLANARCONFIG_CONTIG;
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
  g.planar = planar == PLANARCONFIG_SEPARATE && format_.samples > 1;
  g.tiled = TIFFIsTiled(tif);
  if (g.tiled) {
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &g.chunk_w);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &g.chunk_h);
  } else {
    std::uint32_t rows = format_.height;
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rows);
    g.chunk_w = format_.width;
    g.chunk_h = std::min(rows, format_.height);
  }
  if (g.chunk_w == 0 || g.chunk_h == 0) throw_input(path_, "zero tile or strip size");
  return g;
}

// Decodes one strip or tile into chunk_; `used_bytes` is how much of it the copy will read,
// so a short (truncated) chunk is an error instead of reading stale bytes.
void TiffReader::read_chunk(bool tiled, std::uint32_t index, std::size_t used_bytes) {
  TIFF* tif = tif_.get();
  const tmsize_t size = tiled ? TIFFTileSize(tif) : TIFFStripSize(tif);
  if (size <= 0) tif_.fail(ErrorCategory::input, "invalid strip or tile size");
  if (chunk_.size() < static_cast<std::size_t>(size)) chunk_.resize(size);
  const tmsize_t n = tiled ? TIFFReadEncodedTile(tif, index, chunk_.data(), size)
                           : TIFFReadEncodedStrip(tif, index, chunk_.data(), size);
  const char* what = tiled ? "tile " : "strip ";
  if (n < 0 || tif_.has_error())
    tif_.fail(ErrorCategory::input, std::string("cannot decode ") + what + std::to_string(index) +
                                        " of page " + std::to_string(TIFFCurrentDirectory(tif)));
  if (static_cast<std::size_t>(n) < used_bytes)
    throw_input(path_, std::string(what) + std::to_string(index) + " of page " +
                           std::to_string(TIFFCurrentDirectory(tif)) + " holds " +
                           std::to_string(n) + " bytes, expected " + std::to_string(used_bytes) +
                           " (truncated file?)");
}

void TiffReader::read_window(const Window& w) {
  const PageGeometry g = page_geometry();
  const std::size_t es = dtype_size(info_.dtype);
  const std::size_t spc = g.planar ? 1 : format_.samples;  // samples per pixel in a chunk
  const std::size_t s_first = g.planar ? w.s0 : 0, s_last = g.planar ? w.s1 : 1;
  for (std::size_t s = s_first; s < s_last; ++s) {
    const std::uint16_t sample = static_cast<std::uint16_t>(g.planar ? s : 0);
    for (std::size_t cy = w.y0 / g.chunk_h * g.chunk_h; cy < w.y1; cy += g.chunk_h) {
      const std::size_t cy1 = std::min<std::size_t>(cy + g.chunk_h, format_.height);
      for (std::size_t cx = w.x0 / g.chunk_w * g.chunk_w; cx < w.x1; cx += g.chunk_w) {
        const Chunk c{cy,
                      cy1,
                      cx,
                      std::min<std::size_t>(cx + g.chunk_w, format_.width),
                      g.chunk_w,
                      spc,
                      g.planar ? s : 0};
        const std::uint32_t index =
            g.tiled ? TIFFComputeTile(tif_.get(), cx, cy, 0, sample)
                    : TIFFComputeStrip(tif_.get(), static_cast<std::uint32_t>(cy), sample);
        const std::size_t used = (std::min(w.y1, cy1) - cy) * g.chunk_w * spc * es;
        read_chunk(g.tiled, index, used);
        copy_chunk(chunk_.data(), c, w, es);
      }
    }
  }
}

Image TiffReader::read_region(const Roi& roi) {
  // The region on all five canonical axes (absent axes have extent 1).
  std::array<std::size_t, 5> lo{}, hi{};
  for (std::size_t i = 0; i < 5; ++i) {
    hi[i] = 1;
    if (native_axes_.has(kTzyxc[i])) {
      const std::size_t k = native_axes_.index(kTzyxc[i]);
      lo[i] = roi.start[k];
      hi[i] = roi.stop[k];
    }
  }
  Image out(info_.dtype, roi.shape(), native_axes_);
  if (roi.empty()) return out;
  const std::size_t es = dtype_size(info_.dtype);
  const std::size_t ny = hi[2] - lo[2], nx = hi[3] - lo[3], nc = hi[4] - lo[4];
  const std::size_t spp = format_.samples, n_page_c = layout_.c;
  auto* base = static_cast<std::byte*>(out.raw_data());
  for (std::size_t t = lo[0]; t < hi[0]; ++t)
    for (std::size_t z = lo[1]; z < hi[1]; ++z) {
      std::byte* plane = base + ((t - lo[0]) * (hi[1] - lo[1]) + (z - lo[1])) * ny * nx * nc * es;
      // Channels are pages (ImageJ, OME) times samples within a page (RGB).
      for (std::size_t pc = lo[4] / spp; pc * spp < hi[4]; ++pc) {
        const std::size_t s0 = std::max(lo[4], pc * spp) - pc * spp;
        const std::size_t s1 = std::min(hi[4], (pc + 1) * spp) - pc * spp;
        select_page(layout_.plane_ifd[(t * layout_.z + z) * n_page_c + pc]);
        const Window w{
            lo[2],        hi[2],  lo[3], hi[3], s0, s1, plane + (pc * spp + s0 - lo[4]) * es,
            nx * nc * es, nc * es};
        read_window(w);
      }
    }
  return out;
}

void check_page_format(const TiffHandle& h, const PageFormat& f) {
  if (f.width == 0 || f.height == 0) throw_input(h.name(), "the first page has no pixels");
  if (!dtype_for(f))
    throw_input(h.name(), "unsupported sample format: " + sample_format_name(f) +
                              " (bioforest reads 8/16/32-bit integers and 32/64-bit floats)");
  if (!TIFFIsCODECConfigured(f.compression))
    throw_input(h.name(), "compressed with " + tiff_compression_name(f.compression) +
                              ", which this libtiff cannot decode");
  if (f.photometric == PHOTOMETRIC_YCBCR && f.compression != COMPRESSION_JPEG)
    throw_input(h.name(), "YCbCr TIFF without JPEG compression is not supported");
}

// Which metadata describes the stack, and the stack it describes.
StackLayout stack_layout(TiffHandle& h, const std::string& description, const PageFormat& first,
                         const PageIndex& pages, bool& from_metadata) {
  const std::size_t n_dirs = pages.offsets.size();
  from_metadata = true;
  StackLayout l;
  if (is_ome_description(description)) {
    l = parse_ome_xml(description, first.samples, h.name());
  } else if (is_imagej_description(description)) {
    l = parse_imagej_description(description);
  } else {
    from_metadata = false;
    return plain_layout(h, pages);
  }
  for (std::size_t ifd : l.plane_ifd)
    if (ifd >= n_dirs)
      throw_input(h.name(), "metadata refers to page " + std::to_string(ifd) +
                                " but the file has " + std::to_string(n_dirs) +
                                " pages (truncated, or ImageJ's one-IFD format for stacks above "
                                "4 GB, which is not supported)");
  return l;
}

Shape chunk_shape(const Axes& axes, const Extents& e, bool tiled, bool planar, std::uint32_t tile_w,
                  std::uint32_t tile_h, std::size_t samples) {
  if (!tiled) return {};
  Shape chunks;
  for (char k : axes.str()) {
    std::size_t n = 1;
    if (k == 'y') n = std::min<std::size_t>(tile_h, e[2]);
    if (k == 'x') n = std::min<std::size_t>(tile_w, e[3]);
    if (k == 'c' && !planar) n = samples;
    chunks.push_back(n);
  }
  return chunks;
}

}  // namespace

std::unique_ptr<ImageReader> open_tiff(const std::string& file) {
  TiffHandle h = TiffHandle::open_read(file);
  const PageFormat first = read_page_format(h.get());
  check_page_format(h, first);
  const std::string description = description_of(h.get());
  PageIndex pages = walk_pages(h, first);

  bool from_metadata = false;
  StackLayout layout = stack_layout(h, description, first, pages, from_metadata);
  if (layout.plane_ifd.empty()) throw_input(file, "metadata describes no planes");
  if (!TIFFSetSubDirectory(h.get(), pages.offsets[layout.plane_ifd[0]]) || h.has_error())
    h.fail(ErrorCategory::input, "cannot read the first page");

  const Extents e{layout.t, layout.z, first.height, first.width, layout.c * first.samples};
  ImageInfo info;
  info.axes = choose_axes(e, layout.axes);
  for (char k : info.axes.str())
    info.shape.push_back(e[kTzyxc.find(k)]);
  info.dtype = *dtype_for(first);
  info.axes_from_metadata = from_metadata;
  info.format = "tiff";
  info.compression = tiff_compression_name(first.compression);
  std::uint16_t planar = PLANARCONFIG_CONTIG;
  TIFFGetFieldDefaulted(h.get(), TIFFTAG_PLANARCONFIG, &planar);
  std::uint32_t tw = 0, th = 0;
  const bool tiled = TIFFIsTiled(h.get());
  if (tiled) {
    TIFFGetField(h.get(), TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(h.get(), TIFFTAG_TILELENGTH, &th);
  }
  info.chunks =
      chunk_shape(info.axes, e, tiled, planar == PLANARCONFIG_SEPARATE, tw, th, first.samples);
  if (first.photometric == PHOTOMETRIC_PALETTE)
    logger().debug("{}: palette TIFF; reading the palette indices", file);
  return std::make_unique<TiffReader>(file, std::move(info), std::move(h), first, std::move(layout),
                                      e, std::move(pages));
}

}  // namespace bioforest::io::detail
