// SPDX-License-Identifier: BSD-3-Clause
// evaluate: score results against ground truth (pixels, instances, tracking, counts).
#include <fstream>
#include <iostream>
#include <sstream>

#include "bioforest/cli/inputs.hpp"
#include "bioforest/cli/tool.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/workflows/evaluate/evaluate.hpp"

namespace {

using namespace bioforest;
namespace ev = workflows::evaluate;

// "none" or "" -> {}, "0,5" -> {0, 5}.
std::vector<std::uint64_t> parse_labels(const std::string& text, const std::string& option) {
  std::vector<std::uint64_t> out;
  if (text.empty() || text == "none") return out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    try {
      std::size_t used = 0;
      if (item.empty() || item[0] == '-') throw std::invalid_argument(item);
      out.push_back(std::stoull(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw_usage(option + ": '" + item + "' is not a label (a non-negative integer or 'none')");
    }
  }
  return out;
}

std::vector<double> parse_thresholds(const std::string& text) {
  if (text.empty()) return ev::default_iou_thresholds();
  std::vector<double> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || end != item.c_str() + item.size() || !(v > 0 && v <= 1))
      throw_usage("--iou-thresholds: '" + item + "' is not a threshold in (0, 1]");
    out.push_back(v);
  }
  return out;
}

void write_csv(const std::string& path, const ev::Table& table, bool overwrite) {
  io::write_text_file(path, table.csv(), overwrite);
}

}  // namespace

int main(int argc, char** argv) {
  cli::Tool tool("evaluate",
                 "Score results against ground truth the way the field's benchmarks do: "
                 "semantic segmentations (pixels), instance segmentations (instances), Cell "
                 "Tracking Challenge results (tracking) and object counts (counts).");
  auto& app = tool.app();
  app.fallthrough();  // standard options may follow the subcommand
  tool.require_subcommand();
  cli::InputOptions input;
  cli::add_input_options(app, input);

  std::string pred, gt, pairs, csv;
  auto add_pair_args = [&](CLI::App* sub, const char* pred_help, const char* gt_help) {
    sub->add_option("PRED", pred, pred_help);
    sub->add_option("GT", gt, gt_help);
    sub->add_option("--pairs", pairs, "A text file of 'PRED GT' lines (instead of PRED GT)");
    sub->add_option("--csv", csv, "Write one row per image to this CSV file");
  };

  std::optional<double> threshold;
  std::string ignore_label;
  auto* pixels = app.add_subcommand("pixels",
                                    "Per-class precision, recall, F1, IoU, pixel "
                                    "accuracy and the confusion matrix");
  add_pair_args(pixels, "Predicted classes (labels, or a probability map), file or folder",
                "Ground-truth classes, file or folder (files paired by name)");
  pixels->add_option("--threshold", threshold,
                     "One-channel probability maps: class 1 where p > T, else 0");
  pixels->add_option("--ignore-label", ignore_label, "GT label not scored (e.g. 0 = unlabelled)");

  std::string iou_thresholds, vi_ignore = "0";
  bool strict = false, natural_log = false;
  auto* instances =
      app.add_subcommand("instances",
                         "Matching at IoU thresholds (AP, P, R, F1, panoptic quality), VI and "
                         "adapted Rand error, 2-D or 3-D");
  add_pair_args(instances, "Predicted instance labels (0 = background), file or folder",
                "Ground-truth instance labels, file or folder (files paired by name)");
  instances->add_option("--iou-thresholds", iou_thresholds,
                        "Comma list of IoU thresholds (default 0.50,0.55,...,0.95)");
  instances->add_flag("--strict", strict, "Match on IoU > tau (Kaggle) instead of IoU >= tau");
  instances
      ->add_option("--ignore-label", vi_ignore,
                   "GT labels left out of VI / Rand, comma list or 'none'")
      ->capture_default_str();
  instances->add_flag("--natural-log", natural_log, "VI in nats instead of bits");

  std::string metrics = "DET,TRA,LNK,SEG";
  bool allow_missing = false;
  auto* tracking = app.add_subcommand(
      "tracking", "Cell Tracking Challenge DET, SEG, TRA (AOGM) and LNK of a RES folder");
  tracking->add_option("RES_DIR", pred, "Result folder: maskT.tif + res_track.txt")->required();
  tracking->add_option("GT_DIR", gt, "Ground-truth folder: TRA/ (+ SEG/)")->required();
  tracking->add_option("--metrics", metrics, "Which measures")->capture_default_str();
  tracking->add_flag("--allow-missing-frames", allow_missing,
                     "Score a missing result frame as empty instead of failing");
  tracking->add_option("--csv", csv, "Write the measures to this CSV file");

  ev::CountSourceOptions pred_src, gt_src;
  gt_src.strip = "dots";
  std::string dot_mode = "pixels", names_file;
  auto* counts = app.add_subcommand("counts",
                                    "Count error of density maps or count tables "
                                    "against dot images or count tables");
  counts->add_option("PRED", pred, "Density map(s) (file or folder) or a 'name,count' CSV")
      ->required();
  counts->add_option("GT", gt, "Dot image(s) (file or folder) or a 'name,count' CSV")->required();
  counts->add_option("--scale", pred_src.scale, "Multiply predicted counts by this")
      ->capture_default_str();
  counts->add_option("--gt-strip", gt_src.strip, "Suffix removed from GT names")
      ->capture_default_str();
  counts->add_option("--pred-strip", pred_src.strip, "Suffix removed from prediction names");
  counts->add_option("--dot-mode", dot_mode, "pixels: one dot per pixel; components: per blob")
      ->check(CLI::IsMember({"pixels", "components"}))
      ->capture_default_str();
  counts->add_option("--dot-channel", gt_src.dots.channel, "Channel of RGB dot images")
      ->capture_default_str();
  counts->add_option("--dot-threshold", gt_src.dots.threshold, "A dot pixel exceeds this")
      ->capture_default_str();
  counts->add_option("--names", names_file, "Score only the images named in this file");
  counts->add_option("--csv", csv, "Write one row per image to this CSV file");

  tool.add_example("evaluate pixels seg.tif gt.tif --ignore-label 0", "semantic segmentation");
  tool.add_example("evaluate instances pred/ gt/ --csv per_image.csv --summary-json s.json",
                   "instance segmentation of a folder of images");
  tool.add_example("evaluate tracking 01_RES 01_GT", "Cell Tracking Challenge measures");
  tool.add_example("evaluate counts density/ dots/ --scale 0.01", "counting accuracy");

  return tool.run(argc, argv, [&] {
    const bool overwrite = tool.standard().overwrite;
    if (!csv.empty()) io::check_output_path(csv, overwrite);
    const auto read = input.read_options();
    auto& summary = tool.summary();
    ev::Table table({});
    if (pixels->parsed()) {
      ev::PixelFileOptions o;
      o.threshold = threshold;
      o.read = read;
      const auto ignore = parse_labels(ignore_label, "--ignore-label");
      if (ignore.size() > 1) throw_usage("--ignore-label: pixels takes one label");
      if (!ignore.empty()) o.pixel.ignore_label = ignore[0];
      const auto run = ev::evaluate_pixels(ev::image_pairs(pred, gt, pairs), o, tool.context());
      std::cout << ev::format_pixels(run);
      summary["command"] = "pixels";
      summary["pixels"] = ev::pixels_json(run);
      table = ev::pixels_csv(run);
    } else if (instances->parsed()) {
      ev::InstanceOptions o;
      o.thresholds = parse_thresholds(iou_thresholds);
      o.strict = strict;
      o.vi.ignore_gt = parse_labels(vi_ignore, "--ignore-label");
      o.vi.natural_log = natural_log;
      const auto run =
          ev::evaluate_instances(ev::image_pairs(pred, gt, pairs), o, read, tool.context());
      std::cout << ev::format_instances(run);
      summary["command"] = "instances";
      summary["instances"] = ev::instances_json(run);
      table = ev::instances_csv(run);
    } else if (tracking->parsed()) {
      ev::CtcOptions o;
      o.tracking = false;
      o.seg = false;
      std::stringstream in(metrics);
      for (std::string m; std::getline(in, m, ',');) {
        if (m == "DET" || m == "TRA" || m == "LNK")
          o.tracking = true;
        else if (m == "SEG")
          o.seg = true;
        else
          throw_usage("--metrics: '" + m + "' is not one of DET, TRA, LNK, SEG");
      }
      o.allow_missing_frames = allow_missing;
      const auto scores = ev::evaluate_ctc(pred, gt, o, tool.context());
      std::cout << ev::format_tracking(scores);
      summary["command"] = "tracking";
      summary["tracking"] = ev::tracking_json(scores);
      table = ev::tracking_csv(scores);
    } else {
      pred_src.read = gt_src.read = read;
      gt_src.dots.mode =
          dot_mode == "pixels" ? ev::DotOptions::Mode::pixels : ev::DotOptions::Mode::components;
      std::vector<std::string> names;
      if (!names_file.empty()) {
        std::ifstream f(names_file);
        if (!f) throw_input(names_file, "cannot open the name list");
        for (std::string l; std::getline(f, l);)
          if (!l.empty() && l[0] != '#') names.push_back(l);
      }
      const auto g = ev::true_counts(gt, gt_src, tool.context());
      const auto p = ev::predicted_counts(pred, pred_src, tool.context());
      const auto scores = ev::count_scores(ev::pair_counts(g, p, pred, names));
      std::cout << ev::format_counts(scores);
      summary["command"] = "counts";
      summary["counts"] = ev::counts_json(scores);
      table = ev::counts_csv(scores);
    }
    if (!csv.empty()) write_csv(csv, table, overwrite);
    return 0;
  });
}
