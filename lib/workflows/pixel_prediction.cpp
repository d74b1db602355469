// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/pixel_prediction.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "bioforest/core/blocking.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/io/image_path.hpp"
#include "bioforest/learn/probabilities.hpp"
#include "bioforest/workflows/export.hpp"
#include "bioforest/workflows/pixel_buffer.hpp"
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
// about 32K pixels, at least 64 rows (strip_rows_2d: 64 rows for images 512 to 2048 wide). Larger
// blocks lose more to first-touch page faults and cache misses on the feature planes than
// they save in halo (1024 x 1024, 49 features, 100 trees, one thread: 256-row strips take
// 15% less CPU time than one 1024^2 block, 128-row strips 18%; with 8 features 256-row
// strips still take 11% less, so the cap is in pixels, not bytes). A single 512 x 512
// image (one process, so every page is touched for the first time, at ~0.5 ms per MB on
// these VMs): 86 ms at 256K pixels, 74 ms at 128K, 73 ms at 64K (session 5); with session
// 8's faster forest, 64-row strips against 256: 31.7-34.9 ms against 38.7-40.2 (dsb2018),
// and the 1024^2 interactive prediction 150-155 ms against 164-167 (128 rows), though
// each strip computes its 2 x 35 halo rows again; batches whose buffers are reused (ISBI's
// 20 slices, u2os's ten 1349 x 1030 images) the same within 2 %. Session 9, with idle
// threads spinning briefly: 16K-pixel strips (32 rows) against these, paired medians,
// dsb2018 -1.4 ms but ISBI +17 ms, u2os the same; not changed.
// 3-D: the halo costs far more there (ilastik's sigma 10 needs 38 voxels on each side), so
// blocks of up to 160^3.

Shape prediction_block_shape(const Shape& region, const Shape& halo, std::size_t per_pixel_bytes,
                             std::size_t budget) {
  Shape capped = region;
  if (region.size() == 3) {
    for (auto& e : capped)
      e = std::min(e, std::size_t(160));
  } else {
    capped[1] = std::min(region[1], std::size_t(2048));
    capped[0] = std::min(region[0], strip_rows_2d(capped[1]));
  }
  return block_shape_for_budget(capped, halo, double(per_pixel_bytes), budget);
}

}  // namespace

struct PredictionScratch::Impl {
  std::vector<float> data;   // one block grown by the halo, channels last
  std::vector<float> plane;  // one whole time point, when read once for all its blocks
  Roi plane_roi;
  PlaneBuffer feats, probs, forest_out;
  std::vector<std::int32_t> labels;
  std::vector<std::uint32_t> mask_values;
  std::optional<features::FeatureComputer::Workspace> ws;

  features::FeatureComputer::Workspace& workspace(int threads) {
    if (!ws || ws->threads() != std::max(1, threads)) ws.emplace(threads);
    return *ws;
  }
};

PredictionScratch::PredictionScratch() : impl_(std::make_unique<Impl>()) {}
PredictionScratch::~PredictionScratch() = default;
PredictionScratch::PredictionScratch(PredictionScratch&&) noexcept = default;
PredictionScratch& PredictionScratch::operator=(PredictionScratch&&) noexcept = default;

namespace {

// Reads `outer` of time point t of `raw`, channels last, into `out`: cut from s.plane (the
// region's window `s.plane_roi` of time point t, read once) when `whole_planes`, else from
// the source.
void read_block(const PixelSource& raw, std::size_t t, const Roi& outer, bool whole_planes,
                std::mutex* io_lock, PredictionScratch::Impl& s, std::vector<float>& out) {
  if (!whole_planes) {
    const auto lock = lock_if(io_lock);
    raw.read_float(t, outer, out);
    return;
  }
  if (s.plane.empty()) {
    const auto lock = lock_if(io_lock);
    raw.read_float(t, s.plane_roi, s.plane);
  }
  // The box spans every channel, so a row of x and its channels is one contiguous run: copy
  // whole rows (as rows of C floats, per-pixel copies took ~5 % of a Simple Segmentation
  // prediction of u2os).
  const std::size_t C = raw.channels();
  Shape shape = s.plane_roi.shape();
  shape.back() *= C;
  Roi box = outer.relative_to(s.plane_roi.start);
  box.start.back() *= C;
  box.stop.back() *= C;
  const std::size_t row = box.shape().back();
  out.resize(box.size());
  float* dst = out.data();
  for_each_row(shape, box, [&](std::size_t off) {
    std::copy_n(s.plane.data() + off, row, dst);
    dst += row;
  });
}

}  // namespace

void classify_blocks(const PixelModel& model, const PixelSource& raw, const CanonicalImage* mask,
                     std::size_t t0, std::size_t t1, const Roi& region, BlockNeeds needs,
                     const std::function<void(const PixelBlock&)>& sink, const RunContext& ctx) {
  classify_blocks(model, raw, mask, t0, t1, region, ClassifyOptions{needs}, sink, ctx);
}

void classify_blocks(const PixelModel& model, const PixelSource& raw, const CanonicalImage* mask,
                     std::size_t t0, std::size_t t1, const Roi& region,
                     const ClassifyOptions& options,
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
  PredictionScratch own;
  PredictionScratch::Impl& s = (options.scratch ? *options.scratch : own).impl();
  features::FeatureComputer::Workspace& ws = s.workspace(ctx.threads);
  const Shape halo = fc.halo();
  const std::size_t K = model.classes.size();
  const std::size_t per_pixel = 4 * (raw.channels() + fc.n_channels() + 2 * K + 2);
  const auto blocks = make_blocks(
      region.shape(), prediction_block_shape(region.shape(), halo, per_pixel, ctx.ram_bytes / 2),
      Shape(region.rank(), 0));
  // The region's window of a time point (all its blocks' raw data) read at once.
  s.plane_roi = region.grow(halo, raw.spatial_shape());
  const bool whole_planes =
      options.read_whole_planes && blocks.size() > 1 &&
      s.plane_roi.size() * raw.channels() * sizeof(float) <= ctx.ram_bytes / 8;

  const auto& classes = model.forest.classes();
  // Every class was labelled (the usual case): the forest writes the probabilities in place.
  bool columns_are_classes = classes.size() == K;
  for (std::size_t c = 0; c < classes.size(); ++c)
    columns_are_classes &= classes[c] == std::int32_t(c + 1);
  // The labels-only walk returns the forest's winning column, which is the argmax of the
  // probabilities written below only when every class was labelled (else a sample with a NaN
  // feature, all zeros, would win the first trained class rather than class 1).
  const bool labels_only = !options.needs.probabilities && columns_are_classes;
  std::size_t done = 0;
  const std::size_t total = blocks.size() * (t1 - t0);
  for (std::size_t t = t0; t < t1; ++t) {
    s.plane.clear();
    for (const Block& b : blocks) {
      const Roi core = b.core.shifted(region.start);
      const Roi outer = core.grow(halo, raw.spatial_shape());
      read_block(raw, t, outer, whole_planes, options.io_lock, s, s.data);
      Shape block_shape = outer.shape();
      block_shape.push_back(raw.channels());
      const std::size_t n = core.size();
      // Planes padded so that the forest reads them in place (learn::padded_plane_stride),
      // unless the sink wants the features, which it reads packed.
      const std::size_t stride = options.needs.features ? n : learn::padded_plane_stride(n);
      float* feats = s.feats.reserve(fc.n_channels() * stride);
      fc.compute(s.data.data(), block_shape, core.relative_to(outer.start),
                 features::BlockBorders::of(outer, raw.spatial_shape()), feats, ws, stride);
      // The core's pixels in row-major order: the forest walks them in 2-D tiles.
      const auto view = learn::FeatureView::planar(feats, n, fc.n_channels(), stride)
                            .image_rows(core.shape().back());
      float* probs = nullptr;
      if (labels_only) {
        s.labels.resize(n);
        model.forest.predict_labels(view, s.labels.data(), ctx);
      } else if (columns_are_classes) {
        probs = s.probs.reserve(K * n);
        model.forest.predict_proba_planar(view, probs, ctx);
      } else {
        // Forest columns are the trained labels; classes never labelled stay 0 (ilastik).
        float* forest_out = s.forest_out.reserve(classes.size() * n);
        model.forest.predict_proba_planar(view, forest_out, ctx);
        probs = s.probs.reserve(K * n);
        std::fill_n(probs, K * n, 0.0f);
        for (std::size_t c = 0; c < classes.size(); ++c) {
          const std::size_t k = std::size_t(classes[c]) - 1;
          if (k < K) std::copy_n(forest_out + c * n, n, probs + k * n);
        }
      }
      if (mask) {
        {
          const auto lock = lock_if(options.io_lock);
          mask->read_labels(t, core, s.mask_values);
        }
        if (!labels_only)
          for (std::size_t k = 0; k < K; ++k)
            for (std::size_t i = 0; i < n; ++i)
              if (!s.mask_values[i]) probs[k * n + i] = 0.0f;
      }
      PixelBlock pb;
      pb.t = t;
      pb.core = core;
      pb.features = options.needs.features ? feats : nullptr;
      pb.n_features = fc.n_channels();
      pb.probabilities = labels_only ? nullptr : probs;
      pb.labels = labels_only ? s.labels.data() : nullptr;
      pb.n_classes = K;
      pb.mask = mask ? s.mask_values.data() : nullptr;
      sink(pb);
      ctx.progress("predicting " + raw.path(), ++done, total);
    }
  }
  s.plane.clear();
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

// PNG and JPEG rows decode in order: every region read decodes the file from its top.
// (TIFF reads only the strips or tiles of a region, HDF5 only its chunks.)
bool decodes_from_the_top(const std::string& format) {
  return format.find("png") != std::string::npos || format.find("jpeg") != std::string::npos;
}

// An image opened, read and closed under the batch's io lock.
struct CloseLocked {
  std::mutex* io_lock = nullptr;
  void operator()(CanonicalImage* image) const {
    const auto lock = lock_if(io_lock);
    delete image;
  }
};
using LockedImage = std::unique_ptr<CanonicalImage, CloseLocked>;

LockedImage open_locked(const std::string& path, const io::ReadOptions& options,
                        std::mutex* io_lock) {
  const auto lock = lock_if(io_lock);
  return LockedImage(new CanonicalImage(path, options), CloseLocked{io_lock});
}

void predict_one(const PixelModel& model, const std::string& input, const std::string& mask_path,
                 const PixelPredictRequest& req, const RunContext& ctx, PredictionScratch& scratch,
                 std::mutex* io_lock, std::vector<std::string>& outputs) {
  const LockedImage raw = open_locked(input, req.read, io_lock);
  LockedImage mask;
  if (!mask_path.empty()) {
    mask = open_locked(mask_path, io::ReadOptions{}, io_lock);
    check_same_grid(*raw, *mask, "prediction mask");
  }
  std::size_t t0 = 0, t1 = raw->t();
  Roi region = Roi::whole(raw->spatial_shape());
  if (!req.exports.cutout.empty())
    raw->split_roi(parse_roi(req.exports.cutout, raw->info().shape), t0, t1, region);

  std::vector<std::string> class_names;
  for (const auto& c : model.classes)
    class_names.push_back(c.name);
  const std::string labels_path = training_labels_for(model, input);
  LockedImage labels;
  std::vector<std::unique_ptr<ResultWriter>> writers;
  std::vector<std::optional<PixelResult>> kinds;  // empty: Labels
  ClassifyOptions options{BlockNeeds{false, false}, &scratch, io_lock,
                          decodes_from_the_top(raw->info().format)};
  for (const auto& source : req.exports.sources) {
    const std::string path = export_path(req.exports, input, source);
    if (source == "Labels") {
      if (labels_path.empty())
        logger().warn("{} is not a training image of the model: its Labels export is empty", input);
      else
        labels = open_locked(labels_path, io::ReadOptions{}, io_lock);
      ResultLayout l;
      l.source = source;
      l.natural = DType::uint8;
      writers.push_back(
          std::make_unique<ResultWriter>(l, *raw, t0, t1, region, req.exports, path, io_lock));
      kinds.emplace_back();
      continue;
    }
    const PixelResult kind = source == "Probabilities"         ? PixelResult::probabilities
                             : source == "Simple Segmentation" ? PixelResult::segmentation
                             : source == "Uncertainty"         ? PixelResult::uncertainty
                                                               : PixelResult::features;
    options.needs.features |= kind == PixelResult::features;
    options.needs.probabilities |= kind != PixelResult::segmentation;
    writers.push_back(std::make_unique<ResultWriter>(
        pixel_result_layout(kind, source, class_names, model.feature_names), *raw, t0, t1, region,
        req.exports, path, io_lock));
    kinds.push_back(kind);
  }

  std::vector<float> values;
  std::vector<std::uint32_t> label_values;
  classify_blocks(
      model, *raw, mask.get(), t0, t1, region, options,
      [&](const PixelBlock& b) {
        for (std::size_t w = 0; w < writers.size(); ++w) {
          if (kinds[w]) {
            write_pixel_result(*kinds[w], b, *writers[w], values);
            continue;
          }
          values.assign(b.core.size(), 0.0f);
          if (labels) {
            {
              const auto lock = lock_if(io_lock);
              labels->read_labels(b.t, b.core, label_values);
            }
            for (std::size_t i = 0; i < values.size(); ++i)
              values[i] = float(label_values[i]);
          }
          writers[w]->write(b.t, b.core, values.data());
        }
      },
      ctx);
  for (auto& w : writers) {
    w->commit();
    outputs.push_back(w->path());
  }
}

}  // namespace

std::vector<RunContext> batch_workers(const RunContext& ctx, std::size_t inputs) {
  const std::size_t threads = std::size_t(std::max(1, ctx.threads));
  const std::size_t n = std::clamp<std::size_t>(inputs, 1, threads);
  std::vector<RunContext> workers(n, ctx);
  for (std::size_t w = 0; w < n; ++w) {
    workers[w].threads = int(threads / n + (w < threads % n ? 1 : 0));
    workers[w].ram_bytes = ctx.ram_bytes / n;
  }
  return workers;
}

PixelPredictResult predict_pixels(const PixelModel& model, const PixelPredictRequest& req,
                                  const RunContext& ctx) {
  if (!req.masks.empty() && req.masks.size() != 1 && req.masks.size() != req.inputs.size())
    throw_usage("give one prediction mask for all inputs or one per input (" +
                std::to_string(req.inputs.size()) + ")");
  const std::vector<bool> skip = plan_exports(req.exports, req.inputs);
  const auto to_run = std::size_t(std::count(skip.begin(), skip.end(), false)) +
                      (skip.empty() ? req.inputs.size() : 0);
  const std::vector<RunContext> workers = batch_workers(ctx, to_run);
  std::vector<PredictionScratch> scratch(workers.size());
  std::mutex io_mutex;
  std::mutex* io_lock = workers.size() > 1 ? &io_mutex : nullptr;
  std::vector<std::vector<std::string>> outputs(req.inputs.size());
  PixelPredictResult result;
  run_batch_parallel(req.inputs, skip, "predicting", workers.size(), result.skipped,
                     result.failures, [&](std::size_t i, std::size_t w) {
                       const std::string mask = req.masks.empty()       ? ""
                                                : req.masks.size() == 1 ? req.masks[0]
                                                                        : req.masks[i];
                       predict_one(model, req.inputs[i], mask, req, workers[w], scratch[w], io_lock,
                                   outputs[i]);
                     });
  for (auto& o : outputs)
    result.outputs.insert(result.outputs.end(), o.begin(), o.end());
  return result;
}

}  // namespace bioforest::workflows
