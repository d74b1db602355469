// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/io/writer.hpp"

#include <cstdio>
#include <filesystem>

#include "backends.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/text.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/io/image_path.hpp"

namespace fs = std::filesystem;

namespace bioforest::io {

namespace {

bool is_ome_name(const std::string& path) {
  const std::string l = to_lower(fs::path(path).filename().string());
  return l.find(".ome.tif") != std::string::npos;
}

// "a/b.tif" + 7 -> "a/b_0007.tif", or the {slice_index} placeholder filled in.
std::string slice_file_name(const std::string& pattern, std::size_t index) {
  char num[32];
  std::snprintf(num, sizeof num, "%04zu", index);
  const auto pos = pattern.find("{slice_index}");
  if (pos != std::string::npos)
    return pattern.substr(0, pos) + num + pattern.substr(pos + std::string("{slice_index}").size());
  const fs::path p(pattern);
  return (p.parent_path() / (p.stem().string() + "_" + num + p.extension().string())).string();
}

// "tiff sequence" / "png sequence": one 2-D (yx or yxc) file per index of the leading
// non-spatial-plane axes (t, z). Buffers the image and writes the files at commit.
class SequenceWriter final : public ImageWriter {
 public:
  SequenceWriter(std::string path, Shape shape, DType dtype, Axes axes, WriteOptions options,
                 std::string plane_format)
      : ImageWriter(std::move(path), shape, dtype, axes),
        options_(std::move(options)),
        plane_format_(std::move(plane_format)),
        buffer_(dtype, shape, axes) {
    for (std::size_t i = 0; i < n_planes(); ++i)
      check_output_path(slice_file_name(path_, i), options_.overwrite);
  }

  void write(const Image& block, const Shape& offset) override { buffer_.paste(block, offset); }

  void commit() override {
    // Stacked axes are the leading ones that are not y, x, c.
    const std::size_t lead = leading_axes();
    Shape plane_shape(shape_.begin() + lead, shape_.end());
    const Axes plane_axes(axes_.str().substr(lead));
    std::vector<std::unique_ptr<ImageWriter>> writers;
    const std::size_t n = n_planes();
    for (std::size_t i = 0; i < n; ++i) {
      Roi roi = Roi::whole(shape_);
      std::size_t rem = i;
      for (std::size_t d = lead; d-- > 0;) {
        roi.start[d] = rem % shape_[d];
        roi.stop[d] = roi.start[d] + 1;
        rem /= shape_[d];
      }
      Image plane = buffer_.crop(roi);
      plane.visit([&](auto& a) { a.reshape(plane_shape); });
      plane.set_axes(plane_axes);
      WriteOptions o = options_;
      o.format = plane_format_;
      auto w = create_image(slice_file_name(path_, i), plane_shape, dtype_, plane_axes, o);
      w->write(plane, Shape(plane_shape.size(), 0));
      writers.push_back(std::move(w));
    }
    // Rename only once every plane was written, so a failure leaves no partial sequence.
    for (auto& w : writers)
      w->commit();
  }

 private:
  std::size_t leading_axes() const {
    std::size_t lead = 0;
    while (lead < axes_.size() && (axes_[lead] == 't' || axes_[lead] == 'z'))
      ++lead;
    return lead;
  }
  std::size_t n_planes() const {
    std::size_t n = 1;
    for (std::size_t d = 0; d < leading_axes(); ++d)
      n *= shape_[d];
    return n;
  }
  WriteOptions options_;
  std::string plane_format_;
  Image buffer_;
};

}  // namespace

std::string resolve_output_format(const std::string& path, const WriteOptions& options) {
  const std::string f = to_lower(options.format);
  if (f.empty()) {
    switch (format_from_extension(parse_image_path(path).file)) {
      case FileFormat::tiff:
        return is_ome_name(path) ? "ome-tiff" : "tiff";
      case FileFormat::hdf5:
        return "hdf5";
      case FileFormat::png:
        return "png";
      case FileFormat::npy:
        throw_usage(".npy is read only; write .h5, .tif or .png", path);
      case FileFormat::jpeg:
        throw_usage("JPEG is lossy and not offered for outputs; use .tif, .h5 or .png", path);
      case FileFormat::unknown:
        break;
    }
    throw_usage(
        "cannot tell the output format from the extension (use .h5, .tif or .png, or "
        "--output-format)",
        path);
  }
  if (f == "hdf5" || f == "h5" || f == "compressed hdf5") return "hdf5";
  if (f == "tiff" || f == "tif" || f == "multipage tiff") return "tiff";
  if (f == "ome-tiff" || f == "ome tiff") return "ome-tiff";
  if (f == "tiff sequence" || f == "tif sequence" || f == "multipage tiff sequence")
    return "tiff sequence";
  if (f == "png") return "png";
  if (f == "png sequence") return "png sequence";
  throw_usage("unknown output format '" + options.format +
              "' (expected hdf5, tiff, multipage tiff, tiff sequence, ome-tiff, png or png "
              "sequence)");
}

std::unique_ptr<ImageWriter> create_image(const std::string& path, const Shape& shape, DType dtype,
                                          const Axes& axes, const WriteOptions& options) {
  check_axes_fit(axes, shape, path);
  const std::string format = resolve_output_format(path, options);
  if (format == "tiff sequence" || format == "png sequence")
    return std::make_unique<SequenceWriter>(path, shape, dtype, axes, options,
                                            format == "png sequence" ? "png" : "tiff");
  const ImagePath p = parse_image_path(path);
  check_output_path(p.file, options.overwrite);
  if (format == "hdf5")
    return detail::create_hdf5(p.file, p.dataset.empty() ? options.dataset : p.dataset, shape,
                               dtype, axes, options);
  if (format == "png") return detail::create_png(path, shape, dtype, axes, options);
  return detail::create_tiff(path, shape, dtype, axes, options, format);
}

void write_image(const std::string& path, const Image& image, const WriteOptions& options) {
  auto w = create_image(path, image.shape(), image.dtype(), image.axes(), options);
  w->write(image, Shape(image.rank(), 0));
  w->commit();
}

}  // namespace bioforest::io
