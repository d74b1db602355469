// SPDX-License-Identifier: BSD-3-Clause
// Rendering results: text tables for stdout, JSON for --summary-json, CSV rows per image.
#include <cmath>
#include <sstream>

#include "bioforest/workflows/evaluate/evaluate.hpp"

namespace bioforest::workflows::evaluate {
namespace {

using json = nlohmann::ordered_json;

constexpr int kTextDigits = 4;  // what a person reads
constexpr int kCsvDigits = 12;  // what a script recomputes from

// NaN is not JSON: write null.
json number(double v) {
  return std::isnan(v) ? json(nullptr) : json(v);
}

std::string tau_key(double tau) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", tau);
  return buf;
}

json class_json(const ClassScores& c) {
  return {{"label", c.label},   {"tp", c.tp},           {"fp", c.fp},
          {"fn", c.fn},         {"support", c.support}, {"precision", c.precision},
          {"recall", c.recall}, {"f1", c.f1},           {"iou", c.iou}};
}

json pixel_scores_json(const PixelScores& s) {
  json j;
  j["n_pixels"] = s.n_pixels;
  j["accuracy"] = s.accuracy;
  j["mean_precision"] = s.mean_precision;
  j["mean_recall"] = s.mean_recall;
  j["mean_f1"] = s.mean_f1;
  j["mean_iou"] = s.mean_iou;
  j["classes"] = json::array();
  for (const auto& c : s.classes)
    j["classes"].push_back(class_json(c));
  j["confusion"] = {{"labels", s.confusion.classes}, {"rows_gt_cols_pred", json::array()}};
  const std::size_t K = s.confusion.classes.size();
  for (std::size_t g = 0; g < K; ++g) {
    json row = json::array();
    for (std::size_t p = 0; p < K; ++p)
      row.push_back(s.confusion.at(g, p));
    j["confusion"]["rows_gt_cols_pred"].push_back(row);
  }
  return j;
}

json ratios_json(const MatchRatios& r, bool with_iou) {
  json j = {{"precision", r.precision}, {"recall", r.recall}, {"f1", r.f1}, {"ap", r.ap}};
  if (with_iou) j["mean_matched_iou"] = r.mean_matched_iou;
  j["panoptic_quality"] = r.panoptic_quality;
  return j;
}

json counts_json_of(const MatchCounts& c) {
  return {{"tp", c.tp}, {"fp", c.fp}, {"fn", c.fn}, {"sum_iou", c.sum_iou}};
}

}  // namespace

json vi_rand_json(const ViRandScores& s) {
  return {{"n_pixels", s.n_pixels},
          {"vi_split", s.vi_split},
          {"vi_merge", s.vi_merge},
          {"vi", s.vi},
          {"adapted_rand_error", s.adapted_rand_error},
          {"adapted_rand_precision", s.adapted_rand_precision},
          {"adapted_rand_recall", s.adapted_rand_recall},
          {"v_rand", s.v_rand},
          {"v_rand_split", s.v_rand_split},
          {"v_rand_merge", s.v_rand_merge},
          {"rand_error_isbi", s.rand_error_isbi},
          {"v_info", s.v_info},
          {"v_info_split", s.v_info_split},
          {"v_info_merge", s.v_info_merge},
          {"rand_index", s.rand_index},
          {"rand_error", s.rand_error},
          {"h_seg", s.h_seg},
          {"h_gt", s.h_gt},
          {"mutual_info", s.mutual_info}};
}

// --- pixels ---------------------------------------------------------------------------------
json pixels_json(const PixelRun& run) {
  json j;
  j["n_images"] = run.images.size();
  j["dataset"] = pixel_scores_json(run.pooled);
  j["per_image"] = json::array();
  for (const auto& [name, s] : run.images) {
    json row = {{"name", name}};
    row.update(pixel_scores_json(s));
    j["per_image"].push_back(row);
  }
  return j;
}

std::string format_pixels(const PixelRun& run) {
  const auto& s = run.pooled;
  std::ostringstream out;
  out << "images: " << run.images.size() << ", pixels scored: " << s.n_pixels << "\n\n";
  Table classes({"class", "precision", "recall", "f1", "iou", "support"});
  for (const auto& c : s.classes)
    classes.add_row({std::to_string(c.label), fmt(c.precision, kTextDigits),
                     fmt(c.recall, kTextDigits), fmt(c.f1, kTextDigits), fmt(c.iou, kTextDigits),
                     std::to_string(c.support)});
  classes.add_row({"mean", fmt(s.mean_precision, kTextDigits), fmt(s.mean_recall, kTextDigits),
                   fmt(s.mean_f1, kTextDigits), fmt(s.mean_iou, kTextDigits),
                   std::to_string(s.n_pixels)});
  out << classes.text() << "\npixel accuracy: " << fmt(s.accuracy, kTextDigits) << "\n\n";
  std::vector<std::string> header{"gt \\ pred"};
  for (auto c : s.confusion.classes)
    header.push_back(std::to_string(c));
  Table confusion(header);
  for (std::size_t g = 0; g < s.confusion.classes.size(); ++g) {
    std::vector<std::string> row{std::to_string(s.confusion.classes[g])};
    for (std::size_t p = 0; p < s.confusion.classes.size(); ++p)
      row.push_back(std::to_string(s.confusion.at(g, p)));
    confusion.add_row(row);
  }
  out << "confusion matrix (rows: ground truth, columns: prediction)\n" << confusion.text();
  return out.str();
}

Table pixels_csv(const PixelRun& run) {
  std::vector<std::string> header{"name",        "n_pixels", "accuracy", "mean_precision",
                                  "mean_recall", "mean_f1",  "mean_iou"};
  const auto& classes = run.pooled.confusion.classes;
  for (auto c : classes)
    header.push_back("f1_" + std::to_string(c));
  for (auto c : classes)
    header.push_back("iou_" + std::to_string(c));
  Table t(header);
  for (const auto& [name, s] : run.images) {
    std::vector<std::string> row{name,
                                 std::to_string(s.n_pixels),
                                 fmt(s.accuracy, kCsvDigits),
                                 fmt(s.mean_precision, kCsvDigits),
                                 fmt(s.mean_recall, kCsvDigits),
                                 fmt(s.mean_f1, kCsvDigits),
                                 fmt(s.mean_iou, kCsvDigits)};
    // A class absent from this image (in GT and prediction) has no score here: empty cell.
    auto cell = [&](std::uint64_t label, double ClassScores::*f) {
      for (const auto& c : s.classes)
        if (c.label == label) return fmt(c.*f, kCsvDigits);
      return std::string();
    };
    for (auto c : classes)
      row.push_back(cell(c, &ClassScores::f1));
    for (auto c : classes)
      row.push_back(cell(c, &ClassScores::iou));
    t.add_row(row);
  }
  return t;
}

// --- instances ------------------------------------------------------------------------------
json instances_json(const InstanceRun& run) {
  json j;
  j["n_images"] = run.images.size();
  j["strict"] = run.options.strict;
  j["thresholds"] = run.options.thresholds;
  j["summary"] = json::object();
  for (const auto& t : run.summary.by_tau) {
    json d = counts_json_of(t.dataset_counts);
    d.update(ratios_json(t.dataset, true));
    j["summary"][tau_key(t.tau)] = {{"dataset", d}, {"by_image", ratios_json(t.by_image, false)}};
  }
  if (run.summary.dsb2018_score) j["dsb2018_score"] = *run.summary.dsb2018_score;
  j["vi_rand"] = vi_rand_json(run.summary.vi_mean);
  j["vi_rand"]["ignore_gt"] = run.options.vi.ignore_gt;
  j["per_image"] = json::array();
  for (const auto& img : run.images) {
    json row = {{"name", img.name}, {"n_gt", img.n_gt}, {"n_pred", img.n_pred}};
    row["by_tau"] = json::object();
    for (std::size_t k = 0; k < img.by_tau.size(); ++k) {
      json c = counts_json_of(img.by_tau[k]);
      c.update(ratios_json(match_ratios(img.by_tau[k]), true));
      row["by_tau"][tau_key(run.options.thresholds[k])] = c;
    }
    row["vi_rand"] = vi_rand_json(img.vi);
    j["per_image"].push_back(row);
  }
  return j;
}

std::string format_instances(const InstanceRun& run) {
  std::ostringstream out;
  out << "images: " << run.images.size() << " (IoU " << (run.options.strict ? ">" : ">=")
      << " tau; dataset: counts summed over images; image: mean of per-image scores)\n\n";
  Table t({"tau", "AP", "precision", "recall", "F1", "PQ", "AP(image)", "TP", "FP", "FN"});
  for (const auto& s : run.summary.by_tau)
    t.add_row({tau_key(s.tau), fmt(s.dataset.ap, kTextDigits),
               fmt(s.dataset.precision, kTextDigits), fmt(s.dataset.recall, kTextDigits),
               fmt(s.dataset.f1, kTextDigits), fmt(s.dataset.panoptic_quality, kTextDigits),
               fmt(s.by_image.ap, kTextDigits), std::to_string(s.dataset_counts.tp),
               std::to_string(s.dataset_counts.fp), std::to_string(s.dataset_counts.fn)});
  out << t.text();
  if (run.summary.dsb2018_score)
    out << "DSB2018 score (mean image AP over 0.50..0.95): "
        << fmt(*run.summary.dsb2018_score, kTextDigits) << "\n";
  const auto& v = run.summary.vi_mean;
  out << "\nmean over images";
  if (!run.options.vi.ignore_gt.empty()) out << " (GT label 0 ignored)";
  out << ": VI split " << fmt(v.vi_split, kTextDigits) << ", merge " << fmt(v.vi_merge, kTextDigits)
      << ", total " << fmt(v.vi, kTextDigits) << " bits; adapted Rand error "
      << fmt(v.adapted_rand_error, kTextDigits) << "\n";
  return out.str();
}

Table instances_csv(const InstanceRun& run) {
  std::vector<std::string> header{"name",     "n_gt",     "n_pred",
                                  "vi_split", "vi_merge", "adapted_rand_error"};
  for (const char* m : {"ap", "precision", "recall", "f1", "pq", "tp", "fp", "fn"})
    for (double tau : run.options.thresholds)
      header.push_back(std::string(m) + "_" + tau_key(tau));
  Table t(header);
  for (const auto& img : run.images) {
    std::vector<std::string> row{img.name,
                                 std::to_string(img.n_gt),
                                 std::to_string(img.n_pred),
                                 fmt(img.vi.vi_split, kCsvDigits),
                                 fmt(img.vi.vi_merge, kCsvDigits),
                                 fmt(img.vi.adapted_rand_error, kCsvDigits)};
    std::vector<MatchRatios> r;
    for (const auto& c : img.by_tau)
      r.push_back(match_ratios(c));
    for (double MatchRatios::*f : {&MatchRatios::ap, &MatchRatios::precision, &MatchRatios::recall,
                                   &MatchRatios::f1, &MatchRatios::panoptic_quality})
      for (const auto& x : r)
        row.push_back(fmt(x.*f, kCsvDigits));
    for (std::uint64_t MatchCounts::*f : {&MatchCounts::tp, &MatchCounts::fp, &MatchCounts::fn})
      for (const auto& c : img.by_tau)
        row.push_back(std::to_string(c.*f));
    t.add_row(row);
  }
  return t;
}

// --- counts ---------------------------------------------------------------------------------
json counts_json(const CountScores& s) {
  json j;
  j["n_images"] = s.n_images;
  j["mae"] = s.mae;
  j["rmse"] = s.rmse;
  j["mean_signed_error"] = s.bias;
  j["mean_relative_abs_error"] =
      s.mean_relative_abs_error ? json(*s.mean_relative_abs_error) : json(nullptr);
  j["gt_mean_count"] = s.gt_mean;
  j["gt_std_count"] = s.gt_std;
  j["per_image"] = json::array();
  for (const auto& p : s.per_image)
    j["per_image"].push_back(
        {{"name", p.name}, {"gt", p.gt}, {"pred", p.pred}, {"abs_err", std::abs(p.pred - p.gt)}});
  return j;
}

std::string format_counts(const CountScores& s) {
  std::ostringstream out;
  out << "images: " << s.n_images << "\n";
  Table t({"measure", "value"});
  t.add_row({"MAE", fmt(s.mae, kTextDigits)});
  t.add_row({"RMSE", fmt(s.rmse, kTextDigits)});
  t.add_row({"bias (mean pred - gt)", fmt(s.bias, kTextDigits)});
  t.add_row({"mean relative abs error",
             s.mean_relative_abs_error ? fmt(*s.mean_relative_abs_error, kTextDigits) : "nan"});
  t.add_row({"mean true count", fmt(s.gt_mean, kTextDigits)});
  out << t.text();
  return out.str();
}

Table counts_csv(const CountScores& s) {
  Table t({"name", "gt", "pred", "error", "abs_error"});
  for (const auto& p : s.per_image)
    t.add_row({p.name, fmt(p.gt, kCsvDigits), fmt(p.pred, kCsvDigits),
               fmt(p.pred - p.gt, kCsvDigits), fmt(std::abs(p.pred - p.gt), kCsvDigits)});
  return t;
}

// --- tracking -------------------------------------------------------------------------------
json tracking_json(const CtcScores& s) {
  json j;
  if (s.has_tracking) {
    const auto& o = s.ops;
    j["NS"] = o.ns;
    j["FN"] = o.fn;
    j["FP"] = o.fp;
    j["ED"] = o.ed;
    j["EA"] = o.ea;
    j["EC"] = o.ec;
    j["gt_vertices_trackfile"] = s.gt_vertices_trackfile;
    j["gt_markers_in_images"] = s.gt_markers_in_images;
    j["gt_edges"] = s.gt_edges;
    j["AOGM"] = s.aogm;
    j["AOGM_0"] = s.aogm_0;
    j["AOGM_D"] = s.aogm_d;
    j["AOGM_D0"] = s.aogm_d0;
    j["AOGM_A"] = s.aogm_a;
    j["AOGM_A0"] = s.aogm_a0;
    j["TRA"] = number(s.tra);
    j["DET"] = number(s.det);
    j["LNK"] = number(s.lnk);
  }
  if (s.seg) {
    j["SEG"] = number(*s.seg);
    j["SEG_n_objects"] = s.seg_n_objects;
    if (s.has_tracking) {
      j["OP_CTB"] = number((*s.seg + s.tra) / 2);
      j["OP_CSB"] = number((*s.seg + s.det) / 2);
    }
  }
  return j;
}

std::string format_tracking(const CtcScores& s) {
  Table t({"measure", "value"});
  if (s.has_tracking) {
    t.add_row({"DET", fmt(s.det, kTextDigits)});
    t.add_row({"TRA", fmt(s.tra, kTextDigits)});
    t.add_row({"LNK", fmt(s.lnk, kTextDigits)});
  }
  if (s.seg) {
    t.add_row({"SEG", fmt(*s.seg, kTextDigits)});
    if (s.has_tracking) {
      t.add_row({"OP_CTB", fmt((*s.seg + s.tra) / 2, kTextDigits)});
      t.add_row({"OP_CSB", fmt((*s.seg + s.det) / 2, kTextDigits)});
    }
  }
  std::ostringstream out;
  out << t.text();
  if (s.has_tracking) {
    const auto& o = s.ops;
    out << "\nAOGM " << fmt(s.aogm) << " of AOGM_0 " << fmt(s.aogm_0) << ": NS " << o.ns << ", FN "
        << o.fn << ", FP " << o.fp << ", ED " << o.ed << ", EA " << o.ea << ", EC " << o.ec << "\n";
  }
  return out.str();
}

Table tracking_csv(const CtcScores& s) {
  Table t({"measure", "value"});
  const json all = tracking_json(s);  // items() refers into it: keep it alive
  for (const auto& [key, value] : all.items())
    t.add_row({key, value.is_null()           ? "nan"
                    : value.is_number_float() ? fmt(value.get<double>(), kCsvDigits)
                                              : value.dump()});
  return t;
}

}  // namespace bioforest::workflows::evaluate
