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

// Blocks of whole 2-D planes (y, x and c never split) when the budget allows, because the
// TIFF and PNG writers are plane-oriented and HDF5 chunks are usually planar too.
Shape convert_block_shape(const Shape& shape, const Axes& axes, double bytes_per_element,
                          std::size_t budget) {
  std::vector<std::size_t> whole;
  for (std::size_t i = 0; i < axes.size(); ++i)
    if (axes[i] == 'c') whole.push_back(i);
  return block_shape_for_budget(shape, Shape(shape.size(), 0), bytes_per_element, budget, whole);
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
  // Budget: the input block, its converted copy and the transposed copy.
  const double bpe = double(dtype_size(info.dtype)) + 2.0 * double(dtype_size(out_dtype));
  const auto blocks = make_blocks(
      region.shape(), convert_block_shape(region.shape(), info.axes, bpe, ctx.ram_bytes),
      Shape(info.shape.size(), 0));
  std::size_t done = 0;
  for (const Block& b : blocks) {
    Image block = in.read(b.core.shifted(region.start));
    if (options.dtype) block = convert_dtype(block, *options.dtype);
    if (out_axes != info.axes) block = block.transposed(out_axes);
    writer->write(block, output_offset(b.core, info.axes, out_axes));
    ctx.progress("converting", ++done, blocks.size());
  }
  writer->commit();
  return {out_shape, out_axes, out_dtype, blocks.size()};
}

ImageStats compute_stats(ImageReader& in, const RunContext& ctx) {
  const ImageInfo& info = in.info();
  const auto blocks = make_blocks(
      info.shape,
      convert_block_shape(info.shape, info.axes, double(dtype_size(info.dtype)), ctx.ram_bytes),
      Shape(info.shape.size(), 0));
  ImageStats st;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  std::size_t n = 0, done = 0;
  for (const Block& b : blocks) {
    const Image block = in.read(b.core);
    block.visit([&](const auto& a) {
      for (auto v : a) {
        const double x = double(v);
        if (!std::isfinite(x)) {
          ++st.non_finite;
          continue;
        }
        lo = std::min(lo, x);
        hi = std::max(hi, x);
        sum += x;
        ++n;
      }
    });
    ctx.progress("statistics", ++done, blocks.size());
  }
  if (n) {
    st.min = lo;
    st.max = hi;
    st.mean = sum / double(n);
  }
  return st;
}

}  // namespace bioforest::io
