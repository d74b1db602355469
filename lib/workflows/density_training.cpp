// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/density_training.hpp"

#include <algorithm>
#include <functional>

#include "bioforest/core/blocking.hpp"
#include "bioforest/core/digest.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/core/text.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/features/smoothing.hpp"
#include "bioforest/io/image_path.hpp"
#include "bioforest/workflows/canonical_image.hpp"
#include "bioforest/workflows/density_input.hpp"
#include "bioforest/workflows/density_linear.hpp"
#include "bioforest/workflows/density_prediction.hpp"
#include "bioforest/workflows/density_refine.hpp"
#include "bioforest/workflows/density_target.hpp"

namespace bioforest::workflows {

namespace {

// Feature blocks as in pixel training (256^2 / 64^3): big enough that the halo costs
// little, small enough that a block's planar features stay in a few MB.
Shape training_block_shape(int rank) {
  return rank == 3 ? Shape{64, 64, 64} : Shape{256, 256};
}

// One training image with its annotations, opened.
struct AnnotatedImage {
  std::unique_ptr<CanonicalImage> raw, background, labels;
  std::vector<Dot> dots;
};

bool is_csv(const std::string& path) {
  const std::string f = to_lower(io::parse_image_path(path).file);
  return f.ends_with(".csv") || f.ends_with(".txt");
}

AnnotatedImage open_annotated(const DensityTrainingImage& ti) {
  io::ReadOptions raw_opts, label_opts;
  raw_opts.axes = ti.input_axes;
  label_opts.axes = ti.label_axes;
  AnnotatedImage a;
  a.raw = std::make_unique<CanonicalImage>(ti.image, raw_opts);
  if (!ti.labels.empty()) {
    a.labels = std::make_unique<CanonicalImage>(ti.labels, label_opts);
    check_same_grid(*a.raw, *a.labels, "label image");
    a.dots = read_dots_image(*a.labels, 1);
  }
  if (!ti.dots.empty()) {
    std::vector<Dot> more;
    if (is_csv(ti.dots)) {
      more = read_dots_csv(ti.dots, *a.raw);
    } else {
      const CanonicalImage dots(ti.dots, label_opts);
      check_same_grid(*a.raw, dots, "dot image");
      more = read_dots_image(dots);
    }
    a.dots.insert(a.dots.end(), more.begin(), more.end());
  }
  if (!ti.background.empty()) {
    a.background = std::make_unique<CanonicalImage>(ti.background, label_opts);
    check_same_grid(*a.raw, *a.background, "background image");
  }
  return a;
}

// Background strokes of time point t over the whole image: labels == 2, or any non-zero
// pixel of the background image.
void background_mask(const AnnotatedImage& a, std::size_t t, std::vector<std::uint8_t>& out) {
  const Roi whole = Roi::whole(a.raw->spatial_shape());
  out.assign(whole.size(), 0);
  std::vector<float> data;
  if (a.labels) {
    a.labels->read_float(t, whole, data);
    const std::size_t c = a.labels->channels();
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = data[i * c] == 2.0f;
  }
  if (a.background) {
    a.background->read_float(t, whole, data);
    const std::size_t c = a.background->channels();
    for (std::size_t i = 0; i < out.size(); ++i)
      for (std::size_t k = 0; k < c; ++k)
        if (data[i * c + k] != 0.0f) out[i] = 1;
  }
}

// Copies block-local values of the spatial region `core` out of a whole-image array.
template <class T>
void gather_core(const std::vector<T>& whole, const Shape& shape, const Roi& core,
                 std::vector<T>& out) {
  out.resize(core.size());
  const std::size_t row = core.shape().back();
  std::size_t k = 0;
  for_each_row(shape, core, [&](std::size_t off) {
    std::copy_n(whole.begin() + std::ptrdiff_t(off), row, out.begin() + std::ptrdiff_t(k));
    k += row;
  });
}

// A uniform draw in [0, 1) fixed by (seed, image, t, pixel): the kept pixels do not depend
// on the block layout or the thread count.
double pixel_draw(std::uint64_t seed, std::uint64_t image, std::uint64_t t, std::uint64_t pixel) {
  auto mix = [](std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  const std::uint64_t h =
      mix(mix(mix(seed + 0x9e3779b97f4a7c15ULL) ^ image) ^ (t * 0x9e3779b97f4a7c15ULL) ^ pixel);
  return double(h >> 11) * 0x1.0p-53;
}

// Marks which pixels of a block's core are samples: the sampling mode, then the random
// pixel fraction. Returns how many.
std::size_t mark_samples(const DensitySpec& spec, std::size_t image, std::size_t t,
                         const Shape& shape, const Roi& core, const std::vector<float>& density,
                         const std::vector<std::uint8_t>& background,
                         std::vector<std::uint8_t>& keep) {
  keep.assign(core.size(), 0);
  std::size_t k = 0, wanted = 0;
  const std::size_t row = core.shape().back();
  for_each_row(shape, core, [&](std::size_t off) {
    for (std::size_t i = 0; i < row; ++i, ++k) {
      bool use = density_sampled(spec.sampling, density[k], background[k]);
      if (use && spec.pixel_fraction < 1.0)
        use = pixel_draw(spec.forest.seed, image, t, off + i) < spec.pixel_fraction;
      keep[k] = use;
      wanted += use;
    }
  });
  return wanted;
}

void check_consistent(const CanonicalImage& raw, DensityTrainingSet& set, bool first) {
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
}

void gather_image(const AnnotatedImage& a, std::size_t index, const DensitySpec& spec,
                  const RunContext& ctx, DensityTrainingSet& set) {
  const bool first = index == 0;
  const CanonicalImage& raw = *a.raw;
  check_consistent(raw, set, first);
  const DensityFeatureStack stack(spec.features, spec.channels, spec.feature_groups, raw,
                                  spec.background, ctx.threads);
  const std::size_t F = stack.n_features();
  set.n_features = F;
  set.n_dots += a.dots.size();
  features::FeatureComputer::Workspace ws(ctx.threads);
  const Shape& shape = raw.spatial_shape();
  const auto blocks =
      make_blocks(shape, training_block_shape(raw.spatial_rank()), Shape(shape.size(), 0));
  std::vector<float> density, core_density, scratch, data, planar;
  std::vector<std::uint8_t> background, core_background, keep;
  for (std::size_t t = 0; t < raw.t(); ++t) {
    dot_density(a.dots, t, shape, spec.sigma, density);
    background_mask(a, t, background);
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      ctx.progress("features of " + raw.path(), t * blocks.size() + b + 1, raw.t() * blocks.size());
      const Roi& core = blocks[b].core;
      gather_core(density, shape, core, core_density);
      gather_core(background, shape, core, core_background);
      const std::size_t n = core.size();
      const std::size_t wanted =
          mark_samples(spec, index, t, shape, core, core_density, core_background, keep);
      if (!wanted) continue;
      planar.resize(F * n);
      stack.compute(t, core, planar.data(), ws, scratch, data);
      const std::size_t row0 = set.y.size();
      set.x.resize((row0 + wanted) * F);
      set.y.resize(row0 + wanted);
      set.image.resize(row0 + wanted);
      set.pixel.resize(row0 + wanted);
      std::size_t r = row0;
      const std::size_t row_len = core.shape().back(), plane = Roi::whole(shape).size();
      std::vector<std::uint64_t> offs;
      offs.reserve(n);
      for_each_row(shape, core, [&](std::size_t off) {
        for (std::size_t i = 0; i < row_len; ++i)
          offs.push_back(off + i);
      });
      for (std::size_t i = 0; i < n; ++i) {
        if (!keep[i]) continue;
        set.image[r] = std::uint32_t(index);
        set.pixel[r] = std::uint64_t(t) * plane + offs[i];
        float* row = &set.x[r * F];
        for (std::size_t f = 0; f < F; ++f)
          row[f] = planar[f * n + i];
        set.y[r++] = core_density[i];
        set.target_sum += core_density[i];
        set.n_background += core_background[i];
      }
    }
  }
}

// The density of every time point of `raw`, whole planes one after the other (t-major).
void whole_density_map(const DensityModel& m, const CanonicalImage& raw, const RunContext& ctx,
                       std::vector<float>& map) {
  const Shape& shape = raw.spatial_shape();
  const Roi whole = Roi::whole(shape);
  const std::size_t plane = whole.size();
  map.assign(plane * raw.t(), 0.0f);
  density_blocks(
      m, raw, 0, raw.t(), whole,
      [&](std::size_t t, const Roi& core, const float* d) {
        const std::size_t row = core.shape().back();
        std::size_t k = 0;
        for_each_row(shape, core, [&](std::size_t off) {
          std::copy_n(d + k, row, &map[t * plane + off]);
          k += row;
        });
      },
      ctx);
}

// Out-of-fold densities of the training images: k stage-1 forests, each trained on the
// samples of the images outside one fold, predict the images of that fold (whole images,
// block by block, as `density predict` would). visit(i, raw, map) gets each image's density,
// time point after time point.
using OutOfFoldVisit =
    std::function<void(std::size_t, const CanonicalImage&, const std::vector<float>&)>;

void out_of_fold_densities(const DensityTrainingSet& set, const DensitySpec& spec,
                           const learn::ForestOptions& stage1, const DensityModel& m, std::size_t k,
                           const RunContext& ctx, const OutOfFoldVisit& visit) {
  const std::size_t n_img = spec.training.size();
  const std::vector<std::size_t> folds = density_image_folds(n_img, k, stage1.seed);
  const std::size_t F = set.n_features, N = set.n_samples();
  std::vector<bool> has_rows(n_img, false);
  for (std::size_t r = 0; r < N; ++r)
    has_rows[set.image[r]] = true;
  std::vector<float> sub_x, sub_y, map;
  for (std::size_t f = 0; f < k; ++f) {
    sub_x.clear();
    sub_y.clear();
    for (std::size_t r = 0; r < N; ++r)
      if (folds[set.image[r]] != f) {
        sub_x.insert(sub_x.end(), &set.x[r * F], &set.x[r * F] + F);
        sub_y.push_back(set.y[r]);
      }
    DensityModel fm;
    fm.features = m.features;
    fm.input_channels = m.input_channels;
    fm.channels = m.channels;
    fm.feature_groups = m.feature_groups;
    fm.background = m.background;
    fm.spatial_rank = m.spatial_rank;
    if (sub_y.empty()) {
      fm.forest = m.forest;  // the other images have no samples: nothing held out to learn
    } else {
      learn::ForestOptions o = resolve_forest(spec, sub_y.size(), F);
      o.seed = stage1.seed + 1000 * (f + 1);
      ctx.progress("training out-of-fold forest", f, k);
      fm.forest = learn::RegressionForest::train(
          learn::FeatureView::sample_major(sub_x.data(), sub_y.size(), F), sub_y, o, ctx);
    }
    for (std::size_t i = 0; i < n_img; ++i) {
      if (folds[i] != f || !has_rows[i]) continue;
      io::ReadOptions ro;
      ro.axes = spec.training[i].input_axes;
      const CanonicalImage raw(spec.training[i].image, ro);
      whole_density_map(fm, raw, ctx, map);
      visit(i, raw, map);
    }
  }
}

// The stacked refinement: stage 2 learns from the features plus the out-of-fold densities
// smoothed at the refine scales.
void train_stacked(const DensityTrainingSet& set, const DensitySpec& spec,
                   const learn::ForestOptions& stage1, DensityModel& m, const RunContext& ctx) {
  const std::size_t k = std::min<std::size_t>(spec.refine_folds, spec.training.size());
  const std::size_t F = set.n_features, S = spec.refine_scales.size(), F2 = F + S;
  const std::size_t N = set.n_samples();
  std::vector<std::vector<std::size_t>> rows_of(spec.training.size());
  for (std::size_t r = 0; r < N; ++r)
    rows_of[set.image[r]].push_back(r);
  std::vector<float> x2(N * F2, 0.0f);
  for (std::size_t r = 0; r < N; ++r)
    std::copy_n(&set.x[r * F], F, &x2[r * F2]);
  std::vector<float> smooth;
  out_of_fold_densities(
      set, spec, stage1, m, k, ctx,
      [&](std::size_t i, const CanonicalImage& raw, const std::vector<float>& map) {
        const Shape& shape = raw.spatial_shape();
        const std::size_t plane = Roi::whole(shape).size();
        smooth.resize(plane);
        for (std::size_t s = 0; s < S; ++s)
          for (std::size_t t = 0; t < raw.t(); ++t) {
            features::smooth_normalized(&map[t * plane], shape, spec.refine_scales[s],
                                        smooth.data());
            for (std::size_t r : rows_of[i])
              if (set.pixel[r] / plane == t) x2[r * F2 + F + s] = smooth[set.pixel[r] % plane];
          }
      });
  learn::ForestOptions o2 = resolve_forest(spec, N, F2);
  o2.seed = stage1.seed ^ 0x5eed5eedULL;
  if (spec.refine_min_samples_leaf > 0) o2.min_samples_leaf = spec.refine_min_samples_leaf;
  ctx.progress("training the stacked forest", 0, 1);
  m.refine_forest = learn::RegressionForest::train(
      learn::FeatureView::sample_major(x2.data(), N, F2), set.y, o2, ctx);
  std::vector<std::string> names = m.feature_names;
  for (auto& n : refine_feature_names(spec.refine_scales))
    names.push_back(n);
  m.refine_forest.set_feature_names(names);
  m.refine = "stacked";
  m.refine_scales = spec.refine_scales;
  m.refine_folds = k;
  ctx.progress("training the stacked forest", 1, 1);
}

// Adds the annotated boxes of every box image to `fit`: the image's density from the forest
// trained on all dotted images (which never saw it), the terms' sums over each box against
// the box's count, weighted so that a box counts as much as the tiles it covers would.
void add_box_annotations(const DensitySpec& spec, const DensityModel& m, LinearDensityFit& fit,
                         const RunContext& ctx) {
  std::vector<float> map, terms;
  std::vector<double> sums(1 + spec.linear_scales.size());
  for (const auto& bi : spec.box_annotations) {
    const std::vector<CountBox> boxes = read_count_boxes(bi.boxes);
    for (const auto& b : boxes)
      if (!b.count)
        throw Error(ErrorCategory::usage, "box '" + b.name + "' has no \"count\"", bi.boxes);
    io::ReadOptions ro;
    ro.axes = bi.input_axes;
    const CanonicalImage raw(bi.image, ro);
    check_boxes_fit(boxes, raw);
    const Shape& shape = raw.spatial_shape();
    const std::size_t plane = Roi::whole(shape).size();
    with_context("predicting box image " + bi.image, [&] { whole_density_map(m, raw, ctx, map); });
    const double tile_volume = std::pow(double(spec.linear_tile), double(shape.size()));
    for (std::size_t t = 0; t < raw.t(); ++t) {
      linear_density_terms(&map[t * plane], shape, spec.linear_scales, terms);
      for (const auto& b : boxes) {
        if (b.t && *b.t != t) continue;
        region_term_sums(terms.data(), sums.size(), shape, b.roi, sums.data());
        // A box over every time point holds `count` objects in all of them together: its
        // share per time point is unknown, so it is fitted per time point as count / T.
        const double count = b.t ? *b.count : *b.count / double(raw.t());
        fit.add_region(sums.data(), count, std::min(1.0, tile_volume / double(b.roi.size())));
      }
    }
  }
}

// The linear density: its weights fitted to the tile counts of the training images, on the
// terms of their out-of-fold forest densities (with `tiles`: at least 2 images), and to the
// counts of the annotated boxes.
void train_linear(const DensityTrainingSet& set, const DensitySpec& spec,
                  const learn::ForestOptions& stage1, bool tiles, DensityModel& m,
                  const RunContext& ctx) {
  const std::size_t k = std::min<std::size_t>(spec.refine_folds, spec.training.size());
  LinearDensityFit fit(1 + spec.linear_scales.size());
  std::vector<float> terms, target;
  if (tiles)
    out_of_fold_densities(
        set, spec, stage1, m, k, ctx,
        [&](std::size_t i, const CanonicalImage& raw, const std::vector<float>& map) {
          const AnnotatedImage a = open_annotated(spec.training[i]);
          const Shape& shape = raw.spatial_shape();
          const std::size_t plane = Roi::whole(shape).size();
          for (std::size_t t = 0; t < raw.t(); ++t) {
            dot_density(a.dots, t, shape, spec.sigma, target);
            linear_density_terms(&map[t * plane], shape, spec.linear_scales, terms);
            fit.add(terms.data(), target.data(), shape, spec.linear_tile);
          }
        });
  add_box_annotations(spec, m, fit, ctx);
  m.refine_weights = fit.solve();
  m.refine = "linear";
  m.refine_scales = spec.linear_scales;
  m.refine_folds = tiles ? k : 0;
  m.refine_boxes = fit.n_regions();
  std::string w;
  for (double v : m.refine_weights)
    w += " " + std::to_string(v);
  logger().info("linear density on {} tiles and {} boxes: weights{}", fit.n_tiles(),
                fit.n_regions(), w);
}

}  // namespace

DensityTrainingSet gather_density_training_set(const DensitySpec& spec, const RunContext& ctx) {
  DensityTrainingSet set;
  for (std::size_t i = 0; i < spec.training.size(); ++i) {
    const auto& ti = spec.training[i];
    with_context("reading training image " + ti.image, [&] {
      const AnnotatedImage a = open_annotated(ti);
      gather_image(a, i, spec, ctx, set);
    });
  }
  if (set.y.empty())
    throw Error(ErrorCategory::usage,
                "no training pixels: no dots and no background strokes in any training image",
                spec.file);
  return set;
}

DensityModel train_density_on_set(const DensityTrainingSet& set, const DensitySpec& spec,
                                  const RunContext& ctx) {
  DensityModel m;
  m.features = spec.features;
  m.input_channels = set.input_channels;
  m.channels = spec.channels;
  m.feature_groups = spec.feature_groups;
  m.spatial_rank = set.spatial_rank;
  m.sigma = spec.sigma;
  m.background = spec.background;
  m.sampling = std::string(sampling_name(spec.sampling));
  m.feature_names = density_feature_names(
      spec.features, spec.channels.empty() ? set.input_channels : spec.channels.size(),
      spec.feature_groups, set.spatial_rank == 3);
  m.spec_json = spec.document.dump(2);
  m.spec_file = spec.file;
  m.n_samples = set.n_samples();
  m.n_dots = set.n_dots;
  m.n_background = set.n_background;
  m.training_digest = training_data_digest(set.x, set.y);
  const learn::ForestOptions options = resolve_forest(spec, set.n_samples(), set.n_features);
  ctx.progress("training the regression forest", 0, 1);
  m.forest = learn::RegressionForest::train(
      learn::FeatureView::sample_major(set.x.data(), set.n_samples(), set.n_features), set.y,
      options, ctx);
  m.forest.set_feature_names(m.feature_names);
  ctx.progress("training the regression forest", 1, 1);
  if (spec.refine == "stacked" || spec.refine == "linear") {
    const bool held_out = spec.training.size() >= 2 && set.image.size() == set.n_samples();
    if (!held_out && !(spec.refine == "linear" && !spec.box_annotations.empty()))
      logger().warn(
          "'refine': '{}' needs at least 2 training images to hold one out; "
          "trained without the refinement",
          spec.refine);
    else if (spec.refine == "stacked")
      train_stacked(set, spec, options, m, ctx);
    else
      train_linear(set, spec, options, held_out, m, ctx);
  }
  return m;
}

DensityModel train_density(const DensitySpec& spec, const RunContext& ctx) {
  const DensityTrainingSet set = gather_density_training_set(spec, ctx);
  logger().info("{} training pixels ({} dots, {} background), {} features", set.n_samples(),
                set.n_dots, set.n_background, set.n_features);
  return train_density_on_set(set, spec, ctx);
}

}  // namespace bioforest::workflows
