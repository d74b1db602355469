// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik's Object Extraction: segment a frame (threshold a probability map, or take a
/// segmentation / label image), then measure every object on the raw data. Per time frame,
/// on the whole frame, as ilastik does.

#include <string>
#include <vector>

#include "bioforest/core/batch.hpp"
#include "bioforest/workflows/canonical_image.hpp"
#include "bioforest/workflows/objects/object_features.hpp"
#include "bioforest/workflows/objects/object_table.hpp"
#include "bioforest/workflows/threshold.hpp"

namespace bioforest::workflows {

struct FrameObjects {
  std::size_t t = 0;
  std::uint32_t n = 0;                ///< objects 1..n
  std::vector<std::uint32_t> labels;  ///< the frame's object ids (spatial shape)
  ObjectFeatures features;
};

/// Settings that take a segmentation as it is: ids relabelled consecutively, no size filter.
ThresholdSettings segmentation_as_is();

/// Frame t: objects of `segmentation` (thresholded with `settings`) measured on `raw`.
/// Error{input} naming both files if their grids differ.
FrameObjects extract_objects(const CanonicalImage& raw, const CanonicalImage& segmentation,
                             std::size_t t, const ThresholdSettings& settings,
                             const std::vector<std::string>& features, const RunContext& ctx,
                             const ObjectFeatureOptions& options = {});

/// ilastik's table: object_id (0-based over all frames), timestep, labelimage_oid (1-based
/// per frame), then the feature columns.
ObjectTable object_feature_table(const std::vector<FrameObjects>& frames);

struct MeasureRequest {
  std::vector<std::string> raw, segmentation;  ///< pairs (same count)
  io::ReadOptions read;
  ThresholdSettings settings = segmentation_as_is();
  std::vector<std::string> features = default_object_features();
  ObjectFeatureOptions options;
  std::string output;  ///< one input: the table path
  std::string filename_format = "{dataset_dir}/{nickname}_features.csv";
  bool overwrite = false;
};

struct MeasureResult {
  std::vector<std::string> outputs;
  std::vector<std::uint64_t> objects;
  std::vector<BatchFailure> failures;
};

/// One table per (raw, segmentation) pair; a failing pair is recorded and the batch goes on.
MeasureResult measure_objects(const MeasureRequest& request, const RunContext& ctx);

}  // namespace bioforest::workflows
