// SPDX-License-Identifier: BSD-3-Clause
// objclassify: object classification from a few labelled objects (train, predict, info,
// import-ilp).
// Every algorithm lives in the library (workflows/object_classification.hpp).
#include <iostream>

#include "bioforest/cli/inputs.hpp"
#include "bioforest/cli/tool.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/workflows/object_classification.hpp"
#include "bioforest/workflows/object_classification_import.hpp"

using namespace bioforest;

namespace {

struct PredictFlags {
  std::string model, output, filename_format, format, internal_path, compression, table;
  std::vector<std::string> raw, segmentation, probabilities, labels, sources;
  bool headless = false, readonly = false;
  cli::InputOptions input;
};

void add_predict_options(CLI::App& sub, PredictFlags& f) {
  sub.add_option("--model,--project", f.model,
                 "Model from 'objclassify train' or an ilastik Object Classification project")
      ->required();
  sub.add_option("raw", f.raw, "Raw images");
  sub.add_option("--raw-data,--raw_data", f.raw, "Raw images (ilastik's spelling)");
  sub.add_option("--segmentation,--segmentation-image,--segmentation_image", f.segmentation,
                 "Segmentation (label image or mask) per raw image");
  sub.add_option("--probabilities,--prediction-maps,--prediction_maps", f.probabilities,
                 "Probability map per raw image, thresholded with the model's settings");
  sub.add_option("--labels", f.labels,
                 "Object labels per raw image (CSV of points or label image): fills the "
                 "table's User Label column");
  const char* g = "Export";
  sub.add_option("--export-source,--export_source", f.sources,
                 "Object Predictions, Object Probabilities or Object Identities; repeat for "
                 "several [default: Object Predictions unless only a table is asked for]")
      ->group(g);
  sub.add_option("--table-filename,--table_filename", f.table,
                 "Object table (.csv or .h5), {dataset_dir} and {nickname} allowed")
      ->group(g);
  sub.add_option("-o,--output", f.output, "Output file (one input, one export source)")->group(g);
  sub.add_option("--output-filename-format,--output_filename_format", f.filename_format,
                 "Output path pattern with {dataset_dir}, {nickname}, {result_type}")
      ->group(g);
  sub.add_option("--output-format,--output_format", f.format,
                 "hdf5, tiff, png, ... [default: from -o, else hdf5]")
      ->group(g);
  sub.add_option("--output-internal-path,--output_internal_path", f.internal_path,
                 "HDF5 dataset [default: exported_data]")
      ->group(g);
  sub.add_option("--compression", f.compression, "HDF5: gzip, none; TIFF: none, lzw, ...")
      ->group(g);
  sub.add_flag("--headless", f.headless, "Accepted for ilastik scripts")->group("");
  sub.add_flag("--readonly", f.readonly, "Accepted for ilastik scripts")->group("");
  cli::add_input_options(sub, f.input);
}

workflows::ObjectPredictRequest predict_request(const PredictFlags& f, bool overwrite) {
  workflows::ObjectPredictRequest r;
  r.raw = f.raw;
  r.segmentation = f.segmentation;
  r.probabilities = f.probabilities;
  r.labels = f.labels;
  r.read = f.input.read_options();
  r.table_filename = f.table;
  auto& e = r.exports;
  for (const auto& s : f.sources)
    e.sources.push_back(workflows::match_object_export_source(s));
  if (e.sources.empty() && f.table.empty()) e.sources.push_back("Object Predictions");
  e.output = f.output;
  e.format = f.format;
  if (!f.filename_format.empty()) e.filename_format = f.filename_format;
  if (!f.internal_path.empty()) e.internal_path = f.internal_path;
  e.compression = f.compression;
  e.overwrite = overwrite;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  cli::Tool tool("objclassify",
                 "Object classification from a few labelled objects: objects from a "
                 "segmentation or a thresholded probability map, ilastik's object features, "
                 "a random forest; exports object predictions, probabilities, identities and "
                 "the object table.");
  auto& app = tool.app();
  tool.require_subcommand();
  std::string spec, model_out, info_model;
  auto* train = cli::add_train_subcommand(app, "Train a classifier from a project spec (JSON)",
                                          "object_classification", spec, model_out);
  PredictFlags pf;
  auto* predict = app.add_subcommand("predict", "Classify the objects of images");
  add_predict_options(*predict, pf);
  auto* info = app.add_subcommand("info", "Print what a model (or .ilp project) holds");
  info->add_option("model", info_model, "Model file or ilastik project")->required();
  std::string ilp, ilp_out;
  workflows::ObjectImportOptions import_options;
  auto* import = app.add_subcommand("import-ilp",
                                    "Turn an ilastik Object Classification project into a "
                                    "bioforest model");
  import->add_option("project", ilp, "ilastik project (.ilp)")->required();
  import->add_option("-o,--output", ilp_out, "Model file to write (.h5)")->required();
  import->add_flag("--retrain", import_options.retrain,
                   "Train bioforest's forest on the project's labelled objects instead of "
                   "importing ilastik's trained forest");
  import
      ->add_option("--features", import_options.features,
                   "With --retrain: object features to train on instead of the project's "
                   "selection; 'supported': the selection without the features bioforest "
                   "lacks; 'default': every feature bioforest computes")
      ->delimiter(',');
  for (auto* sub : {train, predict, info, import})
    sub->fallthrough();
  tool.add_example("objclassify train cells.json -o cells.model.h5",
                   "train on the labelled objects named in a spec");
  tool.add_example(
      "objclassify predict --model cells.model.h5 raw.tif --segmentation seg.tif "
      "--table-filename cells.csv",
      "classify every object, write the object table and the Object Predictions image");
  tool.add_example(
      "objclassify predict --project=MyObjects.ilp --prediction_maps=raw_Probabilities.h5 "
      "--table_filename=objects.csv raw.h5",
      "an ilastik project's classifier on new data, without converting it first");

  return tool.run(argc, argv, [&]() -> int {
    const RunContext& ctx = tool.context();
    if (*train) {
      io::check_output_path(model_out, tool.standard().overwrite);
      const auto s = workflows::load_object_spec(spec);
      const auto m = workflows::train_object_classifier(s, ctx);
      workflows::save_object_model(m, model_out, tool.standard().overwrite);
      for (std::size_t k = 0; k < m.class_names.size(); ++k)
        logger().info("class {} '{}': {} labelled objects", k + 1, m.class_names[k],
                      m.label_counts[k]);
      if (!m.forest.oob().empty()) logger().info("out-of-bag error: {:.4f}", m.forest.oob().error);
      logger().info("wrote {}", model_out);
      tool.summary()["model"] = model_out;
      tool.summary()["classifier"] = workflows::object_model_json(m);
      return 0;
    }
    if (*predict) {
      const auto r = predict_request(pf, tool.standard().overwrite);
      const auto m = workflows::load_object_model(pf.model);
      const auto res = workflows::predict_objects(m, r, ctx);
      for (const auto& o : res.outputs)
        logger().info("wrote {}", o);
      tool.summary()["outputs"] = res.outputs;
      tool.summary()["objects"] = res.objects;
      return cli::finish_batch(tool, res.failures, r.raw.size());
    }
    if (*import) {
      io::check_output_path(ilp_out, tool.standard().overwrite);
      const auto m = workflows::import_ilp_object_model(ilp, import_options, ctx);
      workflows::save_object_model(m, ilp_out, tool.standard().overwrite);
      logger().info("wrote {} ({} classes, {} feature columns, {} trees)", ilp_out,
                    m.class_names.size(), m.columns.size(), m.forest.n_trees());
      tool.summary()["model"] = ilp_out;
      tool.summary()["classifier"] = workflows::object_model_json(m);
      return 0;
    }
    const auto m = workflows::load_object_model(info_model);
    std::cout << workflows::describe_object_model(m);
    tool.summary()["classifier"] = workflows::object_model_json(m);
    return 0;
  });
}
