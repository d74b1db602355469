// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/cli/export_options.hpp"

#include "bioforest/io/convert.hpp"

namespace bioforest::cli {

void add_export_options(CLI::App& sub, ExportFlags& f, const std::string& sources_help) {
  const char* g = "Export";
  sub.add_option("--export-source,--export_source", f.sources,
                 sources_help + "; repeat for several results from one run")
      ->allow_extra_args(false)  // "--export_source=X in.tif" must not swallow the input
      ->group(g);
  sub.add_option("-o,--output", f.output, "Output file (one input, one export source)")->group(g);
  sub.add_option("--output-filename-format,--output_filename_format", f.filename_format,
                 "Output path pattern with {dataset_dir}, {nickname}, {result_type}, {result} "
                 "[default: {dataset_dir}/{nickname}_{result_type}]")
      ->group(g);
  sub.add_option("--output-format,--output_format", f.format,
                 "hdf5, compressed hdf5, tiff, multipage tiff, tiff sequence, png, png sequence "
                 "[default: from -o, else hdf5]")
      ->group(g);
  sub.add_option("--output-internal-path,--output_internal_path", f.internal_path,
                 "HDF5 dataset [default: exported_data]")
      ->group(g);
  sub.add_option("--export-dtype,--export_dtype", f.dtype,
                 "uint8, uint16, uint32, int8, int16, int32, float32, float64 [default: the "
                 "result's own: float32, uint8 for segmentations]. Probabilities exported as "
                 "integers are renormalised 0..1 -> the dtype's full range (ilastik casts them "
                 "to 0/1 unless given a range)")
      ->group(g);
  sub.add_option("--export-drange,--export_drange", f.drange,
                 "Target range LOW,HIGH for integer exports")
      ->group(g);
  sub.add_option("--pipeline-result-drange,--pipeline_result_drange", f.pipeline_drange,
                 "Value range LOW,HIGH of the result, mapped onto --export-drange")
      ->group(g);
  sub.add_option("--cutout-subregion,--cutout_subregion,--roi", f.cutout,
                 "Only this region, in the input's axis order: \"[(start,...),(stop,...)]\"")
      ->group(g);
  sub.add_option("--output-axis-order,--output_axis_order", f.output_axes,
                 "Axis order of the outputs [default: (t)(z)yxc]")
      ->group(g);
  sub.add_option("--compression", f.compression,
                 "HDF5: gzip, gzip:N, none; TIFF: none, lzw, deflate, packbits")
      ->group(g);
  sub.add_flag("--skip-existing", f.skip_existing,
               "Skip inputs whose outputs all exist (resumable job arrays)")
      ->group(g);
  sub.add_flag("--headless", f.headless,
               "Accepted for ilastik scripts; bioforest is always headless")
      ->group("");
  sub.add_flag("--readonly", f.readonly, "Accepted for ilastik scripts; models are never modified")
      ->group("");
}

workflows::ExportOptions export_options(
    const ExportFlags& f, bool overwrite,
    const std::function<std::string(const std::string&)>& match_source,
    const std::string& default_source) {
  workflows::ExportOptions e;
  for (const auto& s : f.sources)
    e.sources.push_back(match_source(s));
  if (e.sources.empty()) e.sources.push_back(default_source);
  e.format = f.format;
  if (!f.filename_format.empty()) e.filename_format = f.filename_format;
  e.output = f.output;
  if (!f.internal_path.empty()) e.internal_path = f.internal_path;
  if (!f.dtype.empty()) e.dtype = parse_dtype(f.dtype);
  if (!f.drange.empty()) e.export_drange = io::parse_range(f.drange);
  if (!f.pipeline_drange.empty()) e.pipeline_drange = io::parse_range(f.pipeline_drange);
  e.cutout = f.cutout;
  if (!f.output_axes.empty()) e.output_axes = Axes(f.output_axes);
  e.compression = f.compression;
  e.overwrite = overwrite;
  e.skip_existing = f.skip_existing;
  return e;
}

}  // namespace bioforest::cli
