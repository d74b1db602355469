// SPDX-License-Identifier: BSD-3-Clause
// imgconvert: any supported image format to any other, block by block.
#include "bioforest/cli/inputs.hpp"
#include "bioforest/cli/tool.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/io/convert.hpp"

namespace {

bioforest::Shape parse_chunks(const std::string& text) {
  bioforest::Shape s;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto next = text.find_first_of(",x", pos);
    const std::string part =
        text.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    try {
      const long v = std::stol(part);
      if (v <= 0) throw std::invalid_argument("non-positive");
      s.push_back(std::size_t(v));
    } catch (const std::exception&) {
      bioforest::throw_usage("cannot parse --chunks '" + text + "' (expected e.g. 1,64,64)");
    }
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bioforest;
  cli::Tool tool("imgconvert",
                 "Convert an image between TIFF, HDF5, PNG (and JPEG/glob inputs), changing axes, "
                 "dtype, region, compression and chunking; streamed in blocks.");
  std::string input, output, axes, dtype, drange, export_drange, compression, chunks, format,
      cutout, dataset;
  cli::InputOptions in_opts;
  auto& app = tool.app();
  app.add_option("input", input, "Input image (img.tif, stack.h5/data, \"slices/*.png\")")
      ->required();
  app.add_option("output", output, "Output image (.h5/.hdf5, .tif/.tiff, .ome.tif, .png)")
      ->required();
  app.add_option("--output-axes,--output_axis_order", axes,
                 "Axis order of the output, e.g. tzyxc (HDF5 for ilastik) or tzcyx");
  app.add_option("--dtype,--export_dtype", dtype,
                 "Output dtype: uint8, uint16, uint32, int8, int16, int32, float32, float64");
  app.add_option("--drange,--pipeline_result_drange", drange,
                 "Input value range LOW,HIGH mapped onto the output range (renormalisation); "
                 "without it values are cast (rounded and clamped)");
  app.add_option("--export-drange,--export_drange", export_drange,
                 "Output range LOW,HIGH for --drange [default: the full range of an integer "
                 "dtype, 0,1 for floats]");
  app.add_option("--compression", compression,
                 "HDF5: gzip (level 1, default), gzip:N, none. TIFF: none (default), lzw, "
                 "deflate, packbits");
  app.add_option("--chunks", chunks, "HDF5 chunk shape in output axis order, e.g. 1,64,64");
  app.add_option("--output-format,--output_format", format,
                 "hdf5, tiff, multipage tiff, tiff sequence, ome-tiff, png, png sequence "
                 "[default: from the extension]");
  app.add_option("--dataset,--output_internal_path", dataset,
                 "HDF5 dataset when OUTPUT names none [default: exported_data]");
  app.add_option("--cutout-subregion,--cutout_subregion,--roi", cutout,
                 "Only this region, in the input's axis order: \"[(start,...),(stop,...)]\" "
                 "(None = full extent)");
  cli::add_input_options(app, in_opts);
  tool.add_example("imgconvert \"slices/*.tif\" stack.h5",
                   "a folder of TIFF slices to one HDF5 "
                   "volume for blockwise processing");
  tool.add_example("imgconvert probs.h5 probs_u8.tif --dtype uint8 --drange 0,1",
                   "probabilities 0..1 to 8-bit 0..255 for FIJI");

  return tool.run(argc, argv, [&] {
    io::ConvertOptions o;
    if (!axes.empty()) o.output_axes = Axes(axes);
    if (!dtype.empty()) {
      io::DtypeMapping m;
      m.dtype = parse_dtype(dtype);
      if (!drange.empty()) m.input = io::parse_range(drange);
      if (!export_drange.empty()) m.output = io::parse_range(export_drange);
      o.dtype = m;
    } else if (!drange.empty() || !export_drange.empty()) {
      throw_usage("--drange and --export-drange need --dtype");
    }
    o.write.overwrite = tool.standard().overwrite;
    o.write.compression = compression;
    o.write.format = format;
    if (!dataset.empty()) o.write.dataset = dataset;
    if (!chunks.empty()) o.write.chunks = parse_chunks(chunks);
    // Everything that can be checked without reading data is checked before any output.
    io::resolve_output_format(output, o.write);
    auto reader = io::open_image(input, in_opts.read_options());
    if (!cutout.empty()) o.cutout = parse_roi(cutout, reader->info().shape);
    const auto r = io::convert_image(*reader, output, o, tool.context());
    logger().info("wrote {} ({} {}, axes {})", output, shape_str(r.shape), dtype_name(r.dtype),
                  r.axes.str());
    tool.summary()["input"] = input;
    tool.summary()["output"] = output;
    tool.summary()["shape"] = r.shape;
    tool.summary()["axes"] = r.axes.str();
    tool.summary()["dtype"] = std::string(dtype_name(r.dtype));
    return 0;
  });
}
