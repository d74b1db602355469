// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Autocontext (ilastik's two-stage pixel classification, any number of stages here):
/// stage k+1 classifies the raw channels stacked with stage k's probabilities, each stage
/// with its own features, labels and forest.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bioforest/core/batch.hpp"
#include "bioforest/core/run_context.hpp"
#include "bioforest/workflows/pixel_model.hpp"
#include "bioforest/workflows/pixel_prediction.hpp"
#include "bioforest/workflows/pixel_spec.hpp"

namespace bioforest::workflows {

/// Which stage-k probabilities train stage k+1 at stage k's own labelled pixels.
enum class StageInput {
  out_of_bag,  ///< the votes of the trees that did not see the pixel (default)
  in_sample,   ///< the whole forest's prediction (ilastik)
};

struct AutocontextSpec {
  std::string file;
  nlohmann::json document;
  std::vector<PixelClass> classes;
  std::vector<features::FeatureSelection> stage_features;
  std::vector<learn::ForestOptions> stage_forests;
  struct Image {
    std::string image;
    std::vector<std::string> labels;  ///< one per stage
    std::optional<Axes> input_axes, label_axes;
  };
  std::vector<Image> training;
  StageInput stage_input = StageInput::out_of_bag;
};

/// Reads and validates (schemas/autocontext.schema.json, then each stage's features).
AutocontextSpec load_autocontext_spec(const std::string& path);

struct AutocontextModel {
  std::vector<PixelModel> stages;  ///< stage k's input: raw channels + stage k-1's classes
  StageInput stage_input = StageInput::out_of_bag;
  std::string spec_json, spec_file, source = "bioforest";
};

/// The stage-k input a stage-(k+1) classifier sees: ilastik converts probabilities to the
/// raw data's dtype (integers: p * (max - min) - min, truncated: uint8 gives floor(255 p);
/// floats: unchanged).
float stage_probability_value(float p, DType raw_dtype);

/// Trains every stage in turn.
AutocontextModel train_autocontext(const AutocontextSpec& spec, const RunContext& ctx);

void save_autocontext_model(const AutocontextModel& model, const std::string& path, bool overwrite);
/// Reads our model file, or an ilastik Autocontext project (.ilp, stages "" and "01").
AutocontextModel load_autocontext_model(const std::string& path);
AutocontextModel import_ilp_autocontext(const std::string& ilp);

/// The export sources: for each stage (last stage first, as ilastik lists them)
/// "Probabilities Stage k", "Simple Segmentation Stage k", "Uncertainty Stage k",
/// "Features Stage k"; then "Probabilities All Stages". Plain "Probabilities",
/// "Simple Segmentation", ... mean the last stage.
std::vector<std::string> autocontext_export_sources(std::size_t n_stages);
std::string match_autocontext_export_source(const std::string& text, std::size_t n_stages);

/// Predicts every input (same batch behaviour as predict_pixels).
PixelPredictResult predict_autocontext(const AutocontextModel& model,
                                       const PixelPredictRequest& request, const RunContext& ctx);

std::string describe_autocontext_model(const AutocontextModel& model);
nlohmann::ordered_json autocontext_model_json(const AutocontextModel& model);

}  // namespace bioforest::workflows
