// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The Cell Tracking Challenge technical measures DET, SEG, TRA (AOGM) and LNK, replicating
/// ../shared/reference/eval/ctc_tra.py (itself checked against the challenge's software):
///  - matching: a GT marker g and a result object r match when |g ∩ r| > 0.5 |g|;
///  - AOGM = 5 NS + 10 FN + 1 FP + 1 ED + 1.5 EA + 1 EC, TRA = 1 - min(AOGM, AOGM_0)/AOGM_0,
///    AOGM_0 = 10 (GT vertices of man_track.txt) + 1.5 (GT edges of man_track.txt);
///  - DET from 5 NS + 10 FN + 1 FP against 10 (GT markers in the TRA images);
///  - LNK from ED + 1.5 EA + EC against 1.5 (GT edges);
///  - SEG = mean Jaccard of every SEG object with its matching result object (0 if none).
/// Folder layout: GT/TRA/man_trackT.tif + man_track.txt, GT/SEG/man_segT.tif (or
/// man_seg_T_Z.tif slices), RES/maskT.tif + res_track.txt (T with 3 or 4 digits).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bioforest/core/run_context.hpp"
#include "bioforest/workflows/evaluate/labels.hpp"

namespace bioforest::workflows::evaluate {

/// One line "L B E P" of a CTC track file.
struct Track {
  std::int64_t begin = 0, end = 0;  ///< first and last frame
  std::int64_t parent = 0;          ///< 0 = none
};
using TrackTable = std::map<std::int64_t, Track>;  ///< by label

/// Reads man_track.txt / res_track.txt (lines with fewer than four fields are skipped, as the
/// challenge does). Throws Error{input} naming the file for a missing file or a bad number.
TrackTable read_track_file(const std::string& path);

/// The matching of one time point.
struct CtcFrame {
  std::vector<std::int64_t> gt_labels, res_labels;              ///< labels > 0 present
  std::map<std::int64_t, std::int64_t> gt_match;                ///< g -> r, 0 = unmatched
  std::map<std::int64_t, std::vector<std::int64_t>> res_match;  ///< r -> matched GT markers
};
CtcFrame match_frame(const LabelImage& gt, const LabelImage& res);

struct CtcOps {
  std::uint64_t ns = 0, fn = 0, fp = 0, ed = 0, ea = 0, ec = 0;
};

struct CtcScores {
  bool has_tracking = false;  ///< DET / TRA / LNK computed
  CtcOps ops;
  std::uint64_t gt_vertices_trackfile = 0, gt_markers_in_images = 0, gt_edges = 0;
  double aogm = 0, aogm_0 = 0, aogm_d = 0, aogm_d0 = 0, aogm_a = 0, aogm_a0 = 0;
  double tra = 0, det = 0, lnk = 0;  ///< NaN when the normaliser is 0
  std::optional<double> seg;         ///< when the GT has a SEG folder
  std::uint64_t seg_n_objects = 0;
};

/// AOGM operations and DET / TRA / LNK from the per-frame matchings (GT frames only) and the
/// two track tables.
CtcScores tracking_scores(const std::map<std::int64_t, CtcFrame>& frames, const TrackTable& gt,
                          const TrackTable& res);

/// Adds the Jaccard indices of the GT objects of one SEG image (sum, count).
void add_seg_scores(const LabelImage& gt, const LabelImage& res, double& jaccard_sum,
                    std::uint64_t& n_objects);

struct CtcOptions {
  bool tracking = true;  ///< DET, TRA, LNK
  bool seg = true;       ///< SEG, when GT/SEG exists
  /// A result frame missing from RES is an error (default) or an empty frame (the
  /// reference script's lenient behaviour).
  bool allow_missing_frames = false;
};

/// Reads the two folders and scores them. Errors (Error{input}, naming the file): missing
/// folders, track files or frames, frames whose shapes differ, non-label images.
CtcScores evaluate_ctc(const std::string& res_dir, const std::string& gt_dir,
                       const CtcOptions& options, const RunContext& ctx);

/// {frame: path} of the files "<prefix><digits>.tif[f]" in a folder.
std::map<std::int64_t, std::string> ctc_frame_files(const std::string& folder,
                                                    const std::string& prefix);

}  // namespace bioforest::workflows::evaluate
