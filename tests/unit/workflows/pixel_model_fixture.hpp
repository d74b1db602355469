// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// A small trained pixel model for the model-file tests (pixel models, autocontext stages).

#include "bioforest/workflows/pixel_model.hpp"
#include "test_support.hpp"

namespace bioforest::test {

/// Gaussian smoothing at 0.7 and Hessian eigenvalues at 1.6: 3 channels per 2-D input channel.
inline features::FeatureSelection small_selection() {
  features::FeatureSelection sel = features::FeatureSelection::empty_default();
  sel.select(features::FeatureFamily::GaussianSmoothing, 0.7);
  sel.select(features::FeatureFamily::HessianOfGaussianEigenvalues, 1.6);
  return sel;
}

/// A model of two classes for `input_channels` raw channels, its 12 trees trained on a noisy
/// linear problem of the right number of features.
inline workflows::PixelModel small_trained_model(std::size_t input_channels = 1) {
  workflows::PixelModel m;
  m.classes = {{"background", {0, 0, 255}}, {"nuclei", {255, 255, 0}}};
  m.features = small_selection();
  m.input_channels = input_channels;
  m.feature_names = features::feature_channel_names(m.features, input_channels, false);
  const std::size_t n = 300, F = m.feature_names.size();
  std::vector<float> x(n * F);
  std::vector<std::int32_t> y(n);
  std::uint32_t seed = 3;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < F; ++f)
      x[i * F + f] = float(lcg_next(seed) % 1000) / 100.0f;
    y[i] = x[i * F] + x[i * F + 1] > 10.0f ? 2 : 1;
  }
  learn::ForestOptions o;
  o.n_trees = 12;
  o.seed = 5;
  m.forest = learn::ClassificationForest::train(learn::FeatureView::sample_major(x.data(), n, F), y,
                                                o, RunContext{}, {1, 2});
  m.forest.set_feature_names(m.feature_names);
  m.spec_json = R"({"classes": [{"name": "background"}, {"name": "nuclei"}]})";
  m.spec_file = "/data/nuclei.json";
  m.training_digest = std::string(64, 'a');
  m.label_counts = {180, 120};
  return m;
}

/// The model's probabilities for 50 fixed samples (sample-major, two classes).
inline std::vector<float> fixed_probabilities(const workflows::PixelModel& m) {
  const std::size_t n = 50, F = m.feature_names.size();
  std::vector<float> x(n * F), p(n * 2);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = float((i * 37) % 1000) / 100.0f;
  m.forest.predict_proba(learn::FeatureView::sample_major(x.data(), n, F), p.data(), RunContext{});
  return p;
}

}  // namespace bioforest::test
