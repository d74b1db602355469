// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/object_classification_blockwise.hpp"

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <limits>
#include <system_error>

#include "bioforest/core/error.hpp"
#include "bioforest/io/writer.hpp"

namespace fs = std::filesystem;

namespace bioforest::workflows {

std::size_t band_rows(const CanonicalImage& raw, std::size_t out_channels, const RunContext& ctx) {
  const Shape& sh = raw.spatial_shape();
  std::size_t row = 1;
  for (std::size_t a = 1; a < sh.size(); ++a)
    row *= sh[a];
  // raw floats, labels, relabelled labels, objfeatures' pixel index and counts, output.
  const std::size_t per_pixel = 4 * raw.channels() + 4 + 4 + 8 + 4 * out_channels;
  return std::max<std::size_t>(1, ctx.ram_bytes / (row * per_pixel));
}

bool band_safe_features(const std::vector<std::string>& features) {
  // vigra's region accumulators (per-object moments, extrema, the histogram over the given
  // range; the coordinate ones are shifted below) see only the object's pixels, and an object
  // is measured whole in the band where it starts. Hull, skeleton and neighbourhood features
  // look at shapes or past the object: those runs stay whole-frame.
  return std::all_of(features.begin(), features.end(), is_standard_object_feature);
}

namespace {

// Features holding coordinates: their columns are x, y[, z] and move with the band.
bool is_coordinate_feature(const std::string& f) {
  return f == "RegionCenter" || f == "Weighted<RegionCenter>" || f == "Coord<Minimum >" ||
         f == "Coord<Maximum >" || f == "Coord<ArgMinWeight >" || f == "Coord<ArgMaxWeight >";
}

fs::path temporary_label_file() {
  static std::atomic<unsigned> counter{0};
  return fs::temp_directory_path() / ("bioforest-objects-" + std::to_string(::getpid()) + "-" +
                                      std::to_string(counter++) + ".h5");
}

Roi rows_of(const Shape& spatial, std::size_t r0, std::size_t r1) {
  Roi r = Roi::whole(spatial);
  r.start[0] = r0;
  r.stop[0] = r1;
  return r;
}

}  // namespace

BandedObjects::BandedObjects(const CanonicalImage& raw, const CanonicalImage& seg, std::size_t t,
                             const ThresholdSettings& settings,
                             const std::vector<std::string>& features, std::size_t rows_per_band,
                             const RunContext& ctx)
    : file_{temporary_label_file()} {
  check_same_grid(raw, seg, "segmentation");
  const Shape& spatial = raw.spatial_shape();
  const std::size_t rows = spatial[0], C = raw.channels();
  rows_per_band = std::max<std::size_t>(1, rows_per_band);
  std::string axes = raw.is_3d() ? "zyx" : "yx";

  // Pass 1: blockwise labels into the temporary file; each object's first and last row.
  std::vector<std::size_t> first, last;  // by id - 1
  {
    io::WriteOptions w;
    w.compression = "none";
    auto writer = io::create_image(file_.path.string(), spatial, DType::uint32, Axes(axes), w);
    objects_.n = threshold_frame(
        seg, t, settings,
        [&](const Roi& core, const std::vector<std::uint32_t>& labels) {
          Image block(DType::uint32, core.shape(), Axes(axes));
          std::copy(labels.begin(), labels.end(), block.data<std::uint32_t>());
          writer->write(block, core.start);
          const std::size_t plane = labels.size() / (core.stop[0] - core.start[0]);
          for (std::size_t i = 0; i < labels.size(); ++i) {
            const std::uint32_t id = labels[i];
            if (!id) continue;
            if (first.size() < id) first.resize(id, rows), last.resize(id, 0);
            const std::size_t r = core.start[0] + i / plane;
            first[id - 1] = std::min(first[id - 1], r);
            last[id - 1] = std::max(last[id - 1], r);
          }
        },
        ctx);
    writer->commit();
  }
  labels_ = std::make_unique<CanonicalImage>(file_.path.string(), io::ReadOptions{});
  first.resize(objects_.n, rows);
  last.resize(objects_.n, 0);
  for (std::size_t r0 = 0; r0 < rows; r0 += rows_per_band)
    bands_.push_back(rows_of(spatial, r0, std::min(rows, r0 + rows_per_band)));

  // The value range of the frame's object pixels per channel: objfeatures bins histograms
  // over it (ilastik's globalminmax with ignoreLabel 0), the same for every band.
  std::vector<float> lo(C, std::numeric_limits<float>::max()),
      hi(C, std::numeric_limits<float>::lowest()), values;
  std::vector<std::uint32_t> ids;
  for (const auto& band : bands_) {
    raw.read_float(t, band, values);
    labels_->read_labels(0, band, ids);
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!ids[i / C]) continue;
      lo[i % C] = std::min(lo[i % C], values[i]);
      hi[i % C] = std::max(hi[i % C], values[i]);
    }
  }
  ObjectFeatureOptions options;
  for (std::size_t c = 0; c < C; ++c)
    options.histogram_range.emplace_back(lo[c], hi[c]);

  // Pass 2: per band, the objects that start in it, measured over rows up to their last.
  std::vector<std::vector<std::uint32_t>> starting(bands_.size());
  for (std::uint32_t id = 1; id <= objects_.n; ++id)
    starting[first[id - 1] / rows_per_band].push_back(id);
  std::vector<std::uint32_t> local_of(std::size_t(objects_.n) + 1, 0);
  auto& out = objects_.features;
  for (std::size_t b = 0; b < bands_.size(); ++b) {
    ctx.progress("object features", b + 1, bands_.size());
    const auto& mine = starting[b];
    if (mine.empty() && !(b + 1 == bands_.size() && out.columns.empty())) continue;
    std::size_t stop = bands_[b].stop[0];
    for (auto id : mine)
      stop = std::max(stop, last[id - 1] + 1);
    const Roi reach = rows_of(spatial, bands_[b].start[0], stop);
    labels_->read_labels(0, reach, ids);
    raw.read_float(t, reach, values);
    for (std::size_t k = 0; k < mine.size(); ++k)
      local_of[mine[k]] = std::uint32_t(k + 1);
    for (auto& v : ids)
      v = local_of[v];
    for (auto id : mine)
      local_of[id] = 0;
    const auto f = compute_object_features(values.data(), C, ids.data(), reach.shape(),
                                           std::uint32_t(mine.size()), features, ctx, options);
    if (out.columns.empty()) {
      out.columns = f.columns;
      out.feature_of_column = f.feature_of_column;
      out.rows = objects_.n;
      out.values.assign(out.rows * out.columns.size(), 0.0);
    }
    // Coordinates are x, y[, z]: the band axis (y, or z in volumes) is the last component.
    const std::size_t band_component = spatial.size() - 1, F = out.columns.size();
    std::vector<double> shift(F, 0.0);
    for (std::size_t c = 0; c < F; ++c) {
      if (!is_coordinate_feature(out.feature_of_column[c])) continue;
      const auto& name = out.columns[c];
      if (name.size() > 2 && name.substr(name.size() - 2) == "_" + std::to_string(band_component))
        shift[c] = double(reach.start[0]);
    }
    for (std::size_t k = 0; k < mine.size(); ++k)
      for (std::size_t c = 0; c < F; ++c)
        out.values[(mine[k] - 1) * F + c] = f.at(k, c) + shift[c];
  }
  objects_.t = t;
}

BandedObjects::TemporaryFile::~TemporaryFile() {
  std::error_code ec;
  fs::remove(path, ec);
}

void BandedObjects::read_labels(const Roi& band, std::vector<std::uint32_t>& out) const {
  labels_->read_labels(0, band, out);
}

}  // namespace bioforest::workflows
