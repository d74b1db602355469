// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Computing pixel features: the whole-image entry point (export, tests) and the hot-path
/// FeatureComputer that fills channel-planar buffers block by block for the classifier.

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "bioforest/core/image.hpp"
#include "bioforest/core/roi.hpp"
#include "bioforest/core/run_context.hpp"
#include "bioforest/features/selection.hpp"

namespace bioforest::features {

/// Which faces of a block are faces of the image itself. Mirror padding (vigra's REFLECT,
/// x[-1] = x[1]) applies only there; every other face must come with the full halo of real
/// data. Per spatial axis in block order: (z, y, x) for rank 3, (y, x) for rank 2.
struct BlockBorders {
  std::array<bool, 3> lo{true, true, true};  ///< block start == image start
  std::array<bool, 3> hi{true, true, true};  ///< block end == image end

  /// A block that is the whole image (all faces are borders).
  static BlockBorders whole() { return {}; }
  /// The faces of `outer` (the block-with-halo region, spatial axes only) that touch the
  /// border of an image of spatial shape `image_shape`.
  static BlockBorders of(const Roi& outer, const Shape& image_shape);
};

/// Computes the features of one selection for blocks of an image, writing channel-planar
/// float32: out[channel][core pixel], pixels row-major over the core region (so each
/// feature is a contiguous plane the random forest can read directly). Results are
/// bit-identical to whole-image computation and independent of the thread count.
///
/// Usage (a workflow's block loop):
///   FeatureComputer fc(sel, n_channels, in_3d ? 3 : 2);
///   FeatureComputer::Workspace ws(threads);             // reuse across blocks
///   Shape halo = fc.halo();                               // grow each core by this
///   for each block: read `outer` = core grown by halo, clipped to the image, as float32
///     with the channel axis last (yxc / zyxc); then
///     fc.compute(data, outer_shape_with_c, core_in_outer, BlockBorders::of(outer, shape),
///                out, ws);                                // out: n_channels() * core.size()
///
/// The selection must have been checked with validate_for_shape() against the image (the
/// constructor only runs validate()).
class FeatureComputer {
 public:
  /// Scratch memory reused across compute() calls: no allocation once it has grown to the
  /// largest block. One per calling thread; `threads` is the OpenMP team compute() uses
  /// inside (use 1 when the caller already runs blocks in parallel).
  class Workspace {
   public:
    explicit Workspace(int threads = 1);
    ~Workspace();
    Workspace(Workspace&&) noexcept;
    Workspace& operator=(Workspace&&) noexcept;
    int threads() const noexcept;
    struct Impl;
    Impl& impl() { return *impl_; }

   private:
    std::unique_ptr<Impl> impl_;
  };

  /// `spatial_rank` 3 for volumes (z > 1), 2 for images; `input_channels` >= 1.
  FeatureComputer(FeatureSelection sel, std::size_t input_channels, int spatial_rank);
  ~FeatureComputer();
  FeatureComputer(FeatureComputer&&) noexcept;

  const FeatureSelection& selection() const noexcept;
  std::size_t input_channels() const noexcept;
  int spatial_rank() const noexcept;
  /// Number of output channels (== channel_names().size()).
  std::size_t n_channels() const noexcept;
  /// ilastik's channel names, in output order.
  const std::vector<std::string>& channel_names() const noexcept;
  /// Halo per spatial axis (z, y, x) / (y, x) a block needs around its core.
  Shape halo() const;

  /// Features of the core of one block.
  /// - `block`: float32, row-major, shape `block_shape` = spatial (z, y, x | y, x) plus the
  ///   channel axis last (input_channels() long).
  /// - `core_in_block`: spatial ROI (rank spatial_rank()) of the pixels to compute; on every
  ///   face that is not an image border, the block must extend at least halo() beyond it.
  /// - `out_planar`: n_channels() planes of core_in_block.size() floats, the planes
  ///   `out_plane_stride` floats apart (0: packed, core_in_block.size()); the gaps are not
  ///   written.
  /// Throws Error{internal} on inconsistent shapes or a missing halo.
  void compute(const float* block, const Shape& block_shape, const Roi& core_in_block,
               const BlockBorders& borders, float* out_planar, Workspace& ws,
               std::size_t out_plane_stride = 0) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Features of a whole image of any dtype whose axes contain y and x and optionally t, z, c
/// (any order). Returns float32 with the canonical axes plus `c` last ("yxc", "zyxc",
/// "tzyxc", ...), channels in ilastik's order (feature_channel_names). Each t is processed
/// independently; blocks are bounded by ctx.ram_bytes; ctx.threads threads.
/// Throws Error{usage} if the selection does not fit the image.
Image compute_features(const Image& input, const FeatureSelection& sel, const RunContext& ctx);

}  // namespace bioforest::features
