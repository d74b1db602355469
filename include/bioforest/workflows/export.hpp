// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik's data-export options, shared by every workflow that writes per-pixel results:
/// which results ("export sources"), the format, the file-name pattern, dtype and value
/// range, region, and axis order.

#include <optional>
#include <string>
#include <vector>

#include "bioforest/core/image.hpp"
#include "bioforest/io/convert.hpp"
#include "bioforest/io/writer.hpp"

namespace bioforest::workflows {

struct ExportOptions {
  /// Display names as ilastik spells them ("Probabilities", "Simple Segmentation", ...);
  /// matched case-insensitively by the workflow. Several may be given: one file each.
  std::vector<std::string> sources;
  /// ilastik's --output_format: hdf5, compressed hdf5, tiff, multipage tiff, tiff sequence,
  /// multipage tiff sequence, png, png sequence, ome-tiff. Empty: from -o's extension, else hdf5.
  std::string format;
  /// ilastik's --output_filename_format; placeholders {dataset_dir}, {nickname},
  /// {result_type} (display name), {result} (lower-case-hyphenated); the extension is set by
  /// the format.
  std::string filename_format = "{dataset_dir}/{nickname}_{result_type}";
  /// -o: an explicit output path (one input and one source only).
  std::string output;
  std::string internal_path = "exported_data";  ///< HDF5 dataset
  std::optional<DType> dtype;                   ///< --export-dtype
  std::optional<io::Range> pipeline_drange;     ///< --pipeline-result-drange
  std::optional<io::Range> export_drange;       ///< --export-drange
  std::string cutout;                           ///< --cutout-subregion text (input axes)
  std::optional<Axes> output_axes;              ///< --output-axis-order
  std::string compression;
  bool overwrite = false;
  bool skip_existing = false;  ///< inputs whose outputs all exist are skipped (job arrays)
};

/// "Simple Segmentation" -> "simple-segmentation".
std::string result_slug(const std::string& display_name);

/// How a user's spelling of a source or option name is matched: letters and digits only,
/// lower case ("Simple_Segmentation", "simple segmentation" -> "simplesegmentation").
std::string loose_name(const std::string& text);

/// `pattern` with {dataset_dir}, {nickname} (ilastik's: file name without extensions and
/// glob characters), {result_type} (`source`) and {result} (its slug) filled in.
std::string fill_filename_placeholders(const std::string& pattern, const std::string& input,
                                       const std::string& source = {});

/// The output file of `input` for `source` (placeholders filled, extension from the format).
std::string export_path(const ExportOptions& options, const std::string& input,
                        const std::string& source);

/// The resolved writer format ("hdf5", "tiff", "tiff sequence", "png", ...).
std::string export_format(const ExportOptions& options);

/// io::WriteOptions for one output.
io::WriteOptions export_write_options(const ExportOptions& options);

/// Checks, before any work, every output of every input: none exists unless --overwrite
/// (or --skip-existing, which then skips that input), no two coincide, folders are
/// writable, -o is used with one input and one source. Returns, per input, whether it is
/// to be skipped. Throws Error{usage}/Error{output}.
std::vector<bool> plan_exports(const ExportOptions& options,
                               const std::vector<std::string>& inputs);

/// Converts a float32 result block for export. Integer targets: with --pipeline-result-drange
/// that range is mapped onto --export-drange (or the full dtype range); without it, values
/// in `natural` (e.g. [0, 1] for probabilities) are renormalised onto the full dtype range,
/// instead of ilastik's plain cast that turns probabilities into 0/1. Pass no `natural`
/// range for values without one (features): they are then only cast (rounded, clamped).
/// `natural_dtype` is the result's own dtype (float32, or uint8 for segmentations), used
/// when no --export-dtype is given.
Image export_values(const Image& block, const ExportOptions& options, DType natural_dtype,
                    std::optional<io::Range> natural);

/// The dtype an export of a result with dtype `natural` will have.
DType export_dtype(const ExportOptions& options, DType natural);

}  // namespace bioforest::workflows
