// SPDX-License-Identifier: BSD-3-Clause
// density: counting objects without segmenting them (train, predict, count, info). Every
// algorithm lives in the library (workflows/density_*.hpp).
#include <fstream>
#include <iostream>

#include "bioforest/cli/inputs.hpp"
#include "bioforest/cli/tool.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/workflows/density_prediction.hpp"
#include "bioforest/workflows/density_training.hpp"

using namespace bioforest;

namespace {

struct PredictFlags {
  std::string model, boxes, csv;
  std::vector<std::string> inputs, raw_data, sources;
  std::string format, filename_format, output, internal_path, dtype, drange, pipeline_drange,
      cutout, output_axes, compression;
  bool skip_existing = false, headless = false, readonly = false;
  cli::InputOptions input;
};

void add_common_options(CLI::App& sub, PredictFlags& f) {
  sub.add_option("--model,--project", f.model, "Trained model (.h5 from 'density train')")
      ->required();
  sub.add_option("inputs", f.inputs, "Images to count (img.tif, vol.h5/data, \"slices/*.png\")");
  sub.add_option("--raw-data,--raw_data", f.raw_data, "Images to count (ilastik's spelling)");
  sub.add_option("--boxes", f.boxes,
                 "JSON list of boxes {\"name\", \"start\": [y, x], \"stop\": [y, x], \"t\"} "
                 "to count in, applied to every input");
  sub.add_option("--csv,--csv-export-file,--csv_export_file", f.csv,
                 "Write the counts (name,count,box,t,file) to this CSV file");
  sub.add_option("--cutout-subregion,--cutout_subregion,--roi", f.cutout,
                 "Only this region, in the input's axis order: \"[(start,...),(stop,...)]\"");
  sub.add_flag("--headless", f.headless, "Accepted for ilastik scripts")->group("");
  sub.add_flag("--readonly", f.readonly, "Accepted for ilastik scripts")->group("");
  cli::add_input_options(sub, f.input);
}

void add_export_options(CLI::App& sub, PredictFlags& f) {
  const char* g = "Export";
  sub.add_option("--export-source,--export_source", f.sources,
                 "Density (ilastik: Probabilities) [default: Density]")
      ->allow_extra_args(false)
      ->group(g);
  sub.add_option("-o,--output", f.output, "Output file (one input)")->group(g);
  sub.add_option("--output-filename-format,--output_filename_format", f.filename_format,
                 "Output path pattern with {dataset_dir}, {nickname}, {result_type}, {result} "
                 "[default: {dataset_dir}/{nickname}_{result_type}]")
      ->group(g);
  sub.add_option("--output-format,--output_format", f.format,
                 "hdf5, compressed hdf5, tiff, multipage tiff, tiff sequence, png, npy "
                 "[default: from -o, else hdf5]")
      ->group(g);
  sub.add_option("--output-internal-path,--output_internal_path", f.internal_path,
                 "HDF5 dataset [default: exported_data]")
      ->group(g);
  sub.add_option("--export-dtype,--export_dtype", f.dtype,
                 "Output dtype [default: float32; integer types are a plain rounded cast "
                 "unless --pipeline-result-drange is given]")
      ->group(g);
  sub.add_option("--export-drange,--export_drange", f.drange, "Target range LOW,HIGH")->group(g);
  sub.add_option("--pipeline-result-drange,--pipeline_result_drange", f.pipeline_drange,
                 "Value range LOW,HIGH of the density, mapped onto --export-drange")
      ->group(g);
  sub.add_option("--output-axis-order,--output_axis_order", f.output_axes,
                 "Axis order of the outputs [default: (t)(z)yxc]")
      ->group(g);
  sub.add_option("--compression", f.compression, "HDF5: gzip, gzip:N, none; TIFF: none, lzw, ...")
      ->group(g);
  sub.add_flag("--skip-existing", f.skip_existing,
               "Skip inputs whose outputs all exist (resumable job arrays)");
}

workflows::DensityRequest make_request(const PredictFlags& f, bool maps, bool overwrite) {
  workflows::DensityRequest r;
  r.inputs = f.inputs;
  r.inputs.insert(r.inputs.end(), f.raw_data.begin(), f.raw_data.end());
  if (r.inputs.empty()) throw_usage("no input images given");
  r.read = f.input.read_options();
  if (!f.boxes.empty()) r.boxes = workflows::read_count_boxes(f.boxes);
  auto& e = r.exports;
  if (maps) {
    for (const auto& s : f.sources)
      e.sources.push_back(workflows::match_density_export_source(s));
    if (e.sources.empty()) e.sources.push_back("Density");
  }
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
  return r;
}

void write_text_atomically(const std::string& path, const std::string& text, bool overwrite) {
  io::AtomicOutput out(path, overwrite);
  {
    std::ofstream f(out.temp_path());
    f << text;
    f.close();
    if (!f) throw_output(path, "cannot write the counts");
  }
  out.commit();
}

int run_counting(cli::Tool& tool, const PredictFlags& f, bool maps) {
  const bool overwrite = tool.standard().overwrite;
  const auto request = make_request(f, maps, overwrite);
  if (!f.csv.empty()) io::check_output_path(f.csv, overwrite);
  const auto model = workflows::load_density_model(f.model);
  const auto r = workflows::predict_density(model, request, tool.context());
  const std::string csv = workflows::counts_csv(r, request.boxes);
  std::cout << csv;
  if (!f.csv.empty()) write_text_atomically(f.csv, csv, overwrite);
  for (const auto& o : r.outputs)
    logger().info("wrote {}", o);
  for (const auto& s : r.skipped)
    logger().info("skipped {} (outputs exist)", s);
  tool.summary()["outputs"] = r.outputs;
  tool.summary()["skipped"] = r.skipped;
  tool.summary()["counts"] = workflows::counts_json(r, request.boxes);
  if (!f.csv.empty()) tool.summary()["csv"] = f.csv;
  return cli::finish_batch(tool, r.failures, request.inputs.size());
}

}  // namespace

int main(int argc, char** argv) {
  cli::Tool tool("density",
                 "Density counting: learn from dot annotations a density whose sum over any "
                 "region is the number of objects in it; count crowded objects without "
                 "segmenting them.");
  auto& app = tool.app();
  tool.require_subcommand();

  std::string spec, model_out;
  auto* train = app.add_subcommand("train", "Train a density counter from a project spec (JSON)");
  train->add_option("spec", spec, "Project spec (schemas/density_counting.schema.json)")
      ->required();
  train->add_option("-o,--output", model_out, "Model file to write (.h5)")->required();

  PredictFlags pf, cf;
  auto* predict = app.add_subcommand("predict", "Density maps and counts of images");
  add_common_options(*predict, pf);
  add_export_options(*predict, pf);
  auto* count = app.add_subcommand("count", "Counts per image and per box (no density maps)");
  add_common_options(*count, cf);

  std::string info_model;
  auto* info = app.add_subcommand("info", "Print what a density model holds");
  info->add_option("model", info_model, "Model file")->required();

  for (auto* sub : {train, predict, count, info})
    sub->fallthrough();
  tool.add_example("density train cells.json -o cells.density.h5",
                   "train on the dot annotations named in a spec");
  tool.add_example("density predict --model cells.density.h5 --csv counts.csv images/*.png",
                   "density maps (images/<name>_Density.h5) and a count per image");
  tool.add_example("density count --model cells.density.h5 --boxes boxes.json img.tif",
                   "counts in boxes, printed as CSV");

  return tool.run(argc, argv, [&]() -> int {
    const RunContext& ctx = tool.context();
    if (*train) {
      io::check_output_path(model_out, tool.standard().overwrite);
      const auto s = workflows::load_density_spec(spec);
      const auto model = workflows::train_density(s, ctx);
      workflows::save_density_model(model, model_out, tool.standard().overwrite);
      logger().info("wrote {} ({} trees, {} features, {} training pixels)", model_out,
                    model.forest.n_trees(), model.feature_names.size(), model.n_samples);
      tool.summary()["model"] = model_out;
      tool.summary()["density_model"] = workflows::density_model_json(model);
      return 0;
    }
    if (*predict) return run_counting(tool, pf, true);
    if (*count) return run_counting(tool, cf, false);
    const auto model = workflows::load_density_model(info_model);
    std::cout << workflows::describe_density_model(model);
    tool.summary()["density_model"] = workflows::density_model_json(model);
    return 0;
  });
}
