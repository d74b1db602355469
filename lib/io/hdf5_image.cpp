// SPDX-License-Identifier: BSD-3-Clause
// The HDF5 image backend: a dataset is an image; axes come from ilastik's `axistags`
// attribute; outputs are chunked, gzip-compressed and carry axistags and provenance.

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "backends.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/text.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/io/axistags.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/provenance.hpp"
#include "hdf5_detail.hpp"
#include "hdf5_region.hpp"

namespace bioforest::io::detail {

namespace {

using h5::detail::check;
using h5::detail::checked;
using h5::detail::Handle;
using h5::detail::lock;

constexpr std::size_t kMaxRank = 5;
constexpr std::size_t kDefaultChunkBytes = 512 * 1024;
// Chunk cache for writers: partial chunks of unaligned blocks wait here until complete
// instead of being recompressed once per block.
constexpr std::size_t kWriterChunkCacheBytes = std::size_t(64) << 20;

// --- reading ------------------------------------------------------------------------------------

std::string choose_dataset(const h5::File& f, const std::string& requested) {
  if (!requested.empty()) {
    if (!f.is_dataset(requested)) (void)f.shape(requested);  // throws the listing error
    return requested[0] == '/' ? requested : "/" + requested;
  }
  const auto all = f.datasets();
  if (all.size() == 1) return all[0];
  if (all.empty()) throw_input(f.path(), "contains no datasets");
  std::string names;
  for (std::size_t i = 0; i < all.size() && i < 12; ++i)
    names += (i ? ", " : "") + all[i];
  if (all.size() > 12) names += ", ... (" + std::to_string(all.size()) + " in all)";
  throw_input(f.path(), "has several datasets: " + names + "; name one as " + f.path() + all[0]);
}

// Axes from an N5/Neuroglancer style `axes` attribute: a list of letters in F order.
std::optional<Axes> axes_from_n5_attribute(const h5::File& f, const std::string& ds) {
  if (!f.has_attribute(ds, "axes")) return std::nullopt;
  try {
    const std::string text = f.read_string_attribute(ds, "axes");
    std::string keys;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_array()) {
      for (const auto& k : j)
        keys += k.is_string() ? k.get<std::string>() : "?";
    } else {
      keys = text;
    }
    keys = to_lower(keys);
    std::reverse(keys.begin(), keys.end());
    return Axes(keys);
  } catch (const Error&) {
    return std::nullopt;  // not something we understand: fall back to guessing
  }
}

// axistags, then `axes`, then ilastik's guess. Metadata that does not fit the shape is
// ignored (axes_from_metadata = false), so --input-axes can still rescue the file.
void resolve_axes(const h5::File& f, const std::string& ds, ImageInfo& info) {
  std::optional<Axes> axes;
  if (f.has_attribute(ds, "axistags")) {
    try {
      axes = parse_axistags(f.read_string_attribute(ds, "axistags"));
    } catch (const Error&) {
    }
  }
  if (!axes) axes = axes_from_n5_attribute(f, ds);
  if (axes && axes->size() == info.shape.size()) {
    info.axes = *axes;
    info.axes_from_metadata = true;
  } else {
    info.axes = guess_axes(info.shape);
    info.axes_from_metadata = false;
  }
}

void fill_layout(const h5::File& f, const std::string& ds, ImageInfo& info) {
  auto l = lock();
  Handle d = checked(H5Dopen2(f.id(), ds.c_str(), H5P_DEFAULT), H5Dclose, ErrorCategory::input,
                     f.path(), ds, "cannot open dataset");
  Handle dcpl(H5Dget_create_plist(d.get()), H5Pclose);
  info.compression = h5::detail::compression_name(dcpl.get());
  if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
    std::vector<hsize_t> ch(info.shape.size());
    if (H5Pget_chunk(dcpl.get(), int(ch.size()), ch.data()) == int(ch.size()))
      info.chunks.assign(ch.begin(), ch.end());
  }
}

class Hdf5Reader final : public ImageReader {
 public:
  Hdf5Reader(std::string path, ImageInfo info, h5::File file)
      : ImageReader(std::move(path), std::move(info)), file_(std::move(file)) {}

 protected:
  Image read_region(const Roi& roi) override {
    return file_.read_image(info_.dataset, roi, info_.axes);
  }

 private:
  h5::File file_;
};

// --- writing ------------------------------------------------------------------------------------

struct Compression {
  int gzip_level = -1;  // < 0: none
};

Compression parse_compression(const std::string& text) {
  const std::string t = to_lower(text);
  if (t.empty() || t == "gzip" || t == "deflate") return {1};
  if (t == "none") return {-1};
  for (const std::string prefix : {"gzip:", "deflate:"}) {
    if (!t.starts_with(prefix)) continue;
    const std::string n = t.substr(prefix.size());
    if (n.size() == 1 && std::isdigit(static_cast<unsigned char>(n[0]))) return {n[0] - '0'};
  }
  throw_usage("unknown HDF5 compression '" + text + "' (expected gzip, gzip:0..9 or none)");
}

Shape chunk_shape(const Shape& shape, DType dtype, const Axes& axes, const WriteOptions& o) {
  if (!o.chunks.empty()) {
    if (o.chunks.size() != shape.size())
      throw_usage("--chunks has " + std::to_string(o.chunks.size()) +
                  " entries but the image has " + std::to_string(shape.size()) + " axes (" +
                  axes.str() + ")");
    Shape c(shape.size());
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (o.chunks[d] == 0) throw_usage("--chunks entries must be at least 1");
      c[d] = std::min(o.chunks[d], std::max<std::size_t>(shape[d], 1));
    }
    return c;
  }
  // t and c by 1 (one time point / channel per chunk), unless the image has nothing else.
  std::vector<bool> unit(shape.size());
  for (std::size_t d = 0; d < shape.size(); ++d)
    unit[d] = axes[d] == 't' || axes[d] == 'c';
  if (std::all_of(unit.begin(), unit.end(), [](bool u) { return u; }))
    unit.assign(unit.size(), false);
  return h5::detail::choose_chunks(shape, dtype_size(dtype), kDefaultChunkBytes, unit);
}

Handle dataset_creation_list(const Shape& shape, const Shape& chunks, Compression comp) {
  Handle dcpl = h5::detail::property_list(H5P_DATASET_CREATE);
  H5Pset_obj_track_times(dcpl.get(), false);  // no timestamps: same input, same bytes
  const bool empty = std::any_of(shape.begin(), shape.end(), [](auto v) { return v == 0; });
  if (shape.empty() || empty) return dcpl;  // HDF5 cannot chunk an empty or scalar dataset
  const std::vector<hsize_t> hc(chunks.begin(), chunks.end());
  H5Pset_chunk(dcpl.get(), int(hc.size()), hc.data());
  if (comp.gzip_level >= 0) H5Pset_deflate(dcpl.get(), unsigned(comp.gzip_level));
  return dcpl;
}

class Hdf5Writer final : public ImageWriter {
 public:
  Hdf5Writer(const std::string& file, std::string dataset, const Shape& shape, DType dtype,
             const Axes& axes, const WriteOptions& options)
      : ImageWriter(file, shape, dtype, axes),
        out_(file, options.overwrite),
        dataset_(dataset[0] == '/' ? std::move(dataset) : "/" + dataset),
        file_(h5::File::create(out_.temp_path())) {
    if (shape.size() > kMaxRank)
      throw_usage("HDF5 images have at most 5 axes (tzyxc); got " + axes.str(), file);
    const Compression comp = parse_compression(options.compression);
    create_dataset(chunk_shape(shape, dtype, axes, options), comp);
    write_attributes(options);
  }

  void write(const Image& block, const Shape& offset) override {
    if (block.dtype() != dtype_ || block.rank() != shape_.size())
      throw_internal("HDF5 writer: block is " + std::string(dtype_name(block.dtype())) + " " +
                     block.axes().str() + ", image is " + std::string(dtype_name(dtype_)) + " " +
                     axes_.str());
    const Shape bs = block.shape();
    Roi roi{offset, offset};
    for (std::size_t d = 0; d < bs.size(); ++d)
      roi.stop[d] += bs[d];
    if (offset.size() != bs.size() || !Roi::whole(shape_).contains(roi))
      throw_internal("HDF5 writer: block " + roi.str() + " outside image " + shape_str(shape_));
    auto l = lock();
    chunks_->write(roi, block.raw_data());
  }

  void commit() override {
    {
      auto l = lock();
      chunks_->flush();
      chunks_.reset();
      check(dset_.close(), ErrorCategory::output, path_, dataset_, "cannot finish dataset");
    }
    file_.close();
    out_.commit();
  }

 private:
  void create_dataset(const Shape& chunks, Compression comp) {
    auto l = lock();
    Handle dcpl = dataset_creation_list(shape_, chunks, comp);
    Handle dapl = h5::detail::property_list(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl.get(), 12421, kWriterChunkCacheBytes, 1.0);
    Handle lcpl = h5::detail::property_list(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    std::vector<hsize_t> dims(shape_.begin(), shape_.end());
    Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                              : H5Screate_simple(int(dims.size()), dims.data(), nullptr),
                 H5Sclose);
    dset_ = checked(H5Dcreate2(file_.id(), dataset_.c_str(), h5::detail::native_type(dtype_),
                               space.get(), lcpl.get(), dcpl.get(), dapl.get()),
                    H5Dclose, ErrorCategory::output, path_, dataset_, "cannot create dataset");
    chunks_ = std::make_unique<h5::detail::ChunkWriter>(dset_.get(), dtype_, path_, dataset_);
  }

  void write_attributes(const WriteOptions& options) {
    file_.write_string_attribute(dataset_, "axistags", axistags_json(axes_));
    if (options.drange)
      file_.write_numeric_attribute(dataset_, "drange",
                                    {options.drange->first, options.drange->second});
    for (const auto& [name, value] : options.attributes)
      file_.write_string_attribute(dataset_, name, value);
    const Provenance& p = process_provenance();
    const std::pair<const char*, const std::string*> prov[] = {
        {"bioforest_tool", &p.tool},
        {"bioforest_version", &p.version},
        {"bioforest_command_line", &p.command_line},
        {"bioforest_spec_sha256", &p.spec_sha256}};
    for (const auto& [name, value] : prov)
      if (!value->empty()) file_.write_string_attribute(dataset_, name, *value);
  }

  // Declaration order is destruction order reversed: the dataset closes before the file,
  // and the temporary file is removed (without commit) only after both are closed.
  AtomicOutput out_;
  std::string dataset_;
  h5::File file_;
  Handle dset_;
  std::unique_ptr<h5::detail::ChunkWriter> chunks_;  // partial chunks wait here until complete
};

}  // namespace

std::unique_ptr<ImageReader> open_hdf5(const std::string& file, const std::string& dataset) {
  h5::File f = h5::File::open_read(file);
  ImageInfo info;
  info.format = "hdf5";
  info.dataset = choose_dataset(f, dataset);
  info.shape = f.shape(info.dataset);
  info.dtype = f.dtype(info.dataset);
  if (info.shape.empty()) throw_input(file, "is a scalar, not an image", info.dataset);
  if (info.shape.size() > kMaxRank)
    throw_input(
        file,
        "has " + std::to_string(info.shape.size()) + " dimensions; images have at most 5 (tzyxc)",
        info.dataset);
  resolve_axes(f, info.dataset, info);
  fill_layout(f, info.dataset, info);
  return std::make_unique<Hdf5Reader>(file, std::move(info), std::move(f));
}

std::unique_ptr<ImageWriter> create_hdf5(const std::string& file, const std::string& dataset,
                                         const Shape& shape, DType dtype, const Axes& axes,
                                         const WriteOptions& options) {
  return with_context("writing " + file, [&]() -> std::unique_ptr<ImageWriter> {
    return std::make_unique<Hdf5Writer>(file, dataset.empty() ? "exported_data" : dataset, shape,
                                        dtype, axes, options);
  });
}

}  // namespace bioforest::io::detail
