// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Applying a pixel classifier to images of any size, block by block within the memory
/// budget, and exporting ilastik's results: Probabilities, Simple Segmentation, Uncertainty,
/// Features, Labels.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bioforest/core/batch.hpp"
#include "bioforest/core/run_context.hpp"
#include "bioforest/workflows/canonical_image.hpp"
#include "bioforest/workflows/export.hpp"
#include "bioforest/workflows/pixel_model.hpp"

namespace bioforest::workflows {

/// ilastik's export sources for pixel classification, in its menu order.
const std::vector<std::string>& pixel_export_sources();
/// Matches a user's spelling case-insensitively ("simple segmentation", "Simple_Segmentation",
/// "simple-segmentation"); Error{usage} listing the valid names.
std::string match_pixel_export_source(const std::string& text);

/// The results of one block, handed to a sink: planar float32 data over `core`
/// (n channels * core.size()).
struct PixelBlock {
  std::size_t t = 0;
  Roi core;                         ///< spatial region of the image
  const float* features = nullptr;  ///< n_features planes, or null if not requested
  std::size_t n_features = 0;
  const float* probabilities = nullptr;  ///< one plane per class of the model (label k = plane k-1)
  std::size_t n_classes = 0;
  /// Per pixel the label (1..n_classes) of the most probable class; set instead of
  /// `probabilities` when only the segmentation was asked for.
  const std::int32_t* labels = nullptr;
  const std::uint32_t* mask = nullptr;  ///< core.size() values (0 = masked out), or null
};

/// What a sink needs of each block.
struct BlockNeeds {
  bool features = false;
  /// False when only the winning class is needed (Simple Segmentation alone): the block then
  /// carries `labels`, which the forest finds with an exact early exit (pixels stop walking
  /// trees once their winner is certain), about 1.5x faster than the probabilities.
  bool probabilities = true;
};

/// The buffers of classify_blocks (raw block, feature planes, probabilities, the feature
/// workspace), kept from one call to the next by a thread that classifies image after image:
/// a 512 x 512 block's 49 feature planes are 51 MB, whose fresh pages cost more than the
/// features of a small image. Not shared between threads.
class PredictionScratch {
 public:
  PredictionScratch();
  ~PredictionScratch();
  PredictionScratch(PredictionScratch&&) noexcept;
  PredictionScratch& operator=(PredictionScratch&&) noexcept;
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

/// How classify_blocks runs: what the sink needs, and its place in a batch.
struct ClassifyOptions {
  BlockNeeds needs;
  /// Buffers to reuse (one per calling thread), or null for buffers of this call only.
  PredictionScratch* scratch = nullptr;
  /// Held around every read of `raw` and `mask` when several threads classify at once
  /// (HDF5 is not thread-safe), or null.
  std::mutex* io_lock = nullptr;
  /// When a time point spans several blocks and its window (the region grown by the halo)
  /// fits an eighth of the budget, read the window once and cut the blocks from it: for
  /// sources that read a region by decoding from the top (PNG, JPEG). Not for those that
  /// read only what a region needs (TIFF strips, HDF5 chunks: the copy and the memory would
  /// be a loss), nor for sources that compute what they return (autocontext's stages).
  bool read_whole_planes = false;
};

/// Runs `model` over time points [t0, t1) and the spatial region `region` of `raw`, block
/// by block (blocks sized for ctx.ram_bytes), calling `sink` once per block. Pixels where
/// `mask` is 0 get probability 0. Error{input} if the image does not fit the model
/// (channels, dimensionality, scales too large).
void classify_blocks(const PixelModel& model, const PixelSource& raw, const CanonicalImage* mask,
                     std::size_t t0, std::size_t t1, const Roi& region,
                     const ClassifyOptions& options,
                     const std::function<void(const PixelBlock&)>& sink, const RunContext& ctx);
/// The same with buffers of its own and no lock.
void classify_blocks(const PixelModel& model, const PixelSource& raw, const CanonicalImage* mask,
                     std::size_t t0, std::size_t t1, const Roi& region, BlockNeeds needs,
                     const std::function<void(const PixelBlock&)>& sink, const RunContext& ctx);

struct PixelPredictRequest {
  std::vector<std::string> inputs;
  io::ReadOptions read;
  /// One mask per input, or one for all, or none (ilastik's Prediction Mask role).
  std::vector<std::string> masks;
  ExportOptions exports;
};

struct PixelPredictResult {
  std::vector<std::string> outputs;    ///< files written
  std::vector<std::string> skipped;    ///< inputs skipped by --skip-existing
  std::vector<BatchFailure> failures;  ///< inputs that failed (the others went on)
};

/// Predicts every input with one loaded model. Output paths are checked before any work
/// (Error{usage}); a failing input is recorded and the batch goes on. Several inputs are
/// predicted at once, one per worker with its share of the threads and of the memory
/// budget (batch_workers), their file reads and writes serialized on one lock: reading,
/// writing and small images then no longer leave threads idle. Results do not depend on it.
PixelPredictResult predict_pixels(const PixelModel& model, const PixelPredictRequest& request,
                                  const RunContext& ctx);

/// The contexts of the workers of a batch of `inputs` inputs: min(ctx.threads, inputs) of
/// them, the threads dealt out as evenly as they go, the memory budget split evenly.
std::vector<RunContext> batch_workers(const RunContext& ctx, std::size_t inputs);

}  // namespace bioforest::workflows
