// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/autocontext.hpp"

#include <cctype>
#include <cmath>
#include <limits>
#include <sstream>
#include <unordered_map>

#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/workflows/export.hpp"
#include "bioforest/workflows/pixel_training.hpp"
#include "bioforest/workflows/result_writer.hpp"
#include "bioforest/workflows/spec_file.hpp"

namespace bioforest::workflows {

namespace {

constexpr const char* kModelKind = "autocontext";

const char* stage_input_name(StageInput s) {
  return s == StageInput::in_sample ? "in_sample" : "out_of_bag";
}

// The stack a stage k+1 classifier sees: the raw channels, then stage k's probabilities
// converted to the raw dtype. Stage k is computed on demand for each requested region (its
// own halo read from the stage below), so any stage works block by block on any size.
class StackedSource final : public PixelSource {
 public:
  StackedSource(std::shared_ptr<const CanonicalImage> raw,
                std::shared_ptr<const PixelSource> previous, const PixelModel& previous_model,
                const RunContext& ctx)
      : raw_(std::move(raw)),
        previous_(std::move(previous)),
        model_(previous_model),
        dtype_(raw_->info().dtype),
        ctx_(ctx) {
    ctx_.on_progress = {};  // the outer loop reports progress
  }

  const std::string& path() const override { return raw_->path(); }
  std::size_t t() const override { return raw_->t(); }
  std::size_t channels() const override { return raw_->channels() + model_.classes.size(); }
  const Shape& spatial_shape() const override { return raw_->spatial_shape(); }

  /// Stage-k probabilities to use instead of the computed ones at some pixels (the
  /// out-of-bag votes at stage k's training pixels): key t * N + flat index -> K values.
  void set_overrides(std::unordered_map<std::uint64_t, std::vector<float>> o) {
    overrides_ = std::move(o);
  }

  void read_float(std::size_t t, const Roi& roi, std::vector<float>& out) const override {
    std::vector<float> raw_values;
    raw_->read_float(t, roi, raw_values);
    const std::size_t n = roi.size(), C = raw_->channels(), K = model_.classes.size();
    std::vector<float> probs(K * n, 0.0f);
    const Shape region_shape = roi.shape();
    classify_blocks(
        model_, *previous_, nullptr, t, t + 1, roi, BlockNeeds{},
        [&](const PixelBlock& b) {
          const Roi rel = b.core.relative_to(roi.start);
          const std::size_t row = rel.shape().back(), bn = b.core.size();
          std::size_t src = 0;
          for_each_row(region_shape, rel, [&](std::size_t off) {
            for (std::size_t k = 0; k < K; ++k)
              std::copy_n(b.probabilities + k * bn + src, row, &probs[k * n + off]);
            src += row;
          });
        },
        ctx_);
    apply_overrides(t, roi, probs);
    out.resize(n * (C + K));
    for (std::size_t i = 0; i < n; ++i) {
      float* d = &out[i * (C + K)];
      for (std::size_t c = 0; c < C; ++c)
        d[c] = raw_values[i * C + c];
      for (std::size_t k = 0; k < K; ++k)
        d[C + k] = stage_probability_value(probs[k * n + i], dtype_);
    }
  }

 private:
  void apply_overrides(std::size_t t, const Roi& roi, std::vector<float>& probs) const {
    if (overrides_.empty()) return;
    const Shape& shape = spatial_shape();
    std::size_t total = 1;
    for (auto e : shape)
      total *= e;
    const std::size_t n = roi.size(), K = model_.classes.size();
    const Shape rs = roi.shape();
    for (const auto& [key, values] : overrides_) {
      if (key / total != t) continue;
      std::size_t rem = key % total, local = 0, stride = 1;
      bool inside = true;
      for (std::size_t d = shape.size(); d-- > 0;) {
        const std::size_t c = rem % shape[d];
        rem /= shape[d];
        if (c < roi.start[d] || c >= roi.stop[d]) inside = false;
        local += (c - roi.start[d]) * stride;
        stride *= rs[d];
      }
      if (!inside) continue;
      for (std::size_t k = 0; k < K; ++k)
        probs[k * n + local] = values[k];
    }
  }

  std::shared_ptr<const CanonicalImage> raw_;
  std::shared_ptr<const PixelSource> previous_;
  const PixelModel& model_;
  DType dtype_;
  RunContext ctx_;
  std::unordered_map<std::uint64_t, std::vector<float>> overrides_;
};

// The out-of-bag votes of a trained stage at its training pixels of training image `pair`.
std::unordered_map<std::uint64_t, std::vector<float>> oob_overrides(const TrainingSet& set,
                                                                    const PixelModel& model,
                                                                    std::size_t pair,
                                                                    const Shape& spatial) {
  std::unordered_map<std::uint64_t, std::vector<float>> out;
  const auto& oob = model.forest.oob();
  if (oob.empty()) return out;
  std::size_t total = 1;
  for (auto e : spatial)
    total *= e;
  const auto& classes = model.forest.classes();
  const std::size_t width = classes.size(), K = model.classes.size();
  for (std::size_t i = 0; i < set.positions.size(); ++i) {
    const auto& p = set.positions[i];
    if (p.pair != pair || oob.n_trees[i] == 0) continue;
    std::vector<float> v(K, 0.0f);
    for (std::size_t c = 0; c < width; ++c) {
      const std::size_t k = std::size_t(classes[c]) - 1;
      if (k < K) v[k] = oob.prediction[i * width + c];
    }
    out[std::uint64_t(p.t) * total + p.index] = std::move(v);
  }
  return out;
}

}  // namespace

float stage_probability_value(float p, DType raw_dtype) {
  if (dtype_is_float(raw_dtype)) return p;
  const double lo = dtype_min(raw_dtype), hi = dtype_max(raw_dtype);
  const double v = std::trunc(double(p) * (hi - lo) - lo);  // ilastik: astype truncates
  return float(std::clamp(v, lo, hi));
}

AutocontextSpec load_autocontext_spec(const std::string& path) {
  const nlohmann::json doc = spec::read_json_file(path);
  spec::throw_if_invalid(spec::check_against_schema(doc, "autocontext.schema.json"), path);
  AutocontextSpec s;
  s.file = path;
  s.document = doc;
  s.classes = parse_classes(doc["classes"]);
  const std::size_t S = doc["stages"].size();
  for (std::size_t k = 0; k < S; ++k) {
    const auto& st = doc["stages"][k];
    s.stage_features.push_back(
        with_context("reading /stages/" + std::to_string(k) + "/features of " + path,
                     [&] { return features::selection_from_json(st["features"], path); }));
    s.stage_forests.push_back(
        parse_forest_options(st.value("forest", nlohmann::json::object()), s.classes.size(), path));
  }
  for (std::size_t i = 0; i < doc["training"].size(); ++i) {
    const auto& t = doc["training"][i];
    AutocontextSpec::Image im;
    im.image = spec::resolve_path(path, t["image"].get<std::string>());
    if (t["labels"].is_string()) {
      im.labels.assign(S, spec::resolve_path(path, t["labels"].get<std::string>()));
    } else {
      for (const auto& l : t["labels"])
        im.labels.push_back(spec::resolve_path(path, l.get<std::string>()));
      if (im.labels.size() != S)
        throw Error(ErrorCategory::usage,
                    "invalid spec: /training/" + std::to_string(i) +
                        "/labels: " + std::to_string(im.labels.size()) + " label images for " +
                        std::to_string(S) + " stages",
                    path);
    }
    if (t.contains("input_axes")) im.input_axes = Axes(t["input_axes"].get<std::string>());
    if (t.contains("label_axes")) im.label_axes = Axes(t["label_axes"].get<std::string>());
    s.training.push_back(std::move(im));
  }
  if (doc.contains("stage_input") && doc["stage_input"] == "in_sample")
    s.stage_input = StageInput::in_sample;
  return s;
}

AutocontextModel train_autocontext(const AutocontextSpec& spec, const RunContext& ctx) {
  AutocontextModel m;
  m.stage_input = spec.stage_input;
  m.spec_json = spec.document.dump(2);
  m.spec_file = spec.file;
  const std::size_t S = spec.stage_features.size();
  std::vector<std::shared_ptr<const CanonicalImage>> raws;
  for (const auto& im : spec.training) {
    io::ReadOptions o;
    o.axes = im.input_axes;
    raws.push_back(with_context("opening training image " + im.image,
                                [&] { return std::make_shared<CanonicalImage>(im.image, o); }));
  }
  std::vector<std::shared_ptr<const PixelSource>> sources(raws.begin(), raws.end());
  TrainingSet previous_set;
  m.stages.reserve(S);  // StackedSource keeps references to earlier stages
  for (std::size_t s = 0; s < S; ++s) {
    if (s > 0) {
      for (std::size_t i = 0; i < raws.size(); ++i) {
        auto stacked = std::make_shared<StackedSource>(raws[i], sources[i], m.stages[s - 1], ctx);
        if (spec.stage_input == StageInput::out_of_bag)
          stacked->set_overrides(
              oob_overrides(previous_set, m.stages[s - 1], i, raws[i]->spatial_shape()));
        sources[i] = std::move(stacked);
      }
    }
    std::vector<TrainingPair> pairs;
    for (std::size_t i = 0; i < raws.size(); ++i) {
      io::ReadOptions lo;
      lo.axes = spec.training[i].label_axes;
      TrainingPair p;
      p.raw = sources[i];
      p.labels = std::make_shared<CanonicalImage>(spec.training[i].labels[s], lo);
      pairs.push_back(std::move(p));
    }
    const std::string stage_name = "stage " + std::to_string(s + 1);
    TrainingSet set = with_context("training " + stage_name, [&] {
      return gather_training_pairs(pairs, spec.stage_features[s], spec.classes.size(), ctx);
    });
    if (set.y.empty())
      throw Error(ErrorCategory::usage, "no labelled pixels for " + stage_name, spec.file);
    PixelClassificationSpec stage;
    stage.file = spec.file;
    stage.document = spec.document["stages"][s];
    stage.classes = spec.classes;
    stage.features = spec.stage_features[s];
    stage.forest = spec.stage_forests[s];
    m.stages.push_back(train_on_set(set, stage, ctx));
    logger().info("{}: {} labelled pixels, {} features, out-of-bag error {:.4f}", stage_name,
                  set.n_samples(), set.n_features, m.stages.back().forest.oob().error);
    previous_set = std::move(set);
  }
  return m;
}

void save_autocontext_model(const AutocontextModel& m, const std::string& path, bool overwrite) {
  io::AtomicOutput out(path, overwrite);
  {
    h5::File f = h5::File::create(out.temp_path());
    write_model_header(f, kModelKind, m.source);
    f.write_string("/spec", m.spec_json);
    f.write_string("/spec_file", m.spec_file);
    f.write_string("/stage_input", stage_input_name(m.stage_input));
    f.write("/n_stages", std::vector<std::int32_t>{std::int32_t(m.stages.size())});
    for (std::size_t s = 0; s < m.stages.size(); ++s)
      write_pixel_model(f, "/stage" + std::to_string(s + 1), m.stages[s]);
    f.close();
  }
  out.commit();
}

AutocontextModel import_ilp_autocontext(const std::string& ilp) {
  AutocontextModel m;
  m.stages.push_back(import_ilp_pixel_model(ilp, ""));
  for (int k = 1; k < 100; ++k) {  // stage groups PixelClassification01, 02, ...
    const char suffix[] = {char('0' + k / 10), char('0' + k % 10), '\0'};
    h5::File f = h5::File::open_read(ilp);
    if (!f.exists(std::string("PixelClassification") + suffix)) break;
    m.stages.push_back(import_ilp_pixel_model(ilp, suffix));
  }
  if (m.stages.size() < 2)
    throw_input(ilp,
                "not an ilastik Autocontext project (one pixel-classification stage only; "
                "use pxclassify)");
  m.source = m.stages[0].source;
  m.spec_file = ilp;
  m.stage_input = StageInput::in_sample;
  return m;
}

AutocontextModel load_autocontext_model(const std::string& path) {
  return with_context("loading the autocontext model " + path, [&] {
    h5::File f = h5::File::open_read(path);
    if (!f.has_attribute("/", "bioforest_model")) return import_ilp_autocontext(path);
    check_model_header(f, kModelKind);
    AutocontextModel m;
    m.source = f.read_string_attribute("/", "source");
    m.spec_json = f.read_string("/spec");
    m.spec_file = f.read_string("/spec_file");
    m.stage_input = f.read_string("/stage_input") == "in_sample" ? StageInput::in_sample
                                                                 : StageInput::out_of_bag;
    const int n = f.read<std::int32_t>("/n_stages").at(0);
    for (int s = 1; s <= n; ++s)
      m.stages.push_back(read_pixel_model(f, "/stage" + std::to_string(s)));
    return m;
  });
}

std::vector<std::string> autocontext_export_sources(std::size_t n_stages) {
  std::vector<std::string> out;
  for (std::size_t s = n_stages; s >= 1; --s)
    for (const char* kind : {"Probabilities", "Simple Segmentation", "Uncertainty", "Features"})
      out.push_back(std::string(kind) + " Stage " + std::to_string(s));
  out.push_back("Probabilities All Stages");
  return out;
}

std::string match_autocontext_export_source(const std::string& text, std::size_t n_stages) {
  for (const auto& s : autocontext_export_sources(n_stages))
    if (loose_name(s) == loose_name(text)) return s;
  for (const char* kind : {"Probabilities", "Simple Segmentation", "Uncertainty", "Features"})
    if (loose_name(kind) == loose_name(text))
      return std::string(kind) + " Stage " + std::to_string(n_stages);
  std::string list;
  for (const auto& s : autocontext_export_sources(n_stages))
    list += (list.empty() ? "" : ", ") + s;
  throw_usage("unknown export source '" + text + "' (expected " + list + ")");
}

namespace {

struct StageExport {
  std::size_t stage = 0;  ///< 0-based; or all stages
  bool all_stages = false;
  PixelResult kind = PixelResult::probabilities;
};

StageExport parse_stage_export(const std::string& source) {
  StageExport e;
  if (source == "Probabilities All Stages") {
    e.all_stages = true;
    return e;
  }
  const auto pos = source.rfind(" Stage ");
  const std::string kind = source.substr(0, pos);
  e.stage = std::stoul(source.substr(pos + 7)) - 1;
  e.kind = kind == "Probabilities"         ? PixelResult::probabilities
           : kind == "Simple Segmentation" ? PixelResult::segmentation
           : kind == "Uncertainty"         ? PixelResult::uncertainty
                                           : PixelResult::features;
  return e;
}

void predict_one(const AutocontextModel& model, const std::string& input,
                 const PixelPredictRequest& req, const RunContext& ctx,
                 std::vector<std::string>& outputs) {
  auto raw = std::make_shared<const CanonicalImage>(input, req.read);
  std::vector<std::shared_ptr<const PixelSource>> sources{raw};
  for (std::size_t s = 1; s < model.stages.size(); ++s)
    sources.push_back(
        std::make_shared<StackedSource>(raw, sources.back(), model.stages[s - 1], ctx));
  std::size_t t0 = 0, t1 = raw->t();
  Roi region = Roi::whole(raw->spatial_shape());
  if (!req.exports.cutout.empty())
    raw->split_roi(parse_roi(req.exports.cutout, raw->info().shape), t0, t1, region);

  std::vector<StageExport> exports;
  std::vector<std::unique_ptr<ResultWriter>> writers;
  for (const auto& source : req.exports.sources) {
    const StageExport e = parse_stage_export(source);
    ResultLayout layout;
    if (e.all_stages) {
      layout.source = source;
      layout.range = io::Range{0.0, 1.0};
      layout.channels = 0;
      for (const auto& st : model.stages) {
        for (const auto& n : class_names(st.classes))
          layout.channel_names.push_back(n);
        layout.channels += st.classes.size();
      }
    } else {
      const PixelModel& st = model.stages[e.stage];
      layout = pixel_result_layout(e.kind, source, class_names(st.classes), st.feature_names);
    }
    writers.push_back(std::make_unique<ResultWriter>(layout, *raw, t0, t1, region, req.exports,
                                                     export_path(req.exports, input, source)));
    exports.push_back(e);
  }
  // One classification pass per stage that any export needs.
  std::vector<float> scratch;
  for (std::size_t s = 0; s < model.stages.size(); ++s) {
    bool needed = false, features = false;
    std::size_t all_offset = 0;
    for (std::size_t k = 0; k < s; ++k)
      all_offset += model.stages[k].classes.size();
    for (const auto& e : exports) {
      needed |= e.all_stages || e.stage == s;
      features |= !e.all_stages && e.stage == s && e.kind == PixelResult::features;
    }
    if (!needed) continue;
    classify_blocks(
        model.stages[s], *sources[s], nullptr, t0, t1, region, BlockNeeds{features, true},
        [&](const PixelBlock& b) {
          for (std::size_t w = 0; w < writers.size(); ++w) {
            if (exports[w].all_stages)
              write_pixel_result(PixelResult::probabilities, b, *writers[w], scratch, all_offset);
            else if (exports[w].stage == s)
              write_pixel_result(exports[w].kind, b, *writers[w], scratch);
          }
        },
        ctx);
  }
  for (auto& w : writers) {
    w->commit();
    outputs.push_back(w->path());
  }
}

}  // namespace

PixelPredictResult predict_autocontext(const AutocontextModel& model,
                                       const PixelPredictRequest& req, const RunContext& ctx) {
  if (!req.masks.empty()) throw_usage("autocontext does not take prediction masks");
  const std::vector<bool> skip = plan_exports(req.exports, req.inputs);
  PixelPredictResult result;
  run_batch(req.inputs, skip, "predicting", result.skipped, result.failures,
            [&](std::size_t i) { predict_one(model, req.inputs[i], req, ctx, result.outputs); });
  return result;
}

std::string describe_autocontext_model(const AutocontextModel& m) {
  std::ostringstream s;
  s << "autocontext with " << m.stages.size() << " stages (source: " << m.source
    << ", stage input: " << stage_input_name(m.stage_input) << ")\n";
  for (std::size_t k = 0; k < m.stages.size(); ++k) {
    s << "\n== stage " << k + 1 << "\n";
    s << describe_pixel_model(m.stages[k]);
  }
  return s.str();
}

nlohmann::ordered_json autocontext_model_json(const AutocontextModel& m) {
  nlohmann::ordered_json j;
  j["source"] = m.source;
  j["stage_input"] = stage_input_name(m.stage_input);
  auto stages = nlohmann::ordered_json::array();
  for (const auto& st : m.stages)
    stages.push_back(pixel_model_json(st));
  j["stages"] = stages;
  return j;
}

}  // namespace bioforest::workflows
