// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/io/convert.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "bioforest/core/blocking.hpp"
#include "bioforest/core/error.hpp"

namespace bioforest::io {

Range parse_range(const std::string& text) {
  std::string s;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c)) && c != '(' && c != ')' && c != '[' &&
        c != ']')
      s += c;
  const auto comma = s.find(',');
  try {
    if (comma == std::string::npos) throw std::invalid_argument("no comma");
    std::size_t used = 0;
    const double lo = std::stod(s.substr(0, comma), &used);
    if (used != comma) throw std::invalid_argument("junk");
    const std::string rest = s.substr(comma + 1);
    const double hi = std::stod(rest, &used);
    if (used != rest.size()) throw std::invalid_argument("junk");
    return {lo, hi};
  } catch (const std::exception&) {
    throw_usage("cannot parse range '" + text + "' (expected LOW,HIGH such as 0,255)");
  }
}

namespace {

template <class Out>
Out saturate(double v) {
  if constexpr (std::is_floating_point_v<Out>) {
    return static_cast<Out>(v);
  } else if constexpr (sizeof(Out) <= 4) {
    // Out's range is within +-2^32: inside it, adding and subtracting 1.5 * 2^52 rounds to
    // the nearest integer, ties to even (the default rounding mode), as std::nearbyint does,
    // without its libm call per value (0.9 ms of a 512 x 512 segmentation's export).
    constexpr double lo = double(std::numeric_limits<Out>::lowest());
    constexpr double hi = double(std::numeric_limits<Out>::max());
    if (!(v >= lo)) return v != v ? Out{0} : std::numeric_limits<Out>::lowest();  // NaN: 0
    if (v >= hi) return std::numeric_limits<Out>::max();
    return static_cast<Out>((v + 0x1.8p52) - 0x1.8p52);
  } else {
    if (std::isnan(v)) return Out{0};
    v = std::nearbyint(v);
    v = std::clamp(v, double(std::numeric_limits<Out>::lowest()),
                   double(std::numeric_limits<Out>::max()));
    return static_cast<Out>(v);
  }
}

}  // namespace

Image convert_dtype(const Image& image, const DtypeMapping& m) {
  Range out_range{0.0, 1.0};
  if (m.output)
    out_range = *m.output;
  else if (!dtype_is_float(m.dtype))
    out_range = {dtype_min(m.dtype), dtype_max(m.dtype)};
  if (m.output && !m.input)
    throw_usage("an output range (--export-drange) needs the input range (--drange) too");
  // ilastik's formula, evaluated in its own order, c + (x - a)(d - c)/(b - a): exact for
  // integer data and ranges, so 8-bit exports round as users compute them by hand.
  const bool mapping = m.input.has_value();
  const double a = mapping ? m.input->first : 0.0, b = mapping ? m.input->second : 1.0;
  const double c = out_range.first, span_out = out_range.second - out_range.first;
  const double span_in = b - a;
  return image.visit([&](const auto& src) {
    return visit_dtype(m.dtype, [&](auto tag) {
      using Out = decltype(tag);
      Array<Out> out = Array<Out>::from_shape(src.shape());
      const auto* s = src.data();
      Out* d = out.data();
      const std::size_t n = src.size();
      if (mapping && span_in == 0.0) {
        for (std::size_t i = 0; i < n; ++i)
          d[i] = saturate<Out>(c);  // degenerate range: c
      } else if (mapping) {
        for (std::size_t i = 0; i < n; ++i)
          d[i] = saturate<Out>(c + (double(s[i]) - a) * span_out / span_in);
      } else {
        for (std::size_t i = 0; i < n; ++i)
          d[i] = saturate<Out>(double(s[i]));
      }
      return Image(std::move(out), image.axes());
    });
  });
}

namespace {

// Where a block at `roi` (input axes, relative to the cutout) lands in the output axes.
Shape output_offset(const Roi& roi, const Axes& in_axes, const Axes& out_axes) {
  Shape off(out_axes.size(), 0);
  for (std::size_t i = 0; i < out_axes.size(); ++i)
    if (in_axes.has(out_axes[i])) off[i] = roi.start[in_axes.index(out_axes[i])];
  return off;
}

Shape output_shape(const Shape& in_shape, const Axes& in_axes, const Axes& out_axes) {
  Shape s(out_axes.size(), 1);
  for (std::size_t i = 0; i < out_axes.size(); ++i)
    if (in_axes.has(out_axes[i])) s[i] = in_shape[in_axes.index(out_axes[i])];
  for (std::size_t i = 0; i < in_axes.size(); ++i)
    if (!out_axes.has(in_axes[i]) && in_shape[i] != 1)
      throw_usage("cannot drop axis '" + std::string(1, in_axes[i]) + "' of length " +
                  std::to_string(in_shape[i]) + " to get axes '" + out_axes.str() + "'");
  return s;
}

// Blocks for imgconvert: large enough for long sequential reads and writes and dozens of
// chunks per parallel region, small enough that malloc reuses the freed block (glibc raises
// its mmap threshold up to 32 MiB) instead of faulting in fresh zeroed pages for every one,
// which costs more than the copy itself.
constexpr std::size_t kConvertBlockBytes = std::size_t(16) << 20;

// A block shape of at most about `target` bytes for streaming a whole image: the fastest axes
// stay whole (long contiguous rows and planes, which the plane-oriented writers and contiguous
// HDF5 datasets like), the slowest are split first. Split extents are multiples of the input's
// chunk extent, so no compressed chunk is decoded twice. Axes in `whole` are never split.
Shape streaming_block_shape(const Shape& shape, const Shape& chunks, double bytes_per_element,
                            std::size_t target, const std::vector<std::size_t>& whole) {
  const std::size_t rank = shape.size();
  Shape b(rank);
  for (std::size_t d = 0; d < rank; ++d)
    b[d] = std::max<std::size_t>(shape[d], 1);
  auto bytes = [&] {
    double n = bytes_per_element;
    for (auto v : b)
      n *= double(v);
    return n;
  };
  for (std::size_t d = 0; d < rank && bytes() > double(target); ++d) {
    if (std::find(whole.begin(), whole.end(), d) != whole.end()) continue;
    const std::size_t step = chunks.size() == rank && chunks[d] > 0 ? chunks[d] : 1;
    const double others = bytes() / double(b[d]);
    std::size_t n = static_cast<std::size_t>(double(target) / others);
    n = std::max(step, n / step * step);
    b[d] = std::min(b[d], n);
  }
  return b;
}

// The indices of the channel axis (never split: writers keep a pixel's channels together).
std::vector<std::size_t> channel_axes(const Axes& axes) {
  std::vector<std::size_t> whole;
  for (std::size_t i = 0; i < axes.size(); ++i)
    if (axes[i] == 'c') whole.push_back(i);
  return whole;
}

}  // namespace

ConvertResult convert_image(ImageReader& in, const std::string& output,
                            const ConvertOptions& options, const RunContext& ctx) {
  const ImageInfo& info = in.info();
  const Roi region = options.cutout ? *options.cutout : Roi::whole(info.shape);
  if (!Roi::whole(info.shape).contains(region))
    throw_usage("cutout " + region.str() + " is outside the image (shape " + shape_str(info.shape) +
                ")");
  const Axes out_axes = options.output_axes ? *options.output_axes : info.axes;
  const Shape out_shape = output_shape(region.shape(), info.axes, out_axes);
  const DType out_dtype = options.dtype ? options.dtype->dtype : info.dtype;

  auto writer = create_image(output, out_shape, out_dtype, out_axes, options.write);
  // Budget: the input block plus the copies made of it (converted dtype, transposed axes).
  const bool transpose = out_axes != info.axes;
  const double bpe = double(dtype_size(info.dtype)) +
                     double(dtype_size(out_dtype)) * (double(bool(options.dtype)) + transpose);
  const auto blocks = make_blocks(
      region.shape(),
      streaming_block_shape(region.shape(), info.chunks, bpe,
                            std::min(kConvertBlockBytes, ctx.ram_bytes), channel_axes(info.axes)),
      Shape(info.shape.size(), 0));
  std::size_t done = 0;
  for (const Block& b : blocks) {
    Image block = in.read(b.core.shifted(region.start));
    if (options.dtype) block = convert_dtype(block, *options.dtype);
    if (transpose) block = std::move(block).transposed(out_axes);
    writer->write(block, output_offset(b.core, info.axes, out_axes));
    ctx.progress("converting", ++done, blocks.size());
  }
  writer->commit();
  return {out_shape, out_axes, out_dtype, blocks.size()};
}

namespace {

// Statistics run over fixed segments of each block. A segment's partial result depends only
// on its elements, and partials are combined in segment order, so the result does not depend
// on the thread count. 2^16 elements keep 8- and 16-bit sums exact in 32 bits.
constexpr std::size_t kSegment = std::size_t(1) << 16;
// Blocks of about this size: see kConvertBlockBytes.
constexpr std::size_t kStatsBlockBytes = kConvertBlockBytes;

// One segment's contribution. Integer sums are exact (the mean is exact up to its final
// rounding); float sums are in double over finite values only.
template <class T>
struct Partial {
  using Sum =
      std::conditional_t<std::is_floating_point_v<T>, double,
                         std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>>;
  T lo, hi;
  Sum sum;
  std::size_t finite;  // elements that count (all, for integers)
};

template <class T>
Partial<T> segment_stats(const T* p, std::size_t n) {
  if constexpr (std::is_integral_v<T>) {
    // 8/16-bit: a 32-bit accumulator vectorises twice as wide and cannot overflow in a segment.
    using Acc =
        std::conditional_t<(sizeof(T) <= 2),
                           std::conditional_t<std::is_signed_v<T>, std::int32_t, std::uint32_t>,
                           typename Partial<T>::Sum>;
    T lo = std::numeric_limits<T>::max(), hi = std::numeric_limits<T>::lowest();
    Acc sum = 0;
#pragma omp simd reduction(min : lo) reduction(max : hi) reduction(+ : sum)
    for (std::size_t i = 0; i < n; ++i) {
      const T v = p[i];
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
      sum += Acc(v);
    }
    return {lo, hi, typename Partial<T>::Sum(sum), n};
  } else {
    T lo = std::numeric_limits<T>::infinity(), hi = -std::numeric_limits<T>::infinity();
    double sum = 0;
    std::size_t finite = 0;
#pragma omp simd reduction(min : lo) reduction(max : hi) reduction(+ : sum, finite)
    for (std::size_t i = 0; i < n; ++i) {
      const T v = p[i];
      const bool ok = std::isfinite(v);
      lo = ok && v < lo ? v : lo;
      hi = ok && v > hi ? v : hi;
      sum += ok ? double(v) : 0.0;
      finite += ok ? 1 : 0;
    }
    return {lo, hi, sum, finite};
  }
}

// Running totals over all blocks, in block and segment order.
template <class T>
struct Totals {
  T lo = std::numeric_limits<T>::max(), hi = std::numeric_limits<T>::lowest();
  std::conditional_t<std::is_floating_point_v<T>, double, __int128> sum = 0;
  std::size_t finite = 0, total = 0;

  void add(const Partial<T>& p, std::size_t n) {
    total += n;
    if (p.finite == 0) return;
    lo = std::min(lo, p.lo);
    hi = std::max(hi, p.hi);
    sum += p.sum;
    finite += p.finite;
  }
};

template <class T>
void block_stats(const T* data, std::size_t n, std::vector<Partial<T>>& partials,
                 Totals<T>& totals) {
  const std::size_t segments = (n + kSegment - 1) / kSegment;
  partials.resize(segments);
#pragma omp parallel for schedule(static) if (segments > 1)
  for (long s = 0; s < long(segments); ++s) {
    const std::size_t begin = std::size_t(s) * kSegment;
    partials[std::size_t(s)] = segment_stats(data + begin, std::min(kSegment, n - begin));
  }
  for (std::size_t s = 0; s < segments; ++s)
    totals.add(partials[s], std::min(kSegment, n - s * kSegment));
}

template <class T>
ImageStats stats_of(ImageReader& in, const std::vector<Block>& blocks, const RunContext& ctx) {
  Totals<T> totals;
  std::vector<Partial<T>> partials;
  std::size_t done = 0;
  for (const Block& b : blocks) {
    const Image block = in.read(b.core);
    block_stats(block.data<T>(), block.size(), partials, totals);
    ctx.progress("statistics", ++done, blocks.size());
  }
  ImageStats st;
  st.non_finite = totals.total - totals.finite;
  if (totals.finite) {
    st.min = double(totals.lo);
    st.max = double(totals.hi);
    st.mean = double(totals.sum) / double(totals.finite);
  }
  return st;
}

}  // namespace

ImageStats compute_stats(ImageReader& in, const RunContext& ctx) {
  const ImageInfo& info = in.info();
  const std::size_t budget = std::min(kStatsBlockBytes, std::max<std::size_t>(ctx.ram_bytes, 1));
  const auto blocks = make_blocks(
      info.shape,
      streaming_block_shape(info.shape, info.chunks, dtype_size(info.dtype), budget, {}),
      Shape(info.shape.size(), 0));
  return visit_dtype(info.dtype,
                     [&](auto tag) { return stats_of<decltype(tag)>(in, blocks, ctx); });
}

}  // namespace bioforest::io
