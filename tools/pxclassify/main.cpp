// SPDX-License-Identifier: BSD-3-Clause
// pxclassify: pixel classification from scribbles (train, predict, info, import-ilp,
// suggest-features). Every algorithm lives in the library (workflows/pixel_*.hpp).
#include <iostream>

#include "bioforest/cli/export_options.hpp"
#include "bioforest/cli/inputs.hpp"
#include "bioforest/cli/tool.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/workflows/pixel_import.hpp"
#include "bioforest/workflows/pixel_prediction.hpp"
#include "bioforest/workflows/pixel_training.hpp"
#include "bioforest/workflows/suggest_features.hpp"

using namespace bioforest;

namespace {

struct PredictFlags {
  std::string model;
  std::vector<std::string> inputs, raw_data, masks;
  cli::ExportFlags exports;
  cli::InputOptions input;
};

void add_predict_options(CLI::App& sub, PredictFlags& f) {
  sub.add_option("--model,--project", f.model,
                 "Trained model (.h5 from 'pxclassify train') or an ilastik project (.ilp)")
      ->required();
  sub.add_option("inputs", f.inputs, "Images to classify (img.tif, vol.h5/data, \"slices/*.png\")");
  sub.add_option("--raw-data,--raw_data", f.raw_data, "Images to classify (ilastik's spelling)");
  cli::add_export_options(sub, f.exports,
                          "Probabilities, Simple Segmentation, Uncertainty, Features or Labels "
                          "[default: Probabilities]");
  sub.add_option("--prediction-mask,--prediction_mask", f.masks,
                 "Mask image(s): one for all inputs or one per input; 0 = not predicted")
      ->allow_extra_args(false);
  cli::add_input_options(sub, f.input);
}

workflows::PixelPredictRequest predict_request(const PredictFlags& f, bool overwrite) {
  workflows::PixelPredictRequest r;
  r.inputs = f.inputs;
  r.inputs.insert(r.inputs.end(), f.raw_data.begin(), f.raw_data.end());
  if (r.inputs.empty()) throw_usage("no input images given");
  r.read = f.input.read_options();
  r.masks = f.masks;
  r.exports = cli::export_options(f.exports, overwrite, workflows::match_pixel_export_source,
                                  "Probabilities");
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  cli::Tool tool("pxclassify",
                 "Pixel classification from a few scribbles: train a random forest on "
                 "ilastik's pixel features, predict probability maps and segmentations of "
                 "any size, run ilastik projects headless.");
  auto& app = tool.app();
  tool.require_subcommand();

  std::string spec, model_out;
  auto* train = cli::add_train_subcommand(app, "Train a classifier from a project spec (JSON)",
                                          "pixel_classification", spec, model_out);

  PredictFlags pf;
  auto* predict = app.add_subcommand("predict", "Classify images with a trained model or .ilp");
  add_predict_options(*predict, pf);

  std::string info_model;
  auto* info = app.add_subcommand("info", "Print what a model (or .ilp project) holds");
  info->add_option("model", info_model, "Model file or ilastik project")->required();

  std::string ilp, ilp_out;
  bool retrain = false;
  auto* import = app.add_subcommand("import-ilp",
                                    "Turn an ilastik Pixel Classification project "
                                    "into a bioforest model");
  import->add_option("project", ilp, "ilastik project (.ilp)")->required();
  import->add_option("-o,--output", ilp_out, "Model file to write (.h5)")->required();
  import->add_flag("--retrain", retrain,
                   "Train bioforest's forest on the project's labels instead of importing "
                   "ilastik's trained forest");

  std::string suggest_spec;
  std::size_t suggest_max = 7;
  auto* suggest = app.add_subcommand(
      "suggest-features", "Rank feature subsets by out-of-bag accuracy against compute cost");
  suggest->add_option("spec", suggest_spec, "Project spec whose labels to use")->required();
  suggest->add_option("--max-features", suggest_max,
                      "Largest subset (families x scales) to consider [default: 7]");

  for (auto* sub : {train, predict, info, import, suggest})
    sub->fallthrough();
  tool.add_example("pxclassify train nuclei.json -o nuclei.model.h5",
                   "train on the scribbles named in a spec");
  tool.add_example(
      "pxclassify predict --model nuclei.model.h5 --export-source \"Simple "
      "Segmentation\" images/*.tif",
      "segment a folder; writes images/<name>_Simple Segmentation.h5");
  tool.add_example(
      "pxclassify predict --project=MyProject.ilp --export_source=Probabilities "
      "--output_format=hdf5 raw.h5/data",
      "an ilastik headless command line, unchanged but for the executable");

  return tool.run(argc, argv, [&]() -> int {
    const RunContext& ctx = tool.context();
    if (*train) {
      io::check_output_path(model_out, tool.standard().overwrite);
      const auto s = workflows::load_pixel_spec(spec);
      const auto model = workflows::train_pixel_classifier(s, ctx);
      workflows::save_pixel_model(model, model_out, tool.standard().overwrite);
      for (std::size_t k = 0; k < model.classes.size(); ++k)
        logger().info("class {} '{}': {} labelled pixels", k + 1, model.classes[k].name,
                      model.label_counts[k]);
      if (!model.forest.oob().empty())
        logger().info("out-of-bag error: {:.4f}", model.forest.oob().error);
      logger().info("wrote {}", model_out);
      tool.summary()["model"] = model_out;
      tool.summary()["classifier"] = workflows::pixel_model_json(model);
      return 0;
    }
    if (*predict) {
      const auto request = predict_request(pf, tool.standard().overwrite);
      const auto model = workflows::load_pixel_model(pf.model);
      const auto r = workflows::predict_pixels(model, request, ctx);
      for (const auto& o : r.outputs)
        logger().info("wrote {}", o);
      for (const auto& s : r.skipped)
        logger().info("skipped {} (outputs exist)", s);
      tool.summary()["outputs"] = r.outputs;
      tool.summary()["skipped"] = r.skipped;
      return cli::finish_batch(tool, r.failures, request.inputs.size());
    }
    if (*info) {
      const auto model = workflows::load_pixel_model(info_model);
      std::cout << workflows::describe_pixel_model(model);
      tool.summary()["classifier"] = workflows::pixel_model_json(model);
      return 0;
    }
    if (*import) {
      io::check_output_path(ilp_out, tool.standard().overwrite);
      const auto model = retrain ? workflows::retrain_ilp_pixel_model(ilp, ctx)
                                 : workflows::import_ilp_pixel_model(ilp);
      workflows::save_pixel_model(model, ilp_out, tool.standard().overwrite);
      logger().info("wrote {} ({} classes, {} features, {} trees)", ilp_out, model.classes.size(),
                    model.feature_names.size(), model.forest.n_trees());
      tool.summary()["model"] = ilp_out;
      tool.summary()["classifier"] = workflows::pixel_model_json(model);
      return 0;
    }
    const auto s = workflows::load_pixel_spec(suggest_spec);
    const auto ranking = workflows::suggest_features(s, suggest_max, ctx);
    std::cout << workflows::format_feature_suggestions(ranking);
    tool.summary()["suggestions"] = workflows::feature_suggestions_json(ranking);
    return 0;
  });
}
