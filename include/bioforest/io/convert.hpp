// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Changing an image's dtype and axes, with renormalisation done right, and copying any
/// readable image into any writable format block by block (what `imgconvert` does).

#include <optional>
#include <string>
#include <utility>

#include "bioforest/core/image.hpp"
#include "bioforest/core/run_context.hpp"
#include "bioforest/io/reader.hpp"
#include "bioforest/io/writer.hpp"

namespace bioforest::io {

using Range = std::pair<double, double>;

/// Parses "0,255", "(0, 255)" or "[0.0,1.0]"; throws Error{usage}.
Range parse_range(const std::string& text);

/// How values change when the dtype changes.
struct DtypeMapping {
  DType dtype = DType::float32;
  /// Range of the input values (ilastik's --pipeline_result_drange). With it, values are
  /// mapped linearly from `input` to `output`; without it, values are only cast.
  std::optional<Range> input;
  /// Target range (ilastik's --export_drange); default: the full range of an integer dtype,
  /// [0, 1] for floats.
  std::optional<Range> output;
};

/// out = c + (x - a)(d - c)/(b - a) when mapping, else x; then rounded to nearest for integer
/// targets and clamped to the target dtype (a plain C cast would wrap 300 to 44 in uint8).
Image convert_dtype(const Image& image, const DtypeMapping& mapping);

struct ConvertOptions {
  std::optional<Axes> output_axes;    ///< transpose / add or drop singleton axes
  std::optional<DtypeMapping> dtype;  ///< change the dtype
  std::optional<Roi> cutout;          ///< only this region (in the input's axes)
  WriteOptions write;
};

struct ConvertResult {
  Shape shape;
  Axes axes;
  DType dtype;
  std::size_t blocks = 0;
};

/// Streams `in` into `output` in blocks that fit ctx.ram_bytes. The output appears
/// atomically; on error or cancellation nothing is left behind.
ConvertResult convert_image(ImageReader& in, const std::string& output,
                            const ConvertOptions& options, const RunContext& ctx);

/// min, max, mean over the whole image (streamed in blocks), and whether all values are finite.
struct ImageStats {
  double min = 0, max = 0, mean = 0;
  std::size_t non_finite = 0;  ///< NaN/inf count (floats)
};
ImageStats compute_stats(ImageReader& in, const RunContext& ctx);

}  // namespace bioforest::io
