// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Object extraction within a memory budget, for frames larger than ctx.ram_bytes: the frame
/// is labelled block by block (threshold_frame, labels merged across block borders) into a
/// temporary label file, then measured band by band along its first spatial axis (y, or z
/// for volumes). Each object is measured whole, in the band where it starts, over rows
/// reaching to its last row, so its features are those of whole-frame extraction.
/// Peak memory: the budget for a band, plus per object its feature row and extent, plus the
/// rows of the tallest object.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bioforest/core/run_context.hpp"
#include "bioforest/workflows/canonical_image.hpp"
#include "bioforest/workflows/objects/object_extraction.hpp"

namespace bioforest::workflows {

/// Rows (along the first spatial axis) per band: the raw channels, the labels, a relabelled
/// copy, objfeatures' pixel lists and `out_channels` floats of output per pixel within
/// ctx.ram_bytes. At least 1.
std::size_t band_rows(const CanonicalImage& raw, std::size_t out_channels, const RunContext& ctx);

/// Whether every feature is measured the same on a band as on the whole frame (coordinates
/// shifted by the band's start): objfeatures' standard features. Neighbourhood features
/// (which look past the object) are not.
bool band_safe_features(const std::vector<std::string>& features);

/// One frame's objects measured band by band; `objects.labels` stays empty.
class BandedObjects {
 public:
  /// Labels frame t of `segmentation` with `settings` and measures the objects on `raw`.
  BandedObjects(const CanonicalImage& raw, const CanonicalImage& segmentation, std::size_t t,
                const ThresholdSettings& settings, const std::vector<std::string>& features,
                std::size_t rows_per_band, const RunContext& ctx);
  BandedObjects(const BandedObjects&) = delete;
  BandedObjects& operator=(const BandedObjects&) = delete;

  const FrameObjects& objects() const noexcept { return objects_; }
  /// The bands, in order: rows [start, stop) of the first spatial axis, whole along the others.
  const std::vector<Roi>& bands() const noexcept { return bands_; }
  /// The object ids of `band` (one of bands()).
  void read_labels(const Roi& band, std::vector<std::uint32_t>& out) const;

 private:
  struct TemporaryFile {  ///< removed however the object ends, also when construction throws
    std::filesystem::path path;
    ~TemporaryFile();
  };
  TemporaryFile file_;
  FrameObjects objects_;
  std::vector<Roi> bands_;
  std::unique_ptr<CanonicalImage> labels_;
};

}  // namespace bioforest::workflows
