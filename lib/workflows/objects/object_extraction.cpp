// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/objects/object_extraction.hpp"
#include "bioforest/workflows/export.hpp"

#include <limits>
#include <set>

#include "bioforest/core/error.hpp"
#include "bioforest/io/atomic_output.hpp"

namespace bioforest::workflows {

ThresholdSettings segmentation_as_is() {
  ThresholdSettings s;
  s.method = ThresholdMethod::labels;
  s.min_size = 0;
  s.max_size = std::numeric_limits<std::uint64_t>::max();
  return s;
}

FrameObjects extract_objects(const CanonicalImage& raw, const CanonicalImage& segmentation,
                             std::size_t t, const ThresholdSettings& settings,
                             const std::vector<std::string>& features, const RunContext& ctx,
                             const ObjectFeatureOptions& options) {
  check_same_grid(raw, segmentation, "segmentation");
  FrameObjects f;
  f.t = t;
  f.labels = threshold_frame_in_memory(segmentation, t, settings, f.n, ctx);
  std::vector<float> values;
  raw.read_float(t, Roi::whole(raw.spatial_shape()), values);
  f.features = compute_object_features(values.data(), raw.channels(), f.labels.data(),
                                       raw.spatial_shape(), f.n, features, ctx, options);
  return f;
}

ObjectTable object_feature_table(const std::vector<FrameObjects>& frames) {
  ObjectTable t;
  std::vector<double> id, ts, oid;
  for (const auto& f : frames)
    for (std::uint32_t k = 1; k <= f.n; ++k) {
      id.push_back(double(id.size()));
      ts.push_back(double(f.t));
      oid.push_back(double(k));
    }
  t.add_numbers("object_id", id);
  t.add_numbers("timestep", ts);
  t.add_numbers("labelimage_oid", oid);
  if (frames.empty()) return t;
  const auto& cols = frames.front().features.columns;
  for (std::size_t c = 0; c < cols.size(); ++c) {
    std::vector<double> v;
    v.reserve(id.size());
    for (const auto& f : frames)
      for (std::size_t r = 0; r < f.features.rows; ++r)
        v.push_back(f.features.at(r, c));
    t.add_numbers(cols[c], std::move(v));
  }
  return t;
}

MeasureResult measure_objects(const MeasureRequest& req, const RunContext& ctx) {
  if (req.raw.empty()) throw_usage("no raw images given");
  if (req.raw.size() != req.segmentation.size())
    throw_usage("give one segmentation per raw image (" + std::to_string(req.raw.size()) +
                " raw, " + std::to_string(req.segmentation.size()) + " segmentations)");
  if (!req.output.empty() && req.raw.size() != 1)
    throw_usage("-o/--output names one table: use --output-filename-format for several inputs");
  for (const auto& f : req.features)
    match_object_feature(f);
  std::vector<std::string> paths;
  std::set<std::string> seen;
  for (const auto& r : req.raw) {
    paths.push_back(req.output.empty() ? fill_filename_placeholders(req.filename_format, r)
                                       : req.output);
    if (!seen.insert(paths.back()).second)
      throw_usage("two tables would be written to " + paths.back() +
                  " (add {nickname} to --output-filename-format)");
    io::check_output_path(paths.back(), req.overwrite);
  }
  MeasureResult result;
  for (std::size_t i = 0; i < req.raw.size(); ++i) {
    auto failure = try_input(req.raw[i], [&] {
      with_context("measuring objects of " + req.raw[i], [&] {
        const CanonicalImage raw(req.raw[i], req.read);
        const CanonicalImage seg(req.segmentation[i], req.read);
        std::vector<FrameObjects> frames;
        std::uint64_t n = 0;
        for (std::size_t t = 0; t < raw.t(); ++t) {
          frames.push_back(
              extract_objects(raw, seg, t, req.settings, req.features, ctx, req.options));
          n += frames.back().n;
          ctx.progress("object features", t + 1, raw.t());
        }
        write_object_table(object_feature_table(frames), paths[i], req.overwrite);
        result.outputs.push_back(paths[i]);
        result.objects.push_back(n);
      });
    });
    if (failure) result.failures.push_back(std::move(*failure));
  }
  return result;
}

}  // namespace bioforest::workflows
