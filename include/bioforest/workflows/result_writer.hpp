// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Writing per-pixel results of a workflow (probabilities, segmentations, features, ...)
/// block by block into one export file, with ilastik's export options applied: dtype and
/// range, region, axis order, channel names.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bioforest/io/writer.hpp"
#include "bioforest/workflows/canonical_image.hpp"
#include "bioforest/workflows/export.hpp"

namespace bioforest::workflows {

/// What a result is: its channel count, natural dtype and value range.
struct ResultLayout {
  std::string source;  ///< display name, stored as the export_source attribute
  std::size_t channels = 1;
  DType natural = DType::float32;
  std::optional<io::Range> range;  ///< e.g. [0, 1] for probabilities (written as drange)
  std::vector<std::string> channel_names;
};

/// One export file of one input, covering time points [t0, t1) and the spatial `region`.
/// With an `io_lock`, every call into the file's library (create, write, commit, close) holds
/// it, so writers of several inputs can run on several threads (HDF5 is not thread-safe);
/// the conversion of each block to the export dtype and axes runs outside it.
class ResultWriter {
 public:
  ResultWriter(const ResultLayout& layout, const CanonicalImage& input, std::size_t t0,
               std::size_t t1, const Roi& region, const ExportOptions& options,
               const std::string& path, std::mutex* io_lock = nullptr);
  ~ResultWriter();
  ResultWriter(const ResultWriter&) = delete;
  ResultWriter& operator=(const ResultWriter&) = delete;

  /// Writes `n` planes (core.size() floats each) of time point t into channels
  /// [channel_offset, channel_offset + n).
  void write(std::size_t t, const Roi& core, const float* planar, std::size_t channel_offset = 0,
             std::size_t n = 0);

  void commit();
  const std::string& path() const { return writer_->path(); }
  const ResultLayout& layout() const { return layout_; }

 private:
  Shape to_output_shape(const Shape& s) const;
  Shape to_output_offset(const Shape& o) const;

  ResultLayout layout_;
  bool has_t_;
  std::size_t t0_;
  Roi region_;
  const ExportOptions& options_;
  Axes result_axes_, out_axes_;
  std::mutex* io_lock_;
  std::unique_ptr<io::ImageWriter> writer_;
};

/// The per-pixel results every pixel classifier offers.
enum class PixelResult { probabilities, segmentation, uncertainty, features };

/// Layout of a result for a classifier with `class_names` and `feature_names`.
ResultLayout pixel_result_layout(PixelResult kind, const std::string& source,
                                 const std::vector<std::string>& class_names,
                                 const std::vector<std::string>& feature_names);

/// Derives `kind` from one block's planar probabilities (and features) and writes it.
/// Segmentation: label k for class column k-1, ties to the lower class, 0 where masked.
/// Uncertainty: 1 - (p_max - p_second), 0 where masked.
struct PixelBlock;
void write_pixel_result(PixelResult kind, const PixelBlock& block, ResultWriter& writer,
                        std::vector<float>& scratch, std::size_t channel_offset = 0);

}  // namespace bioforest::workflows
