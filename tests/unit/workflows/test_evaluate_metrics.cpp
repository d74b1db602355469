// SPDX-License-Identifier: BSD-3-Clause
// Hand-computed cases for the evaluation metrics (in memory, no files).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include "bioforest/core/error.hpp"
#include "bioforest/workflows/evaluate/contingency.hpp"
#include "bioforest/workflows/evaluate/count_metrics.hpp"
#include "bioforest/workflows/evaluate/ctc_metrics.hpp"
#include "bioforest/workflows/evaluate/instance_metrics.hpp"
#include "bioforest/workflows/evaluate/pixel_metrics.hpp"
#include "bioforest/workflows/evaluate/table.hpp"
#include "bioforest/workflows/evaluate/vi_rand.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows::evaluate;

namespace {
LabelImage labels(std::vector<std::uint64_t> v) {
  LabelImage l;
  l.shape = {v.size()};
  l.values = std::move(v);
  return l;
}
}  // namespace

TEST_CASE("contingency counts every (pred, gt) pair once", "[evaluate]") {
  const auto t = contingency(std::vector<std::uint64_t>{0, 0, 5, 5, 5, 7},
                             std::vector<std::uint64_t>{0, 1, 1, 1, 2, 2});
  CHECK(t.pred_labels == std::vector<std::uint64_t>{0, 5, 7});
  CHECK(t.gt_labels == std::vector<std::uint64_t>{0, 1, 2});
  CHECK(t.pred_sizes == std::vector<std::uint64_t>{2, 3, 1});
  CHECK(t.gt_sizes == std::vector<std::uint64_t>{1, 3, 2});
  REQUIRE(t.cells.size() == 5);
  CHECK(t.cells[2].pred == 1);
  CHECK(t.cells[2].gt == 1);
  CHECK(t.cells[2].count == 2);
  CHECK(t.total == 6);
  const auto d = drop_labels(t, {}, std::vector<std::uint64_t>{0});
  CHECK(d.total == 5);
  CHECK(d.pred_sizes == std::vector<std::uint64_t>{1, 3, 1});
}

TEST_CASE("pixel scores: hand-computed confusion, P/R/F1/IoU, ignore label", "[evaluate]") {
  const auto gt = labels({1, 1, 2, 2, 0});
  const auto pred = labels({1, 2, 2, 2, 1});
  const auto s = pixel_scores(pred, gt, PixelOptions{0});
  REQUIRE(s.confusion.classes == std::vector<std::uint64_t>{1, 2});
  CHECK(s.confusion.at(0, 0) == 1);
  CHECK(s.confusion.at(0, 1) == 1);
  CHECK(s.confusion.at(1, 1) == 2);
  CHECK(s.n_pixels == 4);
  CHECK(s.accuracy == Approx(0.75));
  CHECK(s.classes[0].precision == Approx(1.0));
  CHECK(s.classes[0].recall == Approx(0.5));
  CHECK(s.classes[0].f1 == Approx(2.0 / 3));
  CHECK(s.classes[0].iou == Approx(0.5));
  CHECK(s.classes[1].precision == Approx(2.0 / 3));
  CHECK(s.classes[1].iou == Approx(2.0 / 3));
  CHECK(s.mean_iou == Approx((0.5 + 2.0 / 3) / 2));
  // Without the ignore label, class 0 is scored too (never predicted: P = 0 by convention).
  const auto all = pixel_scores(pred, gt);
  CHECK(all.confusion.classes.size() == 3);
  CHECK(all.classes[0].precision == 0.0);
  CHECK(all.accuracy == Approx(0.6));
}

TEST_CASE("pooled confusion matrices take the union of classes", "[evaluate]") {
  auto a = confusion_matrix(
      contingency(std::vector<std::uint64_t>{1, 2}, std::vector<std::uint64_t>{1, 2}));
  auto b =
      confusion_matrix(contingency(std::vector<std::uint64_t>{3}, std::vector<std::uint64_t>{1}));
  const auto sum = add_confusion(a, b);
  CHECK(sum.classes == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(sum.total() == 3);
  CHECK(sum.at(0, 2) == 1);
}

TEST_CASE("probability maps become classes by threshold or arg-max", "[evaluate]") {
  Array<float> p = {{0.2f, 0.7f}, {0.5f, 0.9f}};
  const Image one(p, Axes("yx"));
  CHECK(class_labels(one, 0.5, "p.tif").values == std::vector<std::uint64_t>{0, 1, 0, 1});
  CHECK_THROWS_AS(class_labels(one, std::nullopt, "p.tif"), Error);
  Array<float> c = {{{0.1f, 0.9f}, {0.6f, 0.4f}}};  // 1 x 2 x 2 channels
  const Image two(c, Axes("yxc"));
  const auto l = class_labels(two, std::nullopt, "c.h5");
  CHECK(l.values == std::vector<std::uint64_t>{2, 1});
  CHECK(l.shape == Shape{2});
}

TEST_CASE("label images: floats must be integral, no negatives, one channel", "[evaluate]") {
  CHECK(to_labels(Image(Array<float>{1.0f, 2.0f}, Axes("x")), "f.tif").values ==
        std::vector<std::uint64_t>{1, 2});
  CHECK_THROWS_WITH(to_labels(Image(Array<float>{1.5f}, Axes("x")), "f.tif"),
                    Catch::Contains("f.tif") && Catch::Contains("not a label image"));
  CHECK_THROWS_AS(to_labels(Image(Array<std::int16_t>{-1}, Axes("x")), "n.tif"), Error);
  CHECK_THROWS_WITH(check_same_shape({3, 4}, "p.tif", {4, 3}, "g.tif"),
                    Catch::Contains("p.tif") && Catch::Contains("g.tif") &&
                        Catch::Contains("3x4") && Catch::Contains("4x3"));
  CHECK_NOTHROW(check_same_shape({1, 3, 4}, "p.tif", {3, 4}, "g.tif"));
}

TEST_CASE("instance matching: counts, ratios, strict and empty conventions", "[evaluate]") {
  // The reference's own hand case (instance_ap tests): IoU 0.8 and 0.6, one FP, one FN.
  std::vector<std::uint64_t> gt(400, 0), pred(400, 0);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) {
      const int i = y * 20 + x;
      if (y < 10) gt[i] = x < 10 ? 1 : 2;
      if (y >= 12 && y < 16 && x >= 12 && x < 16) gt[i] = 3;
      if (y < 10 && x < 8) pred[i] = 5;
      if (y < 10 && x >= 10 && x < 16) pred[i] = 7;
      if (y >= 17 && x < 3) pred[i] = 9;
    }
  const auto g = iou_graph(contingency(pred, gt));
  auto m = match_at(g, 0.5);
  CHECK(m.tp == 2);
  CHECK(m.fp == 1);
  CHECK(m.fn == 1);
  CHECK(m.sum_iou == Approx(1.4));
  CHECK(match_ratios(m).ap == Approx(0.5));
  CHECK(match_ratios(m).panoptic_quality == Approx(1.4 / 3));
  CHECK(match_at(g, 0.7).tp == 1);
  CHECK(match_at(g, 0.8).tp == 1);
  CHECK(match_at(g, 0.8, true).tp == 0);
  // Nothing to find, nothing found: a perfect score (the reference's convention).
  const auto empty = match_ratios({0, 0, 0, 0});
  CHECK(empty.ap == 1.0);
  CHECK(empty.precision == 1.0);
  CHECK(match_ratios({0, 2, 0, 0}).recall == 0.0);
}

TEST_CASE("instance matching is optimal where greedy matching is not", "[evaluate]") {
  // g1 = 0..9, g2 = 10..19; p1 = 6..13 overlaps both (IoU 4/14), p2 = 0..1 (IoU 0.2 with g1).
  // Greedy (best IoU first) pairs p1-g1 and leaves p2 alone; the optimum is p1-g2, p2-g1.
  std::vector<std::uint64_t> gt(20), pred(20, 0);
  for (int i = 0; i < 20; ++i)
    gt[i] = i < 10 ? 1 : 2;
  for (int i = 6; i < 14; ++i)
    pred[i] = 1;
  pred[0] = pred[1] = 2;
  const auto m = match_at(iou_graph(contingency(pred, gt)), 0.2);
  CHECK(m.tp == 2);
  CHECK(m.sum_iou == Approx(4.0 / 14 + 0.2));
}

TEST_CASE("instance summary: dataset vs by-image aggregation and the DSB2018 score", "[evaluate]") {
  const auto gt = labels({1, 1, 2, 2, 0, 3});
  const auto pred = labels({4, 4, 0, 0, 0, 0});
  InstanceOptions o;
  std::vector<InstanceImageScores> imgs{instance_scores(pred, gt, o), instance_scores(gt, gt, o)};
  const auto s = summarize_instances(imgs, o);
  REQUIRE(s.by_tau.size() == 10);
  // image 1: TP 1, FN 2; image 2: TP 3.  dataset AP = 4/6, by-image AP = (1/3 + 1)/2
  CHECK(s.by_tau[0].dataset.ap == Approx(4.0 / 6));
  CHECK(s.by_tau[0].by_image.ap == Approx((1.0 / 3 + 1.0) / 2));
  REQUIRE(s.dsb2018_score);
  CHECK(*s.dsb2018_score == Approx((1.0 / 3 + 1.0) / 2));
}

TEST_CASE("VI and adapted Rand error: hand-computed split", "[evaluate]") {
  const auto seg = labels({1, 1, 2, 2});
  const auto gt = labels({1, 1, 1, 1});
  ViRandOptions o;
  o.ignore_gt = {};
  const auto s = vi_rand(seg, gt, o);
  CHECK(s.vi_split == Approx(1.0));
  CHECK(s.vi_merge == Approx(0.0).margin(1e-12));
  CHECK(s.adapted_rand_precision == Approx(1.0));
  CHECK(s.adapted_rand_recall == Approx(1.0 / 3));
  CHECK(s.adapted_rand_error == Approx(0.5));
  // Ignoring GT label 1 leaves nothing to score.
  o.ignore_gt = {1};
  CHECK(vi_rand(seg, gt, o).n_pixels == 0);
}

TEST_CASE("counts: dots by pixel and by 8-connected blob, MAE/RMSE/bias", "[evaluate]") {
  Array<std::uint8_t> dots = {{255, 0, 0, 0}, {0, 255, 0, 255}, {0, 0, 0, 255}};
  const Image img(dots, Axes("yx"));
  CHECK(count_dots(img) == 4);
  DotOptions cc;
  cc.mode = DotOptions::Mode::components;
  CHECK(count_dots(img, cc) == 2);  // the diagonal pair is one blob, the vertical pair another
  Array<std::uint8_t> rgb = {{{255, 0, 0}, {0, 255, 0}}};
  CHECK(count_dots(Image(rgb, Axes("yxc"))) == 1);  // red channel only
  const auto s = count_scores({{"b", 10, 12}, {"a", 4, 3}, {"c", 0, 1}});
  CHECK(s.per_image.front().name == "a");
  CHECK(s.mae == Approx(4.0 / 3));
  CHECK(s.rmse == Approx(std::sqrt(6.0 / 3)));
  CHECK(s.bias == Approx(2.0 / 3));
  REQUIRE(s.mean_relative_abs_error);
  CHECK(*s.mean_relative_abs_error == Approx((0.2 + 0.25) / 2));
  CHECK(count_name("/x/001dots.png", "dots") == "001");
  CHECK_THROWS_WITH(pair_counts({{"001", 3}, {"002", 4}}, {{"001", 3}}, "pred.csv"),
                    Catch::Contains("pred.csv") && Catch::Contains("002"));
}

TEST_CASE("CTC matching needs more than half of the GT marker", "[evaluate]") {
  // GT marker 1 (4 px): result 9 covers 2 -> no match (not > 50 %); marker 2 fully covered.
  const auto gt = labels({1, 1, 1, 1, 2, 2, 0});
  const auto res = labels({9, 9, 0, 0, 8, 8, 8});
  const auto f = match_frame(gt, res);
  CHECK(f.gt_match.at(1) == 0);
  CHECK(f.gt_match.at(2) == 8);
  CHECK(f.res_match.at(9).empty());
  CHECK(f.res_match.at(8) == std::vector<std::int64_t>{2});
  double sum = 0;
  std::uint64_t n = 0;
  add_seg_scores(gt, res, sum, n);
  CHECK(n == 2);
  CHECK(sum == Approx(2.0 / 3));  // marker 2: |2 ∩ 8| / |2 ∪ 8| = 2/3; marker 1: 0
}

TEST_CASE("CTC: a perfect result of a division scores 1", "[evaluate]") {
  // Frames 0-1: cell 1; frames 2: daughters 2 and 3 (parent 1).
  std::map<std::int64_t, CtcFrame> frames;
  frames[0] = match_frame(labels({1, 1, 0, 0}), labels({5, 5, 0, 0}));
  frames[1] = match_frame(labels({1, 1, 0, 0}), labels({5, 5, 0, 0}));
  frames[2] = match_frame(labels({2, 0, 0, 3}), labels({6, 0, 0, 7}));
  const TrackTable gt{{1, {0, 1, 0}}, {2, {2, 2, 1}}, {3, {2, 2, 1}}};
  const TrackTable res{{5, {0, 1, 0}}, {6, {2, 2, 5}}, {7, {2, 2, 5}}};
  auto s = tracking_scores(frames, gt, res);
  CHECK(s.tra == 1.0);
  CHECK(s.gt_edges == 3);
  CHECK(s.aogm_0 == Approx(10 * 4 + 1.5 * 3));
  // The result forgets the division: the two parent links are missing (EA = 2).
  const TrackTable orphan{{5, {0, 1, 0}}, {6, {2, 2, 0}}, {7, {2, 2, 0}}};
  s = tracking_scores(frames, gt, orphan);
  CHECK(s.ops.ea == 2);
  CHECK(s.aogm == Approx(3.0));
  CHECK(s.lnk == Approx(1 - 3.0 / 4.5));
}

TEST_CASE("tables print aligned and write RFC 4180 CSV", "[evaluate]") {
  Table t({"name", "value"});
  t.add_row({"a,b", fmt(0.5)});
  t.add_row({"c", fmt(12)});
  CHECK(t.csv() == "name,value\n\"a,b\",0.5\nc,12\n");
  CHECK(t.text() == "name  value\na,b     0.5\nc        12\n");
  CHECK(fmt(std::nan("")) == "nan");
}

TEST_CASE("IoU thresholds, label lookup and density sums", "[evaluate]") {
  const std::vector<double> t = default_iou_thresholds();
  REQUIRE(t.size() == 10);
  CHECK(t.front() == Approx(0.5));
  CHECK(t[1] == Approx(0.55));
  CHECK(t.back() == Approx(0.95));

  const std::vector<std::uint64_t> labels = {0, 3, 7, 12};
  CHECK(label_index(labels, 7) == 2);
  CHECK(label_index(labels, 0) == 0);
  CHECK(label_index(labels, 5) == -1);

  Image density(DType::float32, {2, 3}, Axes("yx"));
  for (std::size_t i = 0; i < 6; ++i)
    density.data<float>()[i] = 0.25f * float(i);
  CHECK(density_count(density) == Approx(3.75));
}

TEST_CASE("mean_vi_rand averages the scored images and sums their counts", "[evaluate]") {
  ViRandScores a, b, empty;
  a.n_pixels = 100, a.n_gt_labels = 3, a.vi = 1.0, a.adapted_rand_error = 0.2;
  b.n_pixels = 50, b.n_gt_labels = 2, b.vi = 3.0, b.adapted_rand_error = 0.4;
  const ViRandScores m = mean_vi_rand({a, empty, b});  // an image with no kept pixel is skipped
  CHECK(m.n_pixels == 150);
  CHECK(m.n_gt_labels == 5);
  CHECK(m.vi == Approx(2.0));
  CHECK(m.adapted_rand_error == Approx(0.3));
  CHECK(mean_vi_rand({empty}).n_pixels == 0);
}

TEST_CASE("read_count_table: name,count rows, headers and comments skipped", "[evaluate]") {
  const test::TempDir dir;
  const std::string path = dir.file("counts.csv");
  std::ofstream(path) << "# VGG cells\nname,count\n001cell,174\r\n\"002 cell\",\"91.5\"\n\n";
  const auto table = read_count_table(path);
  CHECK(table.size() == 2);
  CHECK(table.at("001cell") == 174);
  CHECK(table.at("002 cell") == 91.5);
  const std::string header_only = dir.file("header.csv");
  std::ofstream(header_only) << "name,count\n";
  CHECK_THROWS_WITH(read_count_table(header_only), Catch::Contains("header.csv"));
  CHECK_THROWS_WITH(read_count_table(dir.file("missing.csv")), Catch::Contains("no such file"));
}
