// SPDX-License-Identifier: BSD-3-Clause
// The "Features" export: the same block loop as pixel prediction (core grown by the feature
// halo, mirror padding only at true image borders), minus the forest, writing each block's
// channel-last result straight into the output.
#include "bioforest/workflows/pxfeatures.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "bioforest/core/blocking.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/io/image_path.hpp"
#include "bioforest/workflows/canonical_image.hpp"
#include "bioforest/workflows/spec_file.hpp"

namespace bioforest::workflows {

features::FeatureSelection load_feature_spec(const std::string& path) {
  const nlohmann::json doc = spec::read_json_file(path);
  spec::throw_if_invalid(spec::check_against_schema(doc, "feature_selection.schema.json"), path);
  return features::selection_from_json(doc, path);
}

namespace {

// Below this edge the halo (up to 38 px per side at sigma 10) costs far more than the
// block itself, so a tiny --ram-mb is honoured only down to here.
constexpr std::size_t kMinBlockEdge = 32;

Shape export_block_shape(const Shape& spatial, const Shape& halo, std::size_t per_pixel_bytes,
                         std::size_t budget) {
  Shape b = block_shape_for_budget(spatial, halo, double(per_pixel_bytes), budget);
  for (std::size_t a = 0; a < b.size(); ++a)
    b[a] = std::max(b[a], std::min(spatial[a], kMinBlockEdge));
  return b;
}

// Maps shapes and offsets from the result's own axes ((t)(z)yxc) to the requested output
// order; an axis the output lacks must have length 1.
class AxisMap {
 public:
  AxisMap(Axes from, Axes to) : from_(std::move(from)), to_(std::move(to)) {}
  const Axes& to() const { return to_; }
  bool identity() const { return from_ == to_; }

  Shape shape(const Shape& s) const {
    for (std::size_t i = 0; i < from_.size(); ++i)
      if (!to_.has(from_[i]) && s[i] != 1)
        throw_usage("--output-axis-order '" + to_.str() + "' drops axis '" +
                    std::string(1, from_[i]) + "' of length " + std::to_string(s[i]));
    return permute(s, 1);
  }
  Shape offset(const Shape& o) const { return permute(o, 0); }

 private:
  Shape permute(const Shape& s, std::size_t missing) const {
    Shape out(to_.size(), missing);
    for (std::size_t i = 0; i < to_.size(); ++i)
      if (from_.has(to_[i])) out[i] = s[from_.index(to_[i])];
    return out;
  }
  Axes from_, to_;
};

io::WriteOptions feature_write_options(const PxFeaturesOptions& options,
                                       const features::FeatureSelection& sel,
                                       const std::vector<std::string>& names) {
  io::WriteOptions w = options.write;
  w.attributes["channel_names"] = nlohmann::json(names).dump();
  w.attributes["feature_scheme"] = std::string(features::scheme_name(sel.scheme));
  w.attributes["feature_selection"] = features::selection_to_json_text(sel);
  return w;
}

// Planar core results (one plane per channel) -> a channel-last block for the writer.
Image interleave(const float* planar, std::size_t n_channels, const Roi& core, bool has_t,
                 const Axes& axes) {
  Shape shape;
  if (has_t) shape.push_back(1);
  const Shape cs = core.shape();
  shape.insert(shape.end(), cs.begin(), cs.end());
  shape.push_back(n_channels);
  Array<float> a = Array<float>::from_shape(shape);
  const std::size_t n = core.size();
  float* d = a.data();
  for (std::size_t c = 0; c < n_channels; ++c) {
    const float* p = planar + c * n;
    for (std::size_t i = 0; i < n; ++i)
      d[i * n_channels + c] = p[i];
  }
  return Image(std::move(a), axes);
}

}  // namespace

PxFeaturesResult export_features(const std::string& input, const std::string& output,
                                 const features::FeatureSelection& sel,
                                 const PxFeaturesOptions& options, const RunContext& ctx) {
  // Everything checkable without the input's pixels comes first (exit 2, no output).
  features::validate(sel);
  io::resolve_output_format(output, options.write);
  io::check_output_path(io::parse_image_path(output).file, options.write.overwrite);

  const CanonicalImage raw(input, options.read);
  try {
    features::validate_for_shape(sel, raw.spatial_shape());
  } catch (Error& e) {
    throw Error(ErrorCategory::usage,
                e.reason() + " (image " + shape_str(raw.spatial_shape()) + ")", input);
  }
  const features::FeatureComputer fc(sel, raw.channels(), raw.spatial_rank());
  const std::size_t n = fc.n_channels();
  const bool has_t = raw.info().axes.has('t');
  const AxisMap map(raw.result_axes(),
                    options.output_axes ? *options.output_axes : raw.result_axes());
  const Shape out_shape = map.shape(raw.result_shape(n));
  auto writer = io::create_image(output, out_shape, DType::float32, map.to(),
                                 feature_write_options(options, sel, fc.channel_names()));

  const Shape& spatial = raw.spatial_shape();
  const Shape halo = fc.halo();
  // Per core pixel: the input with its channels, the planar result, its channel-last copy
  // for the writer, and the computer's frame buffers.
  const std::size_t per_pixel = 4 * (raw.channels() + 2 * n + 4);
  const auto blocks =
      make_blocks(spatial, export_block_shape(spatial, halo, per_pixel, ctx.ram_bytes),
                  Shape(spatial.size(), 0));
  features::FeatureComputer::Workspace ws(ctx.threads);
  std::vector<float> data, planar;
  std::uint64_t done = 0;
  const std::uint64_t total = std::uint64_t(raw.t()) * blocks.size();
  for (std::size_t t = 0; t < raw.t(); ++t) {
    for (const Block& b : blocks) {
      const Roi outer = b.core.grow(halo, spatial);
      raw.read_float(t, outer, data);
      Shape block_shape = outer.shape();
      block_shape.push_back(raw.channels());
      planar.resize(n * b.core.size());
      fc.compute(data.data(), block_shape, b.core.relative_to(outer.start),
                 features::BlockBorders::of(outer, spatial), planar.data(), ws);
      Image block = interleave(planar.data(), n, b.core, has_t, raw.result_axes());
      Shape offset;
      if (has_t) offset.push_back(t);
      offset.insert(offset.end(), b.core.start.begin(), b.core.start.end());
      offset.push_back(0);
      if (!map.identity()) block = block.transposed(map.to());
      writer->write(block, map.offset(offset));
      ctx.progress("features of " + input, ++done, total);
    }
  }
  writer->commit();

  PxFeaturesResult r;
  r.output = output;
  r.shape = out_shape;
  r.axes = map.to();
  r.channel_names = fc.channel_names();
  r.blocks = blocks.size();
  return r;
}

}  // namespace bioforest::workflows
