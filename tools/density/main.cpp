// SPDX-License-Identifier: BSD-3-Clause
// density: counting objects without segmenting them (train, predict, count, info). Every
// algorithm lives in the library (workflows/density_*.hpp).
#include <iostream>

#include "bioforest/cli/export_options.hpp"
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
  std::vector<std::string> inputs, raw_data;
  cli::ExportFlags exports;
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
  cli::add_input_options(sub, f.input);
}

// `count` writes no maps: of the export flags it takes only the region and ilastik's no-ops.
void add_count_options(CLI::App& sub, PredictFlags& f) {
  sub.add_option("--cutout-subregion,--cutout_subregion,--roi", f.exports.cutout,
                 "Only this region, in the input's axis order: \"[(start,...),(stop,...)]\"");
  sub.add_flag("--headless", f.exports.headless, "Accepted for ilastik scripts")->group("");
  sub.add_flag("--readonly", f.exports.readonly, "Accepted for ilastik scripts")->group("");
}

workflows::DensityRequest make_request(const PredictFlags& f, bool maps, bool overwrite) {
  workflows::DensityRequest r;
  r.inputs = f.inputs;
  r.inputs.insert(r.inputs.end(), f.raw_data.begin(), f.raw_data.end());
  if (r.inputs.empty()) throw_usage("no input images given");
  r.read = f.input.read_options();
  if (!f.boxes.empty()) r.boxes = workflows::read_count_boxes(f.boxes);
  r.exports =
      cli::export_options(f.exports, overwrite, workflows::match_density_export_source, "Density");
  if (!maps) r.exports.sources.clear();
  return r;
}

int run_counting(cli::Tool& tool, const PredictFlags& f, bool maps) {
  const bool overwrite = tool.standard().overwrite;
  const auto request = make_request(f, maps, overwrite);
  if (!f.csv.empty()) io::check_output_path(f.csv, overwrite);
  const auto model = workflows::load_density_model(f.model);
  const auto r = workflows::predict_density(model, request, tool.context());
  const std::string csv = workflows::counts_csv(r, request.boxes);
  std::cout << csv;
  if (!f.csv.empty()) io::write_text_file(f.csv, csv, overwrite);
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
  auto* train = cli::add_train_subcommand(app, "Train a density counter from a project spec (JSON)",
                                          "density_counting", spec, model_out);

  PredictFlags pf, cf;
  auto* predict = app.add_subcommand("predict", "Density maps and counts of images");
  add_common_options(*predict, pf);
  cli::add_export_options(*predict, pf.exports,
                          "Density (ilastik: Probabilities) [default: Density]");
  auto* count = app.add_subcommand("count", "Counts per image and per box (no density maps)");
  add_common_options(*count, cf);
  add_count_options(*count, cf);

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
