// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/pixel_model.hpp"

#include <sstream>

#include "bioforest/core/error.hpp"
#include "bioforest/core/version.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/io/axistags.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/provenance.hpp"
#include "bioforest/learn/vigra_import.hpp"

namespace bioforest::workflows {

namespace {

constexpr int kModelFormat = 1;
constexpr const char* kModelKind = "pixel_classification";

}  // namespace

void write_model_header(h5::File& f, const std::string& kind, const std::string& source) {
  f.write_string_attribute("/", "bioforest_model", kind);
  f.write_numeric_attribute("/", "format_version", {double(kModelFormat)});
  f.write_string_attribute("/", "bioforest_version", version());
  f.write_string_attribute("/", "source", source);
  const auto& prov = io::process_provenance();
  if (!prov.command_line.empty())
    f.write_string_attribute("/", "bioforest_command_line", prov.command_line);
}

void check_model_header(const h5::File& f, const std::string& kind) {
  if (!f.has_attribute("/", "bioforest_model")) throw_input(f.path(), "not a bioforest model file");
  const std::string found = f.read_string_attribute("/", "bioforest_model");
  if (found != kind) throw_input(f.path(), "is a " + found + " model, not a " + kind + " model");
  const auto version = f.read_numeric_attribute("/", "format_version");
  if (version.empty() || version[0] > kModelFormat)
    throw_input(f.path(), "model format " +
                              (version.empty() ? "?" : std::to_string(int(version[0]))) +
                              " is newer than this bioforest understands (" +
                              std::to_string(kModelFormat) + ")");
}

void write_pixel_model(h5::File& f, const std::string& group, const PixelModel& m) {
  const std::string g = group == "/" ? "" : group;
  if (!g.empty()) f.create_group(g);
  f.write_string(g + "/source", m.source);
  f.write_string(g + "/spec", m.spec_json);
  f.write_string(g + "/spec_file", m.spec_file);
  f.write_string(g + "/features", features::selection_to_json_text(m.features));
  f.write_string(g + "/feature_scheme", std::string(features::scheme_name(m.features.scheme)));
  f.write_strings(g + "/classes/names", class_names(m.classes));
  std::vector<std::uint8_t> colors;
  for (const auto& c : m.classes)
    colors.insert(colors.end(), c.color.begin(), c.color.end());
  f.write(g + "/classes/colors", colors, {m.classes.size(), 3});
  f.write(g + "/input_channels", std::vector<std::int32_t>{std::int32_t(m.input_channels)});
  f.write(g + "/spatial_rank", std::vector<std::int32_t>{m.spatial_rank});
  f.write_strings(g + "/feature_names", m.feature_names);
  f.write_string(g + "/training/digest", m.training_digest);
  f.write(g + "/training/label_counts", m.label_counts);
  m.forest.save(f, g + "/forest");
}

PixelModel read_pixel_model(const h5::File& f, const std::string& group) {
  const std::string g = group == "/" ? "" : group;
  PixelModel m;
  m.source = f.read_string(g + "/source");
  m.spec_json = f.read_string(g + "/spec");
  m.spec_file = f.read_string(g + "/spec_file");
  m.features = features::selection_from_json_text(f.read_string(g + "/features"), f.path());
  const auto names = f.read_strings(g + "/classes/names");
  const auto colors = f.read<std::uint8_t>(g + "/classes/colors");
  for (std::size_t i = 0; i < names.size(); ++i)
    m.classes.push_back({names[i], {colors[3 * i], colors[3 * i + 1], colors[3 * i + 2]}});
  m.input_channels = std::size_t(f.read<std::int32_t>(g + "/input_channels").at(0));
  m.spatial_rank = f.read<std::int32_t>(g + "/spatial_rank").at(0);
  m.feature_names = f.read_strings(g + "/feature_names");
  m.training_digest = f.read_string(g + "/training/digest");
  m.label_counts = f.read<std::uint64_t>(g + "/training/label_counts");
  m.forest = learn::ClassificationForest::load(f, g + "/forest");
  return m;
}

void save_pixel_model(const PixelModel& m, const std::string& path, bool overwrite) {
  io::AtomicOutput out(path, overwrite);
  {
    h5::File f = h5::File::create(out.temp_path());
    write_model_header(f, kModelKind, m.source);
    write_pixel_model(f, "/", m);
    f.close();
  }
  out.commit();
}

namespace {

// Whether the first lane's raw data has a z axis longer than 1 (from the stored shape and
// axistags of "Input Data").
bool lane_is_volume(const h5::File& f) {
  const std::string info = "Input Data/infos/lane0000/Raw Data";
  if (!f.exists(info + "/shape") || !f.exists(info + "/axistags")) return false;
  try {
    const auto shape = f.read<std::int64_t>(info + "/shape");
    const Axes axes = io::parse_axistags(f.read_string(info + "/axistags"));
    return axes.has('z') && axes.size() == shape.size() && shape[axes.index('z')] > 1;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

PixelModel ilp_pixel_settings(const std::string& ilp, const std::string& stage) {
  h5::File f = h5::File::open_read(ilp);
  const std::string fs = "FeatureSelections" + stage, pc = "PixelClassification" + stage;
  if (!f.exists(fs) || !f.exists(pc))
    throw_input(ilp, "not an ilastik pixel-classification project (no " + fs + " or " + pc +
                         " group; workflow " +
                         (f.exists("workflowName") ? f.read_string("workflowName") : "unknown") +
                         ")");
  PixelModel m;
  m.source = "ilastik " + (f.exists("ilastikVersion") ? f.read_string("ilastikVersion") : "?");
  m.spec_file = ilp;

  // Feature matrix: rows in the stored FeatureIds order, columns in Scales order.
  auto& sel = m.features;
  sel.families.clear();
  for (const auto& id : f.read_strings(fs + "/FeatureIds"))
    sel.families.push_back(features::parse_family(id));
  sel.scales = f.read<double>(fs + "/Scales");
  Shape shape;
  const auto matrix = f.read<std::uint8_t>(fs + "/SelectionMatrix", &shape);
  if (shape.size() != 2 || shape[0] != sel.families.size() || shape[1] != sel.scales.size())
    throw_input(ilp,
                "SelectionMatrix has shape " + shape_str(shape) + " for " +
                    std::to_string(sel.families.size()) + " features and " +
                    std::to_string(sel.scales.size()) + " scales",
                fs + "/SelectionMatrix");
  sel.matrix.assign(shape[0], std::vector<bool>(shape[1]));
  for (std::size_t r = 0; r < shape[0]; ++r)
    for (std::size_t c = 0; c < shape[1]; ++c)
      sel.matrix[r][c] = matrix[r * shape[1] + c] != 0;
  if (f.exists(fs + "/ComputeIn2d")) {
    const auto in2d = f.read<std::uint8_t>(fs + "/ComputeIn2d");
    sel.compute_in_2d.assign(in2d.begin(), in2d.end());
  }
  sel.scheme = features::Scheme::ilastik;

  const auto names = f.read_strings(pc + "/LabelNames");
  std::vector<std::int64_t> colors;
  if (f.exists(pc + "/LabelColors")) colors = f.read<std::int64_t>(pc + "/LabelColors");
  for (std::size_t i = 0; i < names.size(); ++i) {
    PixelClass c{names[i], default_class_color(i)};
    if (colors.size() >= 3 * (i + 1))
      c.color = {std::uint8_t(colors[3 * i]), std::uint8_t(colors[3 * i + 1]),
                 std::uint8_t(colors[3 * i + 2])};
    m.classes.push_back(c);
  }
  return m;
}

PixelModel import_ilp_pixel_model(const std::string& ilp, const std::string& stage) {
  PixelModel m = ilp_pixel_settings(ilp, stage);
  const auto& sel = m.features;
  h5::File f = h5::File::open_read(ilp);
  const std::string forests = "PixelClassification" + stage + "/ClassifierForests";
  if (!f.exists(forests) || f.list(forests).empty())
    throw_input(ilp,
                "the project holds no trained classifier (train it in ilastik, or use "
                "pxclassify import-ilp --retrain)",
                forests);
  m.forest = learn::import_vigra_forests(f, forests);
  if (f.exists(forests + "/feature_names"))
    m.feature_names = f.read_strings(forests + "/feature_names");

  // Input channels and dimensionality: the combination whose channel names are the ones
  // ilastik stored (falls back to the forest's feature count).
  bool found = false;
  // A selection computed entirely in 2D names its channels the same for images and
  // volumes: prefer the dimensionality of the project's own data.
  std::vector<int> ranks{2, 3};
  if (lane_is_volume(f)) ranks = {3, 2};
  for (int rank : ranks) {
    for (std::size_t ch = 1; ch <= 64 && !found; ++ch) {
      const auto expect = features::feature_channel_names(sel, ch, rank == 3);
      const bool names_match = m.feature_names.empty() ? expect.size() == m.forest.n_features()
                                                       : expect == m.feature_names;
      if (names_match && expect.size() == m.forest.n_features()) {
        m.input_channels = ch;
        m.spatial_rank = rank;
        found = true;
      }
    }
    if (found) break;
  }
  if (!found)
    throw_input(ilp, "cannot match the forest's " + std::to_string(m.forest.n_features()) +
                         " features to the project's feature selection");
  m.feature_names = features::feature_channel_names(sel, m.input_channels, m.spatial_rank == 3);
  m.forest.set_feature_names(m.feature_names);
  return m;
}

PixelModel load_pixel_model(const std::string& path) {
  return with_context("loading the pixel classifier " + path, [&] {
    h5::File f = h5::File::open_read(path);
    if (f.has_attribute("/", "bioforest_model")) {
      check_model_header(f, kModelKind);
      return read_pixel_model(f, "/");
    }
    if (f.exists("FeatureSelections")) return import_ilp_pixel_model(path);
    throw_input(path, "neither a bioforest model nor an ilastik project");
  });
}

std::string describe_pixel_model(const PixelModel& m) {
  std::ostringstream s;
  s << "source:          " << m.source << "\n";
  if (!m.spec_file.empty()) s << "trained from:    " << m.spec_file << "\n";
  s << "classes:         " << m.classes.size() << "\n";
  for (std::size_t i = 0; i < m.classes.size(); ++i) {
    s << "  " << i + 1 << " " << m.classes[i].name;
    if (i < m.label_counts.size()) s << " (" << m.label_counts[i] << " labelled pixels)";
    s << "\n";
  }
  s << "input:           " << m.input_channels << " channel(s), "
    << (m.spatial_rank == 3 ? "3-D volumes" : "2-D images") << "\n";
  s << "feature scheme:  " << features::scheme_name(m.features.scheme) << "\n";
  s << "features:        " << m.feature_names.size() << "\n";
  for (const auto& n : m.feature_names)
    s << "  " << n << "\n";
  s << "forest:          " << m.forest.n_trees() << " trees, " << m.forest.n_features()
    << " features\n";
  if (!m.forest.oob().empty()) s << "out-of-bag error: " << m.forest.oob().error << "\n";
  if (!m.training_digest.empty()) s << "training digest: " << m.training_digest << "\n";
  return s.str();
}

nlohmann::ordered_json pixel_model_json(const PixelModel& m) {
  nlohmann::ordered_json j;
  j["source"] = m.source;
  j["spec_file"] = m.spec_file;
  auto classes = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < m.classes.size(); ++i) {
    nlohmann::ordered_json c{
        {"label", i + 1}, {"name", m.classes[i].name}, {"color", m.classes[i].color}};
    if (i < m.label_counts.size()) c["labelled_pixels"] = m.label_counts[i];
    classes.push_back(c);
  }
  j["classes"] = classes;
  j["input_channels"] = m.input_channels;
  j["spatial_rank"] = m.spatial_rank;
  j["feature_scheme"] = std::string(features::scheme_name(m.features.scheme));
  j["features"] = features::selection_to_json(m.features);
  j["feature_names"] = m.feature_names;
  j["trees"] = m.forest.n_trees();
  if (!m.forest.oob().empty()) j["oob_error"] = m.forest.oob().error;
  j["training_digest"] = m.training_digest;
  return j;
}

}  // namespace bioforest::workflows
