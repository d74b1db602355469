// SPDX-License-Identifier: BSD-3-Clause
// gather_training_pairs: the training set holds, for every labelled (and unmasked) pixel,
// the features of the whole image at that pixel, in label-block order, and it is the same
// bit for bit whatever the thread count and memory budget (whole plane read once, or
// region windows in batches); label values above the class count are refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "bioforest/core/error.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/io/memory_image.hpp"
#include "bioforest/workflows/pixel_training.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

namespace {

// A textured image of `shape` (yx or zyx) with two channels, as yxc / zyxc float32.
Image raw_image(const Shape& shape) {
  Shape s = shape;
  s.push_back(2);
  Array<float> a = Array<float>::from_shape(s);
  std::uint32_t seed = 7;
  for (auto& v : a)
    v = float(test::lcg_next(seed) % 1000) / 10.0f;
  return Image(std::move(a), Axes(shape.size() == 3 ? "zyxc" : "yxc"));
}

// Sparse labels: short horizontal strokes of classes 1..3 spread over several label blocks,
// and a few diagonal ones (labels spanning many rows, bands of rows whose labels leave wide
// gaps: the boxes where training computes features).
Array<std::uint32_t> stroke_labels(const Shape& shape) {
  Array<std::uint32_t> a = Array<std::uint32_t>::from_shape(shape);
  std::fill(a.begin(), a.end(), 0u);
  std::uint32_t seed = 11;
  const std::size_t X = shape.back(), rows = a.size() / X;
  for (int k = 0; k < 40; ++k) {
    const std::size_t r = test::lcg_next(seed) % rows, x0 = test::lcg_next(seed) % X,
                      len = 1 + test::lcg_next(seed) % 30;
    const std::uint32_t cls = 1 + test::lcg_next(seed) % 3;
    for (std::size_t x = x0; x < std::min(X, x0 + len); ++x)
      a.data()[r * X + x] = cls;
  }
  for (int k = 0; k < 6; ++k) {
    const std::size_t r = test::lcg_next(seed) % rows, x0 = test::lcg_next(seed) % X,
                      len = 20 + test::lcg_next(seed) % 60;
    const std::uint32_t cls = 1 + test::lcg_next(seed) % 3;
    for (std::size_t d = 0; d < len && r + d < rows && x0 + d / 2 < X; ++d)
      a.data()[(r + d) * X + x0 + d / 2] = cls;
  }
  return a;
}

std::shared_ptr<CanonicalImage> memory(Image img, const std::string& name) {
  return std::make_shared<CanonicalImage>(io::memory_image(std::move(img), name));
}

features::FeatureSelection selection() {
  features::FeatureSelection sel = features::FeatureSelection::empty_default();
  sel.select(features::FeatureFamily::GaussianSmoothing, 0.7);
  sel.select(features::FeatureFamily::GaussianGradientMagnitude, 1.6);
  sel.select(features::FeatureFamily::HessianOfGaussianEigenvalues, 3.5);
  return sel;
}

}  // namespace

TEST_CASE("gather_training_pairs: whole-image features at the labels, any threads and budget",
          "[pixel_training]") {
  for (const Shape& shape : {Shape{300, 530}, Shape{18, 75, 140}}) {
    INFO("shape rank " << shape.size());
    const Image raw = raw_image(shape);
    const Array<std::uint32_t> labels = stroke_labels(shape);
    // The mask hides the left quarter of the image.
    Array<std::uint32_t> mask = Array<std::uint32_t>::from_shape(shape);
    for (std::size_t i = 0; i < mask.size(); ++i)
      mask.data()[i] = (i % shape.back()) >= shape.back() / 4;
    const std::string axes = shape.size() == 3 ? "zyx" : "yx";
    TrainingPair pair;
    pair.raw = memory(raw, "raw");
    pair.labels = memory(Image(labels, Axes(axes)), "labels");
    pair.mask = memory(Image(mask, Axes(axes)), "mask");
    const auto sel = selection();
    const Image whole = features::compute_features(raw, sel, RunContext{});
    const std::size_t F = whole.shape().back();

    std::vector<TrainingSet> sets;
    for (const auto& [threads, ram] : {std::pair<int, std::size_t>{1, std::size_t(1) << 30},
                                       std::pair<int, std::size_t>{2, std::size_t(1) << 30},
                                       std::pair<int, std::size_t>{3, std::size_t(1) << 30},
                                       std::pair<int, std::size_t>{2, std::size_t(1) << 18},
                                       std::pair<int, std::size_t>{1, std::size_t(1) << 18}}) {
      RunContext ctx;
      ctx.threads = threads;
      ctx.ram_bytes = ram;
      sets.push_back(gather_training_pairs({pair, pair}, sel, 3, ctx));
    }
    const TrainingSet& s = sets[0];
    std::size_t expected_rows = 0;
    std::vector<std::uint64_t> counts(3, 0);
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels.data()[i] && mask.data()[i]) {
        ++expected_rows;
        ++counts[labels.data()[i] - 1];
      }
    REQUIRE(expected_rows > 50);
    REQUIRE(s.n_samples() == 2 * expected_rows);  // the pair was given twice
    CHECK(s.n_features == F);
    CHECK(s.input_channels == 2);
    CHECK(s.spatial_rank == int(shape.size()));
    CHECK(s.label_counts ==
          std::vector<std::uint64_t>{2 * counts[0], 2 * counts[1], 2 * counts[2]});
    std::size_t wrong = 0;
    std::map<std::size_t, std::size_t> per_pair;
    for (std::size_t r = 0; r < s.n_samples(); ++r) {
      const SamplePosition& p = s.positions[r];
      ++per_pair[p.pair];
      wrong += std::int32_t(labels.data()[p.index]) != s.y[r] || !mask.data()[p.index];
      for (std::size_t f = 0; f < F; ++f)
        wrong += s.x[r * F + f] != whole.data<float>()[p.index * F + f];
    }
    CHECK(wrong == 0);
    CHECK(per_pair[0] == expected_rows);
    CHECK(per_pair[1] == expected_rows);
    for (std::size_t k = 1; k < sets.size(); ++k) {
      INFO("run " << k);
      CHECK(sets[k].x == s.x);
      CHECK(sets[k].y == s.y);
      CHECK(sets[k].label_counts == s.label_counts);
      bool same_positions = sets[k].positions.size() == s.positions.size();
      for (std::size_t r = 0; same_positions && r < s.positions.size(); ++r)
        same_positions = sets[k].positions[r].index == s.positions[r].index &&
                         sets[k].positions[r].pair == s.positions[r].pair;
      CHECK(same_positions);
    }
  }
}

TEST_CASE("gather_training_pairs refuses label values above the class count", "[pixel_training]") {
  const Shape shape{40, 60};
  Array<std::uint32_t> labels = Array<std::uint32_t>::from_shape(shape);
  std::fill(labels.begin(), labels.end(), 0u);
  labels.data()[5 * 60 + 7] = 1;
  labels.data()[30 * 60 + 50] = 4;
  TrainingPair pair;
  pair.raw = memory(raw_image(shape), "raw");
  pair.labels = memory(Image(labels, Axes("yx")), "scribbles.png");
  try {
    gather_training_pairs({pair}, selection(), 3, RunContext{});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::input);
    CHECK(e.file() == "scribbles.png");
    CHECK(e.reason().find("label value 4") != std::string::npos);
  }
}
