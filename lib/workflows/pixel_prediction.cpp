// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/pixel_prediction.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "bioforest/core/blocking.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/io/image_path.hpp"
#include "bioforest/learn/probabilities.hpp"
#include "bioforest/workflows/export.hpp"
#include "bioforest/workflows/result_writer.hpp"
#include "bioforest/workflows/spec_file.hpp"

namespace fs = std::filesystem;

namespace bioforest::workflows {

const std::vector<std::string>& pixel_export_sources() {
  static const std::vector<std::string> s{"Probabilities", "Simple Segmentation", "Uncertainty",
                                          "Features", "Labels"};
  return s;
}

std::string match_pixel_export_source(const std::string& text) {
  for (const auto& s : pixel_export_sources())
    if (loose_name(s) == loose_name(text)) return s;
  throw_usage("unknown export source '" + text +
              "' (expected Probabilities, Simple Segmentation, Uncertainty, Features or Labels)");
}

namespace {

// Spatial block shape: as large as the budget allows (less halo recomputation), capped so
// that the block's features stay small. 2-D: strips of whole rows (up to 2048 wide) of
// about 256K pixels. Larger blocks lose more to first-touch page faults and cache misses on
// the feature planes than they save in halo (1024 x 1024, 49 features, 100 trees, one
// thread: 256-row strips take 15% less CPU time than one 1024^2 block, 128-row strips 18%;
// with 8 features 256-row strips still take 11% less, so the cap is in pixels, not bytes).
// 3-D: the halo costs far more there (ilastik's sigma 10 needs 38 voxels on each side), so
// blocks of up to 160^3.
constexpr std::size_t kBlockPixels2d = std::size_t(1) << 18;

Shape prediction_block_shape(const Shape& region, const Shape& halo, std::size_t per_pixel_bytes,
                             std::size_t budget) {
  Shape capped = region;
  if (region.size() == 3) {
    for (auto& e : capped)
      e = std::min(e, std::size_t(160));
  } else {
    capped[1] = std::min(region[1], std::size_t(2048));
    capped[0] = std::min(region[0], std::max(std::size_t(64), kBlockPixels2d / capped[1]));
  }
  return block_shape_for_budget(capped, halo, double(per_pixel_bytes), budget);
}

}  // namespace

void classify_blocks(const PixelModel& model, const PixelSource& raw, const CanonicalImage* mask,
                     std::size_t t0, std::size_t t1, const Roi& region, BlockNeeds needs,
                     const std::function<void(const PixelBlock&)>& sink, const RunContext& ctx) {
  if (raw.channels() != model.input_channels)
    throw_input(raw.path(), "has " + std::to_string(raw.channels()) +
                                " channel(s) but the classifier was trained on " +
                                std::to_string(model.input_channels));
  if (raw.spatial_rank() != model.spatial_rank)
    throw_input(raw.path(), std::string("is a ") + (raw.is_3d() ? "3-D volume" : "2-D image") +
                                " but the classifier was trained on " +
                                (model.spatial_rank == 3 ? "3-D volumes" : "2-D images"));
  with_context("checking the feature scales against " + raw.path(), [&] {
    try {
      features::validate_for_shape(model.features, raw.spatial_shape());
    } catch (Error& e) {
      throw Error(ErrorCategory::input, e.reason(), raw.path());
    }
  });
  const features::FeatureComputer fc(model.features, raw.channels(), raw.spatial_rank());
  if (fc.n_channels() != model.forest.n_features())
    throw_internal("feature count " + std::to_string(fc.n_channels()) + " != forest's " +
                   std::to_string(model.forest.n_features()));
  features::FeatureComputer::Workspace ws(ctx.threads);
  const Shape halo = fc.halo();
  const std::size_t K = model.classes.size();
  const std::size_t per_pixel = 4 * (raw.channels() + fc.n_channels() + 2 * K + 2);
  const auto blocks = make_blocks(
      region.shape(), prediction_block_shape(region.shape(), halo, per_pixel, ctx.ram_bytes / 2),
      Shape(region.rank(), 0));

  std::vector<float> data, feats, forest_out, probs;
  std::vector<std::int32_t> labels;
  std::vector<std::uint32_t> mask_values;
  const auto& classes = model.forest.classes();
  // Every class was labelled (the usual case): the forest writes the probabilities in place.
  bool columns_are_classes = classes.size() == K;
  for (std::size_t c = 0; c < classes.size(); ++c)
    columns_are_classes &= classes[c] == std::int32_t(c + 1);
  // The labels-only walk returns the forest's winning column, which is the argmax of the
  // probabilities written below only when every class was labelled (else a sample with a NaN
  // feature, all zeros, would win the first trained class rather than class 1).
  const bool labels_only = !needs.probabilities && columns_are_classes;
  std::size_t done = 0;
  const std::size_t total = blocks.size() * (t1 - t0);
  for (std::size_t t = t0; t < t1; ++t) {
    for (const Block& b : blocks) {
      const Roi core = b.core.shifted(region.start);
      const Roi outer = core.grow(halo, raw.spatial_shape());
      raw.read_float(t, outer, data);
      Shape block_shape = outer.shape();
      block_shape.push_back(raw.channels());
      const std::size_t n = core.size();
      feats.resize(fc.n_channels() * n);
      fc.compute(data.data(), block_shape, core.relative_to(outer.start),
                 features::BlockBorders::of(outer, raw.spatial_shape()), feats.data(), ws);
      const auto view = learn::FeatureView::planar(feats.data(), n, fc.n_channels());
      if (labels_only) {
        labels.resize(n);
        model.forest.predict_labels(view, labels.data(), ctx);
      } else if (columns_are_classes) {
        probs.resize(K * n);
        model.forest.predict_proba_planar(view, probs.data(), ctx);
      } else {
        // Forest columns are the trained labels; classes never labelled stay 0 (ilastik).
        forest_out.resize(classes.size() * n);
        model.forest.predict_proba_planar(view, forest_out.data(), ctx);
        probs.assign(K * n, 0.0f);
        for (std::size_t c = 0; c < classes.size(); ++c) {
          const std::size_t k = std::size_t(classes[c]) - 1;
          if (k < K) std::copy_n(&forest_out[c * n], n, &probs[k * n]);
        }
      }
      if (mask) {
        mask->read_labels(t, core, mask_values);
        if (!labels_only)
          for (std::size_t k = 0; k < K; ++k)
            for (std::size_t i = 0; i < n; ++i)
              if (!mask_values[i]) probs[k * n + i] = 0.0f;
      }
      PixelBlock pb;
      pb.t = t;
      pb.core = core;
      pb.features = needs.features ? feats.data() : nullptr;
      pb.n_features = fc.n_channels();
      pb.probabilities = labels_only ? nullptr : probs.data();
      pb.labels = labels_only ? labels.data() : nullptr;
      pb.n_classes = K;
      pb.mask = mask ? mask_values.data() : nullptr;
      sink(pb);
      ctx.progress("predicting " + raw.path(), ++done, total);
    }
  }
}

namespace {

// The label image of `input` if it is one of the model's training images.
std::string training_labels_for(const PixelModel& model, const std::string& input) {
  if (model.spec_json.empty()) return {};
  const auto doc = nlohmann::json::parse(model.spec_json);
  std::error_code ec;
  for (const auto& t : doc.value("training", nlohmann::json::array())) {
    const std::string img = spec::resolve_path(model.spec_file, t.value("image", ""));
    if (fs::equivalent(io::parse_image_path(img).file, io::parse_image_path(input).file, ec))
      return spec::resolve_path(model.spec_file, t.value("labels", ""));
  }
  return {};
}

void predict_one(const PixelModel& model, const std::string& input, const std::string& mask_path,
                 const PixelPredictRequest& req, const RunContext& ctx,
                 std::vector<std::string>& outputs) {
  const CanonicalImage raw(input, req.read);
  std::unique_ptr<CanonicalImage> mask;
  if (!mask_path.empty()) {
    mask = std::make_unique<CanonicalImage>(mask_path, io::ReadOptions{});
    check_same_grid(raw, *mask, "prediction mask");
  }
  std::size_t t0 = 0, t1 = raw.t();
  Roi region = Roi::whole(raw.spatial_shape());
  if (!req.exports.cutout.empty())
    raw.split_roi(parse_roi(req.exports.cutout, raw.info().shape), t0, t1, region);

  std::vector<std::string> class_names;
  for (const auto& c : model.classes)
    class_names.push_back(c.name);
  const std::string labels_path = training_labels_for(model, input);
  std::unique_ptr<CanonicalImage> labels;
  std::vector<std::unique_ptr<ResultWriter>> writers;
  std::vector<std::optional<PixelResult>> kinds;  // empty: Labels
  BlockNeeds needs{false, false};
  for (const auto& source : req.exports.sources) {
    const std::string path = export_path(req.exports, input, source);
    if (source == "Labels") {
      if (labels_path.empty())
        logger().warn("{} is not a training image of the model: its Labels export is empty", input);
      else
        labels = std::make_unique<CanonicalImage>(labels_path, io::ReadOptions{});
      ResultLayout l;
      l.source = source;
      l.natural = DType::uint8;
      writers.push_back(std::make_unique<ResultWriter>(l, raw, t0, t1, region, req.exports, path));
      kinds.emplace_back();
      continue;
    }
    const PixelResult kind = source == "Probabilities"         ? PixelResult::probabilities
                             : source == "Simple Segmentation" ? PixelResult::segmentation
                             : source == "Uncertainty"         ? PixelResult::uncertainty
                                                               : PixelResult::features;
    needs.features |= kind == PixelResult::features;
    needs.probabilities |= kind != PixelResult::segmentation;
    writers.push_back(std::make_unique<ResultWriter>(
        pixel_result_layout(kind, source, class_names, model.feature_names), raw, t0, t1, region,
        req.exports, path));
    kinds.push_back(kind);
  }

  std::vector<float> scratch;
  std::vector<std::uint32_t> label_values;
  classify_blocks(
      model, raw, mask.get(), t0, t1, region, needs,
      [&](const PixelBlock& b) {
        for (std::size_t w = 0; w < writers.size(); ++w) {
          if (kinds[w]) {
            write_pixel_result(*kinds[w], b, *writers[w], scratch);
            continue;
          }
          scratch.assign(b.core.size(), 0.0f);
          if (labels) {
            labels->read_labels(b.t, b.core, label_values);
            for (std::size_t i = 0; i < scratch.size(); ++i)
              scratch[i] = float(label_values[i]);
          }
          writers[w]->write(b.t, b.core, scratch.data());
        }
      },
      ctx);
  for (auto& w : writers) {
    w->commit();
    outputs.push_back(w->path());
  }
}

}  // namespace

PixelPredictResult predict_pixels(const PixelModel& model, const PixelPredictRequest& req,
                                  const RunContext& ctx) {
  if (!req.masks.empty() && req.masks.size() != 1 && req.masks.size() != req.inputs.size())
    throw_usage("give one prediction mask for all inputs or one per input (" +
                std::to_string(req.inputs.size()) + ")");
  const std::vector<bool> skip = plan_exports(req.exports, req.inputs);
  PixelPredictResult result;
  run_batch(req.inputs, skip, "predicting", result.skipped, result.failures, [&](std::size_t i) {
    const std::string mask = req.masks.empty()       ? ""
                             : req.masks.size() == 1 ? req.masks[0]
                                                     : req.masks[i];
    predict_one(model, req.inputs[i], mask, req, ctx, result.outputs);
  });
  return result;
}

}  // namespace bioforest::workflows
