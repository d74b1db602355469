// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Stacked refinement of a density counter (spec "refine": "stacked"). A forest of leaves of
/// one over-counts sparse images, and larger leaves shrink every count towards the training
/// images' mean: the error depends on how crowded the image is. Stage 2 sees, besides the
/// pixel features, the stage-1 density smoothed at a few large scales (local crowding), and
/// is trained on out-of-fold stage-1 densities (folds by training image), so that it learns
/// the error stage 1 makes on images it has not seen.

#include <cstdint>
#include <string>
#include <vector>

#include "bioforest/core/axes.hpp"

namespace bioforest::workflows {

/// The fold (0 .. k-1) of each of `n_images` training images: a seeded shuffle dealt out in
/// turn, so folds differ in size by at most one. Depends only on (n_images, k, seed).
/// k is clamped to n_images. Error{internal} if k < 2 or n_images < 2.
std::vector<std::size_t> density_image_folds(std::size_t n_images, std::size_t k,
                                             std::uint64_t seed);

/// The largest smoothing radius (features::truncated_gaussian_radius) over `scales`: the halo
/// a block needs around its core.
std::size_t refine_halo(const std::vector<double>& scales);

/// Names of the stage-2 extra features ("stage-1 density, sigma 8", ...).
std::vector<std::string> refine_feature_names(const std::vector<double>& scales);

}  // namespace bioforest::workflows
