// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/result_writer.hpp"

#include <nlohmann/json.hpp>

#include "bioforest/core/batch.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/learn/probabilities.hpp"
#include "bioforest/workflows/pixel_prediction.hpp"

namespace bioforest::workflows {

ResultWriter::ResultWriter(const ResultLayout& layout, const CanonicalImage& input, std::size_t t0,
                           std::size_t t1, const Roi& region, const ExportOptions& options,
                           const std::string& path, std::mutex* io_lock)
    : layout_(layout),
      has_t_(input.info().axes.has('t')),
      t0_(t0),
      region_(region),
      options_(options),
      result_axes_(input.result_axes()),
      io_lock_(io_lock) {
  Shape shape;
  if (has_t_) shape.push_back(t1 - t0);
  const Shape rs = region.shape();
  shape.insert(shape.end(), rs.begin(), rs.end());
  shape.push_back(layout.channels);
  out_axes_ = options.output_axes ? *options.output_axes : result_axes_;
  io::WriteOptions w = export_write_options(options);
  if (layout.range && !options.dtype && dtype_is_float(layout.natural)) w.drange = layout.range;
  if (!layout.channel_names.empty())
    w.attributes["channel_names"] = nlohmann::json(layout.channel_names).dump();
  w.attributes["export_source"] = layout.source;
  const Shape out_shape = to_output_shape(shape);
  const auto lock = lock_if(io_lock_);
  writer_ = io::create_image(path, out_shape, export_dtype(options, layout.natural), out_axes_, w);
}

ResultWriter::~ResultWriter() {
  const auto lock = lock_if(io_lock_);
  writer_.reset();  // an uncommitted output is removed here
}

void ResultWriter::commit() {
  const auto lock = lock_if(io_lock_);
  writer_->commit();
}

void ResultWriter::write(std::size_t t, const Roi& core, const float* planar,
                         std::size_t channel_offset, std::size_t n) {
  if (n == 0) n = layout_.channels;
  Shape shape;
  if (has_t_) shape.push_back(1);
  const Shape cs = core.shape();
  shape.insert(shape.end(), cs.begin(), cs.end());
  shape.push_back(n);
  Array<float> a = Array<float>::from_shape(shape);
  const std::size_t npix = core.size();
  float* d = a.data();
  for (std::size_t i = 0; i < npix; ++i)
    for (std::size_t c = 0; c < n; ++c)
      d[i * n + c] = planar[c * npix + i];
  Image block =
      export_values(Image(std::move(a), result_axes_), options_, layout_.natural, layout_.range);
  Shape offset;
  if (has_t_) offset.push_back(t - t0_);
  for (std::size_t k = 0; k < core.rank(); ++k)
    offset.push_back(core.start[k] - region_.start[k]);
  offset.push_back(channel_offset);
  if (out_axes_ != result_axes_) {
    block = block.transposed(out_axes_);
    offset = to_output_offset(offset);
  }
  const auto lock = lock_if(io_lock_);
  writer_->write(block, offset);
}

Shape ResultWriter::to_output_shape(const Shape& s) const {
  Shape out(out_axes_.size(), 1);
  for (std::size_t i = 0; i < out_axes_.size(); ++i)
    if (result_axes_.has(out_axes_[i])) out[i] = s[result_axes_.index(out_axes_[i])];
  for (std::size_t i = 0; i < result_axes_.size(); ++i)
    if (!out_axes_.has(result_axes_[i]) && s[i] != 1)
      throw_usage("--output-axis-order '" + out_axes_.str() + "' drops axis '" +
                  std::string(1, result_axes_[i]) + "' of length " + std::to_string(s[i]));
  return out;
}

Shape ResultWriter::to_output_offset(const Shape& o) const {
  Shape out(out_axes_.size(), 0);
  for (std::size_t i = 0; i < out_axes_.size(); ++i)
    if (result_axes_.has(out_axes_[i])) out[i] = o[result_axes_.index(out_axes_[i])];
  return out;
}

ResultLayout pixel_result_layout(PixelResult kind, const std::string& source,
                                 const std::vector<std::string>& class_names,
                                 const std::vector<std::string>& feature_names) {
  ResultLayout l;
  l.source = source;
  switch (kind) {
    case PixelResult::probabilities:
      l.channels = class_names.size();
      l.range = io::Range{0.0, 1.0};
      l.channel_names = class_names;
      break;
    case PixelResult::segmentation:
      l.natural = DType::uint8;
      break;
    case PixelResult::uncertainty:
      l.range = io::Range{0.0, 1.0};
      break;
    case PixelResult::features:
      l.channels = feature_names.size();
      l.channel_names = feature_names;
      break;
  }
  return l;
}

void write_pixel_result(PixelResult kind, const PixelBlock& b, ResultWriter& writer,
                        std::vector<float>& scratch, std::size_t channel_offset) {
  const std::size_t n = b.core.size(), K = b.n_classes;
  const bool have_labels = kind == PixelResult::segmentation && b.labels;
  if (kind != PixelResult::features && !b.probabilities && !have_labels)
    throw_internal("probabilities were not computed for this block");
  switch (kind) {
    case PixelResult::probabilities:
      writer.write(b.t, b.core, b.probabilities, channel_offset, K);
      return;
    case PixelResult::features:
      if (!b.features) throw_internal("features were not computed for this block");
      writer.write(b.t, b.core, b.features, channel_offset, b.n_features);
      return;
    case PixelResult::uncertainty:
      scratch.resize(n);
      learn::uncertainty(b.probabilities, n, K, learn::ProbaLayout::class_planar, scratch.data());
      break;
    case PixelResult::segmentation: {
      scratch.resize(n);
      if (b.labels) {
        for (std::size_t i = 0; i < n; ++i)
          scratch[i] = float(b.labels[i]);
        break;
      }
      thread_local std::vector<std::uint32_t> hard;
      hard.resize(n);
      learn::argmax(b.probabilities, n, K, learn::ProbaLayout::class_planar, hard.data());
      for (std::size_t i = 0; i < n; ++i)
        scratch[i] = float(hard[i] + 1);
      break;
    }
  }
  if (b.mask)
    for (std::size_t i = 0; i < n; ++i)
      if (!b.mask[i]) scratch[i] = 0.0f;
  writer.write(b.t, b.core, scratch.data(), channel_offset, 1);
}

}  // namespace bioforest::workflows
