// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/density_model.hpp"

#include <sstream>

#include "bioforest/core/error.hpp"
#include "bioforest/core/version.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/provenance.hpp"

namespace bioforest::workflows {

namespace {

// 1: one forest; 2: adds the stacked refinement (/refine); 3: the linear refinement
// (/refine/weights); 4: feature groups (/feature_groups); 5: background subtraction
// (/background: radius, smoothing, presmoothing). Each written only by models that use it,
// so that the others stay readable by older versions.
constexpr int kModelFormat = 5;
constexpr const char* kModelKind = "density_counting";

std::vector<std::int32_t> to_i32(const std::vector<std::size_t>& v) {
  return {v.begin(), v.end()};
}

}  // namespace

void save_density_model(const DensityModel& m, const std::string& path, bool overwrite) {
  io::AtomicOutput out(path, overwrite);
  {
    h5::File f = h5::File::create(out.temp_path());
    f.write_string_attribute("/", "bioforest_model", kModelKind);
    f.write_numeric_attribute("/", "format_version",
                              {m.background.enabled()      ? 5.0
                               : !m.feature_groups.empty() ? 4.0
                               : m.linear()                ? 3.0
                               : m.stacked()               ? 2.0
                                                           : 1.0});
    f.write_string_attribute("/", "bioforest_version", version());
    const auto& prov = io::process_provenance();
    if (!prov.command_line.empty())
      f.write_string_attribute("/", "bioforest_command_line", prov.command_line);
    f.write_string("/spec", m.spec_json);
    f.write_string("/spec_file", m.spec_file);
    f.write_string("/features", features::selection_to_json_text(m.features));
    f.write_string("/feature_scheme", std::string(features::scheme_name(m.features.scheme)));
    f.write("/input_channels", std::vector<std::int32_t>{std::int32_t(m.input_channels)});
    if (!m.channels.empty()) f.write("/channels", to_i32(m.channels));
    if (!m.feature_groups.empty())
      f.write_string("/feature_groups", feature_groups_to_json(m.feature_groups).dump());
    f.write("/spatial_rank", std::vector<std::int32_t>{m.spatial_rank});
    f.write("/sigma", std::vector<double>{m.sigma});
    if (m.background.enabled())
      f.write("/background",
              std::vector<double>{double(m.background.radius), m.background.smoothing,
                                  m.background.presmoothing});
    f.write_string("/sampling", m.sampling);
    f.write_strings("/feature_names", m.feature_names);
    f.write_string("/training/digest", m.training_digest);
    f.write("/training/counts", std::vector<std::uint64_t>{m.n_samples, m.n_dots, m.n_background});
    m.forest.save(f, "/forest");
    if (m.stacked()) {
      f.write_string("/refine/mode", m.refine);
      f.write("/refine/scales", m.refine_scales);
      f.write("/refine/folds", std::vector<std::uint64_t>{m.refine_folds});
      m.refine_forest.save(f, "/refine/forest");
    }
    if (m.linear()) {
      f.write_string("/refine/mode", m.refine);
      if (!m.refine_scales.empty()) f.write("/refine/scales", m.refine_scales);
      f.write("/refine/folds", std::vector<std::uint64_t>{m.refine_folds});
      f.write("/refine/weights", m.refine_weights);
      if (m.refine_boxes) f.write("/refine/boxes", std::vector<std::uint64_t>{m.refine_boxes});
    }
    f.close();
  }
  out.commit();
}

DensityModel load_density_model(const std::string& path) {
  h5::File f = h5::File::open_read(path);
  if (!f.has_attribute("/", "bioforest_model") ||
      f.read_string_attribute("/", "bioforest_model") != kModelKind)
    throw_input(path, "not a bioforest density model (train one with 'density train')");
  const auto version = f.read_numeric_attribute("/", "format_version");
  if (version.empty() || version[0] > kModelFormat)
    throw_input(path, "model format " + (version.empty() ? "?" : std::to_string(int(version[0]))) +
                          " is newer than this bioforest understands (" +
                          std::to_string(kModelFormat) + ")");
  DensityModel m;
  m.spec_json = f.read_string("/spec");
  m.spec_file = f.read_string("/spec_file");
  m.features = features::selection_from_json_text(f.read_string("/features"), path);
  m.input_channels = std::size_t(f.read<std::int32_t>("/input_channels").at(0));
  if (f.exists("/channels"))
    for (auto c : f.read<std::int32_t>("/channels"))
      m.channels.push_back(std::size_t(c));
  if (f.exists("/feature_groups"))
    m.feature_groups = with_context("reading /feature_groups of " + path, [&] {
      return feature_groups_from_json(nlohmann::json::parse(f.read_string("/feature_groups")),
                                      path);
    });
  m.spatial_rank = f.read<std::int32_t>("/spatial_rank").at(0);
  m.sigma = f.read<double>("/sigma").at(0);
  if (f.exists("/background")) {
    const auto b = f.read<double>("/background");
    if (b.size() != 3 || !(b[0] >= 1) || !(b[1] >= 0) || !(b[2] >= 0))
      throw_input(path, "/background must hold radius >= 1, smoothing >= 0, presmoothing >= 0");
    m.background.radius = std::size_t(b[0]);
    m.background.smoothing = b[1];
    m.background.presmoothing = b[2];
  }
  m.sampling = f.read_string("/sampling");
  m.feature_names = f.read_strings("/feature_names");
  m.training_digest = f.read_string("/training/digest");
  const auto counts = f.read<std::uint64_t>("/training/counts");
  if (counts.size() != 3) throw_input(path, "/training/counts must hold 3 numbers");
  m.n_samples = counts[0];
  m.n_dots = counts[1];
  m.n_background = counts[2];
  m.forest = learn::RegressionForest::load(f, "/forest");
  if (f.exists("/refine/mode")) {
    m.refine = f.read_string("/refine/mode");
    if (m.refine != "stacked" && m.refine != "linear")
      throw_input(path, "unknown /refine/mode '" + m.refine + "'");
    m.refine_scales =
        f.exists("/refine/scales") ? f.read<double>("/refine/scales") : std::vector<double>{};
    m.refine_folds = f.read<std::uint64_t>("/refine/folds").at(0);
    if (m.linear()) {
      m.refine_weights = f.read<double>("/refine/weights");
      if (f.exists("/refine/boxes")) m.refine_boxes = f.read<std::uint64_t>("/refine/boxes").at(0);
      if (m.refine_weights.size() != 1 + m.refine_scales.size())
        throw_input(path, "/refine/weights holds " + std::to_string(m.refine_weights.size()) +
                              " weights, expected " + std::to_string(1 + m.refine_scales.size()));
      return m;
    }
    m.refine_forest = learn::RegressionForest::load(f, "/refine/forest");
    if (m.refine_forest.n_features() != m.forest.n_features() + m.refine_scales.size())
      throw_input(path, "/refine/forest reads " + std::to_string(m.refine_forest.n_features()) +
                            " features, expected " +
                            std::to_string(m.forest.n_features() + m.refine_scales.size()));
  }
  return m;
}

nlohmann::ordered_json density_model_json(const DensityModel& m) {
  nlohmann::ordered_json j;
  j["kind"] = kModelKind;
  j["spatial_rank"] = m.spatial_rank;
  j["input_channels"] = m.input_channels;
  j["channels"] = m.channels;
  j["sigma"] = m.sigma;
  if (m.background.enabled())
    j["background"] = {{"radius", m.background.radius},
                       {"smoothing", m.background.smoothing},
                       {"presmoothing", m.background.presmoothing}};
  else
    j["background"] = "none";
  j["sampling"] = m.sampling;
  j["features"] = nlohmann::ordered_json::parse(features::selection_to_json_text(m.features));
  if (!m.feature_groups.empty())
    j["feature_groups"] =
        nlohmann::ordered_json::parse(feature_groups_to_json(m.feature_groups).dump());
  j["n_features"] = m.feature_names.size();
  j["trees"] = m.forest.n_trees();
  j["refine"] = m.refine;
  if (m.stacked()) {
    j["refine_scales"] = m.refine_scales;
    j["refine_folds"] = m.refine_folds;
    j["refine_trees"] = m.refine_forest.n_trees();
  }
  if (m.linear()) {
    j["refine_scales"] = m.refine_scales;
    j["refine_folds"] = m.refine_folds;
    j["refine_weights"] = m.refine_weights;
    j["refine_boxes"] = m.refine_boxes;
  }
  j["training_pixels"] = m.n_samples;
  j["training_dots"] = m.n_dots;
  j["background_pixels"] = m.n_background;
  j["training_digest"] = m.training_digest;
  j["spec_file"] = m.spec_file;
  return j;
}

std::string describe_density_model(const DensityModel& m) {
  std::ostringstream o;
  o << "density counting model (" << (m.spatial_rank == 3 ? "3-D volumes" : "2-D images") << ", "
    << m.input_channels << " input channel(s)";
  if (!m.channels.empty()) {
    o << ", features on channel(s)";
    for (auto c : m.channels)
      o << ' ' << c;
  }
  for (const auto& g : m.feature_groups) {
    o << ", a feature group on channel(s)";
    for (auto c : g.channels)
      o << ' ' << c;
  }
  o << ")\n";
  o << "sigma " << m.sigma << ", sampling '" << m.sampling << "', ";
  if (m.background.enabled())
    o << "background subtracted (opening radius " << m.background.radius << ", smoothing "
      << m.background.smoothing << "), ";
  else
    o << "no background subtraction, ";
  o << m.n_samples << " training pixels, " << m.n_dots << " dots, " << m.n_background
    << " background pixels\n";
  o << m.forest.n_trees() << " regression trees on " << m.feature_names.size() << " features:\n";
  const auto& imp = m.forest.mse_importance();
  for (std::size_t i = 0; i < m.feature_names.size(); ++i) {
    o << "  " << m.feature_names[i];
    if (i < imp.size()) o << "  (importance " << imp[i] << ")";
    o << "\n";
  }
  if (m.stacked()) {
    o << "stacked refinement (" << m.refine_folds
      << " out-of-fold folds): " << m.refine_forest.n_trees()
      << " trees on the features above plus the stage-1 density at";
    for (double s : m.refine_scales)
      o << ' ' << s;
    o << "\n";
    const auto& imp2 = m.refine_forest.mse_importance();
    const std::size_t F = m.feature_names.size();
    for (std::size_t i = 0; i < m.refine_scales.size() && F + i < imp2.size(); ++i)
      o << "  stage-1 density at sigma " << m.refine_scales[i] << "  (importance " << imp2[F + i]
        << ")\n";
  }
  if (m.linear()) {
    o << "linear density (" << m.refine_folds << " out-of-fold folds";
    if (m.refine_boxes) o << ", " << m.refine_boxes << " annotated boxes";
    o << "): " << m.refine_weights[0] << " x forest density";
    for (std::size_t s = 0; s < m.refine_scales.size(); ++s)
      o << " + " << m.refine_weights[1 + s] << " x density x its smoothing at sigma "
        << m.refine_scales[s];
    o << "\n";
  }
  if (!m.spec_file.empty()) o << "trained from " << m.spec_file << "\n";
  return o.str();
}

}  // namespace bioforest::workflows
