// SPDX-License-Identifier: BSD-3-Clause
// Prediction micro benchmark: trains once on the forest_bench training set, then times
// predict_proba_planar on the first N_PRED pixels of the channel-planar feature image (read
// in place) in CPU seconds, counts node visits with the scalar walk to report ns per visit,
// and compares the probabilities bit for bit with a reference file (written if missing), so
// a faster walk can be checked against the one it replaces; then times predict_labels (the
// early-exit argmax) and checks it against the argmax of the probabilities. ROW_LENGTH
// (default 0: a plain list of samples) declares the pixels an image's rows of that length,
// as the pixel stage does (FeatureView::row_length).
//
// usage: forest_predict_bench TRAIN_X.f32 TRAIN_Y.i32 N_TRAIN PRED_X.f32 N_IMAGE N_PRED F
//                             THREADS REPEATS REFERENCE.f32 [ROW_LENGTH]
#include <time.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/learn/classification_forest.hpp"
#include "bioforest/learn/probabilities.hpp"

using namespace bioforest;
using namespace bioforest::bench;
using namespace bioforest::learn;

int main(int argc, char** argv) try {
  if (argc < 11) {
    std::fprintf(stderr,
                 "usage: %s TRAIN_X TRAIN_Y N_TRAIN PRED_X N_IMAGE N_PRED F THREADS REPEATS REF\n",
                 argv[0]);
    return 2;
  }
  const std::size_t n_train = std::stoul(argv[3]), n_image = std::stoul(argv[5]),
                    n_pred = std::stoul(argv[6]), nf = std::stoul(argv[7]);
  const int threads = std::stoi(argv[8]), repeats = std::stoi(argv[9]);
  const std::string ref_path = argv[10];
  const std::size_t row_length = argc > 11 ? std::stoul(argv[11]) : 0;
  const auto tx = read_raw<float>(argv[1], n_train * nf);
  const auto ty = read_raw<std::int32_t>(argv[2], n_train);
  // The first n_pred pixels of every feature plane, kept planar.
  std::vector<float> px(n_pred * nf);
  for (std::size_t f = 0; f < nf; ++f) {
    const auto plane = read_raw<float>(argv[4], n_pred, f * n_image);
    std::copy(plane.begin(), plane.end(), px.begin() + std::ptrdiff_t(f * n_pred));
  }
  RunContext ctx;
  ctx.threads = threads;
  ForestOptions o;
  o.seed = 1;
  const auto rf =
      ClassificationForest::train(FeatureView::sample_major(tx.data(), n_train, nf), ty, o, ctx);
  const auto view = FeatureView::planar(px.data(), n_pred, nf).image_rows(row_length);

  // Node visits (split nodes passed) of the scalar walk, over every sample and tree.
  const TreeEnsemble& t = rf.ensemble();
  double visits = 0;
  for (std::size_t tree = 0; tree < t.n_trees(); ++tree)
    for (std::size_t i = 0; i < n_pred; ++i) {
      std::int32_t node = t.tree_root[tree];
      while (t.child[std::size_t(node)] != node) {
        const float v = px[std::size_t(t.feature[std::size_t(node)]) * n_pred + i];
        node = t.child[std::size_t(node)] + (v >= t.threshold[std::size_t(node)] ? 1 : 0);
        visits += 1;
      }
    }

  std::vector<float> proba(n_pred * rf.n_classes());
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const double c0 = cpu_seconds();
    rf.predict_proba_planar(view, proba.data(), ctx);
    best = std::min(best, cpu_seconds() - c0);
  }
  std::vector<float> rows(n_pred * rf.n_classes());
  const double c0 = cpu_seconds();
  rf.predict_proba(view, rows.data(), ctx);
  const double rows_cpu = cpu_seconds() - c0;

  // Labels only (Simple Segmentation): the early-exit argmax, checked against the argmax
  // of the probabilities.
  std::vector<std::int32_t> labels(n_pred);
  double labels_cpu = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const double l0 = cpu_seconds();
    rf.predict_labels(view, labels.data(), ctx);
    labels_cpu = std::min(labels_cpu, cpu_seconds() - l0);
  }
  std::vector<std::uint32_t> col(n_pred);
  argmax(proba.data(), n_pred, rf.n_classes(), ProbaLayout::class_planar, col.data());
  bool same_labels = true;
  for (std::size_t i = 0; i < n_pred; ++i)
    same_labels &= labels[i] == rf.classes()[col[i]];

  const char* check = "written";
  std::ifstream ref(ref_path, std::ios::binary);
  if (ref) {
    std::vector<float> want(proba.size());
    ref.read(reinterpret_cast<char*>(want.data()), std::streamsize(want.size() * sizeof(float)));
    check = std::memcmp(want.data(), proba.data(), want.size() * sizeof(float)) == 0
                ? "bit-identical"
                : "DIFFERENT";
  } else {
    std::ofstream(ref_path, std::ios::binary)
        .write(reinterpret_cast<const char*>(proba.data()),
               std::streamsize(proba.size() * sizeof(float)));
  }
  bool same_rows = true;
  for (std::size_t i = 0; i < n_pred; ++i)
    for (std::size_t k = 0; k < rf.n_classes(); ++k)
      same_rows &= std::memcmp(&rows[i * rf.n_classes() + k], &proba[k * n_pred + i], 4) == 0;
  std::printf(
      "{\"cpu_s\": %.4f, \"mpx_per_cpu_s\": %.3f, \"visits_per_px\": %.1f, "
      "\"ns_per_visit\": %.3f, \"rows_cpu_s\": %.4f, \"reference\": \"%s\", "
      "\"rows_match\": %s, \"labels_cpu_s\": %.4f, \"labels_match\": %s}\n",
      best, double(n_pred) / best * 1e-6, visits / double(n_pred), best * 1e9 / visits, rows_cpu,
      check, same_rows ? "true" : "false", labels_cpu, same_labels ? "true" : "false");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "forest_predict_bench: %s\n", e.what());
  return 1;
}
