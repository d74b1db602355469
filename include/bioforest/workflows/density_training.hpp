// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Training a density counter: the dot density of every training image is the regression
/// target; the spec's sampling decides which pixels become samples (see DensitySampling);
/// features are computed block by block only where samples are.

#include <cstdint>
#include <vector>

#include "bioforest/core/run_context.hpp"
#include "bioforest/workflows/density_model.hpp"
#include "bioforest/workflows/density_spec.hpp"

namespace bioforest::workflows {

/// ilastik's positive set: pixels whose dot density exceeds this.
inline constexpr float kIlastikDensityThreshold = 1e-4f;

/// Whether a pixel with `density` (and on a background stroke or not) is a sample.
inline bool density_sampled(DensitySampling s, float density, bool background) {
  return s == DensitySampling::all || background || density > kIlastikDensityThreshold;
}

/// The samples of all training images: a sample-major feature matrix and density targets.
struct DensityTrainingSet {
  std::vector<float> x;              ///< n_samples * n_features, row-major
  std::vector<float> y;              ///< target density per sample
  std::vector<std::uint32_t> image;  ///< training image (spec order) of each sample
  std::vector<std::uint64_t> pixel;  ///< t * pixels per time point + flat pixel index
  std::size_t n_features = 0;
  std::size_t input_channels = 0;
  int spatial_rank = 2;
  std::uint64_t n_dots = 0, n_background = 0;
  double target_sum = 0;  ///< sum of the targets (== dots when sampling every pixel)
  std::size_t n_samples() const { return y.size(); }
};

/// Reads every training image and its annotations and gathers the samples. Throws
/// Error{input} for unreadable files, annotations on another grid, dots outside the image or
/// images that disagree in channels or dimensionality; Error{usage} when there is no sample.
DensityTrainingSet gather_density_training_set(const DensitySpec& spec, const RunContext& ctx);

/// The forest on a gathered set; the model records the spec and a digest of the set. With
/// spec.refine "stacked" (and at least 2 training images) it also trains the out-of-fold
/// stage-1 forests, predicts each training image with the one that did not see it, and
/// trains stage 2 on the features plus the smoothed out-of-fold densities.
DensityModel train_density_on_set(const DensityTrainingSet& set, const DensitySpec& spec,
                                  const RunContext& ctx);

/// gather_density_training_set + train_density_on_set.
DensityModel train_density(const DensitySpec& spec, const RunContext& ctx);

}  // namespace bioforest::workflows
