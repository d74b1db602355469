// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/suggest_features.hpp"

#include <chrono>
#include <cstdio>
#include <numeric>
#include <sstream>

#include "bioforest/core/error.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/learn/classification_forest.hpp"
#include "bioforest/workflows/pixel_training.hpp"

namespace bioforest::workflows {

namespace {

struct Cell {
  std::size_t row, col;
  std::vector<std::size_t> columns;  ///< its channels in the full feature matrix
  std::string name;
  double cost_ms_per_mpx = 0;
};

// Every cell ilastik allows (σ >= the family's minimum scale) whose scale fits the images.
features::FeatureSelection candidate_selection(const PixelClassificationSpec& spec,
                                               const std::vector<TrainingPair>& pairs) {
  features::FeatureSelection all = features::FeatureSelection::empty_default();
  all.scheme = spec.features.scheme;
  for (std::size_t r = 0; r < all.families.size(); ++r)
    for (std::size_t c = 0; c < all.scales.size(); ++c)
      if (all.scales[c] >= features::family_min_scale(all.families[r])) {
        auto trial = all;
        trial.matrix[r][c] = true;
        bool fits = true;
        for (const auto& p : pairs) {
          try {
            features::validate_for_shape(trial, p.raw->spatial_shape());
          } catch (const Error&) {
            fits = false;
          }
        }
        if (fits) all.matrix[r][c] = true;
      }
  return all;
}

// Time to compute one cell on a 256x256 (or 48^3) synthetic block, in ms per megapixel.
double measure_cost(const features::FeatureSelection& sel, std::size_t channels, int rank) {
  const Shape core = rank == 3 ? Shape{48, 48, 48} : Shape{256, 256};
  const features::FeatureComputer fc(sel, channels, rank);
  const Shape halo = fc.halo();
  Shape block;
  for (std::size_t d = 0; d < core.size(); ++d)
    block.push_back(core[d] + 2 * halo[d]);
  Roi inner{halo, Shape(core.size())};
  for (std::size_t d = 0; d < core.size(); ++d)
    inner.stop[d] = halo[d] + core[d];
  std::size_t n = channels;
  for (auto e : block)
    n *= e;
  std::vector<float> data(n);
  for (std::size_t i = 0; i < n; ++i)
    data[i] = float((i * 2654435761u) % 251);
  block.push_back(channels);
  std::vector<float> out(fc.n_channels() * inner.size());
  features::FeatureComputer::Workspace ws(1);
  features::BlockBorders borders;
  borders.lo = {false, false, false};
  borders.hi = {false, false, false};
  const auto t0 = std::chrono::steady_clock::now();
  fc.compute(data.data(), block, inner, borders, out.data(), ws);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return ms / (double(inner.size()) / 1e6);
}

double oob_accuracy(const TrainingSet& set, const std::vector<std::size_t>& columns,
                    const RunContext& ctx, std::vector<float>& x) {
  const std::size_t n = set.n_samples(), f = columns.size();
  x.resize(n * f);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < f; ++j)
      x[i * f + j] = set.x[i * set.n_features + columns[j]];
  learn::ForestOptions o;
  o.n_trees = 32;  // enough for a stable out-of-bag estimate, fast enough to try every cell
  o.seed = 7;
  const auto forest = learn::ClassificationForest::train(
      learn::FeatureView::sample_major(x.data(), n, f), set.y, o, ctx);
  return 1.0 - forest.oob().error;
}

}  // namespace

std::vector<FeatureSuggestion> suggest_features(const PixelClassificationSpec& spec,
                                                std::size_t max_cells, const RunContext& ctx) {
  const auto pairs = open_training_pairs(spec);
  const features::FeatureSelection all = candidate_selection(spec, pairs);
  const TrainingSet set = gather_training_pairs(pairs, all, spec.classes.size(), ctx);
  if (set.y.empty()) throw Error(ErrorCategory::usage, "no labelled pixels", spec.file);
  const bool in_3d = set.spatial_rank == 3;

  // Channels of each cell inside the full matrix (rows -> columns -> channel -> eigenvalue).
  std::vector<Cell> cells;
  std::size_t offset = 0;
  for (std::size_t r = 0; r < all.families.size(); ++r)
    for (std::size_t c = 0; c < all.scales.size(); ++c) {
      if (!all.matrix[r][c]) continue;
      auto one = features::FeatureSelection::empty_default();
      one.scheme = all.scheme;
      one.matrix[r][c] = true;
      const auto names = features::feature_channel_names(one, set.input_channels, in_3d);
      Cell cell{r, c, {}, names.front(), measure_cost(one, set.input_channels, set.spatial_rank)};
      if (auto pos = cell.name.find(" ["); pos != std::string::npos) cell.name.resize(pos);
      for (std::size_t k = 0; k < names.size(); ++k)
        cell.columns.push_back(offset + k);
      offset += names.size();
      cells.push_back(std::move(cell));
    }

  std::vector<FeatureSuggestion> rows;
  std::vector<bool> used(cells.size(), false);
  std::vector<std::size_t> chosen_columns;
  features::FeatureSelection chosen = features::FeatureSelection::empty_default();
  chosen.scheme = all.scheme;
  double cost = 0;
  std::vector<float> scratch;
  const std::size_t steps = std::min(max_cells, cells.size());
  for (std::size_t step = 0; step < steps; ++step) {
    double best = -1;
    std::size_t best_cell = 0;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (used[i]) continue;
      auto cols = chosen_columns;
      cols.insert(cols.end(), cells[i].columns.begin(), cells[i].columns.end());
      const double acc = oob_accuracy(set, cols, ctx, scratch);
      // Ties go to the cheaper cell.
      if (acc > best + 1e-12 || (std::abs(acc - best) <= 1e-12 &&
                                 cells[i].cost_ms_per_mpx < cells[best_cell].cost_ms_per_mpx)) {
        best = acc;
        best_cell = i;
      }
      ctx.progress("suggesting features", step * cells.size() + i + 1, steps * cells.size());
    }
    used[best_cell] = true;
    const Cell& c = cells[best_cell];
    chosen_columns.insert(chosen_columns.end(), c.columns.begin(), c.columns.end());
    chosen.matrix[c.row][c.col] = true;
    cost += c.cost_ms_per_mpx;
    rows.push_back({chosen, c.name, chosen_columns.size(), best, cost});
  }
  // The spec's own selection, for comparison (its channels are a subset of the full matrix
  // when it uses default scales; otherwise it is scored on its own features).
  {
    const TrainingSet own = gather_training_pairs(pairs, spec.features, spec.classes.size(), ctx);
    std::vector<std::size_t> cols(own.n_features);
    std::iota(cols.begin(), cols.end(), 0);
    FeatureSuggestion r{spec.features, "(spec's selection)", own.n_features,
                        oob_accuracy(own, cols, ctx, scratch),
                        measure_cost(spec.features, own.input_channels, own.spatial_rank)};
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string format_feature_suggestions(const std::vector<FeatureSuggestion>& rows) {
  std::ostringstream s;
  s << "step  channels  oob-accuracy  cost(ms/Mpx)  added\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    char line[160];
    const bool own = i + 1 == rows.size();
    std::snprintf(line, sizeof line, "%4s  %8zu  %12.4f  %12.1f  %s\n",
                  own ? "-" : std::to_string(i + 1).c_str(), rows[i].n_channels,
                  rows[i].oob_accuracy, rows[i].cost_ms_per_mpx, rows[i].added.c_str());
    s << line;
  }
  return s.str();
}

nlohmann::ordered_json feature_suggestions_json(const std::vector<FeatureSuggestion>& rows) {
  auto a = nlohmann::ordered_json::array();
  for (const auto& r : rows)
    a.push_back({{"added", r.added},
                 {"channels", r.n_channels},
                 {"oob_accuracy", r.oob_accuracy},
                 {"cost_ms_per_mpx", r.cost_ms_per_mpx},
                 {"features", features::selection_to_json(r.selection)}});
  return a;
}

}  // namespace bioforest::workflows
