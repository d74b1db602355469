// SPDX-License-Identifier: BSD-3-Clause
// autocontext: two-or-more-stage pixel classification (ilastik's Autocontext workflow).
#include <iostream>

#include "bioforest/cli/export_options.hpp"
#include "bioforest/cli/inputs.hpp"
#include "bioforest/cli/tool.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/workflows/autocontext.hpp"

using namespace bioforest;

int main(int argc, char** argv) {
  cli::Tool tool("autocontext",
                 "Autocontext: pixel classification in stages, each stage classifying the raw "
                 "channels together with the previous stage's probabilities.");
  auto& app = tool.app();
  tool.require_subcommand();

  std::string spec, model_out;
  auto* train = cli::add_train_subcommand(app, "Train every stage from a spec (JSON)",
                                          "autocontext", spec, model_out);

  std::string model;
  std::vector<std::string> inputs, raw_data;
  cli::ExportFlags export_flags;
  cli::InputOptions input;
  auto* predict = app.add_subcommand("predict",
                                     "Classify images with a model or an ilastik "
                                     "Autocontext project");
  predict->add_option("--model,--project", model, "Model (.h5) or ilastik project (.ilp)")
      ->required();
  predict->add_option("inputs", inputs, "Images to classify");
  predict->add_option("--raw-data,--raw_data", raw_data, "Images (ilastik's spelling)");
  cli::add_export_options(*predict, export_flags,
                          "Probabilities Stage k, Simple Segmentation Stage k, Uncertainty Stage "
                          "k, Features Stage k, Probabilities All Stages; without a stage: the "
                          "last [default: Probabilities Stage <last>]");
  cli::add_input_options(*predict, input);

  std::string info_model;
  auto* info = app.add_subcommand("info", "Print what a model or project holds");
  info->add_option("model", info_model, "Model file or ilastik project")->required();

  std::string ilp, ilp_out;
  auto* import = app.add_subcommand("import-ilp",
                                    "Turn an ilastik Autocontext project into a "
                                    "bioforest model");
  import->add_option("project", ilp, "ilastik project (.ilp)")->required();
  import->add_option("-o,--output", ilp_out, "Model file to write (.h5)")->required();

  for (auto* sub : {train, predict, info, import})
    sub->fallthrough();
  tool.add_example("autocontext train membranes.json -o membranes.model.h5",
                   "train both stages from the scribbles named in a spec");
  tool.add_example(
      "autocontext predict --model membranes.model.h5 --export-source "
      "\"Simple Segmentation Stage 2\" slices/*.png",
      "segment with the second stage");

  return tool.run(argc, argv, [&]() -> int {
    const RunContext& ctx = tool.context();
    const bool overwrite = tool.standard().overwrite;
    if (*train) {
      io::check_output_path(model_out, overwrite);
      const auto m = workflows::train_autocontext(workflows::load_autocontext_spec(spec), ctx);
      workflows::save_autocontext_model(m, model_out, overwrite);
      logger().info("wrote {}", model_out);
      tool.summary()["model"] = model_out;
      tool.summary()["classifier"] = workflows::autocontext_model_json(m);
      return 0;
    }
    if (*predict) {
      const auto m = workflows::load_autocontext_model(model);
      workflows::PixelPredictRequest r;
      r.inputs = inputs;
      r.inputs.insert(r.inputs.end(), raw_data.begin(), raw_data.end());
      if (r.inputs.empty()) throw_usage("no input images given");
      r.read = input.read_options();
      const std::size_t n = m.stages.size();
      r.exports = cli::export_options(
          export_flags, overwrite,
          [n](const std::string& s) { return workflows::match_autocontext_export_source(s, n); },
          "Probabilities Stage " + std::to_string(n));
      const auto result = workflows::predict_autocontext(m, r, ctx);
      for (const auto& o : result.outputs)
        logger().info("wrote {}", o);
      tool.summary()["outputs"] = result.outputs;
      tool.summary()["skipped"] = result.skipped;
      return cli::finish_batch(tool, result.failures, r.inputs.size());
    }
    if (*info) {
      const auto m = workflows::load_autocontext_model(info_model);
      std::cout << workflows::describe_autocontext_model(m);
      tool.summary()["classifier"] = workflows::autocontext_model_json(m);
      return 0;
    }
    io::check_output_path(ilp_out, overwrite);
    const auto m = workflows::import_ilp_autocontext(ilp);
    workflows::save_autocontext_model(m, ilp_out, overwrite);
    logger().info("wrote {} ({} stages)", ilp_out, m.stages.size());
    tool.summary()["model"] = ilp_out;
    return 0;
  });
}
