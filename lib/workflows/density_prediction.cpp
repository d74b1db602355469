// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/density_prediction.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "bioforest/core/blocking.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/text.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/features/smoothing.hpp"
#include "bioforest/io/image_path.hpp"
#include "bioforest/workflows/density_input.hpp"
#include "bioforest/workflows/density_linear.hpp"
#include "bioforest/workflows/density_refine.hpp"
#include "bioforest/workflows/export.hpp"
#include "bioforest/workflows/spec_file.hpp"

namespace fs = std::filesystem;

namespace bioforest::workflows {

namespace {

CountBox parse_box(const nlohmann::json& b, std::size_t i, const std::string& path) {
  const std::string where = "box " + std::to_string(i);
  auto fail = [&](const std::string& why) -> CountBox {
    throw Error(ErrorCategory::usage, where + ": " + why, path);
  };
  if (!b.is_object() || !b.contains("start") || !b.contains("stop"))
    return fail("needs \"start\" and \"stop\" coordinate lists");
  CountBox box;
  box.name = b.value("name", "box" + std::to_string(i));
  for (const char* key : {"start", "stop"}) {
    const auto& v = b[key];
    if (!v.is_array() || v.size() < 2 || v.size() > 3)
      return fail(std::string("\"") + key + "\" must list 2 (y, x) or 3 (z, y, x) coordinates");
    for (const auto& c : v)
      if (!c.is_number_integer() || c.get<long long>() < 0)
        return fail(std::string("\"") + key + "\" must hold non-negative integers");
  }
  box.roi.start = b["start"].get<Shape>();
  box.roi.stop = b["stop"].get<Shape>();
  if (box.roi.start.size() != box.roi.stop.size())
    return fail("\"start\" and \"stop\" have different lengths");
  for (std::size_t d = 0; d < box.roi.rank(); ++d)
    if (box.roi.stop[d] <= box.roi.start[d]) return fail("\"stop\" must exceed \"start\"");
  if (b.contains("t")) {
    if (!b["t"].is_number_integer() || b["t"].get<long long>() < 0)
      return fail("\"t\" must be a non-negative integer");
    box.t = b["t"].get<std::size_t>();
  }
  if (b.contains("count")) {
    if (!b["count"].is_number() || !(b["count"].get<double>() >= 0))
      return fail("\"count\" must be a number >= 0");
    box.count = b["count"].get<double>();
  }
  for (auto it = b.begin(); it != b.end(); ++it)
    if (it.key() != "name" && it.key() != "start" && it.key() != "stop" && it.key() != "t" &&
        it.key() != "count")
      return fail("unknown key \"" + it.key() + "\"");
  return box;
}

// ilastik's nickname: the file name without extension(s) and glob characters.
std::string nickname(const std::string& input) {
  std::string name = fs::path(io::parse_image_path(input).file).filename().string();
  for (const char* ext : {".ome.tiff", ".ome.tif"})
    if (name.size() > std::strlen(ext) && name.ends_with(ext))
      name = name.substr(0, name.size() - std::strlen(ext));
  name = fs::path(name).stem().string();
  std::erase_if(name, [](char c) { return c == '*' || c == '?' || c == '[' || c == ']'; });
  return name;
}

// Blocks as large as the budget allows (less halo recomputation), at most a few million
// pixels each.
Shape density_block_shape(const Shape& region, const Shape& halo, std::size_t per_pixel,
                          std::size_t budget) {
  Shape capped = region;
  const std::size_t cap = region.size() == 3 ? 160 : 1024;
  for (auto& e : capped)
    e = std::min(e, cap);
  return block_shape_for_budget(capped, halo, double(per_pixel), budget);
}

void check_fits_model(const DensityModel& model, const CanonicalImage& raw) {
  if (raw.channels() != model.input_channels)
    throw_input(raw.path(), "has " + std::to_string(raw.channels()) +
                                " channel(s) but the model was trained on " +
                                std::to_string(model.input_channels));
  if (raw.spatial_rank() != model.spatial_rank)
    throw_input(raw.path(), std::string("is a ") + (raw.is_3d() ? "3-D volume" : "2-D image") +
                                " but the model was trained on " +
                                (model.spatial_rank == 3 ? "3-D volumes" : "2-D images"));
  try {
    features::validate_for_shape(model.features, raw.spatial_shape());
  } catch (Error& e) {
    throw Error(ErrorCategory::input, e.reason(), raw.path());
  }
}

// Writes the density (one float32 channel) of one input block by block, in the export's
// dtype and axis order.
class DensityWriter {
 public:
  DensityWriter(const std::string& source, const CanonicalImage& raw, std::size_t t0,
                std::size_t t1, const Roi& region, const ExportOptions& options,
                const std::string& path)
      : has_t_(raw.info().axes.has('t')),
        t0_(t0),
        region_(region),
        options_(options),
        result_axes_(raw.result_axes()),
        out_axes_(options.output_axes ? *options.output_axes : raw.result_axes()) {
    Shape shape;
    if (has_t_) shape.push_back(t1 - t0);
    const Shape rs = region.shape();
    shape.insert(shape.end(), rs.begin(), rs.end());
    shape.push_back(1);
    io::WriteOptions w = export_write_options(options);
    w.attributes["export_source"] = source;
    w.attributes["channel_names"] = "[\"density\"]";
    writer_ = io::create_image(path, out_shape(shape), export_dtype(options, DType::float32),
                               out_axes_, w);
  }

  void write(std::size_t t, const Roi& core, const float* density) {
    Shape shape;
    if (has_t_) shape.push_back(1);
    const Shape cs = core.shape();
    shape.insert(shape.end(), cs.begin(), cs.end());
    shape.push_back(1);
    Array<float> a = Array<float>::from_shape(shape);
    std::copy_n(density, core.size(), a.data());
    // Densities have no natural range: integer exports are only cast unless
    // --pipeline-result-drange says otherwise.
    Image block =
        export_values(Image(std::move(a), result_axes_), options_, DType::float32, std::nullopt);
    Shape offset;
    if (has_t_) offset.push_back(t - t0_);
    for (std::size_t d = 0; d < core.rank(); ++d)
      offset.push_back(core.start[d] - region_.start[d]);
    offset.push_back(0);
    if (out_axes_ != result_axes_) {
      block = block.transposed(out_axes_);
      offset = out_shape(offset, 0);
    }
    writer_->write(block, offset);
  }

  void commit() { writer_->commit(); }
  const std::string& path() const { return writer_->path(); }

 private:
  // `s` (in result axes) in the output axis order; axes the output lacks must be 1 long.
  Shape out_shape(const Shape& s, std::size_t fill = 1) const {
    Shape out(out_axes_.size(), fill);
    for (std::size_t i = 0; i < out_axes_.size(); ++i)
      if (result_axes_.has(out_axes_[i])) out[i] = s[result_axes_.index(out_axes_[i])];
    if (fill == 1)
      for (std::size_t i = 0; i < result_axes_.size(); ++i)
        if (!out_axes_.has(result_axes_[i]) && s[i] != 1)
          throw_usage("--output-axis-order '" + out_axes_.str() + "' drops axis '" +
                      std::string(1, result_axes_[i]) + "' of length " + std::to_string(s[i]));
    return out;
  }

  bool has_t_;
  std::size_t t0_;
  Roi region_;
  const ExportOptions& options_;
  Axes result_axes_, out_axes_;
  std::unique_ptr<io::ImageWriter> writer_;
};

// Sum of `density` (over `core`) inside `box`, in double.
double box_sum(const Roi& core, const float* density, const Roi& box) {
  const Roi inside = box.intersect(core);
  if (inside.empty()) return 0.0;
  const Roi local = inside.relative_to(core.start);
  const std::size_t row = local.shape().back();
  double s = 0;
  for_each_row(core.shape(), local, [&](std::size_t off) {
    for (std::size_t i = 0; i < row; ++i)
      s += density[off + i];
  });
  return s;
}

ImageCounts predict_one(const DensityModel& model, const std::string& input,
                        const DensityRequest& req, const RunContext& ctx,
                        std::vector<std::string>& outputs) {
  const CanonicalImage raw(input, req.read);
  check_fits_model(model, raw);
  check_boxes_fit(req.boxes, raw);
  std::size_t t0 = 0, t1 = raw.t();
  Roi region = Roi::whole(raw.spatial_shape());
  if (!req.exports.cutout.empty())
    raw.split_roi(parse_roi(req.exports.cutout, raw.info().shape), t0, t1, region);

  std::vector<std::unique_ptr<DensityWriter>> writers;
  for (const auto& source : req.exports.sources)
    writers.push_back(std::make_unique<DensityWriter>(source, raw, t0, t1, region, req.exports,
                                                      export_path(req.exports, input, source)));
  ImageCounts counts;
  counts.input = input;
  counts.name = nickname(input);
  counts.time_series = raw.info().axes.has('t');
  counts.per_t.assign(raw.t(), 0.0);
  counts.boxes.assign(req.boxes.size(), 0.0);
  density_blocks(
      model, raw, t0, t1, region,
      [&](std::size_t t, const Roi& core, const float* density) {
        const std::size_t n = core.size();
        double s = 0;
        for (std::size_t i = 0; i < n; ++i)
          s += density[i];
        counts.per_t[t] += s;
        for (std::size_t b = 0; b < req.boxes.size(); ++b)
          if (!req.boxes[b].t || *req.boxes[b].t == t)
            counts.boxes[b] += box_sum(core, density, req.boxes[b].roi);
        for (auto& w : writers)
          w->write(t, core, density);
      },
      ctx);
  for (double v : counts.per_t)
    counts.total += v;
  for (auto& w : writers) {
    w->commit();
    outputs.push_back(w->path());
  }
  return counts;
}

std::string count_text(double v) {
  std::ostringstream o;
  o.precision(10);
  o << v;
  return o.str();
}

}  // namespace

void check_boxes_fit(const std::vector<CountBox>& boxes, const CanonicalImage& raw) {
  const Roi whole = Roi::whole(raw.spatial_shape());
  for (const auto& b : boxes) {
    if (b.roi.rank() != whole.rank())
      throw_input(raw.path(), "box '" + b.name + "' has " + std::to_string(b.roi.rank()) +
                                  " coordinates but the image has " + std::to_string(whole.rank()) +
                                  " spatial axes");
    if (!whole.contains(b.roi))
      throw_input(raw.path(), "box '" + b.name + "' " + b.roi.str() +
                                  " reaches outside the image " + whole.str());
    if (b.t && *b.t >= raw.t())
      throw_input(raw.path(), "box '" + b.name + "' is in time point " + std::to_string(*b.t) +
                                  " but the image has " + std::to_string(raw.t()));
  }
}

std::vector<CountBox> read_count_boxes(const std::string& path) {
  const nlohmann::json doc = spec::read_json_file(path);
  const nlohmann::json* list = &doc;
  if (doc.is_object() && doc.contains("boxes")) list = &doc["boxes"];
  if (!list->is_array())
    throw Error(ErrorCategory::usage, "expected a list of boxes or {\"boxes\": [...]}", path);
  std::vector<CountBox> boxes;
  for (std::size_t i = 0; i < list->size(); ++i)
    boxes.push_back(parse_box((*list)[i], i, path));
  return boxes;
}

std::string match_density_export_source(const std::string& text) {
  const std::string n = loose_name(text);
  if (n == "density") return "Density";
  if (n == "probabilities") return "Probabilities";
  throw_usage("unknown export source '" + text +
              "' (expected Density, or Probabilities as ilastik names it)");
}

void density_blocks(const DensityModel& model, const CanonicalImage& raw, std::size_t t0,
                    std::size_t t1, const Roi& region,
                    const std::function<void(std::size_t, const Roi&, const float*)>& sink,
                    const RunContext& ctx) {
  check_fits_model(model, raw);
  const DensityFeatureStack stack(model.features, model.channels, model.feature_groups, raw,
                                  model.background, ctx.threads);
  const std::size_t F = stack.n_features();
  if (F != model.forest.n_features())
    throw_internal("feature count " + std::to_string(F) + " != forest's " +
                   std::to_string(model.forest.n_features()));
  if (model.stacked() && model.refine_forest.n_features() != F + model.refine_scales.size())
    throw_internal("stacked forest reads " + std::to_string(model.refine_forest.n_features()) +
                   " features, expected " + std::to_string(F + model.refine_scales.size()));
  features::FeatureComputer::Workspace ws(ctx.threads);
  // A stacked model needs the stage-1 density within the largest smoothing radius of every
  // core pixel: stage 1 runs on the core grown by that radius (clipped to the image; the
  // smoothing is normalised inside the image, so blocks agree with the whole image).
  const bool grown = model.stacked() || model.linear();
  const std::size_t R = grown ? refine_halo(model.refine_scales) : 0;
  const Shape grow_r(region.rank(), R);
  Shape halo = stack.halo();
  for (auto& h : halo)
    h += R;
  const std::size_t S = model.refine_scales.size();
  const std::size_t per_pixel =
      4 * (2 * raw.channels() + F + 2 + (model.stacked() ? 2 * (F + S) + 2 : 0) +
           (model.linear() ? S + 2 : 0));
  const auto blocks = make_blocks(
      region.shape(), density_block_shape(region.shape(), halo, per_pixel, ctx.ram_bytes / 2),
      Shape(region.rank(), 0));
  std::vector<float> scratch, data, feats, density, stage2, smooth;
  std::size_t done = 0;
  const std::size_t total = blocks.size() * (t1 - t0);
  for (std::size_t t = t0; t < t1; ++t) {
    for (const Block& b : blocks) {
      const Roi core = b.core.shifted(region.start);
      // Stage 1 over `inner` (the core, or the core grown by R for a stacked model).
      const Roi inner = grown ? core.grow(grow_r, raw.spatial_shape()) : core;
      const std::size_t n = inner.size();
      feats.resize(F * n);
      stack.compute(t, inner, feats.data(), ws, scratch, data);
      density.resize(n);
      model.forest.predict(
          learn::FeatureView::planar(feats.data(), n, F).image_rows(inner.shape().back()),
          density.data(), ctx);
      // ilastik clips negative densities (possible with other regressors) to 0.
      for (auto& v : density)
        v = std::max(v, 0.0f);
      if (model.stacked()) {
        // Stage 2 on the core: the pixel features, then the smoothed stage-1 densities.
        const Roi local = core.relative_to(inner.start);
        const Shape inner_shape = inner.shape();
        const std::size_t nc = core.size(), row = local.shape().back();
        stage2.resize((F + S) * nc);
        auto gather = [&](const float* src, float* dst) {
          std::size_t k = 0;
          for_each_row(inner_shape, local, [&](std::size_t off) {
            std::copy_n(src + off, row, dst + k);
            k += row;
          });
        };
        for (std::size_t f = 0; f < F; ++f)
          gather(&feats[f * n], &stage2[f * nc]);
        smooth.resize(n);
        for (std::size_t s = 0; s < S; ++s) {
          features::smooth_normalized(density.data(), inner_shape, model.refine_scales[s],
                                      smooth.data());
          gather(smooth.data(), &stage2[(F + s) * nc]);
        }
        density.resize(nc);
        model.refine_forest.predict(
            learn::FeatureView::planar(stage2.data(), nc, F + S).image_rows(row), density.data(),
            ctx);
        for (auto& v : density)
          v = std::max(v, 0.0f);
      }
      if (model.linear()) {
        // The linear density over the inner region (its terms need the crowding around
        // every core pixel), then the core.
        linear_density_terms(density.data(), inner.shape(), model.refine_scales, stage2);
        smooth.resize(n);
        combine_linear_terms(stage2.data(), n, model.refine_weights, smooth.data());
        const Roi local = core.relative_to(inner.start);
        const std::size_t row = local.shape().back();
        density.resize(core.size());
        std::size_t k = 0;
        for_each_row(inner.shape(), local, [&](std::size_t off) {
          std::copy_n(smooth.data() + off, row, density.data() + k);
          k += row;
        });
      }
      sink(t, core, density.data());
      ctx.progress("density of " + raw.path(), ++done, total);
    }
  }
}

DensityResult predict_density(const DensityModel& model, const DensityRequest& req,
                              const RunContext& ctx) {
  std::vector<bool> skip;  // empty: nothing skipped (counts only, no files to find)
  if (!req.exports.sources.empty()) skip = plan_exports(req.exports, req.inputs);
  DensityResult result;
  run_batch(req.inputs, skip, "counting", result.skipped, result.failures, [&](std::size_t i) {
    result.counts.push_back(predict_one(model, req.inputs[i], req, ctx, result.outputs));
  });
  return result;
}

std::string counts_csv(const DensityResult& r, const std::vector<CountBox>& boxes) {
  std::ostringstream o;
  o << "name,count,box,t,file\n";
  for (const auto& c : r.counts) {
    const std::string name = csv_field(c.name), file = csv_field(c.input);
    o << name << ',' << count_text(c.total) << ",,," << file << '\n';
    if (c.time_series)
      for (std::size_t t = 0; t < c.per_t.size(); ++t)
        o << name << ',' << count_text(c.per_t[t]) << ",," << t << ',' << file << '\n';
    for (std::size_t b = 0; b < boxes.size(); ++b)
      o << name << ',' << count_text(c.boxes[b]) << ',' << csv_field(boxes[b].name) << ','
        << (boxes[b].t ? std::to_string(*boxes[b].t) : "") << ',' << file << '\n';
  }
  return o.str();
}

nlohmann::ordered_json counts_json(const DensityResult& r, const std::vector<CountBox>& boxes) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& c : r.counts) {
    nlohmann::ordered_json j;
    j["name"] = c.name;
    j["file"] = c.input;
    j["count"] = c.total;
    if (c.time_series) j["per_t"] = c.per_t;
    if (!boxes.empty()) {
      nlohmann::ordered_json bj = nlohmann::ordered_json::array();
      for (std::size_t b = 0; b < boxes.size(); ++b) {
        nlohmann::ordered_json e;
        e["name"] = boxes[b].name;
        e["start"] = boxes[b].roi.start;
        e["stop"] = boxes[b].roi.stop;
        if (boxes[b].t) e["t"] = *boxes[b].t;
        e["count"] = c.boxes[b];
        bj.push_back(std::move(e));
      }
      j["boxes"] = std::move(bj);
    }
    list.push_back(std::move(j));
  }
  return list;
}

}  // namespace bioforest::workflows
