// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/threshold.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "bioforest/core/blocking.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/features/kernels.hpp"
#include "bioforest/io/writer.hpp"
#include "bioforest/workflows/spec_file.hpp"

namespace bioforest::workflows {

// ---------------------------------------------------------------------------------------
// Settings

namespace {

const char* method_name(ThresholdMethod m) {
  switch (m) {
    case ThresholdMethod::simple:
      return "simple";
    case ThresholdMethod::hysteresis:
      return "hysteresis";
    case ThresholdMethod::binary:
      return "binary";
    case ThresholdMethod::labels:
      return "labels";
  }
  return "simple";
}

}  // namespace

ThresholdSettings threshold_settings_from_json(const nlohmann::json& j, const std::string& file) {
  spec::throw_if_invalid(spec::check_against_schema(j, "threshold.schema.json"), file);
  ThresholdSettings s;
  if (j.contains("method")) {
    const std::string m = j["method"];
    for (auto v : {ThresholdMethod::simple, ThresholdMethod::hysteresis, ThresholdMethod::binary,
                   ThresholdMethod::labels})
      if (m == method_name(v)) s.method = v;
  }
  s.low = j.value("low_threshold", s.low);
  s.high = j.value("high_threshold", s.high);
  s.channel = j.value("channel", s.channel);
  s.core_channel = j.value("core_channel", s.core_channel);
  if (j.contains("sigma")) {
    const auto& g = j["sigma"];
    if (g.is_number()) {
      s.sigma.fill(g.get<double>());
    } else if (g.size() == 2) {
      s.sigma = {g[0].get<double>(), g[0].get<double>(), g[1].get<double>()};
    } else {
      s.sigma = {g[0].get<double>(), g[1].get<double>(), g[2].get<double>()};
    }
  }
  s.min_size = j.value("min_size", s.min_size);
  s.max_size = j.value("max_size", s.max_size);
  s.neighbours = j.value("connectivity", 0);
  if (j.contains("input_range")) {
    s.input_range = std::pair{j["input_range"][0].get<double>(), j["input_range"][1].get<double>()};
    if (!(s.input_range->second > s.input_range->first))
      throw_usage("input_range: the high end must exceed the low end", file);
  }
  return s;
}

nlohmann::json threshold_settings_json(const ThresholdSettings& s) {
  nlohmann::json j{
      {"method", method_name(s.method)}, {"low_threshold", s.low},
      {"high_threshold", s.high},        {"channel", s.channel},
      {"core_channel", s.core_channel},  {"sigma", {s.sigma[0], s.sigma[1], s.sigma[2]}},
      {"min_size", s.min_size},          {"max_size", s.max_size}};
  if (s.neighbours) j["connectivity"] = s.neighbours;
  if (s.input_range) j["input_range"] = {s.input_range->first, s.input_range->second};
  return j;
}

// ---------------------------------------------------------------------------------------
// Smoothing

namespace {

// Reflective index as vigra's BORDER_TREATMENT_REFLECT (x[-i] = x[i]), folded repeatedly
// for lines shorter than the kernel.
std::ptrdiff_t reflect(std::ptrdiff_t i, std::ptrdiff_t n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) {
    if (i < 0) i = -i;
    if (i >= n) i = 2 * (n - 1) - i;
  }
  return i;
}

// Smooths `data` (shape `dims`, row-major) along axis `axis` with the symmetric kernel `k`.
void smooth_axis(std::vector<float>& data, const Shape& dims, std::size_t axis,
                 const features::Kernel& k, int threads) {
  const std::size_t n = dims[axis];
  std::size_t stride = 1;
  for (std::size_t a = axis + 1; a < dims.size(); ++a)
    stride *= dims[a];
  const std::size_t lines = data.size() / n;
  const int r = k.radius;
  const double* taps = k.full.data() + r;  // taps[m] for m in [-r, r]
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> line(n);
#pragma omp for schedule(static)
    for (std::ptrdiff_t li = 0; li < std::ptrdiff_t(lines); ++li) {
      const std::size_t outer = std::size_t(li) / stride, inner = std::size_t(li) % stride;
      float* base = data.data() + outer * n * stride + inner;
      for (std::size_t i = 0; i < n; ++i)
        line[i] = base[i * stride];
      for (std::size_t i = 0; i < n; ++i) {
        double acc = 0;
        for (int m = -r; m <= r; ++m)
          acc += taps[-m] * line[reflect(std::ptrdiff_t(i) + m, std::ptrdiff_t(n))];
        base[i * stride] = float(acc);
      }
    }
  }
}

// Sigmas of the axes present (z only for volumes); empty if ilastik would skip smoothing.
std::vector<double> active_sigmas(const ThresholdSettings& s, int rank) {
  std::vector<double> out(s.sigma.begin() + (rank == 3 ? 0 : 1), s.sigma.end());
  for (double v : out)
    if (v < 0.1) return {};
  return out;
}

Shape halo_for(const std::vector<double>& sigmas, int rank) {
  Shape h(rank, 0);
  for (std::size_t a = 0; a < sigmas.size(); ++a)
    h[a] = std::size_t(features::kernel_radius(sigmas[a], 0, 2.0));
  return h;
}

// The thresholded quantities of one block: smoothed channel values over the block core.
class SmoothedReader {
 public:
  SmoothedReader(const CanonicalImage& in, std::size_t t, const ThresholdSettings& s,
                 const RunContext& ctx)
      : in_(in), t_(t), threads_(ctx.threads) {
    if (s.input_range) {
      scale_ = float(1.0 / (s.input_range->second - s.input_range->first));
      shift_ = float(-s.input_range->first);
    }
    const int rank = in.spatial_rank();
    sigmas_ = active_sigmas(s, rank);
    halo_ = halo_for(sigmas_, rank);
    for (double sg : sigmas_)
      kernels_.push_back(features::gaussian_kernel(sg, 0, 2.0));
    for (std::size_t c : {s.channel, s.core_channel})
      if (c >= in.channels())
        throw_input(in.path(), "has " + std::to_string(in.channels()) + " channel(s), channel " +
                                   std::to_string(c) + " was asked for");
  }
  const Shape& halo() const { return halo_; }

  /// Smoothed channel `c` over `core`.
  void read(const Roi& core, std::size_t c, std::vector<float>& out) {
    const Roi outer = core.grow(halo_, in_.spatial_shape());
    in_.read_float(t_, outer, raw_);
    const std::size_t C = in_.channels(), n = outer.size();
    plane_.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      plane_[i] = (raw_[i * C + c] + shift_) * scale_;
    const Shape dims = outer.shape();
    for (std::size_t a = 0; a < kernels_.size(); ++a)
      smooth_axis(plane_, dims, a, kernels_[a], threads_);
    const Roi inner = core.relative_to(outer.start);
    out.resize(core.size());
    std::size_t o = 0;
    for_each_row(dims, inner, [&](std::size_t off) {
      std::copy_n(plane_.begin() + std::ptrdiff_t(off), inner.shape().back(), out.begin() + o);
      o += inner.shape().back();
    });
  }

 private:
  const CanonicalImage& in_;
  std::size_t t_;
  int threads_;
  float scale_ = 1.0f, shift_ = 0.0f;
  std::vector<double> sigmas_;
  Shape halo_;
  std::vector<features::Kernel> kernels_;
  std::vector<float> raw_, plane_;
};

Shape pick_block_shape(const CanonicalImage& in, const Shape& halo, const RunContext& ctx) {
  // Per pixel: all channels of the raw block, a smoothed plane, a second plane, a mask and
  // the labels, each with the halo.
  const double bytes = 4.0 * double(in.channels()) + 4 + 4 + 4 + 1 + 4;
  return block_shape_for_budget(in.spatial_shape(), halo, bytes,
                                std::max<std::size_t>(ctx.ram_bytes / 2, 1 << 20));
}

Connectivity connectivity_of(const ThresholdSettings& s, int rank) {
  if (s.neighbours == 0) return Connectivity::direct;
  return parse_connectivity(s.neighbours, rank);
}

// ---------------------------------------------------------------------------------------
// The four methods

std::uint32_t threshold_binary_or_simple(const CanonicalImage& in, std::size_t t,
                                         const ThresholdSettings& s, const LabelSink& sink,
                                         const RunContext& ctx, Shape block_shape) {
  const bool binary = s.method == ThresholdMethod::binary;
  SmoothedReader smooth(in, t, s, ctx);
  if (block_shape.empty()) block_shape = pick_block_shape(in, smooth.halo(), ctx);
  std::vector<float> v;
  std::vector<std::uint32_t> lab;
  BlockwiseLabeling::MaskFn mask = [&](const Roi& core, std::vector<std::uint8_t>& m) {
    m.resize(core.size());
    if (binary) {
      in.read_labels(t, core, lab);
      for (std::size_t i = 0; i < m.size(); ++i)
        m[i] = lab[i] != 0;
      return;
    }
    smooth.read(core, s.channel, v);
    for (std::size_t i = 0; i < m.size(); ++i)
      m[i] = v[i] >= s.low;
  };
  BlockwiseLabeling cc(in.spatial_shape(), block_shape, connectivity_of(s, in.spatial_rank()));
  cc.scan(mask, {}, ctx);
  const std::uint32_t n = cc.finalize(s.min_size, s.max_size, false);
  std::vector<std::uint32_t> out;
  for (std::size_t b = 0; b < cc.blocks().size(); ++b) {
    cc.block_labels(b, mask, out);
    sink(cc.blocks()[b].core, out);
  }
  return n;
}

std::uint32_t threshold_hysteresis(const CanonicalImage& in, std::size_t t,
                                   const ThresholdSettings& s, const LabelSink& sink,
                                   const RunContext& ctx, Shape block_shape) {
  SmoothedReader smooth(in, t, s, ctx);
  if (block_shape.empty()) block_shape = pick_block_shape(in, smooth.halo(), ctx);
  const Connectivity conn = connectivity_of(s, in.spatial_rank());
  std::vector<float> v, w;
  // 1. Cores: components of core channel >= high, size-filtered.
  BlockwiseLabeling::MaskFn core_mask = [&](const Roi& core, std::vector<std::uint8_t>& m) {
    smooth.read(core, s.core_channel, v);
    m.resize(core.size());
    for (std::size_t i = 0; i < m.size(); ++i)
      m[i] = v[i] >= s.high;
  };
  BlockwiseLabeling cores(in.spatial_shape(), block_shape, conn);
  cores.scan(core_mask, {}, ctx);
  cores.finalize(s.min_size, s.max_size, false);
  // 2. Candidates: components of X >= low, X = channel (+ core channel when they differ).
  BlockwiseLabeling::MaskFn final_mask = [&](const Roi& core, std::vector<std::uint8_t>& m) {
    smooth.read(core, s.channel, v);
    if (s.channel != s.core_channel) {
      smooth.read(core, s.core_channel, w);
      for (std::size_t i = 0; i < v.size(); ++i)
        v[i] += w[i];
    }
    m.resize(core.size());
    for (std::size_t i = 0; i < m.size(); ++i)
      m[i] = v[i] >= s.low;
  };
  // 3. Keep candidates that contain a surviving core pixel.
  std::vector<std::uint32_t> core_labels;
  BlockwiseLabeling::FlagFn has_core = [&](const Roi& core, const std::uint32_t* labels,
                                           std::uint32_t, std::vector<std::uint8_t>& flags) {
    const auto& bl = cores.blocks();
    std::size_t b = 0;
    while (!(bl[b].core == core))
      ++b;
    cores.block_labels(b, core_mask, core_labels);
    for (std::size_t i = 0; i < core.size(); ++i)
      if (core_labels[i] && labels[i]) flags[labels[i]] = 1;
  };
  BlockwiseLabeling cc(in.spatial_shape(), block_shape, conn);
  cc.scan(final_mask, has_core, ctx);
  // 4. Size filter again.
  const std::uint32_t n = cc.finalize(s.min_size, s.max_size, true);
  std::vector<std::uint32_t> out;
  for (std::size_t b = 0; b < cc.blocks().size(); ++b) {
    cc.block_labels(b, final_mask, out);
    sink(cc.blocks()[b].core, out);
  }
  return n;
}

// An existing label image: ids renumbered 1..n in raster order of first appearance, objects
// outside the size range dropped.
std::uint32_t relabel_consecutive(const CanonicalImage& in, std::size_t t,
                                  const ThresholdSettings& s, const LabelSink& sink,
                                  const RunContext& ctx, Shape block_shape) {
  if (block_shape.empty()) block_shape = pick_block_shape(in, Shape(in.spatial_rank(), 0), ctx);
  const auto blocks = make_blocks(in.spatial_shape(), block_shape, Shape(in.spatial_rank(), 0));
  const Shape& sh = in.spatial_shape();
  struct Info {
    std::uint64_t first = std::numeric_limits<std::uint64_t>::max(), size = 0;
  };
  std::unordered_map<std::uint32_t, Info> info;
  std::vector<std::uint32_t> lab;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const Roi& core = blocks[b].core;
    in.read_labels(t, core, lab);
    std::size_t i = 0;
    for_each_row(sh, core, [&](std::size_t off) {
      for (std::size_t x = 0; x < core.shape().back(); ++x, ++i) {
        if (!lab[i]) continue;
        Info& e = info[lab[i]];
        e.first = std::min<std::uint64_t>(e.first, off + x);
        ++e.size;
      }
    });
    ctx.progress("relabelling", b + 1, blocks.size());
  }
  std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
  for (const auto& [id, e] : info)
    if (e.size >= s.min_size && e.size <= s.max_size) order.push_back({e.first, id});
  std::sort(order.begin(), order.end());
  std::unordered_map<std::uint32_t, std::uint32_t> map;
  for (std::size_t k = 0; k < order.size(); ++k)
    map[order[k].second] = std::uint32_t(k + 1);
  for (const auto& block : blocks) {
    in.read_labels(t, block.core, lab);
    for (auto& l : lab) {
      if (!l) continue;
      auto it = map.find(l);
      l = it == map.end() ? 0 : it->second;
    }
    sink(block.core, lab);
  }
  return std::uint32_t(order.size());
}

}  // namespace

std::uint32_t threshold_frame(const CanonicalImage& input, std::size_t t,
                              const ThresholdSettings& s, const LabelSink& sink,
                              const RunContext& ctx, const Shape& block_shape) {
  if (s.method != ThresholdMethod::labels && s.method != ThresholdMethod::binary &&
      input.channels() <= std::max(s.channel, s.core_channel))
    throw_input(input.path(), "has " + std::to_string(input.channels()) +
                                  " channel(s), the settings ask for channel " +
                                  std::to_string(std::max(s.channel, s.core_channel)));
  switch (s.method) {
    case ThresholdMethod::hysteresis:
      return threshold_hysteresis(input, t, s, sink, ctx, block_shape);
    case ThresholdMethod::labels:
      return relabel_consecutive(input, t, s, sink, ctx, block_shape);
    default:
      return threshold_binary_or_simple(input, t, s, sink, ctx, block_shape);
  }
}

std::vector<std::uint32_t> threshold_frame_in_memory(const CanonicalImage& input, std::size_t t,
                                                     const ThresholdSettings& s,
                                                     std::uint32_t& n_objects,
                                                     const RunContext& ctx) {
  const Shape& sh = input.spatial_shape();
  std::size_t total = 1;
  for (auto e : sh)
    total *= e;
  std::vector<std::uint32_t> out(total, 0);
  n_objects = threshold_frame(
      input, t, s,
      [&](const Roi& core, const std::vector<std::uint32_t>& labels) {
        std::size_t i = 0;
        for_each_row(sh, core, [&](std::size_t off) {
          const std::size_t w = core.shape().back();
          std::copy_n(labels.begin() + std::ptrdiff_t(i), w, out.begin() + std::ptrdiff_t(off));
          i += w;
        });
      },
      ctx);
  return out;
}

// ---------------------------------------------------------------------------------------
// Batch

namespace {

std::uint64_t threshold_one(const std::string& input, const ThresholdRequest& req,
                            const RunContext& ctx, std::vector<std::string>& outputs) {
  const CanonicalImage in(input, req.read);
  const bool has_t = in.info().axes.has('t');
  std::string axes = has_t ? "t" : "";
  axes += in.is_3d() ? "zyx" : "yx";
  Shape shape;
  if (has_t) shape.push_back(in.t());
  for (auto e : in.spatial_shape())
    shape.push_back(e);
  const std::string path = export_path(req.exports, input, "Object Identities");
  io::WriteOptions w = export_write_options(req.exports);
  w.attributes["export_source"] = "Object Identities";
  auto writer = io::create_image(path, shape, DType::uint32, Axes(axes), w);
  std::uint64_t total = 0;
  for (std::size_t t = 0; t < in.t(); ++t) {
    total += threshold_frame(
        in, t, req.settings,
        [&](const Roi& core, const std::vector<std::uint32_t>& labels) {
          Shape bs, off;
          if (has_t) bs.push_back(1), off.push_back(t);
          for (auto e : core.shape())
            bs.push_back(e);
          off.insert(off.end(), core.start.begin(), core.start.end());
          Array<std::uint32_t> a = Array<std::uint32_t>::from_shape(bs);
          std::copy(labels.begin(), labels.end(), a.data());
          writer->write(Image(std::move(a), Axes(axes)), off);
        },
        ctx, req.block_shape);
  }
  writer->commit();
  outputs.push_back(path);
  return total;
}

}  // namespace

ThresholdResult threshold_images(const ThresholdRequest& req, const RunContext& ctx) {
  const std::vector<bool> skip = plan_exports(req.exports, req.inputs);
  ThresholdResult result;
  run_batch(req.inputs, skip, "thresholding", result.skipped, result.failures, [&](std::size_t i) {
    result.objects.push_back(threshold_one(req.inputs[i], req, ctx, result.outputs));
  });
  return result;
}

}  // namespace bioforest::workflows
