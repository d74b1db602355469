// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/object_classification.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>

#include "bioforest/core/digest.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/text.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/writer.hpp"
#include "bioforest/workflows/export.hpp"
#include "bioforest/workflows/object_classification_blockwise.hpp"
#include "bioforest/workflows/object_classification_import.hpp"
#include "bioforest/workflows/pixel_model.hpp"
#include "bioforest/workflows/pixel_spec.hpp"
#include "bioforest/workflows/spec_file.hpp"

namespace bioforest::workflows {

// ---------------------------------------------------------------------------------------
// Spec

ObjectClassificationSpec load_object_spec(const std::string& path) {
  ObjectClassificationSpec s;
  s.file = path;
  s.doc = spec::read_json_file(path);
  spec::throw_if_invalid(spec::check_against_schema(s.doc, "object_classification.schema.json"),
                         path);
  for (const auto& c : s.doc["classes"])
    s.class_names.push_back(c["name"].get<std::string>());
  if (std::set<std::string>(s.class_names.begin(), s.class_names.end()).size() !=
      s.class_names.size())
    throw_usage("invalid spec: /classes: class names must differ", path);
  const auto feats = s.doc.value("features", nlohmann::json("default"));
  if (feats.is_string()) {
    s.features = default_object_features();
  } else {
    for (const auto& f : feats)
      s.features.push_back(with_context(
          "reading " + path, [&] { return match_object_feature(f.get<std::string>()); }));
  }
  if (s.doc.contains("threshold"))
    s.threshold = threshold_settings_from_json(s.doc["threshold"], path);
  if (s.doc.contains("margin")) {
    const auto mg = s.doc["margin"].get<std::vector<std::size_t>>();
    s.margin = {mg[0], mg[1], mg.size() > 2 ? mg[2] : 1};
  }
  for (const auto& t : s.doc["training"]) {
    ObjectTrainingImage im;
    im.raw = spec::resolve_path(path, t["raw"]);
    if (t.contains("segmentation")) im.segmentation = spec::resolve_path(path, t["segmentation"]);
    if (t.contains("probabilities"))
      im.probabilities = spec::resolve_path(path, t["probabilities"]);
    im.labels = spec::resolve_path(path, t["labels"]);
    s.training.push_back(im);
  }
  s.forest = parse_forest_options(s.doc.value("forest", nlohmann::json::object()),
                                  s.class_names.size(), path);
  return s;
}

// ---------------------------------------------------------------------------------------
// Object labels

namespace {

int class_of(const std::string& text, const std::vector<std::string>& names,
             const std::string& file) {
  for (std::size_t k = 0; k < names.size(); ++k)
    if (text == names[k]) return int(k + 1);
  if (is_number(text)) {
    const double v = std::strtod(text.c_str(), nullptr);
    if (v >= 1 && v <= double(names.size()) && v == std::floor(v)) return int(v);
  }
  throw_input(file, "unknown class '" + text + "' (expected a class name or 1.." +
                        std::to_string(names.size()) + ")");
}

void assign(std::map<std::uint32_t, int>& m, std::uint32_t obj, int cls, std::size_t t,
            const std::string& file) {
  auto [it, fresh] = m.emplace(obj, cls);
  if (!fresh && it->second != cls)
    throw_input(file, "object " + std::to_string(obj) + " of time point " + std::to_string(t) +
                          " is labelled both " + std::to_string(it->second) + " and " +
                          std::to_string(cls));
}

std::vector<std::map<std::uint32_t, int>> labels_from_points(
    const std::string& file, const CanonicalImage& raw, const ObjectIds& objects,
    const std::vector<std::string>& names) {
  std::ifstream in(file);
  if (!in) throw_input(file, "cannot open the object labels");
  std::vector<std::map<std::uint32_t, int>> out(objects.frames);
  std::vector<std::uint32_t> id;
  std::vector<std::string> header;
  const Shape& sh = raw.spatial_shape();
  const bool vol = raw.is_3d();
  std::size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    const std::string_view row = trim(line);
    if (row.empty() || row[0] == '#') continue;
    const auto f = split_csv_row(row);
    if (header.empty() && !is_number(f[0])) {
      for (const auto& h : f)
        header.push_back(to_lower(h));
      continue;
    }
    if (header.empty()) {  // by column count
      if (f.size() == 3)
        header = {"x", "y", "class"};
      else if (f.size() == 4 && vol)
        header = {"x", "y", "z", "class"};
      else if (f.size() == 4)
        header = {"x", "y", "t", "class"};
      else if (f.size() == 5)
        header = {"x", "y", "z", "t", "class"};
      else
        throw_input(file, "line " + std::to_string(line_no) +
                              ": expected x,y[,z][,t],class (3 to 5 columns)");
    }
    if (f.size() != header.size())
      throw_input(file, "line " + std::to_string(line_no) + ": " + std::to_string(f.size()) +
                            " columns, the header has " + std::to_string(header.size()));
    double x = -1, y = -1, z = 0, t = 0;
    std::string cls;
    for (std::size_t i = 0; i < f.size(); ++i) {
      const std::string& h = header[i];
      if (h == "class" || h == "label") {
        cls = f[i];
        continue;
      }
      if (!is_number(f[i]))
        throw_input(file, "line " + std::to_string(line_no) + ": '" + f[i] + "' is not a number");
      const double v = std::round(std::strtod(f[i].c_str(), nullptr));
      if (h == "x")
        x = v;
      else if (h == "y")
        y = v;
      else if (h == "z")
        z = v;
      else if (h == "t")
        t = v;
    }
    const std::size_t X = sh.back(), Y = sh[sh.size() - 2], Z = vol ? sh[0] : 1;
    if (cls.empty() || x < 0 || y < 0 || z < 0 || t < 0 || x >= double(X) || y >= double(Y) ||
        z >= double(Z) || t >= double(objects.frames))
      throw_input(file, "line " + std::to_string(line_no) + ": point (" + f[0] + ", " + f[1] +
                            ") is outside the image " + raw.path() + " or has no class");
    Roi at;
    if (vol) at.start.push_back(std::size_t(z)), at.stop.push_back(std::size_t(z) + 1);
    at.start.insert(at.start.end(), {std::size_t(y), std::size_t(x)});
    at.stop.insert(at.stop.end(), {std::size_t(y) + 1, std::size_t(x) + 1});
    const std::uint32_t obj = objects.read(std::size_t(t), at, id)[0];
    if (obj == 0) continue;  // a click on background labels nothing, as in ilastik
    assign(out[std::size_t(t)], obj, class_of(cls, names, file), std::size_t(t), file);
  }
  return out;
}

std::vector<std::map<std::uint32_t, int>> labels_from_image(const std::string& file,
                                                            const CanonicalImage& raw,
                                                            const ObjectIds& objects,
                                                            const std::vector<std::string>& names,
                                                            const io::ReadOptions& read) {
  const CanonicalImage lab(file, read);
  check_same_grid(raw, lab, "object label image");
  std::vector<std::map<std::uint32_t, int>> out(objects.frames);
  std::vector<std::uint32_t> v, scratch;
  for (std::size_t t = 0; t < objects.frames; ++t) {
    std::map<std::uint32_t, std::map<std::uint32_t, std::size_t>> votes;
    for (const Roi& band : objects.bands(t)) {
      lab.read_labels(t, band, v);
      const auto& ids = objects.read(t, band, scratch);
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (!v[i] || !ids[i]) continue;
        if (v[i] > names.size())
          throw_input(file, "label value " + std::to_string(v[i]) + " but only " +
                                std::to_string(names.size()) + " classes");
        ++votes[ids[i]][v[i]];
      }
    }
    for (const auto& [obj, counts] : votes) {
      const auto best = std::max_element(counts.begin(), counts.end(), [](auto& a, auto& b) {
        return a.second < b.second;  // ties: the smaller class (first in map order)
      });
      out[t][obj] = int(best->first);
    }
  }
  return out;
}

bool ends_with_csv(const std::string& p) {
  return p.size() >= 4 && (p.substr(p.size() - 4) == ".csv" || p.substr(p.size() - 4) == ".txt");
}

}  // namespace

std::vector<std::map<std::uint32_t, int>> read_object_labels(const std::string& labels,
                                                             const CanonicalImage& raw,
                                                             const ObjectIds& objects,
                                                             const std::vector<std::string>& names,
                                                             const io::ReadOptions& read) {
  return ends_with_csv(labels) ? labels_from_points(labels, raw, objects, names)
                               : labels_from_image(labels, raw, objects, names, read);
}

ObjectIds object_ids_of(const std::vector<FrameObjects>& frames, const Shape& spatial) {
  ObjectIds ids;
  ids.frames = frames.size();
  auto whole = std::make_shared<std::vector<Roi>>(1, Roi::whole(spatial));
  ids.bands = [whole](std::size_t) -> const std::vector<Roi>& { return *whole; };
  ids.read = [&frames, spatial](
                 std::size_t t, const Roi& roi,
                 std::vector<std::uint32_t>& out) -> const std::vector<std::uint32_t>& {
    if (roi == Roi::whole(spatial)) return frames[t].labels;
    out.clear();
    for_each_row(spatial, roi, [&](std::size_t off) {
      out.insert(out.end(), frames[t].labels.begin() + std::ptrdiff_t(off),
                 frames[t].labels.begin() + std::ptrdiff_t(off + roi.shape().back()));
    });
    return out;
  };
  return ids;
}

std::vector<std::map<std::uint32_t, int>> read_object_labels(
    const std::string& labels, const CanonicalImage& raw, const std::vector<FrameObjects>& frames,
    const std::vector<std::string>& class_names, const io::ReadOptions& read) {
  return read_object_labels(labels, raw, object_ids_of(frames, raw.spatial_shape()), class_names,
                            read);
}

std::vector<float> object_feature_matrix(const ObjectFeatures& f,
                                         const std::vector<std::string>& columns) {
  std::vector<std::size_t> idx;
  for (const auto& c : columns) {
    const auto it = std::find(f.columns.begin(), f.columns.end(), c);
    if (it == f.columns.end())
      throw_input("", "the objects lack the model's feature column '" + c +
                          "' (different dimensionality or channel count?)");
    idx.push_back(std::size_t(it - f.columns.begin()));
  }
  std::vector<float> x(f.rows * idx.size());
  for (std::size_t r = 0; r < f.rows; ++r)
    for (std::size_t c = 0; c < idx.size(); ++c) {
      const float v = float(f.at(r, idx[c]));
      x[r * idx.size() + c] = std::isfinite(v) ? v : 0.0f;  // ilastik's replace_missing
    }
  return x;
}

// ---------------------------------------------------------------------------------------
// Training and model files

namespace {

// The objects of every frame of an image: measured whole, or, for frames larger than the
// memory budget, labelled blockwise and measured band by band (unless a feature looks past
// its object). `out_channels`: floats per pixel the caller writes per band.
struct MeasuredImage {
  std::vector<FrameObjects> frames;
  std::vector<std::unique_ptr<BandedObjects>> parts;  ///< per frame, when banded
  ObjectIds ids;
};

std::unique_ptr<MeasuredImage> measure(const CanonicalImage& raw, const CanonicalImage& seg,
                                       const ThresholdSettings& settings,
                                       const std::vector<std::string>& features,
                                       const Margin& margin, HullConvention hull,
                                       std::size_t out_channels, const RunContext& ctx) {
  ObjectFeatureOptions options;
  options.margin = margin;
  options.hull = hull;
  auto m = std::make_unique<MeasuredImage>();
  const std::size_t rows = band_rows(raw, out_channels, ctx);
  const bool banded = rows < raw.spatial_shape()[0] && band_safe_features(features);
  for (std::size_t t = 0; t < raw.t(); ++t) {
    if (banded) {
      m->parts.push_back(
          std::make_unique<BandedObjects>(raw, seg, t, settings, features, rows, ctx));
      m->frames.push_back(m->parts.back()->objects());
    } else {
      m->frames.push_back(extract_objects(raw, seg, t, settings, features, ctx, options));
    }
  }
  m->ids = object_ids_of(m->frames, raw.spatial_shape());
  if (banded) {
    auto* parts = &m->parts;
    m->ids.bands = [parts](std::size_t t) -> const std::vector<Roi>& {
      return (*parts)[t]->bands();
    };
    m->ids.read = [parts](std::size_t t, const Roi& band,
                          std::vector<std::uint32_t>& ids) -> const std::vector<std::uint32_t>& {
      (*parts)[t]->read_labels(band, ids);
      return ids;
    };
  }
  return m;
}

}  // namespace

std::vector<std::string> classifier_columns(const ObjectFeatures& f,
                                            const std::vector<std::string>& selected) {
  std::vector<std::string> cols;
  for (const auto& feature : selected)
    for (std::size_t c = 0; c < f.columns.size(); ++c)
      if (f.feature_of_column[c] == feature) cols.push_back(f.columns[c]);
  return cols;
}

ThresholdSettings segmentation_settings(const ObjectModel& m) {
  return m.threshold.method == ThresholdMethod::binary ? m.threshold : segmentation_as_is();
}

void gather_labelled_objects(const std::vector<FrameObjects>& frames,
                             const std::vector<std::map<std::uint32_t, int>>& labels,
                             ObjectModel& m, std::vector<float>& x, std::vector<std::int32_t>& y) {
  m.label_counts.resize(m.class_names.size(), 0);
  for (std::size_t t = 0; t < frames.size(); ++t) {
    if (labels[t].empty()) continue;
    if (m.columns.empty()) m.columns = classifier_columns(frames[t].features, m.features);
    const auto fx = object_feature_matrix(frames[t].features, m.columns);
    const std::size_t F = m.columns.size();
    for (const auto& [obj, cls] : labels[t]) {
      x.insert(x.end(), fx.begin() + std::ptrdiff_t((obj - 1) * F),
               fx.begin() + std::ptrdiff_t(obj * F));
      y.push_back(cls);
      ++m.label_counts[std::size_t(cls - 1)];
    }
  }
}

void fit_object_forest(ObjectModel& m, const std::vector<float>& x,
                       const std::vector<std::int32_t>& y, const learn::ForestOptions& options,
                       const RunContext& ctx) {
  // The class list is fixed, as ilastik's (labels=[1..N]): a class without labelled
  // objects still gets its probability column.
  std::vector<std::int32_t> classes;
  for (std::size_t k = 1; k <= m.class_names.size(); ++k)
    classes.push_back(std::int32_t(k));
  m.training_digest = training_data_digest(x, y);
  m.forest = learn::ClassificationForest::train(
      learn::FeatureView::sample_major(x.data(), y.size(), m.columns.size()), y, options, ctx,
      classes);
  m.forest.set_feature_names(m.columns);
}

ObjectModel train_object_classifier(const ObjectClassificationSpec& spec, const RunContext& ctx) {
  ObjectModel m;
  m.class_names = spec.class_names;
  for (const auto& c : parse_classes(spec.doc["classes"]))
    m.class_colors.push_back(c.color);
  m.features = spec.features;
  m.margin = spec.margin;
  m.threshold = spec.threshold;
  m.spec_json = spec.doc.dump();
  std::vector<float> x;
  std::vector<std::int32_t> y;
  for (const auto& im : spec.training) {
    with_context("loading training objects of " + im.raw, [&] {
      const CanonicalImage raw(im.raw, {});
      const bool probs = !im.probabilities.empty();
      const CanonicalImage seg(probs ? im.probabilities : im.segmentation, {});
      const auto objects =
          measure(raw, seg, probs ? spec.threshold : segmentation_as_is(), spec.features,
                  spec.margin, HullConvention::scikit_image, 0, ctx);
      gather_labelled_objects(
          objects->frames, read_object_labels(im.labels, raw, objects->ids, spec.class_names, {}),
          m, x, y);
    });
  }
  if (y.empty())
    throw_usage("no labelled objects: every label point fell on background or no label was given",
                spec.file);
  fit_object_forest(m, x, y, spec.forest, ctx);
  return m;
}

namespace {

constexpr int kObjectModelFormat = 1;
constexpr const char* kModelKind = "object_classification";

}  // namespace

void save_object_model(const ObjectModel& m, const std::string& path, bool overwrite) {
  io::AtomicOutput out(path, overwrite);
  {
    h5::File f = h5::File::create(out.temp_path());
    write_model_header(f, kModelKind, m.source);
    f.write("/object_model_format", std::vector<std::int32_t>{kObjectModelFormat});
    f.write_string("/spec", m.spec_json);
    f.write_strings("/classes/names", m.class_names);
    std::vector<std::uint8_t> colors;
    for (const auto& c : m.class_colors)
      colors.insert(colors.end(), c.begin(), c.end());
    f.write("/classes/colors", colors, {m.class_colors.size(), 3});
    f.write_strings("/features", m.features);
    f.write_strings("/columns", m.columns);
    f.write("/margin", std::vector<std::uint64_t>(m.margin.begin(), m.margin.end()));
    f.write_string("/hull_convention", hull_convention_name(m.hull));
    f.write_string("/threshold", threshold_settings_json(m.threshold).dump());
    std::vector<std::uint64_t> counts(m.label_counts.begin(), m.label_counts.end());
    f.write("/training/label_counts", counts);
    f.write_string("/training/digest", m.training_digest);
    m.forest.save(f, "/forest");
    f.close();
  }
  out.commit();
}

namespace {

ObjectModel read_object_model(const h5::File& f) {
  ObjectModel m;
  m.source = f.read_string_attribute("/", "source");
  m.spec_json = f.read_string("/spec");
  m.class_names = f.read_strings("/classes/names");
  const auto colors = f.read<std::uint8_t>("/classes/colors");
  if (colors.size() != 3 * m.class_names.size())
    throw_input(f.path(), "class colours do not match the class names", "/classes/colors");
  for (std::size_t k = 0; k < m.class_names.size(); ++k)
    m.class_colors.push_back({colors[3 * k], colors[3 * k + 1], colors[3 * k + 2]});
  m.features = f.read_strings("/features");
  m.columns = f.read_strings("/columns");
  const auto margin = f.read<std::uint64_t>("/margin");
  if (margin.size() != 3) throw_input(f.path(), "margin needs 3 values (x, y, z)", "/margin");
  std::copy(margin.begin(), margin.end(), m.margin.begin());
  // Models written before the convention was recorded used scikit-image's.
  if (f.exists("/hull_convention")) {
    const std::string hull = f.read_string("/hull_convention");
    if (hull == "ilastik")
      m.hull = HullConvention::ilastik;
    else if (hull != "scikit-image")
      throw_input(f.path(), "unknown convex-hull convention '" + hull + "'", "/hull_convention");
  }
  m.threshold =
      threshold_settings_from_json(nlohmann::json::parse(f.read_string("/threshold")), f.path());
  m.training_digest = f.read_string("/training/digest");
  for (auto c : f.read<std::uint64_t>("/training/label_counts"))
    m.label_counts.push_back(std::size_t(c));
  m.forest = learn::ClassificationForest::load(f, "/forest");
  if (m.forest.n_features() != m.columns.size())
    throw_input(f.path(), "the forest has " + std::to_string(m.forest.n_features()) +
                              " features but the model lists " + std::to_string(m.columns.size()) +
                              " columns");
  return m;
}

}  // namespace

ObjectModel load_object_model(const std::string& path) {
  return with_context("loading the object classifier " + path, [&] {
    h5::File f = h5::File::open_read(path);
    if (f.has_attribute("/", "bioforest_model")) {
      check_model_header(f, kModelKind);
      return read_object_model(f);
    }
    if (f.exists("ObjectClassification")) return import_ilp_object_model(path, {}, RunContext{});
    throw_input(path,
                "neither a bioforest object model nor an ilastik Object Classification project");
  });
}

std::string describe_object_model(const ObjectModel& m) {
  std::ostringstream o;
  o << "object classifier: " << m.class_names.size() << " classes, " << m.columns.size()
    << " feature columns, " << m.forest.n_trees() << " trees\n";
  o << "source: " << m.source << '\n';
  for (std::size_t k = 0; k < m.class_names.size(); ++k) {
    o << "  class " << k + 1 << " '" << m.class_names[k] << "'";
    if (k < m.label_counts.size()) o << ": " << m.label_counts[k] << " labelled objects";
    o << '\n';
  }
  o << "features:";
  for (const auto& f : m.features)
    o << ' ' << f << ';';
  o << "\nthreshold: " << threshold_settings_json(m.threshold).dump() << '\n';
  if (std::any_of(m.features.begin(), m.features.end(), is_neighbourhood_feature))
    o << "neighbourhood margin (x, y, z): " << m.margin[0] << ", " << m.margin[1] << ", "
      << m.margin[2] << '\n';
  if (std::any_of(m.features.begin(), m.features.end(), is_convex_hull_feature))
    o << "convex-hull features: " << hull_convention_name(m.hull) << '\n';
  if (!m.forest.oob().empty()) o << "out-of-bag error: " << m.forest.oob().error << '\n';
  if (!m.training_digest.empty()) o << "training digest: " << m.training_digest << '\n';
  return o.str();
}

nlohmann::ordered_json object_model_json(const ObjectModel& m) {
  nlohmann::ordered_json j;
  j["source"] = m.source;
  auto classes = nlohmann::ordered_json::array();
  for (std::size_t k = 0; k < m.class_names.size(); ++k) {
    nlohmann::ordered_json c{{"label", k + 1}, {"name", m.class_names[k]}};
    if (k < m.class_colors.size()) c["color"] = m.class_colors[k];
    if (k < m.label_counts.size()) c["labelled_objects"] = m.label_counts[k];
    classes.push_back(c);
  }
  j["classes"] = classes;
  j["features"] = m.features;
  j["columns"] = m.columns;
  j["margin"] = m.margin;
  j["hull_convention"] = hull_convention_name(m.hull);
  j["threshold"] = threshold_settings_json(m.threshold);
  j["trees"] = m.forest.n_trees();
  if (!m.forest.oob().empty()) j["oob_error"] = m.forest.oob().error;
  j["training_digest"] = m.training_digest;
  return j;
}

// ---------------------------------------------------------------------------------------
// Prediction

const std::vector<std::string>& object_export_sources() {
  static const std::vector<std::string> s{"Object Predictions", "Object Probabilities",
                                          "Object Identities"};
  return s;
}

std::string match_object_export_source(const std::string& text) {
  for (const auto& s : object_export_sources())
    if (loose_name(s) == loose_name(text)) return s;
  if (loose_name(text) == "objectpredictionimg" || loose_name(text) == "exportobjectpredictionimg")
    return "Object Predictions";
  throw_usage("unknown export source '" + text +
              "' (expected Object Predictions, Object Probabilities or Object Identities)");
}

namespace {

struct FramePrediction {
  std::vector<float> proba;         // rows x K
  std::vector<std::int32_t> klass;  // 1..K per object
};

FramePrediction predict_frame(const ObjectModel& m, const FrameObjects& f, const RunContext& ctx) {
  FramePrediction p;
  const std::size_t K = m.class_names.size(), F = m.columns.size();
  p.proba.assign(f.n * K, 0.0f);
  p.klass.assign(f.n, 0);
  if (f.n == 0) return p;
  const auto x = object_feature_matrix(f.features, m.columns);
  m.forest.predict_proba(learn::FeatureView::sample_major(x.data(), f.n, F), p.proba.data(), ctx);
  for (std::size_t r = 0; r < f.n; ++r) {
    const float* row = p.proba.data() + r * K;
    p.klass[r] = std::int32_t(std::max_element(row, row + K) - row) + 1;
  }
  return p;
}

void write_exports(const ObjectModel& m, const CanonicalImage& raw, const ObjectIds& labels,
                   const std::vector<FramePrediction>& preds, const ObjectPredictRequest& req,
                   std::vector<std::string>& outputs) {
  const bool has_t = raw.info().axes.has('t');
  const std::size_t K = m.class_names.size();
  std::vector<std::uint32_t> scratch;
  for (const auto& source : req.exports.sources) {
    const bool proba = source == "Object Probabilities";
    std::string axes = has_t ? "t" : "";
    axes += raw.is_3d() ? "zyx" : "yx";
    Shape shape;
    if (has_t) shape.push_back(raw.t());
    for (auto e : raw.spatial_shape())
      shape.push_back(e);
    if (proba) axes += 'c', shape.push_back(K);
    const DType dt = proba                           ? DType::float32
                     : source == "Object Identities" ? DType::uint32
                                                     : DType::uint8;
    const std::string path = export_path(req.exports, raw.path(), source);
    io::WriteOptions w = export_write_options(req.exports);
    w.attributes["export_source"] = source;
    if (proba) w.attributes["channel_names"] = nlohmann::json(m.class_names).dump();
    auto writer = io::create_image(path, shape, dt, Axes(axes), w);
    for (std::size_t t = 0; t < preds.size(); ++t)
      for (const Roi& band : labels.bands(t)) {
        const auto& lab = labels.read(t, band, scratch);
        Shape block_shape, off;
        if (has_t) block_shape.push_back(1), off.push_back(t);
        for (std::size_t a = 0; a < band.rank(); ++a)
          block_shape.push_back(band.stop[a] - band.start[a]), off.push_back(band.start[a]);
        if (proba) block_shape.push_back(K), off.push_back(0);
        Image img(dt, block_shape, Axes(axes));
        if (proba) {
          float* d = img.data<float>();
          std::fill_n(d, lab.size() * K, 0.0f);
          for (std::size_t i = 0; i < lab.size(); ++i)
            if (lab[i]) std::copy_n(preds[t].proba.data() + (lab[i] - 1) * K, K, d + i * K);
        } else if (dt == DType::uint32) {
          std::copy(lab.begin(), lab.end(), img.data<std::uint32_t>());
        } else {
          std::uint8_t* d = img.data<std::uint8_t>();
          for (std::size_t i = 0; i < lab.size(); ++i)
            d[i] = lab[i] ? std::uint8_t(preds[t].klass[lab[i] - 1]) : 0;
        }
        writer->write(img, off);
      }
    writer->commit();
    outputs.push_back(path);
  }
}

ObjectTable prediction_table(const ObjectModel& m, const std::vector<FrameObjects>& frames,
                             const std::vector<FramePrediction>& preds,
                             const std::vector<std::map<std::uint32_t, int>>& user) {
  const ObjectTable base = object_feature_table(frames);
  ObjectTable t;
  for (std::size_t c = 0; c < 3; ++c)
    t.add_numbers(base.columns[c], base.numbers[c]);
  std::vector<std::string> user_label, predicted;
  const std::size_t K = m.class_names.size();
  std::vector<std::vector<double>> prob(K);
  for (std::size_t f = 0; f < frames.size(); ++f)
    for (std::uint32_t o = 1; o <= frames[f].n; ++o) {
      std::string u = "0";
      if (!user.empty()) {
        const auto it = user[f].find(o);
        if (it != user[f].end()) u = m.class_names[std::size_t(it->second - 1)];
      }
      user_label.push_back(u);
      predicted.push_back(m.class_names[std::size_t(preds[f].klass[o - 1] - 1)]);
      for (std::size_t k = 0; k < K; ++k)
        prob[k].push_back(preds[f].proba[(o - 1) * K + k]);
    }
  t.add_text("User Label", user_label);
  t.add_text("Predicted Class", predicted);
  for (std::size_t k = 0; k < K; ++k)
    t.add_numbers("Probability of " + m.class_names[k], prob[k]);
  for (std::size_t c = 3; c < base.columns.size(); ++c)
    t.add_numbers(base.columns[c], base.numbers[c]);
  return t;
}

}  // namespace

ObjectPredictResult predict_objects(const ObjectModel& m, const ObjectPredictRequest& req,
                                    const RunContext& ctx) {
  const auto& segs = req.probabilities.empty() ? req.segmentation : req.probabilities;
  if (req.raw.empty()) throw_usage("no raw images given");
  if (!req.probabilities.empty() && !req.segmentation.empty())
    throw_usage("give either --segmentation or --probabilities, not both");
  if (segs.size() != req.raw.size())
    throw_usage("give one segmentation (or probability map) per raw image (" +
                std::to_string(req.raw.size()) + " raw, " + std::to_string(segs.size()) + ")");
  if (!req.labels.empty() && req.labels.size() != req.raw.size())
    throw_usage("give one object label file per raw image");
  if (req.exports.sources.empty() && req.table_filename.empty())
    throw_usage("nothing to export: give --export-source and/or --table-filename");
  if (!req.exports.sources.empty()) plan_exports(req.exports, req.raw);
  std::vector<std::string> tables;
  for (const auto& r : req.raw)
    if (!req.table_filename.empty()) {
      tables.push_back(fill_filename_placeholders(req.table_filename, r));
      io::check_output_path(tables.back(), req.exports.overwrite);
    }
  if (std::set<std::string>(tables.begin(), tables.end()).size() != tables.size())
    throw_usage("several inputs would write the same table (add {nickname} to --table-filename)");
  const ThresholdSettings settings =
      req.probabilities.empty() ? segmentation_settings(m) : m.threshold;
  ObjectPredictResult result;
  for (std::size_t i = 0; i < req.raw.size(); ++i) {
    auto failure = try_input(req.raw[i], [&] {
      with_context("classifying objects of " + req.raw[i], [&] {
        const CanonicalImage raw(req.raw[i], req.read);
        const CanonicalImage seg(segs[i], req.read);
        const auto objects =
            measure(raw, seg, settings, m.features, m.margin, m.hull, m.class_names.size(), ctx);
        const auto& frames = objects->frames;
        const ObjectIds& labels = objects->ids;
        std::vector<FramePrediction> preds;
        std::uint64_t n = 0;
        for (const auto& f : frames) {
          preds.push_back(predict_frame(m, f, ctx));
          n += f.n;
        }
        std::vector<std::map<std::uint32_t, int>> user;
        if (!req.labels.empty())
          user = read_object_labels(req.labels[i], raw, labels, m.class_names, req.read);
        write_exports(m, raw, labels, preds, req, result.outputs);
        if (!tables.empty()) {
          write_object_table(prediction_table(m, frames, preds, user), tables[i],
                             req.exports.overwrite);
          result.outputs.push_back(tables[i]);
        }
        result.objects.push_back(n);
      });
    });
    if (failure) result.failures.push_back(std::move(*failure));
  }
  return result;
}

}  // namespace bioforest::workflows
