// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/io/reader.hpp"

#include <filesystem>
#include <fstream>

#include "backends.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/io/image_path.hpp"

namespace fs = std::filesystem;

namespace bioforest::io {

Image ImageReader::read(const Roi& roi) {
  if (roi.rank() != info_.shape.size() || !Roi::whole(info_.shape).contains(roi))
    throw Error(ErrorCategory::usage,
                "region " + roi.str() + " is outside the image (shape " + shape_str(info_.shape) +
                    ", axes " + info_.axes.str() + ")",
                path_);
  Image img = with_context("reading " + path_, [&] { return read_region(roi); });
  img.set_axes(info_.axes);
  return img;
}

namespace {

// Recognises a file by its first bytes when its extension says nothing.
FileFormat sniff_format(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char b[8] = {};
  in.read(reinterpret_cast<char*>(b), 8);
  if (in.gcount() >= 4) {
    if ((b[0] == 'I' && b[1] == 'I') || (b[0] == 'M' && b[1] == 'M')) return FileFormat::tiff;
    if (b[0] == 0x89 && b[1] == 'H' && b[2] == 'D' && b[3] == 'F') return FileFormat::hdf5;
    if (b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return FileFormat::png;
    if (b[0] == 0xFF && b[1] == 0xD8) return FileFormat::jpeg;
    if (b[0] == 0x93 && b[1] == 'N' && b[2] == 'U' && b[3] == 'M') return FileFormat::npy;
  }
  return FileFormat::unknown;
}

std::unique_ptr<ImageReader> open_single(const ImagePath& p) {
  if (!fs::exists(p.file)) throw_input(p.file, "no such file");
  if (fs::is_directory(p.file)) throw_input(p.file, "is a folder, not an image file");
  FileFormat f = format_from_extension(p.file);
  if (f == FileFormat::unknown) f = sniff_format(p.file);
  if (!p.dataset.empty() && f != FileFormat::hdf5)
    throw_input(p.file, "an internal path (" + p.dataset + ") is only valid for HDF5 files");
  switch (f) {
    case FileFormat::tiff:
      return detail::open_tiff(p.file);
    case FileFormat::hdf5:
      return detail::open_hdf5(p.file, p.dataset);
    case FileFormat::png:
      return detail::open_png(p.file);
    case FileFormat::jpeg:
      return detail::open_jpeg(p.file);
    case FileFormat::npy:
      return detail::open_npy(p.file);
    case FileFormat::unknown:
      break;
  }
  throw_input(p.file, "unsupported file format (expected TIFF, HDF5, PNG, JPEG or .npy)");
}

// A glob of 2-D files stacked along z, t or c. Files are opened on demand per read.
class SequenceReader final : public ImageReader {
 public:
  SequenceReader(std::string pattern, std::vector<std::string> files, ImageInfo info,
                 std::size_t stack_axis)
      : ImageReader(std::move(pattern), std::move(info)),
        files_(std::move(files)),
        stack_axis_(stack_axis) {}

 protected:
  Image read_region(const Roi& roi) override {
    Image out(info_.dtype, roi.shape(), info_.axes);
    Roi sub = roi;  // the region inside one file, in the file's own axes
    sub.start.erase(sub.start.begin() + stack_axis_);
    sub.stop.erase(sub.stop.begin() + stack_axis_);
    for (std::size_t i = roi.start[stack_axis_]; i < roi.stop[stack_axis_]; ++i) {
      auto r = open_single(parse_image_path(files_[i]));
      const auto& fi = r->info();
      if (fi.shape != file_shape() || fi.dtype != info_.dtype)
        throw_input(files_[i],
                    "shape " + shape_str(fi.shape) + " " + std::string(dtype_name(fi.dtype)) +
                        " differs from the first file of the sequence (" + shape_str(file_shape()) +
                        " " + std::string(dtype_name(info_.dtype)) + ")");
      Image plane = r->read(sub);
      Shape s = plane.shape();
      s.insert(s.begin() + stack_axis_, 1);
      plane.visit([&](auto& a) { a.reshape(s); });
      plane.set_axes(info_.axes);
      Shape offset(roi.rank(), 0);
      offset[stack_axis_] = i - roi.start[stack_axis_];
      out.paste(plane, offset);
    }
    return out;
  }

 private:
  Shape file_shape() const {
    Shape s = info_.shape;
    s.erase(s.begin() + stack_axis_);
    return s;
  }
  std::vector<std::string> files_;
  std::size_t stack_axis_;
};

std::unique_ptr<ImageReader> open_sequence(const ImagePath& p, char stack_along) {
  if (stack_along != 'z' && stack_along != 't' && stack_along != 'c')
    throw_usage("--stack-along must be z, t or c, not '" + std::string(1, stack_along) + "'");
  auto files = expand_glob(p.file);
  auto first = open_single(parse_image_path(files[0]));
  ImageInfo info = first->info();
  if (info.axes.has(stack_along))
    throw_input(files[0], "files already have a '" + std::string(1, stack_along) + "' axis (axes " +
                              info.axes.str() + "); cannot stack along it");
  if (info.axes.has('z') || info.axes.has('t'))
    throw_input(files[0],
                "a sequence must be made of 2-D files (this one has axes " + info.axes.str() + ")");
  // Insert the stack axis in canonical position: z/t before yx, c last.
  std::string keys = info.axes.str();
  std::size_t pos = stack_along == 'c' ? keys.size() : 0;
  keys.insert(keys.begin() + pos, stack_along);
  info.shape.insert(info.shape.begin() + pos, files.size());
  if (!info.chunks.empty()) info.chunks.insert(info.chunks.begin() + pos, 1);
  info.axes = Axes(keys);
  info.format = "sequence of " + info.format;
  return std::make_unique<SequenceReader>(p.file, std::move(files), std::move(info), pos);
}

}  // namespace

std::unique_ptr<ImageReader> open_image(const std::string& path, const ReadOptions& options) {
  const ImagePath p = parse_image_path(path);
  auto reader =
      p.is_glob && !fs::exists(p.file) ? open_sequence(p, options.stack_along) : open_single(p);
  if (options.axes) {
    check_axes_fit(*options.axes, reader->info_.shape, path);
    reader->info_.axes = *options.axes;
    reader->info_.axes_from_metadata = true;
  }
  return reader;
}

Image read_image(const std::string& path, const ReadOptions& options) {
  return open_image(path, options)->read();
}

}  // namespace bioforest::io
