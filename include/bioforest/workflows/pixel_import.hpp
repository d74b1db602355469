// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Bringing an ilastik Pixel Classification project over: its labels and raw data (so
/// bioforest can retrain on them). Importing the trained forest itself is
/// import_ilp_pixel_model (pixel_model.hpp).

#include <string>
#include <vector>

#include "bioforest/core/run_context.hpp"
#include "bioforest/workflows/pixel_model.hpp"
#include "bioforest/workflows/pixel_training.hpp"

namespace bioforest::workflows {

/// One lane of a project: its raw data (a path bioforest can open, resolved against the
/// project's folder; project-internal data as "project.ilp/Input Data/local_data/<id>")
/// and its labels pasted from the stored label blocks.
struct IlpLane {
  std::string raw_path;
  Axes raw_axes;  ///< from the lane's stored axistags
  Image labels;   ///< uint8, the raw data's axes without c
};

/// Reads every lane that has labels. Error{input} for a missing group or a raw file that
/// cannot be found (named with the path the project stores).
std::vector<IlpLane> read_ilp_lanes(const std::string& ilp, const std::string& stage_suffix = "");

/// Trains bioforest's forest (ilastik's defaults: 100 trees, mtry = round(sqrt F), seed 0) on
/// the project's labels and feature selection.
PixelModel retrain_ilp_pixel_model(const std::string& ilp, const RunContext& ctx);

}  // namespace bioforest::workflows
