// SPDX-License-Identifier: BSD-3-Clause
// Model files: a forest is a group of flat datasets (exactly the in-memory arrays, so a
// reloaded forest predicts bit-identically) with attributes format_version, kind,
// n_features, value_width.
#include <cmath>
#include <string>

#include "bioforest/core/error.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/learn/classification_forest.hpp"
#include "bioforest/learn/regression_forest.hpp"

namespace bioforest::learn {
namespace {

constexpr double kFormatVersion = 1;

std::string join(const std::string& group, const std::string& name) {
  return group.empty() || group.back() == '/' ? group + name : group + "/" + name;
}

void save_common(h5::File& file, const std::string& g, const std::string& kind,
                 const TreeEnsemble& t, const std::vector<std::string>& names,
                 const std::vector<double>& importance, const OobEstimate& oob) {
  file.create_group(g);
  file.write_numeric_attribute(g, "format_version", {kFormatVersion});
  file.write_string_attribute(g, "kind", kind);
  file.write_numeric_attribute(g, "n_features", {double(t.n_features)});
  file.write_numeric_attribute(g, "value_width", {double(t.value_width)});
  file.write(join(g, "tree_root"), t.tree_root);
  file.write(join(g, "feature"), t.feature);
  file.write(join(g, "threshold"), t.threshold);
  file.write(join(g, "child"), t.child);
  file.write(join(g, "leaf"), t.leaf);
  file.write(join(g, "values"), t.values, {t.values.size() / t.value_width, t.value_width});
  if (!names.empty()) file.write_strings(join(g, "feature_names"), names);
  if (!importance.empty()) file.write(join(g, "impurity_importance"), importance);
  if (!oob.empty()) file.write_numeric_attribute(g, "oob_error", {oob.error});
}

/// Reads the common part; throws Error{input} naming the group when it is not a forest of
/// `kind` in a format we know.
TreeEnsemble load_common(const h5::File& file, const std::string& g, const std::string& kind,
                         std::vector<std::string>& names, std::vector<double>& importance) {
  return with_context("loading the forest in group " + g + " of " + file.path(), [&] {
    if (!file.is_group(g)) throw_input(file.path(), "no forest group", g);
    if (!file.has_attribute(g, "format_version"))
      throw_input(file.path(), "not a bioforest forest (no format_version)", g);
    const double version = file.read_numeric_attribute(g, "format_version").at(0);
    if (version != kFormatVersion)
      throw_input(file.path(),
                  "forest format version " + std::to_string(int(version)) +
                      " is not supported by this bioforest (it reads version 1)",
                  g);
    const std::string k = file.read_string_attribute(g, "kind");
    if (k != kind) throw_input(file.path(), "expected a " + kind + " forest, found " + k, g);
    TreeEnsemble t;
    t.n_features = std::size_t(file.read_numeric_attribute(g, "n_features").at(0));
    t.value_width = std::size_t(file.read_numeric_attribute(g, "value_width").at(0));
    t.tree_root = file.read<std::int32_t>(join(g, "tree_root"));
    t.feature = file.read<std::int32_t>(join(g, "feature"));
    t.threshold = file.read<float>(join(g, "threshold"));
    t.child = file.read<std::int32_t>(join(g, "child"));
    t.leaf = file.read<std::int32_t>(join(g, "leaf"));
    t.values = file.read<float>(join(g, "values"));
    try {
      t.validate();
    } catch (Error& e) {
      e.set_file_if_empty(file.path(), g);
      throw;
    }
    if (file.exists(join(g, "feature_names"))) names = file.read_strings(join(g, "feature_names"));
    if (file.exists(join(g, "impurity_importance")))
      importance = file.read<double>(join(g, "impurity_importance"));
    return t;
  });
}

}  // namespace

void ClassificationForest::save(h5::File& file, const std::string& group) const {
  save_common(file, group, "classification", trees_, feature_names_, gini_importance_, oob_);
  file.write(join(group, "classes"), classes_);
}

ClassificationForest ClassificationForest::load(const h5::File& file, const std::string& group) {
  ClassificationForest f;
  f.trees_ = load_common(file, group, "classification", f.feature_names_, f.gini_importance_);
  f.classes_ = file.read<std::int32_t>(join(group, "classes"));
  if (f.classes_.size() != f.trees_.value_width)
    throw_input(file.path(), "class list and leaf width differ", group);
  if (file.has_attribute(group, "oob_error"))
    f.oob_.error = file.read_numeric_attribute(group, "oob_error").at(0);
  return f;
}

void RegressionForest::save(h5::File& file, const std::string& group) const {
  save_common(file, group, "regression", trees_, feature_names_, importance_, oob_);
}

RegressionForest RegressionForest::load(const h5::File& file, const std::string& group) {
  RegressionForest f;
  f.trees_ = load_common(file, group, "regression", f.feature_names_, f.importance_);
  if (f.trees_.value_width != 1)
    throw_input(file.path(), "regression leaves must be scalars", group);
  if (file.has_attribute(group, "oob_error"))
    f.oob_.error = file.read_numeric_attribute(group, "oob_error").at(0);
  return f;
}

}  // namespace bioforest::learn
