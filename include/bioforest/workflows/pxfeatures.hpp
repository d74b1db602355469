// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik's "Features" export without a classifier: the pixel features of a selection,
/// computed block by block within the memory budget and written as float32 with the
/// channel names, the scheme and the selection stored beside the data.

#include <optional>
#include <string>
#include <vector>

#include "bioforest/core/axes.hpp"
#include "bioforest/core/run_context.hpp"
#include "bioforest/features/selection.hpp"
#include "bioforest/io/reader.hpp"
#include "bioforest/io/writer.hpp"

namespace bioforest::workflows {

struct PxFeaturesOptions {
  io::ReadOptions read;  ///< --input-axes, --stack-along
  /// Format, compression, overwrite, HDF5 dataset (default exported_data; a path
  /// "file.h5/inner/path" names its own). The attributes channel_names, feature_scheme and
  /// feature_selection are added to these.
  io::WriteOptions write;
  /// --output-axis-order; default (t)(z)yxc: t when the input has one, z when it is a volume.
  std::optional<Axes> output_axes;
};

struct PxFeaturesResult {
  std::string output;  ///< the file written
  Shape shape;         ///< in `axes` order
  Axes axes;
  std::vector<std::string> channel_names;
  std::size_t blocks = 0;  ///< spatial blocks per time point
};

/// Reads a feature-selection spec (schemas/feature_selection.schema.json): every schema
/// violation is reported at once; Error{usage} naming the file.
features::FeatureSelection load_feature_spec(const std::string& path);

/// Computes the features of `sel` for every time point of `input` and writes them to
/// `output`. Output problems that can be seen up front (unknown format, file exists) and a
/// selection that does not fit the image (scale too large) are Error{usage} before any
/// output exists; an unreadable input is Error{input}. On any error no output is left.
/// Memory: blocks (core + halo) are sized for ctx.ram_bytes; HDF5 outputs receive each
/// block as it is computed, TIFF/PNG writers hold the whole result until commit.
PxFeaturesResult export_features(const std::string& input, const std::string& output,
                                 const features::FeatureSelection& sel,
                                 const PxFeaturesOptions& options, const RunContext& ctx);

}  // namespace bioforest::workflows
