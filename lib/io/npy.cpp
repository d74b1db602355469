// SPDX-License-Identifier: BSD-3-Clause
// numpy .npy arrays (read only): ilastik accepts them as inputs, and its test data uses them.
#include <bit>
#include <cstring>
#include <fstream>
#include <limits>
#include <regex>

#include "backends.hpp"
#include "bioforest/core/error.hpp"

namespace bioforest::io::detail {

namespace {

struct NpyHeader {
  Shape shape;
  char kind = 'u';       // 'u', 'i', 'f', 'b'
  std::size_t item = 1;  // bytes per element on disk
  bool swap = false;     // big-endian on disk
  bool fortran = false;
  std::size_t data_offset = 0;
};

NpyHeader parse_header(const std::string& file, std::ifstream& in) {
  char magic[8];
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw_input(file, "not a .npy file");
  const int major = static_cast<unsigned char>(magic[6]);
  std::uint32_t len = 0;
  if (major == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    len = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    len = b[0] | (b[1] << 8) | (b[2] << 16) | (std::uint32_t(b[3]) << 24);
  }
  std::string dict(len, '\0');
  in.read(dict.data(), len);
  if (!in) throw_input(file, "truncated .npy header");
  NpyHeader h;
  h.data_offset = std::size_t(in.tellg());
  std::smatch m;
  if (!std::regex_search(dict, m, std::regex(R"('descr'\s*:\s*'([<>|=])([uifb])(\d+)')")))
    throw_input(file, "unsupported .npy dtype in header " + dict);
  h.swap = m[1] == ">" && std::endian::native == std::endian::little;
  h.kind = m[2].str()[0];
  h.item = std::stoul(m[3]);
  h.fortran = std::regex_search(dict, std::regex(R"('fortran_order'\s*:\s*True)"));
  if (!std::regex_search(dict, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    throw_input(file, "no shape in .npy header");
  const std::string dims = m[1];
  const std::regex number(R"(\d+)");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it)
    h.shape.push_back(std::stoul(it->str()));
  return h;
}

// The in-memory dtype for a .npy element type; 64-bit integers are narrowed to 32 bits
// (with a range check when read) because label images often arrive as int64.
DType memory_dtype(const std::string& file, const NpyHeader& h) {
  switch (h.kind) {
    case 'b':
      return DType::uint8;
    case 'u':
      if (h.item == 1) return DType::uint8;
      if (h.item == 2) return DType::uint16;
      if (h.item == 4 || h.item == 8) return DType::uint32;
      break;
    case 'i':
      if (h.item == 1) return DType::int8;
      if (h.item == 2) return DType::int16;
      if (h.item == 4 || h.item == 8) return DType::int32;
      break;
    case 'f':
      if (h.item == 4) return DType::float32;
      if (h.item == 8) return DType::float64;
      break;
  }
  throw_input(file, "unsupported .npy element type '" + std::string(1, h.kind) +
                        std::to_string(h.item) + "'");
}

template <class T>
T load_element(const unsigned char* p, const NpyHeader& h, const std::string& file) {
  unsigned char b[8];
  std::memcpy(b, p, h.item);
  if (h.swap) std::reverse(b, b + h.item);
  if (h.item == 8 && (h.kind == 'i' || h.kind == 'u')) {
    if (h.kind == 'i') {
      std::int64_t v;
      std::memcpy(&v, b, 8);
      if (v < std::numeric_limits<T>::lowest() || v > std::numeric_limits<T>::max())
        throw_input(file, "64-bit value " + std::to_string(v) + " does not fit 32 bits");
      return static_cast<T>(v);
    }
    std::uint64_t v;
    std::memcpy(&v, b, 8);
    if (v > std::uint64_t(std::numeric_limits<T>::max()))
      throw_input(file, "64-bit value " + std::to_string(v) + " does not fit 32 bits");
    return static_cast<T>(v);
  }
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

class NpyReader final : public ImageReader {
 public:
  NpyReader(std::string file, ImageInfo info, NpyHeader h)
      : ImageReader(std::move(file), std::move(info)), h_(std::move(h)) {}

 protected:
  Image read_region(const Roi& roi) override {
    std::ifstream in(path_, std::ios::binary);
    // Fortran order is rare: read the whole array into C order, then crop.
    const Shape disk_shape = h_.fortran ? Shape(h_.shape.rbegin(), h_.shape.rend()) : h_.shape;
    const Roi disk_roi = h_.fortran ? Roi::whole(disk_shape) : roi;
    const std::size_t row = disk_roi.shape().empty() ? 1 : disk_roi.shape().back();
    std::vector<unsigned char> buf(row * h_.item);
    Image disk(info_.dtype, disk_roi.shape(), info_.axes);
    disk.visit([&](auto& a) {
      using T = typename std::decay_t<decltype(a)>::value_type;
      T* dst = a.data();
      for_each_row(disk_shape, disk_roi, [&](std::size_t off) {
        in.seekg(std::streamoff(h_.data_offset + off * h_.item));
        in.read(reinterpret_cast<char*>(buf.data()), std::streamsize(buf.size()));
        if (!in) throw_input(path_, "truncated .npy data");
        for (std::size_t i = 0; i < row; ++i)
          dst[i] = load_element<T>(&buf[i * h_.item], h_, path_);
        dst += row;
      });
    });
    if (!h_.fortran) return disk;
    // Reverse the axes (Fortran -> C), then crop the requested region.
    std::string rev(info_.axes.str().rbegin(), info_.axes.str().rend());
    disk.set_axes(Axes(rev));
    return disk.transposed(info_.axes).crop(roi);
  }

 private:
  NpyHeader h_;
};

}  // namespace

std::unique_ptr<ImageReader> open_npy(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw_input(file, "cannot open");
  NpyHeader h = parse_header(file, in);
  if (h.shape.empty() || h.shape.size() > 5)
    throw_input(file, "a .npy image needs 1 to 5 dimensions, this one has " +
                          std::to_string(h.shape.size()));
  std::size_t n = 1;
  for (auto e : h.shape)
    n *= e;
  in.seekg(0, std::ios::end);
  if (std::size_t(in.tellg()) < h.data_offset + n * h.item)
    throw_input(file, "truncated .npy data (" + shape_str(h.shape) + " needs " +
                          std::to_string(n * h.item) + " bytes)");
  ImageInfo info;
  info.shape = h.shape;
  info.dtype = memory_dtype(file, h);
  info.axes = guess_axes(h.shape);
  info.axes_from_metadata = false;
  info.format = "npy";
  info.compression = "none";
  return std::make_unique<NpyReader>(file, std::move(info), std::move(h));
}

}  // namespace bioforest::io::detail
