// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/object_classification_import.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/io/axistags.hpp"
#include "bioforest/io/image_path.hpp"
#include "bioforest/learn/vigra_import.hpp"
#include "bioforest/workflows/ilp_project.hpp"
#include "bioforest/workflows/pixel_spec.hpp"

namespace fs = std::filesystem;

namespace bioforest::workflows {

namespace {

const char* const kClassifier = "ObjectClassification";

std::string lane_name(std::size_t lane, int digits) {
  char name[32];
  std::snprintf(name, sizeof name, "%0*zu", digits, lane);
  return name;
}

std::string workflow_of(const h5::File& f) {
  return f.exists("workflowName") ? f.read_string("workflowName") : std::string("unknown");
}

std::string join_names(const std::vector<std::string>& names) {
  std::string list;
  for (const auto& n : names)
    list += (list.empty() ? "" : ", ") + n;
  return list;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A lane's file, read with the axes the project stored where they fit.
CanonicalImage open_lane(const h5::File& f, const std::string& info, const std::string& ilp) {
  const std::string path = ilp_lane_path(f, info, ilp);
  std::optional<Axes> stored;
  if (f.exists(info + "/axistags")) stored = io::parse_axistags(f.read_string(info + "/axistags"));
  return CanonicalImage(path, ilp_lane_read_options(path, stored));
}

// The role holding the objects' source: probabilities, a mask or a label image.
std::string segmentation_role(const h5::File& f, const std::string& lane_info) {
  for (const char* role : {"Prediction Maps", "Segmentation Image", "Label Image"})
    if (f.exists(lane_info + "/" + role + "/filePath") ||
        f.exists(lane_info + "/" + role + "/datasetId"))
      return role;
  return "";
}

// Our name for ilastik's (plugin, feature), "" if objfeatures does not compute it: the
// stored name first, then the display text ilastik saved with it.
std::string our_feature(const h5::File& f, const std::string& group, const std::string& name) {
  std::vector<std::string> spellings{name};
  if (f.exists(group + "/" + name + "/displaytext"))
    spellings.push_back(f.read_string(group + "/" + name + "/displaytext"));
  for (const auto& s : spellings) {
    try {
      return match_object_feature(s);
    } catch (const Error&) {
    }
  }
  return "";
}

// ilastik saves an empty list as a placeholder number with an isEmpty attribute (a bool,
// which our attribute reader does not convert): for a list of names, which is text
// otherwise, a number means empty.
bool is_empty_list(const h5::File& f, const std::string& ds) {
  if (!f.has_attribute(ds, "isEmpty")) return false;
  try {
    f.dtype(ds);  // numeric: the placeholder
    return true;
  } catch (const Error&) {
    return false;
  }
}

// Class names and colours, source, threshold: everything but the features and the forest.
ObjectModel ilp_object_settings(const h5::File& f, const std::string& ilp) {
  const std::string oc = kClassifier;
  if (!f.exists(oc + "/LabelNames"))
    throw_input(ilp,
                "not an ilastik object-classification project (workflow " + workflow_of(f) + ")");
  ObjectModel m;
  m.source = "ilastik " +
             (f.exists("ilastikVersion") ? f.read_string("ilastikVersion") : std::string("?")) +
             ", " + fs::path(ilp).filename().string();
  if (!is_empty_list(f, oc + "/LabelNames")) m.class_names = f.read_strings(oc + "/LabelNames");
  if (m.class_names.size() < 2)
    throw_input(ilp,
                "the project defines " + std::to_string(m.class_names.size()) +
                    " label class(es); a classifier needs two",
                oc + "/LabelNames");
  std::vector<std::int64_t> colors;
  if (f.is_dataset(oc + "/LabelColors")) colors = f.read<std::int64_t>(oc + "/LabelColors");
  for (std::size_t k = 0; k < m.class_names.size(); ++k)
    m.class_colors.push_back(colors.size() >= 3 * (k + 1)
                                 ? std::array<std::uint8_t, 3>{std::uint8_t(colors[3 * k]),
                                                               std::uint8_t(colors[3 * k + 1]),
                                                               std::uint8_t(colors[3 * k + 2])}
                                 : default_class_color(k));
  m.threshold = ilp_threshold_settings(f);
  return m;
}

// The classifier columns a forest trained on `features` has for images of `channels`
// channels and rank `rank`: objfeatures on a tiny synthetic frame names them.
std::vector<std::string> columns_for(const std::vector<std::string>& features, std::size_t channels,
                                     int rank, const RunContext& ctx) {
  const Shape spatial = rank == 3 ? Shape{3, 3, 3} : Shape{3, 3};
  std::size_t n = 1;
  for (auto e : spatial)
    n *= e;
  std::vector<std::uint32_t> labels(n, 1);
  std::vector<float> raw(n * channels);
  for (std::size_t i = 0; i < raw.size(); ++i)
    raw[i] = float(i % 7);
  const auto f =
      compute_object_features(raw.data(), channels, labels.data(), spatial, 1, features, ctx);
  return classifier_columns(f, features);
}

// The first lane's raw data: channels and rank, if the file can be opened.
bool lane_geometry(const h5::File& f, const std::string& ilp, std::size_t& channels, int& rank) {
  const std::string info = "Input Data/infos/lane0000/Raw Data";
  if (!f.exists(info)) return false;
  try {
    const CanonicalImage raw = open_lane(f, info, ilp);
    channels = raw.channels();
    rank = raw.is_3d() ? 3 : 2;
    return true;
  } catch (const Error& e) {
    logger().debug("{}: raw data not readable ({}); matching columns by count", ilp, e.what());
    return false;
  }
}

}  // namespace

Margin ilp_margin(const h5::File& f) {
  Margin margin{30, 30, 1};
  const std::string sel = std::string(kClassifier) + "/SelectedFeatures";
  if (!f.is_group(sel)) return margin;
  for (const auto& plugin : f.list(sel)) {
    if (!f.is_group(sel + "/" + plugin)) continue;
    for (const auto& name : f.list(sel + "/" + plugin)) {
      const std::string ds = sel + "/" + plugin + "/" + name + "/margin";
      if (!f.is_dataset(ds)) continue;
      const auto v = f.read<std::int64_t>(ds);  // x, y[, z]: one margin for all features
      for (std::size_t a = 0; a < v.size() && a < 3; ++a)
        margin[a] = std::size_t(std::max<std::int64_t>(0, v[a]));
      return margin;
    }
  }
  return margin;
}

IlpFeatureSelection ilp_feature_selection(const h5::File& f) {
  const std::string sel = std::string(kClassifier) + "/SelectedFeatures";
  if (!f.is_group(sel) || f.list(sel).empty())
    throw_input(f.path(), "the project selects no object features", sel);
  auto plugins = f.list(sel);
  std::sort(plugins.begin(), plugins.end());
  IlpFeatureSelection out;
  for (const auto& plugin : plugins) {
    // ilastik leaves the always-computed "Default features" out of the classifier.
    if (plugin == "Default features") continue;
    const std::string g = sel + "/" + plugin;
    auto names = f.list(g);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      const std::string mine = our_feature(f, g, name);
      if (mine.empty())
        out.missing.push_back(plugin + "/" + name);
      else if (std::find(out.ours.begin(), out.ours.end(), mine) == out.ours.end())
        out.ours.push_back(mine);
    }
  }
  return out;
}

std::vector<std::string> ilp_object_features(const h5::File& f) {
  const auto sel = ilp_feature_selection(f);
  if (!sel.missing.empty())
    throw_input(f.path(),
                "selected object features that bioforest's objfeatures does not compute yet: " +
                    join_names(sel.missing) +
                    " (import-ilp --retrain --features supported trains on the others)",
                std::string(kClassifier) + "/SelectedFeatures");
  return sel.ours;
}

ThresholdSettings ilp_threshold_settings(const h5::File& f) {
  const std::string wf = workflow_of(f);
  if (contains(wf, "binary image")) {
    ThresholdSettings s = segmentation_as_is();
    s.method = ThresholdMethod::binary;
    return s;
  }
  if (contains(wf, "label image")) return segmentation_as_is();
  const std::string g = "ThresholdTwoLevels";
  ThresholdSettings s;  // ilastik's defaults for whatever the project leaves out
  if (!f.is_group(g)) return s;
  auto number = [&](const std::string& key, double fallback) {
    return f.is_dataset(g + "/" + key) ? f.read<double>(g + "/" + key).at(0) : fallback;
  };
  const int op = int(number("CurOperator", 0));
  if (op == 0)
    s.method = ThresholdMethod::simple;
  else if (op == 1)
    s.method = ThresholdMethod::hysteresis;
  else
    throw_input(f.path(),
                std::string("thresholding method ") + (op == 2 ? "graph cut" : "IPHT") +
                    " is not supported (bioforest thresholds simply or with hysteresis)",
                g + "/CurOperator");
  s.low = number("LowThreshold", s.low);
  s.high = number("HighThreshold", s.high);
  s.channel = std::size_t(number("Channel", double(s.channel)));
  s.core_channel = std::size_t(number("CoreChannel", double(s.core_channel)));
  s.min_size = std::uint64_t(number("MinSize", double(s.min_size)));
  s.max_size = std::uint64_t(number("MaxSize", double(s.max_size)));
  const char* axes = "zyx";
  for (std::size_t a = 0; a < 3; ++a)
    s.sigma[a] = number(std::string("SmootherSigma/") + axes[a], s.sigma[a]);
  return s;
}

std::vector<std::uint32_t> ilp_object_ids(const h5::File& f, std::size_t lane, std::size_t t,
                                          const Shape& spatial) {
  const std::string g = "ObjectExtraction/LabelImage_v2/labelimage" + lane_name(lane, 3);
  if (!f.is_group(g)) return {};
  const bool vol = spatial.size() == 3;
  const std::size_t Z = vol ? spatial[0] : 1, Y = spatial[spatial.size() - 2], X = spatial.back();
  std::vector<std::uint32_t> ids(Z * Y * X, 0);
  bool found = false;
  for (const auto& b : f.list(g)) {
    const std::string ds = g + "/" + b;
    const Roi r = parse_ilp_block_slice(f.read_string_attribute(ds, "blockSlice"), f.path());
    if (r.start.size() != 5)
      throw_input(f.path(), "an object label block is not t, x, y, z, c", ds);
    if (t < r.start[0] || t >= r.stop[0]) continue;
    if (r.stop[1] > X || r.stop[2] > Y || r.stop[3] > Z)
      throw_input(f.path(), "the cached object label image does not fit the raw data", ds);
    Shape shape;
    const auto v = f.read<std::uint32_t>(ds, &shape);
    const std::size_t bx = shape[1], by = shape[2], bz = shape[3];
    const std::size_t bt = t - r.start[0];
    for (std::size_t x = 0; x < bx; ++x)
      for (std::size_t y = 0; y < by; ++y)
        for (std::size_t z = 0; z < bz; ++z) {
          const std::uint32_t id = v[(((bt * bx + x) * by + y) * bz + z) * shape[4]];
          ids[((r.start[3] + z) * Y + r.start[2] + y) * X + r.start[1] + x] = id;
        }
    found = true;
  }
  if (!found) return {};
  return ids;
}

std::vector<std::map<std::uint32_t, int>> ilp_object_labels(const h5::File& f, std::size_t lane) {
  const std::string g = std::string(kClassifier) + "/LabelInputs/" + lane_name(lane, 4);
  std::vector<std::map<std::uint32_t, int>> out;
  if (!f.is_group(g)) return out;
  for (const auto& name : f.list(g)) {
    const std::size_t t = std::stoul(name);
    if (out.size() <= t) out.resize(t + 1);
    const auto v = f.read<double>(g + "/" + name);
    for (std::size_t id = 1; id < v.size(); ++id)
      if (v[id] > 0) out[t][std::uint32_t(id)] = int(v[id]);
  }
  return out;
}

namespace {

// Our objects' classes from ilastik's: each of our objects takes the class most of its
// pixels have under ilastik's labelled objects (ids as ilastik numbered them).
std::map<std::uint32_t, int> transfer_labels(const std::map<std::uint32_t, int>& theirs,
                                             const std::vector<std::uint32_t>& their_ids,
                                             const FrameObjects& ours) {
  if (their_ids.empty()) {  // no cached label image: ilastik's ids are ours (both consecutive)
    std::map<std::uint32_t, int> same;
    for (const auto& [id, cls] : theirs)
      if (id <= ours.n) same[id] = cls;
    return same;
  }
  std::map<std::uint32_t, std::map<int, std::size_t>> votes;
  for (std::size_t i = 0; i < their_ids.size(); ++i) {
    if (!ours.labels[i] || !their_ids[i]) continue;
    const auto it = theirs.find(their_ids[i]);
    if (it != theirs.end()) ++votes[ours.labels[i]][it->second];
  }
  std::map<std::uint32_t, int> out;
  for (const auto& [obj, counts] : votes)
    out[obj] = std::max_element(counts.begin(), counts.end(), [](auto& a, auto& b) {
                 return a.second < b.second;
               })->first;
  return out;
}

ObjectModel retrain(const h5::File& f, const std::string& ilp, ObjectModel m,
                    const RunContext& ctx) {
  const bool thresholds = m.threshold.method == ThresholdMethod::simple ||
                          m.threshold.method == ThresholdMethod::hysteresis;
  std::vector<float> x;
  std::vector<std::int32_t> y;
  const auto lanes =
      f.is_group("Input Data/infos") ? f.list("Input Data/infos") : std::vector<std::string>{};
  for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
    const auto theirs = ilp_object_labels(f, lane);
    if (std::all_of(theirs.begin(), theirs.end(), [](auto& m) { return m.empty(); })) continue;
    const std::string info = "Input Data/infos/" + lanes[lane];
    const std::string role = segmentation_role(f, info);
    if (role.empty())
      throw_input(ilp,
                  "lane " + lanes[lane] +
                      " has labels but no prediction maps, segmentation or label image (for "
                      "'from pixel classification' projects export the probabilities and "
                      "train with objclassify train)",
                  info);
    with_context("retraining on " + lanes[lane] + " of " + ilp, [&] {
      const CanonicalImage raw = open_lane(f, info + "/Raw Data", ilp);
      const CanonicalImage seg = open_lane(f, info + "/" + role, ilp);
      const ThresholdSettings s = thresholds ? m.threshold : segmentation_settings(m);
      std::vector<FrameObjects> frames;
      std::vector<std::map<std::uint32_t, int>> labels;
      for (std::size_t t = 0; t < raw.t(); ++t) {
        ObjectFeatureOptions options;
        options.margin = m.margin;
        options.hull = m.hull;
        frames.push_back(extract_objects(raw, seg, t, s, m.features, ctx, options));
        labels.push_back(t < theirs.size() && !theirs[t].empty()
                             ? transfer_labels(theirs[t],
                                               ilp_object_ids(f, lane, t, raw.spatial_shape()),
                                               frames.back())
                             : std::map<std::uint32_t, int>{});
      }
      gather_labelled_objects(frames, labels, m, x, y);
    });
  }
  if (y.empty()) throw_input(ilp, "the project holds no labelled objects to retrain on");
  fit_object_forest(m, x, y,
                    parse_forest_options(nlohmann::json::object(), m.class_names.size(), ilp), ctx);
  m.source = "bioforest, retrained on the labelled objects of " + fs::path(ilp).filename().string();
  return m;
}

}  // namespace

ObjectModel import_ilp_object_model(const std::string& ilp, const ObjectImportOptions& options,
                                    const RunContext& ctx) {
  return with_context("importing the ilastik project " + ilp, [&] {
    h5::File f = h5::File::open_read(ilp);
    ObjectModel m = ilp_object_settings(f, ilp);
    if (!options.features.empty() && !options.retrain)
      throw_usage(
          "--features needs --retrain (ilastik's forest was trained on the project's "
          "own selection)");
    m.margin = ilp_margin(f);
    m.hull = HullConvention::ilastik;  // the values ilastik's forest was trained on
    const auto& wanted = options.features;
    if (wanted.empty()) {
      m.features = ilp_object_features(f);
    } else if (wanted.size() == 1 && wanted[0] == "supported") {
      const auto sel = ilp_feature_selection(f);
      if (sel.ours.empty())
        throw_input(ilp, "bioforest computes none of the project's selected object features");
      if (!sel.missing.empty())
        logger().warn("{}: retraining without the selected features objfeatures lacks: {}", ilp,
                      join_names(sel.missing));
      m.features = sel.ours;
    } else if (wanted.size() == 1 && wanted[0] == "default") {
      m.features = default_object_features();
    } else {
      for (const auto& name : wanted)
        m.features.push_back(match_object_feature(name));
    }
    if (options.retrain) return retrain(f, ilp, std::move(m), ctx);

    const std::string forests = std::string(kClassifier) + "/ClassifierForests";
    if (!f.is_group(forests) || f.list(forests).empty())
      throw_input(ilp,
                  "the project holds no trained classifier (train it in ilastik, or use "
                  "objclassify import-ilp --retrain)",
                  forests);
    m.forest = learn::import_vigra_forests(f, forests);
    // The forest's columns: the project's selection on images of the lane's channel count
    // and rank, or any (channels, rank) whose column count is the forest's.
    std::vector<std::pair<std::size_t, int>> tries;
    std::size_t channels = 0;
    int rank = 0;
    if (lane_geometry(f, ilp, channels, rank)) tries.emplace_back(channels, rank);
    for (int r : {2, 3})
      for (std::size_t c = 1; c <= 8; ++c)
        tries.emplace_back(c, r);
    for (const auto& [c, r] : tries) {
      auto cols = columns_for(m.features, c, r, ctx);
      if (cols.size() == m.forest.n_features()) {
        m.columns = std::move(cols);
        break;
      }
    }
    if (m.columns.empty())
      throw_input(ilp, "cannot match the forest's " + std::to_string(m.forest.n_features()) +
                           " features to the columns of the project's selected object features");
    m.forest.set_feature_names(m.columns);
    m.label_counts.assign(m.class_names.size(), 0);
    const std::size_t lanes =
        f.is_group("Input Data/infos") ? f.list("Input Data/infos").size() : 0;
    for (std::size_t lane = 0; lane < lanes; ++lane)
      for (const auto& frame : ilp_object_labels(f, lane))
        for (const auto& [id, cls] : frame)
          if (cls >= 1 && std::size_t(cls) <= m.label_counts.size())
            ++m.label_counts[std::size_t(cls - 1)];
    return m;
  });
}

}  // namespace bioforest::workflows
