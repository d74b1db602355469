// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Training a pixel classifier from sparse labels: features are computed only around the
/// labelled pixels (block by block, like ilastik's feature-matrix cache), then the forest
/// is trained on the labelled rows.

#include <vector>

#include <memory>

#include "bioforest/core/run_context.hpp"
#include "bioforest/workflows/canonical_image.hpp"
#include "bioforest/workflows/pixel_model.hpp"
#include "bioforest/workflows/pixel_spec.hpp"

namespace bioforest::workflows {

/// Where a training sample came from: the training pair, the time point, and the flat
/// index over the image's spatial shape.
struct SamplePosition {
  std::size_t pair = 0, t = 0, index = 0;
};

/// The labelled pixels of all training images: a sample-major feature matrix and labels.
struct TrainingSet {
  std::vector<SamplePosition> positions;  ///< one per sample
  std::vector<float> x;                   ///< n_samples * n_features, row-major
  std::vector<std::int32_t> y;            ///< label (1..K) per sample
  std::size_t n_features = 0;
  std::size_t input_channels = 0;
  int spatial_rank = 2;
  std::vector<std::uint64_t> label_counts;  ///< per class
  std::size_t n_samples() const { return y.size(); }
};

/// One training image with its labels (and optional mask), already opened.
struct TrainingPair {
  std::shared_ptr<const PixelSource> raw;
  std::shared_ptr<const CanonicalImage> labels, mask;
};

/// Gathers the labelled pixels of opened pairs (features of `selection`, labels 1..n_classes).
TrainingSet gather_training_pairs(const std::vector<TrainingPair>& pairs,
                                  const features::FeatureSelection& selection,
                                  std::size_t n_classes, const RunContext& ctx);

/// Opens the spec's training images, label images and masks.
std::vector<TrainingPair> open_training_pairs(const PixelClassificationSpec& spec);

/// Gathers the training set of a spec. Throws Error{input} for unreadable images, labels of
/// another shape, label values above the number of classes, or images that disagree in
/// channels or dimensionality; Error{usage} when no pixel is labelled.
TrainingSet gather_training_set(const PixelClassificationSpec& spec, const RunContext& ctx);

/// Gathers the training set and trains the forest; the model records the spec, the class
/// names, the label counts and a digest of the training data.
PixelModel train_pixel_classifier(const PixelClassificationSpec& spec, const RunContext& ctx);

/// The forest on an existing training set (used by train and by import-ilp --retrain).
PixelModel train_on_set(const TrainingSet& set, const PixelClassificationSpec& spec,
                        const RunContext& ctx);

}  // namespace bioforest::workflows
