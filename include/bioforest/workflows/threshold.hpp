// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik's Threshold and Size Filter applet: probability map (or intensity image) ->
/// smoothed -> simple or hysteresis threshold -> connected components -> size filter ->
/// uint32 label image with consecutive ids, per time frame, block by block within the
/// memory budget. Also turns an existing binary mask or label image into objects.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bioforest/core/batch.hpp"
#include "bioforest/core/run_context.hpp"
#include "bioforest/workflows/canonical_image.hpp"
#include "bioforest/workflows/export.hpp"
#include "bioforest/workflows/objects/connected_components.hpp"

namespace bioforest::workflows {

enum class ThresholdMethod { simple, hysteresis, binary, labels };

/// Defaults are ilastik's (opThresholdTwoLevels.py).
struct ThresholdSettings {
  ThresholdMethod method = ThresholdMethod::simple;
  double low = 0.5, high = 0.8;
  std::size_t channel = 0, core_channel = 0;
  std::array<double, 3> sigma{1.0, 1.0, 1.0};  ///< z, y, x
  std::uint64_t min_size = 10, max_size = 1000000;
  int neighbours = 0;  ///< 4, 8, 6, 26; 0 = direct (4 in 2-D, 6 in 3-D)
  /// ilastik rescales inputs whose data range is not (0, 1): values are mapped from this
  /// range onto [0, 1] first (e.g. [0, 255] for uint8 probability maps). Unset: as stored.
  std::optional<std::pair<double, double>> input_range;
};

/// Settings from a JSON object valid against threshold.schema.json (validated here;
/// Error{usage} naming `file` otherwise).
ThresholdSettings threshold_settings_from_json(const nlohmann::json& j, const std::string& file);
nlohmann::json threshold_settings_json(const ThresholdSettings& s);

/// One block of a labelled frame: its spatial region and core.size() labels.
using LabelSink = std::function<void(const Roi& core, const std::vector<std::uint32_t>& labels)>;

/// Labels time point `t` of `input`, calling `sink` once per block (row-major block order).
/// `block_shape` empty: blocks sized for ctx.ram_bytes. Returns the number of objects.
/// Error{input} if a channel does not exist, or a label image has negative/fractional values.
std::uint32_t threshold_frame(const CanonicalImage& input, std::size_t t,
                              const ThresholdSettings& s, const LabelSink& sink,
                              const RunContext& ctx, const Shape& block_shape = {});

/// The whole labelled frame in memory (spatial shape of `input`).
std::vector<std::uint32_t> threshold_frame_in_memory(const CanonicalImage& input, std::size_t t,
                                                     const ThresholdSettings& s,
                                                     std::uint32_t& n_objects,
                                                     const RunContext& ctx);

struct ThresholdRequest {
  std::vector<std::string> inputs;
  io::ReadOptions read;
  ThresholdSettings settings;
  ExportOptions exports;  ///< source "Object Identities"
  Shape block_shape;      ///< empty: from the memory budget (tests force small blocks)
};

struct ThresholdResult {
  std::vector<std::string> outputs, skipped;
  std::vector<std::uint64_t> objects;  ///< per written output, summed over time points
  std::vector<BatchFailure> failures;
};

/// Thresholds every input into a uint32 label image; a failing input is recorded and the
/// batch goes on. Output paths are checked before any work (Error{usage}).
ThresholdResult threshold_images(const ThresholdRequest& request, const RunContext& ctx);

}  // namespace bioforest::workflows
