// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/io/hdf5.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "bioforest/core/error.hpp"
#include "hdf5_detail.hpp"
#include "hdf5_region.hpp"

namespace fs = std::filesystem;

namespace bioforest::h5 {

using namespace detail;

namespace {

constexpr auto kIn = ErrorCategory::input;
constexpr auto kOut = ErrorCategory::output;
constexpr std::size_t kListedDatasets = 12;  // missing-dataset errors list at most this many

std::size_t product(const Shape& s) {
  std::size_t n = 1;
  for (auto v : s)
    n *= v;
  return n;
}

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i)
    out += (i ? sep : "") + v[i];
  return out;
}

std::string absolute(const std::string& object) {
  return !object.empty() && object[0] == '/' ? object : "/" + object;
}

// A link-creation list that makes missing parent groups ("/a/b/data" creates /a and /a/b).
Handle parents_lcpl() {
  Handle lcpl = property_list(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  return lcpl;
}

H5I_type_t object_type(hid_t file, const std::string& path) {
  const hid_t obj = H5Oopen(file, path.c_str(), H5P_DEFAULT);
  if (obj < 0) {
    H5Eclear2(H5E_DEFAULT);
    return H5I_BADID;
  }
  const H5I_type_t t = H5Iget_type(obj);
  H5Oclose(obj);
  return t;
}

Shape space_shape(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(std::max(rank, 0));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return Shape(dims.begin(), dims.end());
}

// Reading or writing text converts types, through a buffer HDF5 allocates zeroed for each
// call: 1 MiB by default, for strings of a few hundred bytes (a model file holds ~10 of
// them; perf: memset and its page faults were ~10 % of `pxclassify info`, and ~5 % of
// writing a small model). A small buffer converts in as many passes as it needs.
constexpr std::size_t kTextConversionBuffer = 64 * 1024;

Handle text_transfer_list() {
  Handle xfer(H5Pcreate(H5P_DATASET_XFER), H5Pclose);
  H5Pset_buffer(xfer.get(), kTextConversionBuffer, nullptr, nullptr);
  return xfer;
}

// A dataset or an attribute: both hold typed values read whole with one call.
struct Source {
  hid_t id;
  bool attribute;
  Handle type() const { return Handle(attribute ? H5Aget_type(id) : H5Dget_type(id), H5Tclose); }
  Handle space() const { return Handle(attribute ? H5Aget_space(id) : H5Dget_space(id), H5Sclose); }
  herr_t read(hid_t mem_type, void* buf) const {
    if (attribute) return H5Aread(id, mem_type, buf);
    return H5Dread(id, mem_type, H5S_ALL, H5S_ALL, text_transfer_list().get(), buf);
  }
};

std::vector<std::string> read_variable_strings(const Source& src, hid_t file_type, std::size_t n,
                                               const std::string& file, const std::string& object) {
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), H5T_VARIABLE);
  H5Tset_cset(mem.get(), H5Tget_cset(file_type));
  std::vector<char*> ptrs(n, nullptr);
  check(src.read(mem.get(), ptrs.data()), kIn, file, object, "cannot read strings");
  std::vector<std::string> out;
  for (char* p : ptrs)
    out.emplace_back(p ? p : "");
  Handle space = src.space();
  H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
  return out;
}

std::vector<std::string> read_fixed_strings(const Source& src, hid_t file_type, std::size_t n,
                                            const std::string& file, const std::string& object) {
  const std::size_t size = H5Tget_size(file_type);
  Handle mem(H5Tcopy(file_type), H5Tclose);
  std::vector<char> buf(n * size + 1, '\0');
  check(src.read(mem.get(), buf.data()), kIn, file, object, "cannot read strings");
  const bool space_padded = H5Tget_strpad(file_type) == H5T_STR_SPACEPAD;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string s(buf.data() + i * size, size);
    s.resize(std::strlen(s.c_str()));  // NUL-terminated or NUL-padded
    if (space_padded) s.erase(s.find_last_not_of(' ') + 1);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> read_strings_from(const Source& src, const std::string& file,
                                           const std::string& object) {
  Handle type = src.type();
  if (H5Tget_class(type.get()) != H5T_STRING)
    throw_input(file, "holds " + describe_type(type.get()) + ", not text", object);
  Handle space = src.space();
  const auto n = std::size_t(std::max<hssize_t>(H5Sget_simple_extent_npoints(space.get()), 0));
  if (H5Tis_variable_str(type.get()) > 0)
    return read_variable_strings(src, type.get(), n, file, object);
  return read_fixed_strings(src, type.get(), n, file, object);
}

// Variable-length UTF-8, what h5py writes for `str`.
Handle utf8_string_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

// A simple dataspace of `shape`, or scalar when the shape is empty.
Handle dataspace(const Shape& shape) {
  if (shape.empty()) return Handle(H5Screate(H5S_SCALAR), H5Sclose);
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  return Handle(H5Screate_simple(int(dims.size()), dims.data(), nullptr), H5Sclose);
}

std::string whole_string(const std::vector<std::string>& v, const std::string& file,
                         const std::string& object) {
  if (v.size() != 1)
    throw_input(file, "expected one string, found " + std::to_string(v.size()), object);
  return v[0];
}

template <class T, class Int>
void convert_ints(const unsigned char* raw, std::size_t n, std::vector<T>& out) {
  for (std::size_t i = 0; i < n; ++i) {
    Int v;
    std::memcpy(&v, raw + i * sizeof(Int), sizeof(Int));
    out[i] = static_cast<T>(v);
  }
}

// HDF5 will not convert an enum (h5py's bool) to an integer type: read it as its native
// enum and reinterpret the stored integers.
template <class T>
void read_enum(hid_t dset, hid_t file_type, std::vector<T>& out, const std::string& file,
               const std::string& object) {
  Handle mem(H5Tget_native_type(file_type, H5T_DIR_ASCEND), H5Tclose);
  const std::size_t size = H5Tget_size(mem.get());
  Handle base(H5Tget_super(file_type), H5Tclose);
  const bool is_signed = H5Tget_sign(base.get()) == H5T_SGN_2;
  std::vector<unsigned char> raw(out.size() * size);
  check(H5Dread(dset, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), kIn, file, object,
        "cannot read enum values");
  const std::size_t n = out.size();
  switch (size) {
    case 1:
      is_signed ? convert_ints<T, std::int8_t>(raw.data(), n, out)
                : convert_ints<T, std::uint8_t>(raw.data(), n, out);
      break;
    case 2:
      is_signed ? convert_ints<T, std::int16_t>(raw.data(), n, out)
                : convert_ints<T, std::uint16_t>(raw.data(), n, out);
      break;
    case 4:
      is_signed ? convert_ints<T, std::int32_t>(raw.data(), n, out)
                : convert_ints<T, std::uint32_t>(raw.data(), n, out);
      break;
    case 8:
      is_signed ? convert_ints<T, std::int64_t>(raw.data(), n, out)
                : convert_ints<T, std::uint64_t>(raw.data(), n, out);
      break;
    default:
      throw_input(file, "enum of unsupported size " + std::to_string(size), object);
  }
}

// Image image from uninitialised memory: every element is about to be read from the file.
Image uninitialised_image(DType dtype, const Shape& shape, const Axes& axes) {
  return visit_dtype(dtype, [&](auto v) {
    using T = decltype(v);
    auto a = Array<T>::from_shape(shape);
    return Image(std::move(a), axes);
  });
}

}  // namespace

// --- opening and closing ------------------------------------------------------------------------

File File::open_read(const std::string& path) {
  silence_errors();
  auto l = lock();
  if (!fs::exists(path)) throw_input(path, "no such file");
  if (fs::is_directory(path)) throw_input(path, "is a folder, not an HDF5 file");
  Handle fapl = property_list(H5P_FILE_ACCESS);
  // No locks for reading: NFS/Lustre without flock, and projects another process (ilastik's
  // GUI) holds open for writing, must still be readable.
  H5Pset_file_locking(fapl.get(), false, true);
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (id < 0) {
    const std::string why = last_error();
    if (H5Fis_hdf5(path.c_str()) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      throw_input(path, "not an HDF5 file (or truncated)");
    }
    throw_input(path, "cannot open HDF5 file" + (why.empty() ? "" : ": " + why));
  }
  return File(id, path);
}

File File::open_write(const std::string& path) {
  silence_errors();
  auto l = lock();
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (id < 0) fail(kOut, path, {}, "cannot open HDF5 file for writing");
  return File(id, path);
}

File File::create(const std::string& path) {
  silence_errors();
  auto l = lock();
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail(kOut, path, {}, "cannot create HDF5 file");
  return File(id, path);
}

File::File(File&& o) noexcept : id_(o.id_), path_(std::move(o.path_)) {
  o.id_ = -1;
}

File& File::operator=(File&& o) noexcept {
  if (this != &o) {
    try {
      close();
    } catch (...) {  // a move-assignment cannot report; close() explicitly to see errors
    }
    id_ = o.id_;
    path_ = std::move(o.path_);
    o.id_ = -1;
  }
  return *this;
}

File::~File() {
  try {
    close();
  } catch (...) {  // destructors must not throw; callers who care call close()
  }
}

void File::close() {
  if (id_ < 0) return;
  auto l = lock();
  const hid_t id = id_;
  id_ = -1;
  unsigned intent = 0;
  H5Fget_intent(id, &intent);
  // Flush first: metadata reaches the disk here, and a full disk must be reported.
  if ((intent & H5F_ACC_RDWR) && H5Fflush(id, H5F_SCOPE_LOCAL) < 0) {
    const std::string why = last_error();
    H5Fclose(id);
    H5Eclear2(H5E_DEFAULT);
    throw_output(path_, "cannot write HDF5 file (disk full?)" + (why.empty() ? "" : ": " + why));
  }
  if (H5Fclose(id) < 0) fail(kOut, path_, {}, "cannot close HDF5 file (disk full?)");
}

// --- structure ----------------------------------------------------------------------------------

namespace {
// Error{input} "no dataset X", listing what the file has when that is short enough to read.
[[noreturn]] void throw_missing(const File& f, const std::string& object, const char* what) {
  std::vector<std::string> ds;
  try {
    ds = f.datasets();
  } catch (const Error&) {
  }
  std::string reason = std::string("no ") + what + " " + absolute(object);
  if (ds.empty())
    reason += "; the file has no datasets";
  else if (ds.size() <= kListedDatasets)
    reason += "; the file has " + join(ds);
  else
    reason += " (the file has " + std::to_string(ds.size()) + " datasets)";
  throw_input(f.path(), reason, absolute(object));
}

Handle open_dataset(const File& f, const std::string& name, hid_t dapl = H5P_DEFAULT) {
  if (!f.is_dataset(name)) {
    if (f.is_group(name))
      throw_input(f.path(),
                  absolute(name) + " is a group, not a dataset; it holds " + join(f.list(name)),
                  absolute(name));
    throw_missing(f, name, "dataset");
  }
  return checked(H5Dopen2(f.id(), name.c_str(), dapl), H5Dclose, kIn, f.path(), absolute(name),
                 "cannot open dataset");
}

Handle open_attribute(const File& f, const std::string& object, const std::string& name) {
  if (!f.exists(object)) throw_missing(f, object, "object");
  const hid_t id = H5Aopen_by_name(f.id(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) {
    H5Eclear2(H5E_DEFAULT);
    throw_input(f.path(), "no attribute '" + name + "'", absolute(object));
  }
  return Handle(id, H5Aclose);
}

// Removes `name` if it exists so that writers replace rather than fail.
void unlink_if_exists(const File& f, const std::string& name) {
  if (!f.exists(name)) return;
  check(H5Ldelete(f.id(), name.c_str(), H5P_DEFAULT), kOut, f.path(), absolute(name),
        "cannot replace existing object");
}
}  // namespace

bool File::exists(const std::string& path) const {
  auto l = lock();
  if (path.empty() || path == "/") return true;
  // H5Lexists fails (rather than answering false) when a parent is missing: walk down.
  std::string prefix;
  std::size_t pos = path[0] == '/' ? 1 : 0;
  while (pos <= path.size()) {
    const std::size_t next = std::min(path.find('/', pos), path.size());
    prefix = path.substr(0, next);
    if (next > pos && H5Lexists(id_, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    pos = next + 1;
  }
  const htri_t r = H5Oexists_by_name(id_, path.c_str(), H5P_DEFAULT);
  H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

bool File::is_dataset(const std::string& path) const {
  auto l = lock();
  return exists(path) && object_type(id_, path) == H5I_DATASET;
}

bool File::is_group(const std::string& path) const {
  auto l = lock();
  return exists(path) && object_type(id_, path) == H5I_GROUP;
}

std::vector<std::string> File::list(const std::string& group) const {
  auto l = lock();
  if (!is_group(group)) throw_missing(*this, group, "group");
  Handle g = checked(H5Gopen2(id_, group.c_str(), H5P_DEFAULT), H5Gclose, kIn, path_, group,
                     "cannot open group");
  H5G_info_t info;
  check(H5Gget_info(g.get(), &info), kIn, path_, group, "cannot list group");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len =
        H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) fail(kIn, path_, group, "cannot list group");
    std::string name(std::size_t(len) + 1, '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(std::size_t(len));
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> File::datasets(const std::string& group) const {
  auto l = lock();
  std::vector<std::string> out;
  // Recursion over list(); the depth bound guards against cycles made of hard links.
  auto walk = [&](auto& self, const std::string& g, int depth) -> void {
    if (depth > 32) return;
    const std::string base = g == "/" ? "" : g;
    for (const auto& name : list(g)) {
      const std::string p = base + "/" + name;
      const H5I_type_t t = object_type(id_, p);
      if (t == H5I_DATASET)
        out.push_back(p);
      else if (t == H5I_GROUP)
        self(self, p, depth + 1);
    }
  };
  walk(walk, absolute(group), 0);
  std::sort(out.begin(), out.end());
  return out;
}

void File::create_group(const std::string& path) {
  auto l = lock();
  if (is_group(path)) return;
  Handle lcpl = parents_lcpl();
  checked(H5Gcreate2(id_, path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose, kOut,
          path_, absolute(path), "cannot create group");
}

Shape File::shape(const std::string& dataset) const {
  auto l = lock();
  Handle d = open_dataset(*this, dataset);
  Handle space(H5Dget_space(d.get()), H5Sclose);
  return space_shape(space.get());
}

DType File::dtype(const std::string& dataset) const {
  auto l = lock();
  Handle d = open_dataset(*this, dataset);
  Handle type(H5Dget_type(d.get()), H5Tclose);
  if (auto t = dtype_of_type(type.get())) return *t;
  throw_input(path_,
              "unsupported HDF5 type " + describe_type(type.get()) +
                  " (images must be uint8/16/32, int8/16/32, float32 or float64)",
              absolute(dataset));
}

// --- numeric datasets ---------------------------------------------------------------------------

template <class T>
std::vector<T> File::read(const std::string& dataset, Shape* shape) const {
  auto l = lock();
  Handle d = open_dataset(*this, dataset);
  Handle type(H5Dget_type(d.get()), H5Tclose);
  Handle space(H5Dget_space(d.get()), H5Sclose);
  const Shape sh = space_shape(space.get());
  if (shape) *shape = sh;
  std::vector<T> out(product(sh));
  if (out.empty()) return out;
  switch (H5Tget_class(type.get())) {
    case H5T_INTEGER:
    case H5T_FLOAT:
      check(H5Dread(d.get(), native_type_of<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), kIn,
            path_, absolute(dataset), "cannot read dataset");
      return out;
    case H5T_ENUM:
      read_enum(d.get(), type.get(), out, path_, absolute(dataset));
      return out;
    default:
      throw_input(path_, "holds " + describe_type(type.get()) + ", not numbers", absolute(dataset));
  }
}

Image File::read_image(const std::string& dataset, const Roi& roi, const Axes& axes) const {
  auto l = lock();
  const std::string name = absolute(dataset);
  Handle d = open_dataset(*this, dataset);
  const DType dt = this->dtype(dataset);
  Handle space(H5Dget_space(d.get()), H5Sclose);
  const Shape sh = space_shape(space.get());
  if (roi.rank() != sh.size() || !Roi::whole(sh).contains(roi))
    throw Error(ErrorCategory::usage,
                "region " + roi.str() + " is outside the dataset (shape " + shape_str(sh) + ")",
                path_, name);
  const Where where{path_, name};
  check_filters_available(d.get(), where);
  Image img = uninitialised_image(dt, roi.shape(), axes);
  read_region(d.get(), dt, roi, img.raw_data(), where);
  return img;
}

template <class T>
void File::write(const std::string& dataset, const std::vector<T>& data, const Shape& shape,
                 int gzip_level) {
  auto l = lock();
  const Shape sh = shape.empty() ? Shape{data.size()} : shape;
  if (product(sh) != data.size())
    throw_internal("h5::File::write: " + std::to_string(data.size()) +
                   " values do not fill shape " + shape_str(sh));
  unlink_if_exists(*this, dataset);
  Handle dcpl = property_list(H5P_DATASET_CREATE);
  H5Pset_obj_track_times(dcpl.get(), false);  // no timestamps: same input, same bytes
  if (gzip_level >= 0 && !data.empty()) {
    const Shape chunk = choose_chunks(sh, sizeof(T), std::size_t(1) << 20);
    const std::vector<hsize_t> hc(chunk.begin(), chunk.end());
    H5Pset_chunk(dcpl.get(), int(hc.size()), hc.data());
    H5Pset_deflate(dcpl.get(), unsigned(std::min(gzip_level, 9)));
  }
  Handle space = dataspace(sh);
  Handle lcpl = parents_lcpl();
  Handle d = checked(H5Dcreate2(id_, dataset.c_str(), native_type_of<T>(), space.get(), lcpl.get(),
                                dcpl.get(), H5P_DEFAULT),
                     H5Dclose, kOut, path_, absolute(dataset), "cannot create dataset");
  if (!data.empty())
    check(H5Dwrite(d.get(), native_type_of<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), kOut,
          path_, absolute(dataset), "cannot write dataset");
  check(d.close(), kOut, path_, absolute(dataset), "cannot write dataset");
}

#define BIOFOREST_H5_INSTANTIATE(T)                                        \
  template std::vector<T> File::read<T>(const std::string&, Shape*) const; \
  template void File::write<T>(const std::string&, const std::vector<T>&, const Shape&, int);
BIOFOREST_H5_INSTANTIATE(std::uint8_t)
BIOFOREST_H5_INSTANTIATE(std::uint16_t)
BIOFOREST_H5_INSTANTIATE(std::uint32_t)
BIOFOREST_H5_INSTANTIATE(std::int8_t)
BIOFOREST_H5_INSTANTIATE(std::int16_t)
BIOFOREST_H5_INSTANTIATE(std::int32_t)
BIOFOREST_H5_INSTANTIATE(float)
BIOFOREST_H5_INSTANTIATE(double)
BIOFOREST_H5_INSTANTIATE(std::int64_t)
BIOFOREST_H5_INSTANTIATE(std::uint64_t)
#undef BIOFOREST_H5_INSTANTIATE

// --- strings ------------------------------------------------------------------------------------

std::string File::read_string(const std::string& dataset) const {
  return whole_string(read_strings(dataset), path_, absolute(dataset));
}

std::vector<std::string> File::read_strings(const std::string& dataset) const {
  auto l = lock();
  Handle d = open_dataset(*this, dataset);
  return read_strings_from(Source{d.get(), false}, path_, absolute(dataset));
}

void File::write_string(const std::string& dataset, const std::string& value) {
  auto l = lock();
  unlink_if_exists(*this, dataset);
  Handle type = utf8_string_type();
  Handle space = dataspace({});
  Handle lcpl = parents_lcpl();
  Handle d = checked(H5Dcreate2(id_, dataset.c_str(), type.get(), space.get(), lcpl.get(),
                                H5P_DEFAULT, H5P_DEFAULT),
                     H5Dclose, kOut, path_, absolute(dataset), "cannot create dataset");
  const char* p = value.c_str();
  check(H5Dwrite(d.get(), type.get(), H5S_ALL, H5S_ALL, text_transfer_list().get(), &p), kOut,
        path_, absolute(dataset), "cannot write string");
}

void File::write_strings(const std::string& dataset, const std::vector<std::string>& values) {
  auto l = lock();
  unlink_if_exists(*this, dataset);
  Handle type = utf8_string_type();
  Handle space = dataspace({values.size()});
  Handle lcpl = parents_lcpl();
  Handle d = checked(H5Dcreate2(id_, dataset.c_str(), type.get(), space.get(), lcpl.get(),
                                H5P_DEFAULT, H5P_DEFAULT),
                     H5Dclose, kOut, path_, absolute(dataset), "cannot create dataset");
  std::vector<const char*> ptrs;
  for (const auto& v : values)
    ptrs.push_back(v.c_str());
  if (!ptrs.empty())
    check(H5Dwrite(d.get(), type.get(), H5S_ALL, H5S_ALL, text_transfer_list().get(), ptrs.data()),
          kOut, path_, absolute(dataset), "cannot write strings");
}

// --- attributes ---------------------------------------------------------------------------------

bool File::has_attribute(const std::string& object, const std::string& name) const {
  auto l = lock();
  if (!exists(object)) throw_missing(*this, object, "object");
  const htri_t r = H5Aexists_by_name(id_, object.c_str(), name.c_str(), H5P_DEFAULT);
  if (r < 0) fail(kIn, path_, absolute(object), "cannot look up attribute '" + name + "'");
  return r > 0;
}

std::string File::read_string_attribute(const std::string& object, const std::string& name) const {
  auto l = lock();
  Handle a = open_attribute(*this, object, name);
  const std::string where = absolute(object) + " attribute " + name;
  return whole_string(read_strings_from(Source{a.get(), true}, path_, where), path_, where);
}

namespace {
// Creates (replacing) attribute `name` on `object` with `type` and `space`.
Handle create_attribute(File& f, const std::string& object, const std::string& name, hid_t type,
                        hid_t space) {
  if (!f.exists(object)) throw_missing(f, object, "object");
  if (H5Aexists_by_name(f.id(), object.c_str(), name.c_str(), H5P_DEFAULT) > 0)
    check(H5Adelete_by_name(f.id(), object.c_str(), name.c_str(), H5P_DEFAULT), kOut, f.path(),
          absolute(object), "cannot replace attribute '" + name + "'");
  return checked(H5Acreate_by_name(f.id(), object.c_str(), name.c_str(), type, space, H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT),
                 H5Aclose, kOut, f.path(), absolute(object),
                 "cannot create attribute '" + name + "'");
}
}  // namespace

void File::write_string_attribute(const std::string& object, const std::string& name,
                                  const std::string& value) {
  auto l = lock();
  Handle type = utf8_string_type();
  Handle space = dataspace({});
  Handle a = create_attribute(*this, object, name, type.get(), space.get());
  const char* p = value.c_str();
  check(H5Awrite(a.get(), type.get(), &p), kOut, path_, absolute(object),
        "cannot write attribute '" + name + "'");
}

std::vector<double> File::read_numeric_attribute(const std::string& object,
                                                 const std::string& name) const {
  auto l = lock();
  Handle a = open_attribute(*this, object, name);
  Handle type(H5Aget_type(a.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT)
    throw_input(path_,
                "attribute '" + name + "' holds " + describe_type(type.get()) + ", not numbers",
                absolute(object));
  Handle space(H5Aget_space(a.get()), H5Sclose);
  std::vector<double> out(
      std::size_t(std::max<hssize_t>(H5Sget_simple_extent_npoints(space.get()), 0)));
  if (!out.empty())
    check(H5Aread(a.get(), H5T_NATIVE_DOUBLE, out.data()), kIn, path_, absolute(object),
          "cannot read attribute '" + name + "'");
  return out;
}

void File::write_numeric_attribute(const std::string& object, const std::string& name,
                                   const std::vector<double>& values) {
  auto l = lock();
  Handle space = dataspace({values.size()});
  Handle a = create_attribute(*this, object, name, H5T_NATIVE_DOUBLE, space.get());
  if (!values.empty())
    check(H5Awrite(a.get(), H5T_NATIVE_DOUBLE, values.data()), kOut, path_, absolute(object),
          "cannot write attribute '" + name + "'");
}

}  // namespace bioforest::h5
