// SPDX-License-Identifier: BSD-3-Clause
// Times bioforest's forest on the files scripts/bench/forest_bench.py prepares (raw
// little-endian arrays): training on a sample-major matrix, prediction on a channel-planar
// feature image (the layout the pixel feature stage produces, read in place), held-out
// accuracy over the labelled pixels that were not trained on. Prints one JSON line.
// ROW_LENGTH (default 0: a plain list of samples) declares the pixels an image's rows of that
// length, as the pixel stage does (FeatureView::row_length).
//
// usage: forest_bench TRAIN_X.f32 TRAIN_Y.i32 N_TRAIN PRED_X.f32 EVAL_Y.i32 N_PRED N_FEATURES
//                     THREADS [TREES] [REPEATS] [ROW_LENGTH]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
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
  if (argc < 9) {
    std::fprintf(
        stderr,
        "usage: %s TRAIN_X TRAIN_Y N_TRAIN PRED_X EVAL_Y N_PRED F THREADS [TREES] [REPEATS] "
        "[ROW_LENGTH]\n",
        argv[0]);
    return 2;
  }
  const std::size_t n_train = std::stoul(argv[3]), n_pred = std::stoul(argv[6]),
                    nf = std::stoul(argv[7]);
  const int threads = std::stoi(argv[8]);
  const int trees = argc > 9 ? std::stoi(argv[9]) : 100;
  const int repeats = argc > 10 ? std::stoi(argv[10]) : 3;
  const std::size_t row_length = argc > 11 ? std::stoul(argv[11]) : 0;
  const auto tx = read_raw<float>(argv[1], n_train * nf);
  const auto ty = read_raw<std::int32_t>(argv[2], n_train);
  // N_PRED = 0: time training only.
  const auto px = n_pred ? read_raw<float>(argv[4], n_pred * nf) : std::vector<float>{};
  const auto ey = n_pred ? read_raw<std::int32_t>(argv[5], n_pred) : std::vector<std::int32_t>{};

  RunContext ctx;
  ctx.threads = threads;
  ForestOptions o;
  o.n_trees = trees;
  o.seed = 1;
  ClassificationForest rf;
  double train_s = 1e30, pred_s = 1e30, train_cpu = 1e30, pred_cpu = 1e30;
  for (int r = 0; r < repeats; ++r) {  // best of `repeats`: the machine is shared
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    rf = ClassificationForest::train(FeatureView::sample_major(tx.data(), n_train, nf), ty, o, ctx);
    train_s = std::min(train_s, seconds_since(t0));
    train_cpu = std::min(train_cpu, cpu_seconds() - c0);
  }
  std::vector<float> proba(n_pred * rf.n_classes());
  const auto view = FeatureView::planar(px.data(), n_pred, nf).image_rows(row_length);
  for (int r = 0; r < (n_pred ? repeats : 0); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    rf.predict_proba_planar(view, proba.data(), ctx);
    pred_s = std::min(pred_s, seconds_since(t0));
    pred_cpu = std::min(pred_cpu, cpu_seconds() - c0);
  }
  std::vector<std::uint32_t> col(n_pred);
  argmax(proba.data(), n_pred, rf.n_classes(), ProbaLayout::class_planar, col.data());
  std::size_t ok = 0, counted = 0;
  for (std::size_t i = 0; i < n_pred; ++i) {
    if (ey[i] <= 0) continue;  // unlabelled or trained on
    ++counted;
    ok += rf.classes()[col[i]] == ey[i] ? 1 : 0;
  }
  std::size_t nodes = rf.ensemble().n_nodes();
  std::printf(
      "{\"train_s\": %.4f, \"predict_s\": %.4f, \"train_cpu_s\": %.4f, \"predict_cpu_s\": %.4f, "
      "\"accuracy\": %.5f, \"oob_error\": %.5f, \"nodes_per_tree\": %.1f, \"n_pred\": %zu}\n",
      train_s, pred_s, train_cpu, pred_cpu, counted ? double(ok) / double(counted) : 0.0,
      rf.oob().error, double(nodes) / double(rf.n_trees()), n_pred);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "forest_bench: %s\n", e.what());
  return 1;
}
