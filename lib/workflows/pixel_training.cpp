// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/pixel_training.hpp"

#include <algorithm>

#include "bioforest/core/blocking.hpp"
#include "bioforest/core/digest.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/workflows/canonical_image.hpp"

namespace bioforest::workflows {

namespace {

// ilastik scans labels in blocks of about 40^3 voxels (256^2 in 2-D); features are then
// requested only for the bounding box of each block's labels.
Shape label_block_shape(int rank) {
  return rank == 3 ? Shape{64, 64, 64} : Shape{256, 256};
}

// The bounding box (block-local) of the nonzero entries of a label block.
bool label_bbox(const std::vector<std::uint32_t>& labels, const Shape& shape, Roi& bbox) {
  const std::size_t rank = shape.size();
  bbox = Roi{Shape(rank, SIZE_MAX), Shape(rank, 0)};
  bool any = false;
  Shape idx(rank, 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i]) {
      any = true;
      std::size_t rem = i;
      for (std::size_t d = rank; d-- > 0;) {
        idx[d] = rem % shape[d];
        rem /= shape[d];
      }
      for (std::size_t d = 0; d < rank; ++d) {
        bbox.start[d] = std::min(bbox.start[d], idx[d]);
        bbox.stop[d] = std::max(bbox.stop[d], idx[d] + 1);
      }
    }
  }
  return any;
}

// Appends the labelled pixels of one block (labels over `core`, features planar over
// `core`) to the training set.
void append_rows(const std::vector<std::uint32_t>& labels, const std::vector<float>& planar,
                 std::size_t n_features, std::size_t n_classes, const std::string& label_file,
                 const SamplePosition& block, const Roi& core, const Shape& spatial,
                 TrainingSet& set) {
  const std::size_t npix = labels.size();
  const Shape cs = core.shape();
  for (std::size_t p = 0; p < npix; ++p) {
    const std::uint32_t l = labels[p];
    if (!l) continue;
    // Where the sample sits in its image (flat index over the spatial shape).
    std::size_t rem = p, flat = 0, stride = 1;
    for (std::size_t d = cs.size(); d-- > 0;) {
      flat += (core.start[d] + rem % cs[d]) * stride;
      rem /= cs[d];
      stride *= spatial[d];
    }
    set.positions.push_back({block.pair, block.t, flat});
    if (l > n_classes)
      throw_input(label_file, "label value " + std::to_string(l) + " but the spec names only " +
                                  std::to_string(n_classes) + " classes");
    for (std::size_t f = 0; f < n_features; ++f)
      set.x.push_back(planar[f * npix + p]);
    set.y.push_back(std::int32_t(l));
    ++set.label_counts[l - 1];
  }
}

void gather_image(std::size_t pair, const PixelSource& raw, const CanonicalImage& labels,
                  const CanonicalImage* mask, const features::FeatureSelection& selection,
                  std::size_t n_classes, const RunContext& ctx, TrainingSet& set, bool first) {
  check_same_grid(raw, labels, "label image");
  if (mask) check_same_grid(raw, *mask, "prediction mask");
  if (first) {
    set.input_channels = raw.channels();
    set.spatial_rank = raw.spatial_rank();
  } else if (raw.channels() != set.input_channels || raw.spatial_rank() != set.spatial_rank) {
    throw_input(raw.path(), "has " + std::to_string(raw.channels()) + " channel(s) and " +
                                std::to_string(raw.spatial_rank()) +
                                " spatial axes, but the first training image has " +
                                std::to_string(set.input_channels) + " and " +
                                std::to_string(set.spatial_rank));
  }
  features::validate_for_shape(selection, raw.spatial_shape());
  const features::FeatureComputer fc(selection, raw.channels(), raw.spatial_rank());
  set.n_features = fc.n_channels();
  features::FeatureComputer::Workspace ws(ctx.threads);
  const Shape halo = fc.halo();
  const auto blocks = make_blocks(raw.spatial_shape(), label_block_shape(raw.spatial_rank()),
                                  Shape(raw.spatial_rank(), 0));
  std::vector<std::uint32_t> block_labels, core_labels, core_mask;
  std::vector<float> data, planar;
  const std::size_t total = blocks.size() * raw.t();
  std::size_t done = 0;
  for (std::size_t t = 0; t < raw.t(); ++t) {
    for (const Block& b : blocks) {
      ctx.progress("features at the labels", ++done, total);
      labels.read_labels(t, b.core, block_labels);
      Roi bbox;
      if (!label_bbox(block_labels, b.core.shape(), bbox)) continue;
      const Roi core = bbox.shifted(b.core.start);
      labels.read_labels(t, core, core_labels);
      if (mask) {
        mask->read_labels(t, core, core_mask);
        for (std::size_t i = 0; i < core_labels.size(); ++i)
          if (!core_mask[i]) core_labels[i] = 0;
      }
      const Roi outer = core.grow(halo, raw.spatial_shape());
      raw.read_float(t, outer, data);
      Shape block_shape = outer.shape();
      block_shape.push_back(raw.channels());
      planar.resize(fc.n_channels() * core.size());
      fc.compute(data.data(), block_shape, core.relative_to(outer.start),
                 features::BlockBorders::of(outer, raw.spatial_shape()), planar.data(), ws);
      append_rows(core_labels, planar, fc.n_channels(), n_classes, labels.path(),
                  SamplePosition{pair, t, 0}, core, raw.spatial_shape(), set);
    }
  }
}

}  // namespace

TrainingSet gather_training_pairs(const std::vector<TrainingPair>& pairs,
                                  const features::FeatureSelection& selection,
                                  std::size_t n_classes, const RunContext& ctx) {
  TrainingSet set;
  set.label_counts.assign(n_classes, 0);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& p = pairs[i];
    with_context("reading training image " + p.raw->path(), [&] {
      gather_image(i, *p.raw, *p.labels, p.mask.get(), selection, n_classes, ctx, set, i == 0);
    });
  }
  return set;
}

std::vector<TrainingPair> open_training_pairs(const PixelClassificationSpec& spec) {
  std::vector<TrainingPair> pairs;
  for (const auto& ti : spec.training) {
    io::ReadOptions raw_opts, label_opts;
    raw_opts.axes = ti.input_axes;
    label_opts.axes = ti.label_axes;
    TrainingPair p;
    p.raw = std::make_shared<CanonicalImage>(ti.image, raw_opts);
    p.labels = std::make_shared<CanonicalImage>(ti.labels, label_opts);
    if (!ti.prediction_mask.empty())
      p.mask = std::make_shared<CanonicalImage>(ti.prediction_mask, io::ReadOptions{});
    pairs.push_back(std::move(p));
  }
  return pairs;
}

TrainingSet gather_training_set(const PixelClassificationSpec& spec, const RunContext& ctx) {
  TrainingSet set =
      gather_training_pairs(with_context("opening the training images of " + spec.file,
                                         [&] { return open_training_pairs(spec); }),
                            spec.features, spec.classes.size(), ctx);
  if (set.y.empty())
    throw Error(ErrorCategory::usage,
                "no labelled pixels in any label image (0 = unlabelled, 1.." +
                    std::to_string(spec.classes.size()) + " = classes)",
                spec.file);
  return set;
}

PixelModel train_on_set(const TrainingSet& set, const PixelClassificationSpec& spec,
                        const RunContext& ctx) {
  PixelModel m;
  m.classes = spec.classes;
  m.features = spec.features;
  m.input_channels = set.input_channels;
  m.spatial_rank = set.spatial_rank;
  m.feature_names =
      features::feature_channel_names(spec.features, set.input_channels, set.spatial_rank == 3);
  m.spec_json = spec.document.dump(2);
  m.spec_file = spec.file;
  m.label_counts = set.label_counts;
  Sha256 digest;
  digest.update(set.x.data(), set.x.size() * sizeof(float));
  digest.update(set.y.data(), set.y.size() * sizeof(std::int32_t));
  m.training_digest = digest.hex();
  std::vector<std::int32_t> classes(spec.classes.size());
  for (std::size_t k = 0; k < classes.size(); ++k)
    classes[k] = std::int32_t(k + 1);
  ctx.progress("training the forest", 0, 1);
  m.forest = learn::ClassificationForest::train(
      learn::FeatureView::sample_major(set.x.data(), set.n_samples(), set.n_features), set.y,
      spec.forest, ctx, classes);
  m.forest.set_feature_names(m.feature_names);
  ctx.progress("training the forest", 1, 1);
  return m;
}

PixelModel train_pixel_classifier(const PixelClassificationSpec& spec, const RunContext& ctx) {
  const TrainingSet set = gather_training_set(spec, ctx);
  logger().info("{} labelled pixels, {} features", set.n_samples(), set.n_features);
  return train_on_set(set, spec, ctx);
}

}  // namespace bioforest::workflows
