// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/pixel_training.hpp"

#include <algorithm>
#include <exception>

#include "bioforest/core/blocking.hpp"
#include "bioforest/core/digest.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/workflows/canonical_image.hpp"
#include "bioforest/workflows/pixel_buffer.hpp"

namespace bioforest::workflows {

namespace {

// ilastik scans labels in blocks of about 40^3 voxels (256^2 in 2-D); features are then
// requested only for the bounding box of each block's labels.
Shape label_block_shape(int rank) {
  return rank == 3 ? Shape{64, 64, 64} : Shape{256, 256};
}

// The bounding box (block-local) of the nonzero entries of a label block.
bool label_bbox(const std::vector<std::uint32_t>& labels, const Shape& shape, Roi& bbox) {
  const std::size_t rank = shape.size();
  bbox = Roi{Shape(rank, SIZE_MAX), Shape(rank, 0)};
  bool any = false;
  Shape idx(rank, 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i]) {
      any = true;
      std::size_t rem = i;
      for (std::size_t d = rank; d-- > 0;) {
        idx[d] = rem % shape[d];
        rem /= shape[d];
      }
      for (std::size_t d = 0; d < rank; ++d) {
        bbox.start[d] = std::min(bbox.start[d], idx[d]);
        bbox.stop[d] = std::max(bbox.stop[d], idx[d] + 1);
      }
    }
  }
  return any;
}

// The sub-box `roi` of a row-major array of `shape` (any rank >= 1).
template <class T>
void crop(const std::vector<T>& src, const Shape& shape, const Roi& roi, std::vector<T>& out) {
  out.resize(roi.size());
  const std::size_t rank = shape.size(), row = roi.stop[rank - 1] - roi.start[rank - 1];
  Shape idx = roi.start;
  for (std::size_t o = 0; o < out.size(); o += row) {
    std::size_t off = 0;
    for (std::size_t d = 0; d < rank; ++d)
      off = off * shape[d] + idx[d];
    std::copy_n(src.data() + off, row, out.data() + o);
    for (std::size_t d = rank - 1; d-- > 0;) {  // next row: odometer over the outer axes
      if (++idx[d] < roi.stop[d]) break;
      idx[d] = roi.start[d];
    }
  }
}

// One labelled region: the bounding box of the (unmasked) labels of one label block, its
// labelled pixels, and the training-set row of the first of them.
struct LabelledRegion {
  std::size_t t = 0;
  Roi core;                           // image coordinates
  std::vector<std::uint32_t> pixels;  // core-local flat indices, row-major order
  std::size_t first_row = 0;
};

// Pass 1 over one image: finds the labelled regions and appends their labels and positions
// to the training set (rows in block order, row-major inside each block, as ilastik's label
// cache yields them). Reads no raw data. The label plane of a time point is read once when
// it fits `budget` (PNG and TIFF decoders restart from the top for every region otherwise).
std::vector<LabelledRegion> find_labelled_regions(std::size_t pair, const CanonicalImage& labels,
                                                  const CanonicalImage* mask, std::size_t n_classes,
                                                  std::size_t budget, TrainingSet& set) {
  const Shape& spatial = labels.spatial_shape();
  const Roi whole = Roi::whole(spatial);
  const bool plane_fits = whole.size() * sizeof(std::uint32_t) <= budget;
  const auto blocks =
      make_blocks(spatial, label_block_shape(labels.spatial_rank()), Shape(spatial.size(), 0));
  std::vector<LabelledRegion> regions;
  std::vector<std::uint32_t> plane, block_labels, core_labels, core_mask;
  for (std::size_t t = 0; t < labels.t(); ++t) {
    if (plane_fits) labels.read_labels(t, whole, plane);
    for (const Block& b : blocks) {
      if (plane_fits)
        crop(plane, spatial, b.core, block_labels);
      else
        labels.read_labels(t, b.core, block_labels);
      Roi bbox;
      if (!label_bbox(block_labels, b.core.shape(), bbox)) continue;
      LabelledRegion r;
      r.t = t;
      r.core = bbox.shifted(b.core.start);
      r.first_row = set.y.size();
      crop(block_labels, b.core.shape(), bbox, core_labels);
      if (mask) mask->read_labels(t, r.core, core_mask);
      const Shape cs = r.core.shape();
      for (std::size_t p = 0; p < core_labels.size(); ++p) {
        const std::uint32_t l = core_labels[p];
        if (!l || (mask && !core_mask[p])) continue;
        if (l > n_classes)
          throw_input(labels.path(), "label value " + std::to_string(l) +
                                         " but the spec names only " + std::to_string(n_classes) +
                                         " classes");
        // Where the sample sits in its image (flat index over the spatial shape).
        std::size_t rem = p, flat = 0, stride = 1;
        for (std::size_t d = cs.size(); d-- > 0;) {
          flat += (r.core.start[d] + rem % cs[d]) * stride;
          rem /= cs[d];
          stride *= spatial[d];
        }
        r.pixels.push_back(std::uint32_t(p));
        set.positions.push_back({pair, t, flat});
        set.y.push_back(std::int32_t(l));
        ++set.label_counts[l - 1];
      }
      if (!r.pixels.empty()) regions.push_back(std::move(r));
    }
  }
  return regions;
}

// Raw data around some regions: the region grown by the halo, or a whole time point.
struct RawWindow {
  Roi outer;
  std::vector<float> data;  // channels last
};

// Where features are computed: a box of the image and the labelled pixels in it (their
// flat index in the box, row-major, and their training-set row).
struct Patch {
  std::size_t region = 0;  // index into the batch
  Roi core;                // image coordinates
  std::vector<std::pair<std::uint32_t, std::size_t>> pixels;
};

// A 2-D region is computed in bands of kPatchRows rows, each cut to the rows and columns its
// labels span and split where they leave more than kPatchGap columns unlabelled: scribbles
// are thin strokes, and the bounding box of a label block's strokes is mostly unlabelled
// (dsb2018: 1636 labelled pixels in 3 boxes of up to 219 x 223). A band costs its 2 x hf
// extra rows (the feature filters' radius, 2-4) and the pre-smoothing's column halo (up to
// 35 at scale 10), hence bands of 32 rows (as the feature stage's own slabs) and gaps of
// 64 columns. Features do not depend on the box they are computed in, so set.x is the one
// the whole boxes gave. 3-D regions are computed whole.
constexpr std::size_t kPatchRows = 32, kPatchGap = 64;

void add_patches(std::size_t index, const LabelledRegion& r, std::vector<Patch>& out) {
  const Shape cs = r.core.shape();
  const std::size_t n = r.pixels.size();
  if (cs.size() != 2) {
    Patch p{index, r.core, {}};
    for (std::size_t k = 0; k < n; ++k)
      p.pixels.emplace_back(r.pixels[k], r.first_row + k);
    out.push_back(std::move(p));
    return;
  }
  const std::size_t W = cs[1];
  std::vector<std::size_t> band;  // the band's pixels (indices into r.pixels) by column
  for (std::size_t k = 0; k < n;) {
    const std::size_t y_end = (r.pixels[k] / W / kPatchRows + 1) * kPatchRows;
    band.clear();
    for (; k < n && r.pixels[k] / W < y_end; ++k)
      band.push_back(k);
    std::stable_sort(band.begin(), band.end(), [&](std::size_t a, std::size_t b) {
      return r.pixels[a] % W < r.pixels[b] % W;
    });
    for (std::size_t g = 0; g < band.size();) {
      std::size_t e = g + 1;
      while (e < band.size() && r.pixels[band[e]] % W - r.pixels[band[e - 1]] % W <= kPatchGap)
        ++e;
      std::size_t y0 = SIZE_MAX, y1 = 0;
      for (std::size_t q = g; q < e; ++q) {
        y0 = std::min(y0, r.pixels[band[q]] / W);
        y1 = std::max(y1, r.pixels[band[q]] / W + 1);
      }
      const std::size_t x0 = r.pixels[band[g]] % W, x1 = r.pixels[band[e - 1]] % W + 1;
      Patch p{index,
              Roi{{r.core.start[0] + y0, r.core.start[1] + x0},
                  {r.core.start[0] + y1, r.core.start[1] + x1}},
              {}};
      for (std::size_t q = g; q < e; ++q) {
        const std::size_t k = band[q], y = r.pixels[k] / W, x = r.pixels[k] % W;
        p.pixels.emplace_back(std::uint32_t((y - y0) * (x1 - x0) + (x - x0)), r.first_row + k);
      }
      out.push_back(std::move(p));
      g = e;
    }
  }
}

// Pass 2, for a batch of regions: their features, written into their rows of set.x. With
// several patches per thread, one parallel loop over the patches, each computed by one
// thread (one coarse parallel region instead of one per patch: no idle-thread spinning
// between many small ones); else the threads share each patch (with only as many regions
// as threads, one thread often took the largest, and fresh memory of its own, while the
// other waited: dsb2018's 3 regions on 2 threads before patches, train 35.8 -> 33.0 ms
// shared). Features do not depend on the thread count or on the window, so set.x is the
// same either way.
void fill_feature_rows(const features::FeatureComputer& fc, const PixelSource& raw,
                       const std::vector<const LabelledRegion*>& regions,
                       const std::vector<const RawWindow*>& windows, const RunContext& ctx,
                       TrainingSet& set) {
  const std::size_t F = fc.n_channels();
  const int threads = std::max(1, ctx.threads);
  std::vector<Patch> patches;
  for (std::size_t i = 0; i < regions.size(); ++i)
    add_patches(i, *regions[i], patches);
  const bool per_patch = patches.size() >= 4 * std::size_t(threads);
  auto one = [&](const Patch& p, features::FeatureComputer::Workspace& ws, PlaneBuffer& buffer) {
    const RawWindow& w = *windows[p.region];
    Shape block_shape = w.outer.shape();
    block_shape.push_back(raw.channels());
    const std::size_t npix = p.core.size();
    float* planar = buffer.reserve(F * npix);
    fc.compute(w.data.data(), block_shape, p.core.relative_to(w.outer.start),
               features::BlockBorders::of(w.outer, raw.spatial_shape()), planar, ws);
    for (const auto& [at, row] : p.pixels) {
      float* x = set.x.data() + row * F;
      for (std::size_t f = 0; f < F; ++f)
        x[f] = planar[f * npix + at];
    }
  };
  if (!per_patch) {
    features::FeatureComputer::Workspace ws(threads);
    PlaneBuffer planar;
    for (const Patch& p : patches)
      one(p, ws, planar);
    return;
  }
  std::exception_ptr error;
#pragma omp parallel num_threads(threads)
  {
    features::FeatureComputer::Workspace ws(1);
    PlaneBuffer planar;
#pragma omp for schedule(dynamic, 1)
    for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(patches.size()); ++i) {
      if (ctx.cancelled()) continue;
      try {
        one(patches[std::size_t(i)], ws, planar);
      } catch (...) {
#pragma omp critical(bioforest_pixel_training_error)
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
  ctx.check_cancelled();
}

void gather_image(std::size_t pair, const PixelSource& raw, const CanonicalImage& labels,
                  const CanonicalImage* mask, const features::FeatureSelection& selection,
                  std::size_t n_classes, const RunContext& ctx, TrainingSet& set, bool first) {
  check_same_grid(raw, labels, "label image");
  if (mask) check_same_grid(raw, *mask, "prediction mask");
  if (first) {
    set.input_channels = raw.channels();
    set.spatial_rank = raw.spatial_rank();
  } else if (raw.channels() != set.input_channels || raw.spatial_rank() != set.spatial_rank) {
    throw_input(raw.path(), "has " + std::to_string(raw.channels()) + " channel(s) and " +
                                std::to_string(raw.spatial_rank()) +
                                " spatial axes, but the first training image has " +
                                std::to_string(set.input_channels) + " and " +
                                std::to_string(set.spatial_rank));
  }
  features::validate_for_shape(selection, raw.spatial_shape());
  const features::FeatureComputer fc(selection, raw.channels(), raw.spatial_rank());
  set.n_features = fc.n_channels();
  // A quarter of the budget for label planes and raw windows; the rest is the training set
  // and the forest's.
  const std::size_t budget = std::max<std::size_t>(ctx.ram_bytes / 4, 1);
  const std::vector<LabelledRegion> regions =
      find_labelled_regions(pair, labels, mask, n_classes, budget, set);
  set.x.resize(set.y.size() * set.n_features);

  // Pass 2 in batches whose raw windows fit the budget: a whole time point read once when
  // it fits and the regions' windows would cover at least half of it anyway (scribbles
  // spread over a 2-D image), else each region grown by the halo (a few strokes in a
  // large volume).
  const Shape& spatial = raw.spatial_shape();
  const Roi whole = Roi::whole(spatial);
  const std::size_t value_bytes = sizeof(float) * raw.channels();
  const Shape halo = fc.halo();
  std::vector<std::size_t> window_pixels(raw.t(), 0);
  for (const LabelledRegion& r : regions)
    window_pixels[r.t] += r.core.grow(halo, spatial).size();
  auto read_plane = [&](std::size_t t) {
    return whole.size() * value_bytes <= budget && 2 * window_pixels[t] >= whole.size();
  };
  std::vector<RawWindow> windows;
  std::vector<const LabelledRegion*> batch;
  std::vector<const RawWindow*> batch_windows;
  std::size_t done = 0;
  for (std::size_t i = 0; i < regions.size();) {
    ctx.progress("features at the labels", done, regions.size());
    windows.clear();
    batch.clear();
    batch_windows.clear();
    const std::size_t t = regions[i].t;
    if (read_plane(t)) {  // every region of time point t
      windows.resize(1);
      windows[0].outer = whole;
      raw.read_float(t, whole, windows[0].data);
      for (; i < regions.size() && regions[i].t == t; ++i)
        batch.push_back(&regions[i]);
      batch_windows.assign(batch.size(), &windows[0]);
    } else {  // consecutive regions until their windows fill the budget (at least one)
      std::size_t bytes = 0, j = i;
      for (; j < regions.size(); ++j) {
        const std::size_t b = regions[j].core.grow(halo, spatial).size() * value_bytes;
        if (j > i && bytes + b > budget) break;
        bytes += b;
      }
      windows.resize(j - i);  // no reallocation below: batch_windows points into it
      for (std::size_t k = 0; i < j; ++i, ++k) {
        windows[k].outer = regions[i].core.grow(halo, spatial);
        raw.read_float(regions[i].t, windows[k].outer, windows[k].data);
        batch.push_back(&regions[i]);
        batch_windows.push_back(&windows[k]);
      }
    }
    fill_feature_rows(fc, raw, batch, batch_windows, ctx, set);
    done += batch.size();
  }
  ctx.progress("features at the labels", done, regions.size());
}

}  // namespace

TrainingSet gather_training_pairs(const std::vector<TrainingPair>& pairs,
                                  const features::FeatureSelection& selection,
                                  std::size_t n_classes, const RunContext& ctx) {
  TrainingSet set;
  set.label_counts.assign(n_classes, 0);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& p = pairs[i];
    with_context("reading training image " + p.raw->path(), [&] {
      gather_image(i, *p.raw, *p.labels, p.mask.get(), selection, n_classes, ctx, set, i == 0);
    });
  }
  return set;
}

std::vector<TrainingPair> open_training_pairs(const PixelClassificationSpec& spec) {
  std::vector<TrainingPair> pairs;
  for (const auto& ti : spec.training) {
    io::ReadOptions raw_opts, label_opts;
    raw_opts.axes = ti.input_axes;
    label_opts.axes = ti.label_axes;
    TrainingPair p;
    p.raw = std::make_shared<CanonicalImage>(ti.image, raw_opts);
    p.labels = std::make_shared<CanonicalImage>(ti.labels, label_opts);
    if (!ti.prediction_mask.empty())
      p.mask = std::make_shared<CanonicalImage>(ti.prediction_mask, io::ReadOptions{});
    pairs.push_back(std::move(p));
  }
  return pairs;
}

TrainingSet gather_training_set(const PixelClassificationSpec& spec, const RunContext& ctx) {
  TrainingSet set =
      gather_training_pairs(with_context("opening the training images of " + spec.file,
                                         [&] { return open_training_pairs(spec); }),
                            spec.features, spec.classes.size(), ctx);
  if (set.y.empty())
    throw Error(ErrorCategory::usage,
                "no labelled pixels in any label image (0 = unlabelled, 1.." +
                    std::to_string(spec.classes.size()) + " = classes)",
                spec.file);
  return set;
}

PixelModel train_on_set(const TrainingSet& set, const PixelClassificationSpec& spec,
                        const RunContext& ctx) {
  PixelModel m;
  m.classes = spec.classes;
  m.features = spec.features;
  m.input_channels = set.input_channels;
  m.spatial_rank = set.spatial_rank;
  m.feature_names =
      features::feature_channel_names(spec.features, set.input_channels, set.spatial_rank == 3);
  m.spec_json = spec.document.dump(2);
  m.spec_file = spec.file;
  m.label_counts = set.label_counts;
  m.training_digest = training_data_digest(set.x, set.y);
  std::vector<std::int32_t> classes(spec.classes.size());
  for (std::size_t k = 0; k < classes.size(); ++k)
    classes[k] = std::int32_t(k + 1);
  ctx.progress("training the forest", 0, 1);
  m.forest = learn::ClassificationForest::train(
      learn::FeatureView::sample_major(set.x.data(), set.n_samples(), set.n_features), set.y,
      spec.forest, ctx, classes);
  m.forest.set_feature_names(m.feature_names);
  ctx.progress("training the forest", 1, 1);
  return m;
}

PixelModel train_pixel_classifier(const PixelClassificationSpec& spec, const RunContext& ctx) {
  const TrainingSet set = gather_training_set(spec, ctx);
  logger().info("{} labelled pixels, {} features", set.n_samples(), set.n_features);
  return train_on_set(set, spec, ctx);
}

}  // namespace bioforest::workflows
