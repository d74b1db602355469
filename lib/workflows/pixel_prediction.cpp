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
#include "bioforest/workflows/spec_file.hpp"

namespace fs = std::filesystem;

namespace bioforest::workflows {

const std::vector<std::string>& pixel_export_sources() {
  static const std::vector<std::string> s{"Probabilities", "Simple Segmentation", "Uncertainty",
                                          "Features", "Labels"};
  return s;
}

std::string match_pixel_export_source(const std::string& text) {
  auto norm = [](const std::string& s) {
    std::string n;
    for (char c : s)
      if (std::isalnum(static_cast<unsigned char>(c)))
        n += char(std::tolower(static_cast<unsigned char>(c)));
    return n;
  };
  for (const auto& s : pixel_export_sources())
    if (norm(s) == norm(text)) return s;
  throw_usage("unknown export source '" + text +
              "' (expected Probabilities, Simple Segmentation, Uncertainty, Features or Labels)");
}

namespace {

// Spatial block shape: as large as the budget allows (less halo recomputation), capped so
// that blocks stay a few million pixels.
Shape prediction_block_shape(const Shape& region, const Shape& halo, std::size_t per_pixel_bytes,
                             std::size_t budget) {
  Shape capped = region;
  const std::size_t cap = region.size() == 3 ? 160 : 1024;
  for (auto& e : capped)
    e = std::min(e, cap);
  Shape b = block_shape_for_budget(capped, halo, double(per_pixel_bytes), budget);
  return b;
}

}  // namespace

void classify_blocks(const PixelModel& model, const CanonicalImage& raw, const CanonicalImage* mask,
                     std::size_t t0, std::size_t t1, const Roi& region, bool want_features,
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
  std::vector<std::uint32_t> mask_values;
  const auto& classes = model.forest.classes();
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
      forest_out.resize(classes.size() * n);
      model.forest.predict_proba_planar(
          learn::FeatureView::planar(feats.data(), n, fc.n_channels()), forest_out.data(), ctx);
      // Forest columns are the trained labels; classes never labelled stay 0 (ilastik).
      probs.assign(K * n, 0.0f);
      for (std::size_t c = 0; c < classes.size(); ++c) {
        const std::size_t k = std::size_t(classes[c]) - 1;
        if (k < K) std::copy_n(&forest_out[c * n], n, &probs[k * n]);
      }
      if (mask) {
        mask->read_labels(t, core, mask_values);
        for (std::size_t k = 0; k < K; ++k)
          for (std::size_t i = 0; i < n; ++i)
            if (!mask_values[i]) probs[k * n + i] = 0.0f;
      }
      PixelBlock pb;
      pb.t = t;
      pb.core = core;
      pb.features = want_features ? feats.data() : nullptr;
      pb.n_features = fc.n_channels();
      pb.probabilities = probs.data();
      pb.n_classes = K;
      pb.mask = mask ? mask_values.data() : nullptr;
      sink(pb);
      ctx.progress("predicting " + raw.path(), ++done, total);
    }
  }
}

namespace {

// One export source of one input: converts blocks to the output's dtype and axes and writes
// them at their place in the region.
class SourceWriter {
 public:
  SourceWriter(std::string source, const CanonicalImage& raw, std::size_t t0, std::size_t t1,
               const Roi& region, std::size_t channels, DType natural,
               std::optional<io::Range> natural_range, const ExportOptions& options,
               const std::string& path, const std::vector<std::string>& channel_names)
      : source_(std::move(source)),
        has_t_(raw.info().axes.has('t')),
        t0_(t0),
        region_(region),
        channels_(channels),
        natural_(natural),
        natural_range_(natural_range),
        options_(options),
        result_axes_(raw.result_axes()) {
    Shape shape;
    if (has_t_) shape.push_back(t1 - t0);
    const Shape rs = region.shape();
    shape.insert(shape.end(), rs.begin(), rs.end());
    shape.push_back(channels);
    out_axes_ = options.output_axes ? *options.output_axes : result_axes_;
    io::WriteOptions w = export_write_options(options);
    if (source_ == "Probabilities" && !options.dtype) w.drange = io::Range{0.0, 1.0};
    if (!channel_names.empty())
      w.attributes["channel_names"] = nlohmann::json(channel_names).dump();
    w.attributes["export_source"] = source_;
    writer_ = io::create_image(path, transposed_shape(shape), export_dtype(options, natural),
                               out_axes_, w);
  }

  /// `planar`: channels planes of core.size() values (float), for time point t.
  void write(std::size_t t, const Roi& core, const float* planar) {
    Shape shape;
    if (has_t_) shape.push_back(1);
    const Shape cs = core.shape();
    shape.insert(shape.end(), cs.begin(), cs.end());
    shape.push_back(channels_);
    Array<float> a = Array<float>::from_shape(shape);
    const std::size_t n = core.size();
    float* d = a.data();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t c = 0; c < channels_; ++c)
        d[i * channels_ + c] = planar[c * n + i];
    Image block =
        export_values(Image(std::move(a), result_axes_), options_, natural_, natural_range_);
    Shape offset;
    if (has_t_) offset.push_back(t - t0_);
    for (std::size_t d2 = 0; d2 < core.rank(); ++d2)
      offset.push_back(core.start[d2] - region_.start[d2]);
    offset.push_back(0);
    if (out_axes_ != result_axes_) {
      block = block.transposed(out_axes_);
      offset = transposed_offset(offset);
    }
    writer_->write(block, offset);
  }

  void commit() { writer_->commit(); }
  const std::string& path() const { return writer_->path(); }

 private:
  Shape transposed_shape(const Shape& s) const {
    Shape out(out_axes_.size(), 1);
    for (std::size_t i = 0; i < out_axes_.size(); ++i)
      if (result_axes_.has(out_axes_[i])) out[i] = s[result_axes_.index(out_axes_[i])];
    for (std::size_t i = 0; i < result_axes_.size(); ++i)
      if (!out_axes_.has(result_axes_[i]) && s[i] != 1)
        throw_usage("--output-axis-order '" + out_axes_.str() + "' drops axis '" +
                    std::string(1, result_axes_[i]) + "' of length " + std::to_string(s[i]));
    return out;
  }
  Shape transposed_offset(const Shape& o) const {
    Shape out(out_axes_.size(), 0);
    for (std::size_t i = 0; i < out_axes_.size(); ++i)
      if (result_axes_.has(out_axes_[i])) out[i] = o[result_axes_.index(out_axes_[i])];
    return out;
  }

  std::string source_;
  bool has_t_;
  std::size_t t0_;
  Roi region_;
  std::size_t channels_;
  DType natural_;
  std::optional<io::Range> natural_range_;
  const ExportOptions& options_;
  Axes result_axes_, out_axes_;
  std::unique_ptr<io::ImageWriter> writer_;
};

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

  const std::size_t K = model.classes.size();
  const std::string labels_path = training_labels_for(model, input);
  std::unique_ptr<CanonicalImage> labels;
  std::vector<std::unique_ptr<SourceWriter>> writers;
  bool want_features = false;
  for (const auto& source : req.exports.sources) {
    const std::string path = export_path(req.exports, input, source);
    std::size_t channels = 1;
    DType natural = DType::float32;
    std::optional<io::Range> range;
    std::vector<std::string> names;
    if (source == "Probabilities") {
      channels = K;
      range = io::Range{0.0, 1.0};
      for (const auto& c : model.classes)
        names.push_back(c.name);
    } else if (source == "Simple Segmentation" || source == "Labels") {
      natural = DType::uint8;
    } else if (source == "Uncertainty") {
      range = io::Range{0.0, 1.0};
    } else if (source == "Features") {
      channels = model.feature_names.size();
      names = model.feature_names;
      want_features = true;
    }
    if (source == "Labels") {
      if (labels_path.empty())
        logger().warn("{} is not a training image of the model: its Labels export is empty", input);
      else
        labels = std::make_unique<CanonicalImage>(labels_path, io::ReadOptions{});
    }
    writers.push_back(std::make_unique<SourceWriter>(source, raw, t0, t1, region, channels, natural,
                                                     range, req.exports, path, names));
  }

  std::vector<float> scratch;
  std::vector<std::uint32_t> hard, label_values;
  classify_blocks(
      model, raw, mask.get(), t0, t1, region, want_features,
      [&](const PixelBlock& b) {
        const std::size_t n = b.core.size();
        for (std::size_t w = 0; w < writers.size(); ++w) {
          const std::string& source = req.exports.sources[w];
          if (source == "Probabilities") {
            writers[w]->write(b.t, b.core, b.probabilities);
          } else if (source == "Features") {
            writers[w]->write(b.t, b.core, b.features);
          } else if (source == "Uncertainty") {
            scratch.resize(n);
            learn::uncertainty(b.probabilities, n, K, learn::ProbaLayout::class_planar,
                               scratch.data());
            if (b.mask)
              for (std::size_t i = 0; i < n; ++i)
                if (!b.mask[i]) scratch[i] = 0.0f;
            writers[w]->write(b.t, b.core, scratch.data());
          } else if (source == "Simple Segmentation") {
            hard.resize(n);
            learn::argmax(b.probabilities, n, K, learn::ProbaLayout::class_planar, hard.data());
            scratch.resize(n);
            // Label k+1 for column k; masked-out pixels are 0 (no class).
            for (std::size_t i = 0; i < n; ++i)
              scratch[i] = (b.mask && !b.mask[i]) ? 0.0f : float(hard[i] + 1);
            writers[w]->write(b.t, b.core, scratch.data());
          } else {  // Labels
            scratch.assign(n, 0.0f);
            if (labels) {
              labels->read_labels(b.t, b.core, label_values);
              for (std::size_t i = 0; i < n; ++i)
                scratch[i] = float(label_values[i]);
            }
            writers[w]->write(b.t, b.core, scratch.data());
          }
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
  for (std::size_t i = 0; i < req.inputs.size(); ++i) {
    const std::string& input = req.inputs[i];
    if (skip[i]) {
      result.skipped.push_back(input);
      continue;
    }
    const std::string mask = req.masks.empty()       ? ""
                             : req.masks.size() == 1 ? req.masks[0]
                                                     : req.masks[i];
    auto failure = try_input(input, [&] {
      with_context("predicting " + input,
                   [&] { predict_one(model, input, mask, req, ctx, result.outputs); });
    });
    if (failure) result.failures.push_back(std::move(*failure));
  }
  return result;
}

}  // namespace bioforest::workflows
