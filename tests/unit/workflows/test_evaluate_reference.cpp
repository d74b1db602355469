// SPDX-License-Identifier: BSD-3-Clause
// evaluate against the reference scripts: tests/data/evaluate/expected.json holds what
// ../shared/reference/eval/*.py (and scikit-learn for pixels) give on the fixture images
// (scripts/make_eval_fixtures.py); the real-data cases read ../shared and skip without it.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "bioforest/workflows/evaluate/evaluate.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows::evaluate;
using bioforest::test::test_data;
using json = nlohmann::json;

namespace {

const json& expected() {
  static const json j = [] {
    std::ifstream f(test_data("evaluate/expected.json"));
    return json::parse(f);
  }();
  return j;
}

std::string fixture(const std::string& rel) {
  return test_data("evaluate/" + rel);
}

void check_close(double ours, const json& ref, const std::string& what) {
  INFO(what << ": ours " << ours << ", reference " << ref.dump());
  if (ref.is_null()) {
    CHECK(std::isnan(ours));
    return;
  }
  CHECK(ours == Approx(ref.get<double>()).margin(1e-12).epsilon(1e-10));
}

void check_ratios(const MatchRatios& r, const json& ref, const std::string& what) {
  check_close(r.precision, ref["precision"], what + " precision");
  check_close(r.recall, ref["recall"], what + " recall");
  check_close(r.f1, ref["f1"], what + " f1");
  check_close(r.ap, ref["ap"], what + " ap");
  check_close(r.panoptic_quality, ref["panoptic_quality"], what + " pq");
  if (ref.contains("mean_matched_iou"))
    check_close(r.mean_matched_iou, ref["mean_matched_iou"], what + " mean_matched_iou");
}

void check_instances(const InstanceRun& run, const json& ref) {
  REQUIRE(run.summary.by_tau.size() == ref["thresholds"].size());
  for (const auto& t : run.summary.by_tau) {
    char key[16];
    std::snprintf(key, sizeof key, "%.2f", t.tau);
    const auto& r = ref["summary"][key];
    CHECK(t.dataset_counts.tp == r["dataset"]["tp"].get<std::uint64_t>());
    CHECK(t.dataset_counts.fp == r["dataset"]["fp"].get<std::uint64_t>());
    CHECK(t.dataset_counts.fn == r["dataset"]["fn"].get<std::uint64_t>());
    check_ratios(t.dataset, r["dataset"], std::string("dataset ") + key);
    check_ratios(t.by_image, r["by_image"], std::string("by_image ") + key);
  }
  if (ref.contains("dsb2018_score")) {
    REQUIRE(run.summary.dsb2018_score);
    check_close(*run.summary.dsb2018_score, ref["dsb2018_score"], "dsb2018");
  }
  for (std::size_t i = 0; i < run.images.size(); ++i) {
    const auto& r = ref["per_image"][i];
    CHECK(run.images[i].n_gt == r["n_gt"].get<std::uint64_t>());
    CHECK(run.images[i].n_pred == r["n_pred"].get<std::uint64_t>());
  }
}

void check_vi(const ViRandScores& s, const json& ref, const std::string& what) {
  CHECK(s.n_pixels == ref["n_pixels"].get<std::uint64_t>());
  for (auto [name, value] : {std::pair{"vi_split", s.vi_split},
                             {"vi_merge", s.vi_merge},
                             {"vi", s.vi},
                             {"H_seg", s.h_seg},
                             {"H_gt", s.h_gt},
                             {"mutual_info", s.mutual_info},
                             {"v_info", s.v_info},
                             {"v_info_split", s.v_info_split},
                             {"v_info_merge", s.v_info_merge},
                             {"v_rand", s.v_rand},
                             {"v_rand_split", s.v_rand_split},
                             {"v_rand_merge", s.v_rand_merge},
                             {"rand_error_isbi", s.rand_error_isbi},
                             {"adapted_rand_error", s.adapted_rand_error},
                             {"adapted_rand_precision", s.adapted_rand_precision},
                             {"adapted_rand_recall", s.adapted_rand_recall},
                             {"rand_index", s.rand_index},
                             {"rand_error", s.rand_error}})
    check_close(value, ref[name], what + " " + name);
}

void check_ctc(const CtcScores& s, const json& ref, const std::string& what) {
  INFO(what);
  CHECK(s.ops.ns == ref["NS"].get<std::uint64_t>());
  CHECK(s.ops.fn == ref["FN"].get<std::uint64_t>());
  CHECK(s.ops.fp == ref["FP"].get<std::uint64_t>());
  CHECK(s.ops.ed == ref["ED"].get<std::uint64_t>());
  CHECK(s.ops.ea == ref["EA"].get<std::uint64_t>());
  CHECK(s.ops.ec == ref["EC"].get<std::uint64_t>());
  CHECK(s.gt_edges == ref["gt_edges"].get<std::uint64_t>());
  CHECK(s.gt_vertices_trackfile == ref["gt_vertices_trackfile"].get<std::uint64_t>());
  CHECK(s.gt_markers_in_images == ref["gt_markers_in_images"].get<std::uint64_t>());
  check_close(s.aogm, ref["AOGM"], "AOGM");
  check_close(s.aogm_0, ref["AOGM_0"], "AOGM_0");
  check_close(s.tra, ref["TRA"], "TRA");
  check_close(s.det, ref["DET"], "DET");
  check_close(s.lnk, ref["LNK"], "LNK");
  if (ref.contains("SEG")) {
    REQUIRE(s.seg);
    check_close(*s.seg, ref["SEG"], "SEG");
    CHECK(s.seg_n_objects == ref["SEG_n_objects"].get<std::uint64_t>());
  }
}

}  // namespace

TEST_CASE("pixels agree with scikit-learn", "[evaluate]") {
  const auto& ref = expected()["pixels"];
  RunContext ctx;
  auto check = [&](const PixelRun& run, const json& r) {
    const auto& s = run.pooled;
    CHECK(s.confusion.classes == r["labels"].get<std::vector<std::uint64_t>>());
    const auto cm = r["confusion"].get<std::vector<std::vector<std::uint64_t>>>();
    for (std::size_t g = 0; g < cm.size(); ++g)
      for (std::size_t p = 0; p < cm.size(); ++p)
        CHECK(s.confusion.at(g, p) == cm[g][p]);
    for (std::size_t k = 0; k < s.classes.size(); ++k) {
      check_close(s.classes[k].precision, r["precision"][k], "precision");
      check_close(s.classes[k].recall, r["recall"][k], "recall");
      check_close(s.classes[k].f1, r["f1"][k], "f1");
      check_close(s.classes[k].iou, r["iou"][k], "iou");
      CHECK(s.classes[k].support == r["support"][k].get<std::uint64_t>());
    }
    check_close(s.accuracy, r["accuracy"], "accuracy");
    check_close(s.mean_iou, r["mean_iou"], "mean_iou");
    check_close(s.mean_f1, r["mean_f1"], "mean_f1");
  };
  const auto pairs = image_pairs(fixture("pixels/pred.tif"), fixture("pixels/gt.tif"));
  PixelFileOptions o;
  check(evaluate_pixels(pairs, o, ctx), ref["all"]);
  o.pixel.ignore_label = 0;
  check(evaluate_pixels(pairs, o, ctx), ref["ignore0"]);
  PixelFileOptions t;
  t.threshold = 0.5;
  check(evaluate_pixels(image_pairs(fixture("pixels/prob.tif"), fixture("pixels/gt_binary.tif")), t,
                        ctx),
        ref["threshold_0.5"]);
}

TEST_CASE("instances agree with instance_ap.py and vi_rand.py (2-D and 3-D)", "[evaluate]") {
  const auto& ref = expected()["instances"];
  RunContext ctx;
  const auto pairs2d = image_pairs(fixture("instances/2d/pred"), fixture("instances/2d/gt"));
  REQUIRE(pairs2d.size() == 2);
  InstanceOptions o;
  auto run = evaluate_instances(pairs2d, o, {}, ctx);
  check_instances(run, ref["2d"]);
  for (std::size_t i = 0; i < 2; ++i)
    check_vi(run.images[i].vi, ref["2d"]["vi_rand_per_image"][i], "2d vi");

  run = evaluate_instances(image_pairs(fixture("instances/3d/pred"), fixture("instances/3d/gt")), o,
                           {}, ctx);
  check_instances(run, ref["3d"]);
  check_vi(run.images[0].vi, ref["3d"]["vi_rand_per_image"][0], "3d vi");

  InstanceOptions strict;
  strict.thresholds = {0.3, 0.5, 0.8};
  strict.strict = true;
  check_instances(evaluate_instances(pairs2d, strict, {}, ctx), ref["2d_strict"]);
  InstanceOptions low;
  low.thresholds = {0.1, 0.2, 0.3};
  check_instances(evaluate_instances(pairs2d, low, {}, ctx), ref["2d_low"]);

  ViRandOptions nat;
  nat.ignore_gt = {};
  nat.natural_log = true;
  check_vi(vi_rand(read_labels(fixture("instances/2d/pred/a.tif")),
                   read_labels(fixture("instances/2d/gt/a.tif")), nat),
           ref["vi_natural_no_ignore"], "vi natural log");
}

TEST_CASE("instances on the StarDist DSB2018 sample agree with the reference", "[evaluate]") {
  BIOFOREST_REQUIRE_SHARED(mask, "data/stardist_samples/dsb2018_mask2d.tif");
  const auto& ref = expected()["instances"];
  REQUIRE(ref.contains("dsb2018_shift"));
  const LabelImage gt = read_labels(mask);
  // The fixture script's perturbation: shift by (3, 2), drop labels divisible by 7.
  LabelImage pred = gt;
  const std::size_t H = gt.shape[0], W = gt.shape[1];
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x) {
      const auto v = y >= 3 && x >= 2 ? gt.values[(y - 3) * W + x - 2] : 0;
      pred.values[y * W + x] = v % 7 == 0 ? 0 : v;
    }
  InstanceOptions o;
  InstanceRun run;
  run.options = o;
  run.images.push_back(instance_scores(pred, gt, o));
  run.summary = summarize_instances(run.images, o);
  check_instances(run, ref["dsb2018_shift"]);
  check_vi(run.images[0].vi, ref["dsb2018_shift"]["vi_rand"], "dsb vi");
}

TEST_CASE("counts agree with counting_mae.py", "[evaluate]") {
  const auto& ref = expected()["counts"];
  RunContext ctx;
  CountSourceOptions gt_src, pred_src;
  gt_src.strip = "dots";
  const auto gt = true_counts(fixture("counts/dots"), gt_src, ctx);
  for (const auto& [name, c] : ref["gt_pixels"].items())
    CHECK(gt.at(name) == c.get<double>());
  auto check = [&](const CountScores& s, const json& r) {
    CHECK(s.n_images == r["n_images"].get<std::size_t>());
    check_close(s.mae, r["mae"], "mae");
    check_close(s.rmse, r["rmse"], "rmse");
    check_close(s.bias, r["mean_signed_error"], "bias");
    check_close(*s.mean_relative_abs_error, r["mean_relative_abs_error"], "rel");
    check_close(s.gt_mean, r["gt_mean_count"], "gt mean");
    check_close(s.gt_std, r["gt_std_count"], "gt std");
  };
  const auto dens = predicted_counts(fixture("counts/density"), pred_src, ctx);
  check(count_scores(pair_counts(gt, dens, "density")), ref["density_vs_dots"]);
  const auto table = predicted_counts(fixture("counts/pred_counts.csv"), pred_src, ctx);
  check(count_scores(pair_counts(gt, table, "csv")), ref["table_vs_dots"]);
  gt_src.dots.mode = DotOptions::Mode::components;
  const auto gt_cc = true_counts(fixture("counts/dots"), gt_src, ctx);
  check(count_scores(pair_counts(gt_cc, dens, "density")), ref["density_vs_dots_components"]);
  pred_src.scale = 0.5;
  const auto half = predicted_counts(fixture("counts/density"), pred_src, ctx);
  check(count_scores(pair_counts(gt, half, "density")), ref["density_scaled_0.5"]);
}

TEST_CASE("CTC measures agree with ctc_tra.py on its hand-made cases (LZW TIFFs)", "[evaluate]") {
  RunContext ctx;
  for (const auto& [name, ref] : expected()["tracking"].items())
    check_ctc(evaluate_ctc(fixture("ctc/RES_" + name), fixture("ctc/GT"), {}, ctx), ref, name);
}

TEST_CASE("CTC measures on the Fluo-N2DH-SIM+ sequence equal the reference", "[evaluate]") {
  BIOFOREST_REQUIRE_SHARED(gt_dir, "data/ctc_Fluo-N2DH-SIM+/01_GT");
  const auto& ref = expected();
  REQUIRE(ref.contains("tracking_real_perturbed"));
  test::TempDir tmp;
  const auto tra = ctc_frame_files(gt_dir + "/TRA", "man_track");
  REQUIRE(tra.size() == 65);
  // The ground truth against itself: every measure is 1.
  {
    const std::string self = tmp.file("self");
    std::filesystem::create_directory(self);
    for (const auto& [t, path] : tra) {
      char name[32];
      std::snprintf(name, sizeof name, "/mask%03lld.tif", static_cast<long long>(t));
      std::filesystem::create_symlink(path, self + name);
    }
    std::filesystem::create_symlink(gt_dir + "/TRA/man_track.txt", self + "/res_track.txt");
    const auto s = evaluate_ctc(self, gt_dir, {}, RunContext{});
    CHECK(s.tra == 1.0);
    CHECK(s.det == 1.0);
    CHECK(s.lnk == 1.0);
    check_ctc(s, ref["tracking_real_self"], "self");
  }
  // The fixture script's perturbation, in memory (see perturb_ctc there).
  std::map<std::int64_t, CtcFrame> frames;
  std::map<std::int64_t, LabelImage> res_frames;
  for (const auto& [t, path] : tra) {
    const LabelImage gt = read_labels(path);
    LabelImage res = gt;
    std::vector<std::uint64_t> labs(gt.values.begin(), gt.values.end());
    std::sort(labs.begin(), labs.end());
    labs.erase(std::unique(labs.begin(), labs.end()), labs.end());
    labs.erase(labs.begin());  // background
    for (auto& v : res.values) {
      if (t == 10 && v == labs[0]) v = 0;
      if (t == 20 && v == labs[1]) v = labs[0];
    }
    if (t == 30) {
      const std::size_t W = gt.shape[1];
      for (std::size_t y = 0; y < 6; ++y)
        for (std::size_t x = 0; x < 6; ++x)
          if (res.values[y * W + x] == 0) res.values[y * W + x] = 60000;
    }
    frames[t] = match_frame(gt, res);
    res_frames[t] = std::move(res);
  }
  const TrackTable gt_tracks = read_track_file(gt_dir + "/TRA/man_track.txt");
  TrackTable res_tracks = gt_tracks;
  for (auto& [label, track] : res_tracks)
    if (track.parent > 0) {
      track.parent = 0;
      break;
    }
  res_tracks[60000] = Track{30, 30, 0};
  auto s = tracking_scores(frames, gt_tracks, res_tracks);
  double jaccard = 0;
  std::uint64_t n = 0;
  for (const auto& [t, path] : ctc_frame_files(gt_dir + "/SEG", "man_seg"))
    add_seg_scores(read_labels(path), res_frames.at(t), jaccard, n);
  s.seg = jaccard / double(n);
  s.seg_n_objects = n;
  check_ctc(s, ref["tracking_real_perturbed"], "perturbed");
}
