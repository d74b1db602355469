// SPDX-License-Identifier: BSD-3-Clause
// vigra RF v2 HDF5 layout (vigra's random_forest_hdf5_impex.hxx, shared/reference/ilastik.md
// §4): per tree `topology` (int32) and `parameters` (float64). topology[0] = features,
// topology[1] = classes, the root at topology[2]. A threshold node is 5 ints [type 0,
// param address, left, right, column] with parameters [weight, threshold], left iff
// x < threshold; a leaf is 2 ints [0x40000000, param address] with parameters
// [weight, p_0 .. p_{C-1}]. Trees are rebuilt into our layout (children adjacent).
#include "bioforest/learn/vigra_import.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "bioforest/core/error.hpp"
#include "bioforest/io/hdf5.hpp"

namespace bioforest::learn {
namespace {

constexpr std::int32_t kThresholdNode = 0;
constexpr std::int32_t kConstProbLeaf = 0x40000000;

std::string join(const std::string& group, const std::string& name) {
  return group.empty() || group.back() == '/' ? group + name : group + "/" + name;
}

/// The smallest float >= d: for every float x, x < result exactly when x < d, so the
/// float threshold decides like vigra's double one.
float ceil_to_float(double d) {
  if (d > double(std::numeric_limits<float>::max())) return std::numeric_limits<float>::infinity();
  float t = float(d);
  if (double(t) < d) t = std::nextafter(t, std::numeric_limits<float>::infinity());
  return t;
}

/// One vigra tree appended to `out` (value width = number of classes of the tree).
void convert_tree(const std::vector<std::int32_t>& top, const std::vector<double>& par,
                  TreeEnsemble& out, const std::string& where) {
  auto bad = [&](const std::string& why) {
    throw_input("", "malformed vigra tree: " + why, where);
  };
  if (top.size() < 4) bad("topology too short");
  const auto n_classes = std::size_t(top[1]);
  if (std::size_t(top[0]) != out.n_features) bad("feature count differs between trees");
  if (n_classes != out.value_width) bad("class count differs between trees");
  auto param = [&](std::int64_t addr, std::size_t k) {
    if (addr < 0 || std::size_t(addr) + k >= par.size()) bad("parameter address out of range");
    return par[std::size_t(addr) + k];
  };
  auto new_node = [&out] {
    out.feature.push_back(0);
    out.threshold.push_back(std::numeric_limits<float>::quiet_NaN());
    out.child.push_back(std::int32_t(out.child.size()));
    out.leaf.push_back(-1);
    return std::int32_t(out.feature.size() - 1);
  };
  struct Item {
    std::size_t offset;
    std::int32_t node;
  };
  out.tree_root.push_back(new_node());
  std::vector<Item> stack{{2, out.tree_root.back()}};
  std::size_t visited = 0;
  while (!stack.empty()) {
    const Item it = stack.back();
    stack.pop_back();
    if (++visited > top.size()) bad("cycle in the topology");
    if (it.offset + 1 >= top.size()) bad("node offset out of range");
    const std::int32_t type = top[it.offset];
    const std::int64_t addr = top[it.offset + 1];
    if (type == kConstProbLeaf) {
      out.leaf[std::size_t(it.node)] = std::int32_t(out.values.size() / out.value_width);
      for (std::size_t c = 0; c < n_classes; ++c)
        out.values.push_back(float(param(addr, 1 + c)));
    } else if (type == kThresholdNode) {
      if (it.offset + 4 >= top.size()) bad("threshold node truncated");
      const std::int32_t column = top[it.offset + 4];
      if (column < 0 || std::size_t(column) >= out.n_features) bad("feature column out of range");
      const std::int32_t left = new_node();
      new_node();
      out.feature[std::size_t(it.node)] = column;
      out.threshold[std::size_t(it.node)] = ceil_to_float(param(addr, 1));
      out.child[std::size_t(it.node)] = left;
      for (int side = 1; side >= 0; --side) {
        const std::int32_t off = top[it.offset + 2 + std::size_t(side)];
        if (off < 2) bad("child offset out of range");
        stack.push_back({std::size_t(off), left + side});
      }
    } else {
      bad("node type " + std::to_string(type) +
          " is not supported (only threshold nodes and constant-probability leaves)");
    }
  }
}

}  // namespace

TreeEnsemble import_vigra_forest(const h5::File& file, const std::string& g) {
  return with_context("reading the vigra forest " + g + " in " + file.path(), [&] {
    std::vector<std::string> tree_names;
    for (const auto& m : file.list(g))
      if (m.starts_with("Tree")) tree_names.push_back(m);
    if (tree_names.empty()) throw_input(file.path(), "no Tree_* groups in the forest", g);
    TreeEnsemble t;
    for (const auto& name : tree_names) {
      const std::string tg = join(g, name);
      const auto top = file.read<std::int32_t>(join(tg, "topology"));
      const auto par = file.read<double>(join(tg, "parameters"));
      if (t.n_trees() == 0 && top.size() >= 2) {
        if (top[0] <= 0 || top[1] <= 0) throw_input(file.path(), "empty vigra tree header", tg);
        t.n_features = std::size_t(top[0]);
        t.value_width = std::size_t(top[1]);
      }
      try {
        convert_tree(top, par, t, tg);
      } catch (Error& e) {
        e.set_file_if_empty(file.path(), tg);
        throw;
      }
    }
    t.validate();
    return t;
  });
}

ClassificationForest import_vigra_forests(const h5::File& ilp, const std::string& g) {
  return with_context("importing ilastik's classifier " + g + " from " + ilp.path(), [&] {
    if (!ilp.is_group(g))
      throw_input(ilp.path(), "no classifier group (is the project trained?)", g);
    TreeEnsemble all;
    for (const auto& m : ilp.list(g))
      if (m.starts_with("Forest")) all.append(import_vigra_forest(ilp, join(g, m)));
    if (all.n_trees() == 0) throw_input(ilp.path(), "the project stores no trained forest", g);
    // One mean over all trees = ilastik's per-forest means averaged by tree count.
    std::vector<std::int32_t> known;
    if (ilp.exists(join(g, "known_labels")))
      known = ilp.read<std::int32_t>(join(g, "known_labels"));
    else {
      known.resize(all.value_width);
      for (std::size_t c = 0; c < known.size(); ++c)
        known[c] = std::int32_t(c + 1);
    }
    if (known.size() != all.value_width)
      throw_input(ilp.path(), "known_labels does not match the forests' class count", g);
    // Output columns: labels 1..len(LabelNames) of the applet, as ilastik's prediction.
    std::vector<std::int32_t> classes = known;
    const std::string parent =
        g.substr(0, g.find_last_of('/') == std::string::npos ? 0 : g.find_last_of('/'));
    if (!parent.empty() && ilp.exists(join(parent, "LabelNames"))) {
      const std::size_t k = ilp.read_strings(join(parent, "LabelNames")).size();
      const std::int32_t max_known = *std::max_element(known.begin(), known.end());
      classes.resize(std::max<std::size_t>(k, std::size_t(std::max(0, max_known))));
      for (std::size_t c = 0; c < classes.size(); ++c)
        classes[c] = std::int32_t(c + 1);
    }
    if (classes != known) {
      std::vector<float> widened;
      const std::size_t n_leaves = all.values.size() / all.value_width;
      widened.assign(n_leaves * classes.size(), 0.0f);
      for (std::size_t l = 0; l < n_leaves; ++l)
        for (std::size_t j = 0; j < known.size(); ++j) {
          const auto col =
              std::size_t(std::find(classes.begin(), classes.end(), known[j]) - classes.begin());
          if (col >= classes.size())
            throw_input(ilp.path(), "a known label is not a label name", g);
          widened[l * classes.size() + col] = all.values[l * known.size() + j];
        }
      all.values = std::move(widened);
      all.value_width = classes.size();
    }
    auto forest = ClassificationForest::from_ensemble(std::move(all), std::move(classes));
    if (ilp.exists(join(g, "feature_names"))) {
      auto names = ilp.read_strings(join(g, "feature_names"));
      if (names.size() == forest.n_features()) forest.set_feature_names(std::move(names));
    }
    return forest;
  });
}

}  // namespace bioforest::learn
