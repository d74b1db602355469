// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/evaluate/ctc_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

#include "bioforest/core/error.hpp"
#include "bioforest/workflows/evaluate/contingency.hpp"

namespace bioforest::workflows::evaluate {
namespace fs = std::filesystem;
namespace {

// The challenge's weights (Matula et al. 2015; TRA.java).
constexpr double kNS = 5, kFN = 10, kFP = 1, kED = 1, kEA = 1.5, kEC = 1;

// The official code answers "label not found in this frame" with the match set {-1}: it has
// size one, so the edge is judged, and it matches no GT vertex, so it counts as ED.
constexpr std::int64_t kAbsent = -1;

double normalised(double cost, double zero) {
  return zero ? 1.0 - std::min(cost, zero) / zero : std::numeric_limits<double>::quiet_NaN();
}

std::int64_t as_label(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}

// The AOGM edge rules, one object per evaluation so the lambdas of the reference become
// small named functions over the same state.
class EdgeJudge {
 public:
  EdgeJudge(const std::map<std::int64_t, CtcFrame>& frames, const TrackTable& gt,
            const TrackTable& res)
      : frames_(frames), gt_(gt), res_(res) {}

  // GT markers matched by result object r in frame t; {kAbsent} if r is not in that frame.
  std::vector<std::int64_t> res_match_set(std::int64_t t, std::int64_t r) const {
    auto f = frames_.find(t);
    if (f == frames_.end()) return {kAbsent};
    auto m = f->second.res_match.find(r);
    if (m == f->second.res_match.end()) return {kAbsent};
    return m->second;
  }

  // Does the GT graph have the edge (t0, g0) -> (t1, g1), and is it a parent (division) link?
  std::pair<bool, bool> gt_edge(std::int64_t t0, std::int64_t g0, std::int64_t t1,
                                std::int64_t g1) const {
    if (g0 == kAbsent || g1 == kAbsent) return {false, false};
    if (g0 == g1) return {t0 + 1 == t1, false};
    auto p = gt_.find(g0), c = gt_.find(g1);
    if (p == gt_.end() || c == gt_.end()) return {false, false};
    return {p->second.end == t0 && c->second.begin == t1 && c->second.parent == g0, true};
  }

  // Does the result graph have the edge between the 1:1-matched objects (t0, r0), (t1, r1)?
  bool res_edge(std::int64_t t0, std::int64_t r0, std::int64_t t1, std::int64_t r1) const {
    if (r0 == 0 || r1 == 0) return false;
    if (matches_of(t0, r0) != 1 || matches_of(t1, r1) != 1) return false;
    if (r0 == r1) return t0 + 1 == t1;
    auto p = res_.find(r0), c = res_.find(r1);
    if (p == res_.end() || c == res_.end()) return false;
    return p->second.end == t0 && c->second.begin == t1 && c->second.parent == r0;
  }

  // The result object matched by GT marker g in frame t, 0 if none (or g absent there).
  std::int64_t gt_match_of(std::int64_t t, std::int64_t g) const {
    auto f = frames_.find(t);
    if (f == frames_.end()) return 0;
    auto m = f->second.gt_match.find(g);
    return m == f->second.gt_match.end() ? 0 : m->second;
  }

  // One edge of the result graph: redundant (ED), wrong semantics (EC), or right.
  void judge_res_edge(std::int64_t t0, std::int64_t r0, std::int64_t t1, std::int64_t r1,
                      bool parental_in_res, CtcOps& ops) const {
    const auto m0 = res_match_set(t0, r0), m1 = res_match_set(t1, r1);
    if (m0.size() != 1 || m1.size() != 1) return;  // FP or split: already paid for
    const auto [exists, parental] = gt_edge(t0, m0[0], t1, m1[0]);
    if (!exists)
      ++ops.ed;
    else if (parental != parental_in_res)
      ++ops.ec;
  }

 private:
  std::size_t matches_of(std::int64_t t, std::int64_t r) const {
    const auto& rm = frames_.at(t).res_match;
    auto m = rm.find(r);
    return m == rm.end() ? 0 : m->second.size();
  }

  const std::map<std::int64_t, CtcFrame>& frames_;
  const TrackTable& gt_;
  const TrackTable& res_;
};

void count_vertex_errors(const std::map<std::int64_t, CtcFrame>& frames, CtcScores& s) {
  for (const auto& [t, f] : frames) {
    s.gt_markers_in_images += f.gt_labels.size();
    for (const auto& [g, r] : f.gt_match)
      if (r == 0) ++s.ops.fn;
    for (const auto& [r, gs] : f.res_match) {
      if (gs.empty()) ++s.ops.fp;
      if (gs.size() > 1) s.ops.ns += gs.size() - 1;
    }
  }
}

// Frame t of a (possibly 3-D) label image, as numpy's r[z].
LabelImage slice0(const LabelImage& img, std::int64_t z, const std::string& file) {
  if (img.shape.empty() || z < 0 || std::size_t(z) >= img.shape[0])
    throw_input(file,
                "has no slice " + std::to_string(z) + " (shape " + shape_str(img.shape) + ")");
  LabelImage out;
  out.shape.assign(img.shape.begin() + 1, img.shape.end());
  const std::size_t n = img.size() / img.shape[0];
  out.values.assign(img.values.begin() + std::ptrdiff_t(z * n),
                    img.values.begin() + std::ptrdiff_t((z + 1) * n));
  return out;
}

struct SegFile {
  std::int64_t t, z;  ///< z = -1: a whole frame
  std::string path;
};

std::vector<SegFile> seg_files(const std::string& seg_dir) {
  std::vector<SegFile> out;
  if (!fs::is_directory(seg_dir)) return out;
  static const std::regex pat(R"(man_seg_?(\d+)(?:_(\d+))?\.tiff?)");
  for (const auto& e : fs::directory_iterator(seg_dir)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (!std::regex_match(name, m, pat)) continue;
    out.push_back(
        {std::stoll(m[1].str()), m[2].matched ? std::stoll(m[2].str()) : -1, e.path().string()});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return std::tie(a.t, a.z) < std::tie(b.t, b.z); });
  return out;
}

// Where the missing mask of frame t should be, with the digit count the folder uses (the
// challenge's 3, or 4 for long sequences).
std::string expected_mask_path(const std::string& res_dir,
                               const std::map<std::int64_t, std::string>& res_files,
                               std::int64_t t) {
  std::size_t width = t > 999 ? 4 : 3;
  if (!res_files.empty()) {
    const auto name = fs::path(res_files.begin()->second).stem().string();  // "mask0001"
    width = name.size() - 4;
  }
  std::string digits = std::to_string(t);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return (fs::path(res_dir) / ("mask" + digits + ".tif")).string();
}

LabelImage empty_like(const LabelImage& img) {
  LabelImage out;
  out.shape = img.shape;
  out.values.assign(img.size(), 0);
  return out;
}

}  // namespace

TrackTable read_track_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw_input(path, fs::exists(path) ? "cannot open the track file" : "no such file");
  TrackTable tracks;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(f, line)) {
    ++line_no;
    std::istringstream in(line);
    std::vector<std::string> parts;
    for (std::string p; in >> p;)
      parts.push_back(p);
    if (parts.size() < 4) continue;
    std::int64_t v[4];
    for (int i = 0; i < 4; ++i) {
      try {
        std::size_t used = 0;
        v[i] = std::stoll(parts[i], &used);
        if (used != parts[i].size()) throw std::invalid_argument("trailing characters");
      } catch (const std::exception&) {
        throw_input(path, "line " + std::to_string(line_no) + ": '" + parts[i] +
                              "' is not an integer (expected 'L B E P')");
      }
    }
    tracks[v[0]] = Track{v[1], v[2], v[3]};
  }
  return tracks;
}

CtcFrame match_frame(const LabelImage& gt, const LabelImage& res) {
  const Contingency table = contingency(res.values, gt.values);
  CtcFrame f;
  for (std::size_t j = 0; j < table.gt_labels.size(); ++j)
    if (table.gt_labels[j] > 0) {
      f.gt_labels.push_back(as_label(table.gt_labels[j]));
      f.gt_match[as_label(table.gt_labels[j])] = 0;
    }
  for (std::size_t i = 0; i < table.pred_labels.size(); ++i)
    if (table.pred_labels[i] > 0) {
      f.res_labels.push_back(as_label(table.pred_labels[i]));
      f.res_match[as_label(table.pred_labels[i])];
    }
  for (const auto& c : table.cells) {
    const auto g = table.gt_labels[c.gt], r = table.pred_labels[c.pred];
    if (g == 0 || r == 0) continue;
    // |g ∩ r| > 0.5 |g|, in integers.
    if (2 * c.count > table.gt_sizes[c.gt]) {
      f.gt_match[as_label(g)] = as_label(r);
      f.res_match[as_label(r)].push_back(as_label(g));
    }
  }
  return f;
}

CtcScores tracking_scores(const std::map<std::int64_t, CtcFrame>& frames, const TrackTable& gt,
                          const TrackTable& res) {
  CtcScores s;
  s.has_tracking = true;
  count_vertex_errors(frames, s);
  const EdgeJudge judge(frames, gt, res);

  for (const auto& [r, track] : res) {
    if (track.parent > 0 && res.count(track.parent))
      judge.judge_res_edge(res.at(track.parent).end, track.parent, track.begin, r, true, s.ops);
    for (auto t = track.begin; t < track.end; ++t)
      judge.judge_res_edge(t, r, t + 1, r, false, s.ops);
  }

  for (const auto& [g, track] : gt) {
    s.gt_vertices_trackfile += std::uint64_t(track.end - track.begin + 1);
    if (track.parent > 0 && gt.count(track.parent)) {
      ++s.gt_edges;
      const auto t0 = gt.at(track.parent).end;
      if (!judge.res_edge(t0, judge.gt_match_of(t0, track.parent), track.begin,
                          judge.gt_match_of(track.begin, g)))
        ++s.ops.ea;
    }
    for (auto t = track.begin; t < track.end; ++t) {
      ++s.gt_edges;
      if (!judge.res_edge(t, judge.gt_match_of(t, g), t + 1, judge.gt_match_of(t + 1, g)))
        ++s.ops.ea;
    }
  }

  const auto& o = s.ops;
  s.aogm = kNS * double(o.ns) + kFN * double(o.fn) + kFP * double(o.fp) + kED * double(o.ed) +
           kEA * double(o.ea) + kEC * double(o.ec);
  s.aogm_0 = kFN * double(s.gt_vertices_trackfile) + kEA * double(s.gt_edges);
  s.aogm_d = kNS * double(o.ns) + kFN * double(o.fn) + kFP * double(o.fp);
  s.aogm_d0 = kFN * double(s.gt_markers_in_images);
  s.aogm_a = kED * double(o.ed) + kEA * double(o.ea) + kEC * double(o.ec);
  s.aogm_a0 = kEA * double(s.gt_edges);
  s.tra = normalised(s.aogm, s.aogm_0);
  s.det = normalised(s.aogm_d, s.aogm_d0);
  s.lnk = normalised(s.aogm_a, s.aogm_a0);
  return s;
}

void add_seg_scores(const LabelImage& gt, const LabelImage& res, double& jaccard_sum,
                    std::uint64_t& n_objects) {
  const Contingency table = contingency(res.values, gt.values);
  std::vector<double> best(table.gt_labels.size(), 0.0);
  for (const auto& c : table.cells) {
    if (table.gt_labels[c.gt] == 0 || table.pred_labels[c.pred] == 0) continue;
    const auto g_size = table.gt_sizes[c.gt], r_size = table.pred_sizes[c.pred];
    if (2 * c.count > g_size) best[c.gt] = double(c.count) / double(g_size + r_size - c.count);
  }
  for (std::size_t j = 0; j < table.gt_labels.size(); ++j) {
    if (table.gt_labels[j] == 0) continue;
    jaccard_sum += best[j];
    ++n_objects;
  }
}

std::map<std::int64_t, std::string> ctc_frame_files(const std::string& folder,
                                                    const std::string& prefix) {
  std::map<std::int64_t, std::string> out;
  if (!fs::is_directory(folder)) return out;
  const std::regex pat(prefix + R"((\d+)\.tiff?)");
  for (const auto& e : fs::directory_iterator(folder)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (std::regex_match(name, m, pat)) out[std::stoll(m[1].str())] = e.path().string();
  }
  return out;
}

CtcScores evaluate_ctc(const std::string& res_dir, const std::string& gt_dir,
                       const CtcOptions& options, const RunContext& ctx) {
  if (!fs::is_directory(res_dir))
    throw_input(res_dir, "is not a folder (expected maskT.tif files)");
  if (!fs::is_directory(gt_dir)) throw_input(gt_dir, "is not a folder (expected TRA/ and SEG/)");
  const std::string tra_dir = (fs::path(gt_dir) / "TRA").string();
  const auto res_files = ctc_frame_files(res_dir, "mask");
  std::map<std::int64_t, std::string> gt_files;
  TrackTable gt_tracks, res_tracks;
  if (options.tracking) {
    gt_files = ctc_frame_files(tra_dir, "man_track");
    if (gt_files.empty()) throw_input(tra_dir, "holds no man_trackT.tif ground-truth frames");
    gt_tracks = read_track_file((fs::path(tra_dir) / "man_track.txt").string());
    res_tracks = read_track_file((fs::path(res_dir) / "res_track.txt").string());
  }
  const auto segs =
      options.seg ? seg_files((fs::path(gt_dir) / "SEG").string()) : std::vector<SegFile>{};

  // Every frame that either measure needs; each result mask is read once.
  std::vector<std::int64_t> frames;
  for (const auto& [t, p] : gt_files)
    frames.push_back(t);
  for (const auto& s : segs)
    frames.push_back(s.t);
  std::sort(frames.begin(), frames.end());
  frames.erase(std::unique(frames.begin(), frames.end()), frames.end());

  std::map<std::int64_t, CtcFrame> matched;
  double jaccard_sum = 0;
  std::uint64_t n_seg = 0;
  for (std::size_t k = 0; k < frames.size(); ++k) {
    const auto t = frames[k];
    ctx.progress("matching frames", k, frames.size());
    ctx.check_cancelled();
    std::optional<LabelImage> res;
    auto res_file = res_files.find(t);
    if (res_file != res_files.end()) {
      res = read_labels(res_file->second);
    } else if (!options.allow_missing_frames) {
      throw_input(expected_mask_path(res_dir, res_files, t),
                  "result frame " + std::to_string(t) +
                      " is missing (the ground truth has it; --allow-missing-frames scores it "
                      "as empty)");
    }
    auto res_or_empty = [&](const LabelImage& like) { return res ? *res : empty_like(like); };
    if (auto g = gt_files.find(t); g != gt_files.end()) {
      const LabelImage gt = read_labels(g->second);
      const LabelImage r = res_or_empty(gt);
      check_same_shape(r.shape, res ? res_file->second : res_dir, gt.shape, g->second);
      matched[t] = match_frame(gt, r);
    }
    for (const auto& s : segs) {
      if (s.t != t) continue;
      const LabelImage gt = read_labels(s.path);
      LabelImage r =
          s.z < 0 ? res_or_empty(gt) : (res ? slice0(*res, s.z, res_file->second) : empty_like(gt));
      check_same_shape(r.shape, res ? res_file->second : res_dir, gt.shape, s.path);
      add_seg_scores(gt, r, jaccard_sum, n_seg);
    }
  }

  CtcScores scores;
  if (options.tracking) scores = tracking_scores(matched, gt_tracks, res_tracks);
  if (!segs.empty()) {
    scores.seg = n_seg ? jaccard_sum / double(n_seg) : std::numeric_limits<double>::quiet_NaN();
    scores.seg_n_objects = n_seg;
  }
  return scores;
}

}  // namespace bioforest::workflows::evaluate
