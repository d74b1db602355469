// SPDX-License-Identifier: BSD-3-Clause
// The feature pipeline of one block: per input channel and scale column, gather the input
// with mirror padding at true image borders, pre-smooth it (ilastik scheme), then run the
// small feature filters tile by tile (tiles stay in L2) and write channel-planar output.
#include "bioforest/features/compute.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "bioforest/core/blocking.hpp"
#include "bioforest/core/error.hpp"
#include "presmooth.hpp"
#include "scale_plan.hpp"
#include "simd.hpp"
#include "view.hpp"

namespace bioforest::features {

// ---------------------------------------------------------------- borders

BlockBorders BlockBorders::of(const Roi& outer, const Shape& image_shape) {
  BIOFOREST_CHECK(outer.rank() == image_shape.size() && outer.rank() >= 2 && outer.rank() <= 3,
                  "BlockBorders::of: rank");
  BlockBorders b;
  const std::size_t off = 3 - outer.rank();
  for (std::size_t a = 0; a < outer.rank(); ++a) {
    b.lo[a + off] = outer.start[a] == 0;
    b.hi[a + off] = outer.stop[a] == image_shape[a];
  }
  return b;
}

// ---------------------------------------------------------------- workspace

// Scratch of one OpenMP thread: the pre-smoothed slab, its pass buffers, tile scratch.
struct alignas(128) ThreadScratch {  // own cache lines: no false sharing of arena counters
  Arena arena;
  SlabScratch slab;
  hwy::AlignedFreeUniquePtr<float[]> p;
  std::size_t pcap = 0;
  float* slab_buffer(std::size_t n) {
    if (pcap < n) {
      p = hwy::AllocateAligned<float>(n);
      pcap = n;
    }
    return p.get();
  }
};

struct FeatureComputer::Workspace::Impl {
  int threads = 1;
  std::vector<ThreadScratch> scratch;         // one per OpenMP thread
  hwy::AlignedFreeUniquePtr<float[]> planes;  // input channels de-interleaved (C > 1)
  std::size_t planes_cap = 0;

  float* plane_buffer(std::size_t n) {
    if (planes_cap < n) {
      planes = hwy::AllocateAligned<float>(n);
      planes_cap = n;
    }
    return planes.get();
  }
};

FeatureComputer::Workspace::Workspace(int threads) : impl_(std::make_unique<Impl>()) {
  impl_->threads = std::max(1, threads);
  impl_->scratch.resize(impl_->threads);
}
FeatureComputer::Workspace::~Workspace() = default;
FeatureComputer::Workspace::Workspace(Workspace&&) noexcept = default;
FeatureComputer::Workspace& FeatureComputer::Workspace::operator=(Workspace&&) noexcept = default;
int FeatureComputer::Workspace::threads() const noexcept {
  return impl_->threads;
}

// ---------------------------------------------------------------- plan

namespace {

struct Column {
  std::size_t index = 0;  // scale column in the selection
  ScalePlan plan;
  bool in2d = false;  // filter slice-wise along z (or the image is 2-D)
  int rp = 0;         // pre-smoothing radius
  int hf = 0;         // feature filters' radius
  // per family: first output channel, or -1 when not selected at this scale
  std::array<long, kFamilyCount> out_base{};
  std::vector<FeatureFamily> families;
};

// Slab thickness along the split axis (y for images, z for volumes): a 2-D slab of rows and
// its pre-smoothing buffers stay in L2. A 3-D slab is two tiles deep: every slab pre-smooths
// the feature filters' halo (2 hf planes) again, which at 8 planes cost 1.5-1.75x the
// pre-smoothing work; 16 planes took the 3-D set from 2.33-2.38 to 2.23-2.28 CPU s (32:
// 2.14-2.23 s for twice the scratch).
constexpr int kSlab2d = 32;
constexpr int kSlab3d = 16;
constexpr int kTile3d = 8;  // tile depth of a 3-D slab

struct Geometry {
  std::array<int, 3> B{1, 1, 1};                // block extent (z, y, x)
  std::array<int, 3> c0{0, 0, 0}, c1{1, 1, 1};  // core in block
  BlockBorders borders;
  int C = 1;                  // channels (interleaved, last)
  std::size_t out_plane = 0;  // floats between output channels (>= the core's size)
  std::array<int, 3> core() const { return {c1[0] - c0[0], c1[1] - c0[1], c1[2] - c0[2]}; }
};

struct Derivs {
  // Results of derivative combos over a tile: index oz*9 + oy*3 + ox.
  std::array<View, 27> d{};
  View& at(int oz, int oy, int ox) { return d[oz * 9 + oy * 3 + ox]; }
};

struct Combo {
  int oz, oy, ox;
};

// Separable Gaussian-derivative combos over a region of shape (nz, ny, nx) from `src`
// covering it grown by the kernels' radius on the active axes. Intermediate x- and y-pass
// results are shared between combos (e.g. the Hessian's six entries need 3 + 6 + 10 passes
// in 3-D instead of 18).
void derivatives(const View& src, int nz, int ny, int nx, bool zact, const Kernel* const k[3],
                 const std::vector<Combo>& need, Derivs& out, Arena& arena) {
  const int r = k[0]->radius;
  const int nzs = zact ? nz + 2 * r : nz;
  View X[3];
  bool hasx[3] = {false, false, false};
  for (const Combo& c : need)
    hasx[c.ox] = true;
  // Each pass runs the kernels that share its input together (the input is loaded once).
  View outs[3];
  const Kernel* ks[3];
  int count = 0;
  for (int o = 0; o < 3; ++o) {
    if (!hasx[o]) continue;
    X[o] = arena.vol(nzs, ny + 2 * r, nx);
    outs[count] = X[o];
    ks[count++] = k[o];
  }
  separable_pass_multi(src, outs, ks, count, 2);
  View Y[3][3];
  for (int ox = 0; ox < 3; ++ox) {
    count = 0;
    for (const Combo& c : need) {
      if (c.ox != ox || Y[c.oy][ox].p) continue;
      Y[c.oy][ox] = arena.vol(nzs, ny, nx);
      outs[count] = Y[c.oy][ox];
      ks[count++] = k[c.oy];
    }
    if (count > 0) separable_pass_multi(X[ox], outs, ks, count, 1);
  }
  if (!zact) {
    for (const Combo& c : need)
      out.at(0, c.oy, c.ox) = Y[c.oy][c.ox];
    return;
  }
  for (int oyx = 0; oyx < 9; ++oyx) {
    const int oy = oyx / 3, ox = oyx % 3;
    count = 0;
    for (const Combo& c : need) {
      if (c.oy != oy || c.ox != ox) continue;
      View& o = out.at(c.oz, oy, ox);
      if (o.p) continue;
      o = arena.vol(nz, ny, nx);
      outs[count] = o;
      ks[count++] = k[c.oz];
    }
    if (count > 0) separable_pass_multi(Y[oy][ox], outs, ks, count, 0);
  }
}

// Applies f(row pointers..., n) to every row of equally shaped views.
template <class F, class... V>
void rows(F&& f, const View& shape, const V&... views) {
  for (int z = 0; z < shape.nz; ++z)
    for (int y = 0; y < shape.ny; ++y)
      f(views.row(z, y)..., std::size_t(shape.nx));
}

// Overwrites the part of `v` that lies beyond a true image border with the mirror image of
// the inside (vigra reflects every filter's input; the structure tensor's products are the
// one intermediate whose outside values are not already mirrored by construction).
// `origin`: block coordinate of v's first element per axis.
void reflect_outside(const View& v, const std::array<int, 3>& origin, const Geometry& g,
                     const std::array<bool, 3>& active) {
  const int n[3] = {v.nz, v.ny, v.nx};
  for (int a = 2; a >= 0; --a) {
    if (!active[a]) continue;
    for (int i = 0; i < n[a]; ++i) {
      const int b = origin[a] + i;
      if ((b >= 0 || !g.borders.lo[a]) && (b < g.B[a] || !g.borders.hi[a])) continue;
      if (b >= 0 && b < g.B[a]) continue;
      const int src = mirror(b, g.B[a]) - origin[a];
      BIOFOREST_CHECK(src >= 0 && src < n[a], "reflect_outside: block too small");
      if (a == 2) {
        for (int z = 0; z < v.nz; ++z)
          for (int y = 0; y < v.ny; ++y)
            v.row(z, y)[i] = v.row(z, y)[src];
      } else if (a == 1) {
        for (int z = 0; z < v.nz; ++z)
          std::memcpy(v.row(z, i), v.row(z, src), sizeof(float) * v.nx);
      } else {
        for (int y = 0; y < v.ny; ++y)
          std::memcpy(v.row(i, y), v.row(src, y), sizeof(float) * v.nx);
      }
    }
  }
}

}  // namespace

// ---------------------------------------------------------------- computer

struct FeatureComputer::Impl {
  FeatureSelection sel;
  std::size_t channels = 1;
  int rank = 2;
  std::size_t n_out = 0;
  std::vector<std::string> names;
  std::vector<Column> columns;
  Shape halo;

  void run_slab(const Column& col, const PlaneSource& src, int ch, int s0, int sn,
                const Geometry& g, float* out, ThreadScratch& ts) const;
  void feature_tile(const Column& col, const View& P, const std::array<int, 3>& p_origin,
                    const std::array<int, 3>& t0, const std::array<int, 3>& tn, int ch,
                    const Geometry& g, float* out, Arena& arena) const;
};

FeatureComputer::FeatureComputer(FeatureSelection sel, std::size_t input_channels, int spatial_rank)
    : impl_(std::make_unique<Impl>()) {
  validate(sel);
  BIOFOREST_CHECK(spatial_rank == 2 || spatial_rank == 3, "FeatureComputer: spatial rank 2 or 3");
  BIOFOREST_CHECK(input_channels >= 1, "FeatureComputer: at least one input channel");
  Impl& m = *impl_;
  m.sel = std::move(sel);
  m.channels = input_channels;
  m.rank = spatial_rank;
  const bool in_3d = spatial_rank == 3;
  m.names = feature_channel_names(m.sel, input_channels, in_3d);
  m.n_out = m.names.size();
  m.halo = feature_halo(m.sel, in_3d);
  // Output channel bases: rows -> columns -> input channel -> eigenvalue index.
  std::vector<std::vector<long>> base(m.sel.families.size(),
                                      std::vector<long>(m.sel.scales.size(), -1));
  long next = 0;
  for (std::size_t r = 0; r < m.sel.families.size(); ++r)
    for (std::size_t c = 0; c < m.sel.scales.size(); ++c) {
      if (!m.sel.matrix[r][c]) continue;
      base[r][c] = next;
      const bool col2d = m.sel.column_in_2d(c, in_3d) || !in_3d;
      next += long(input_channels) * (family_is_eigen(m.sel.families[r]) ? (col2d ? 2 : 3) : 1);
    }
  BIOFOREST_CHECK(std::size_t(next) == m.n_out, "channel count");
  for (std::size_t c = 0; c < m.sel.scales.size(); ++c) {
    Column col;
    col.index = c;
    col.out_base.fill(-1);
    for (std::size_t r = 0; r < m.sel.families.size(); ++r) {
      if (!m.sel.matrix[r][c]) continue;
      col.families.push_back(m.sel.families[r]);
      col.out_base[static_cast<int>(m.sel.families[r])] = base[r][c];
    }
    if (col.families.empty()) continue;
    col.plan = make_scale_plan(m.sel.scheme, m.sel.scales[c]);
    // ilastik's automatic 2-D fallback (ceil(2 sigma_f) + 1 > z) can only trigger when the
    // scale is already too large for z (validate_for_shape), so 2-D here means: the column
    // asks for it, or the image is 2-D.
    col.in2d = !in_3d || m.sel.column_in_2d(c, in_3d);
    col.rp = col.plan.presmooth_radius();
    col.hf = col.plan.feature_radius(col.families);
    m.columns.push_back(std::move(col));
  }
}

FeatureComputer::~FeatureComputer() = default;
FeatureComputer::FeatureComputer(FeatureComputer&&) noexcept = default;

const FeatureSelection& FeatureComputer::selection() const noexcept {
  return impl_->sel;
}
std::size_t FeatureComputer::input_channels() const noexcept {
  return impl_->channels;
}
int FeatureComputer::spatial_rank() const noexcept {
  return impl_->rank;
}
std::size_t FeatureComputer::n_channels() const noexcept {
  return impl_->n_out;
}
const std::vector<std::string>& FeatureComputer::channel_names() const noexcept {
  return impl_->names;
}
Shape FeatureComputer::halo() const {
  return impl_->halo;
}

void FeatureComputer::compute(const float* block, const Shape& block_shape,
                              const Roi& core_in_block, const BlockBorders& borders,
                              float* out_planar, Workspace& ws,
                              std::size_t out_plane_stride) const {
  const Impl& m = *impl_;
  BIOFOREST_CHECK(block_shape.size() == std::size_t(m.rank) + 1 && block_shape.back() == m.channels,
                  "FeatureComputer::compute: block shape must be spatial + channels");
  BIOFOREST_CHECK(core_in_block.rank() == std::size_t(m.rank),
                  "FeatureComputer::compute: core rank");
  Geometry g;
  g.C = int(m.channels);
  g.borders = borders;
  const int off = 3 - m.rank;
  if (m.rank == 2) {
    g.borders.lo[0] = g.borders.hi[0] = true;
  }
  for (int a = 0; a < m.rank; ++a) {
    g.B[a + off] = int(block_shape[a]);
    g.c0[a + off] = int(core_in_block.start[a]);
    g.c1[a + off] = int(core_in_block.stop[a]);
    BIOFOREST_CHECK(
        core_in_block.stop[a] <= block_shape[a] && core_in_block.start[a] < core_in_block.stop[a],
        "FeatureComputer::compute: core outside the block");
  }
  g.out_plane = std::max(out_plane_stride, core_in_block.size());
  // Every non-border face needs the halo of real data.
  for (int a = 0; a < 3; ++a) {
    const int h = a < off ? 0 : int(m.halo[a - off]);
    BIOFOREST_CHECK(g.borders.lo[a] || g.c0[a] >= h,
                    "FeatureComputer::compute: block lacks the halo before the core");
    BIOFOREST_CHECK(g.borders.hi[a] || g.B[a] - g.c1[a] >= h,
                    "FeatureComputer::compute: block lacks the halo after the core");
  }
  Workspace::Impl& w = ws.impl();
  const int T = w.threads;
  // One source plane set per input channel: the block itself for one channel, else the
  // channels de-interleaved once (not once per scale).
  const std::size_t plane = std::size_t(g.B[0]) * g.B[1] * g.B[2];
  std::vector<PlaneSource> src(g.C);
  const float* planes = block;
  if (g.C > 1) {
    float* buf = w.plane_buffer(plane * g.C);
    const int C = g.C;
#pragma omp parallel for schedule(static) num_threads(T)
    for (long i = 0; i < long(plane); ++i)
      for (int c = 0; c < C; ++c)
        buf[std::size_t(c) * plane + i] = block[std::size_t(i) * C + c];
    planes = buf;
  }
  for (int c = 0; c < g.C; ++c) {
    src[c].base = planes + std::size_t(c) * plane;
    src[c].plane = std::ptrdiff_t(g.B[1]) * g.B[2];
    src[c].row_stride = g.B[2];
    src[c].B = g.B;
  }
  // Work items: (channel, column, slab along the slowest axis). The costly columns (large
  // pre-smoothing radius) go first so the dynamic schedule ends evenly; no barrier inside.
  const int sa = m.rank == 3 ? 0 : 1;
  const int slab = m.rank == 3 ? kSlab3d : kSlab2d;
  const int core_sa = g.core()[sa];
  const int nslabs = (core_sa + slab - 1) / slab;
  std::vector<const Column*> order;
  for (const Column& col : m.columns)
    order.push_back(&col);
  std::stable_sort(order.begin(), order.end(),
                   [](const Column* a, const Column* b) { return a->rp > b->rp; });
  const long items = long(g.C) * long(order.size()) * nslabs;
#pragma omp parallel for schedule(dynamic, 1) num_threads(T) if (items > 1)
  for (long it = 0; it < items; ++it) {
    const int s = int(it % nslabs);
    const long rest = it / nslabs;
    const Column& col = *order[rest % long(order.size())];
    const int ch = int(rest / long(order.size()));
    ThreadScratch& ts = w.scratch[omp_get_thread_num() % w.scratch.size()];
    m.run_slab(col, src[ch], ch, s * slab, std::min(slab, core_sa - s * slab), g, out_planar, ts);
  }
}

void FeatureComputer::Impl::run_slab(const Column& col, const PlaneSource& src, int ch, int s0,
                                     int sn, const Geometry& g, float* out,
                                     ThreadScratch& ts) const {
  const std::array<bool, 3> active{!col.in2d, true, true};
  const auto core = g.core();
  const int sa = rank == 3 ? 0 : 1;
  // P: the pre-smoothed slab grown by the feature filters' radius on active axes.
  std::array<int, 3> lo{}, n{}, p_origin{};
  for (int a = 0; a < 3; ++a) {
    const int h = active[a] ? col.hf : 0;
    lo[a] = a == sa ? s0 : 0;
    const int len = a == sa ? sn : core[a];
    p_origin[a] = g.c0[a] + lo[a] - h;
    n[a] = len + 2 * h;
  }
  if (rank == 2) n[0] = 1;
  const View P = View::compact(ts.slab_buffer(std::size_t(n[0]) * n[1] * n[2]), n[0], n[1], n[2]);
  presmooth_region(src, p_origin, active, col.plan.presmooth ? &col.plan.pre : nullptr, P, ts.slab);
  // Feature filters tile by tile: every intermediate of a tile stays in cache.
  const std::array<int, 3> tile =
      col.in2d ? std::array<int, 3>{1, kSlab2d, 256} : std::array<int, 3>{kTile3d, 8, 128};
  std::array<int, 3> hi{};
  for (int a = 0; a < 3; ++a)
    hi[a] = a == sa ? s0 + sn : core[a];
  for (int tz = lo[0]; tz < hi[0]; tz += tile[0])
    for (int ty = lo[1]; ty < hi[1]; ty += tile[1])
      for (int tx = 0; tx < hi[2]; tx += tile[2]) {
        const std::array<int, 3> t0{tz, ty, tx};
        const std::array<int, 3> tn{std::min(tile[0], hi[0] - tz), std::min(tile[1], hi[1] - ty),
                                    std::min(tile[2], hi[2] - tx)};
        ts.arena.reset();
        feature_tile(col, P, p_origin, t0, tn, ch, g, out, ts.arena);
      }
  simd::flush_streams();
}

void FeatureComputer::Impl::feature_tile(const Column& col, const View& P,
                                         const std::array<int, 3>& p_origin,
                                         const std::array<int, 3>& t0, const std::array<int, 3>& tn,
                                         int ch, const Geometry& g, float* out,
                                         Arena& arena) const {
  const bool zact = !col.in2d;
  const std::array<bool, 3> active{zact, true, true};
  const ScalePlan& pl = col.plan;
  const auto core = g.core();
  // Region of P around the tile grown by e on active axes.
  auto region = [&](int e) {
    int s[3], n[3];
    for (int a = 0; a < 3; ++a) {
      const int ea = active[a] ? e : 0;
      s[a] = g.c0[a] + t0[a] - ea - p_origin[a];
      n[a] = tn[a] + 2 * ea;
    }
    return P.sub(s[0], s[1], s[2], n[0], n[1], n[2]);
  };
  // Output plane of channel q, restricted to the tile.
  auto out_view = [&](long q) {
    View v{out + std::size_t(q) * g.out_plane,
           std::ptrdiff_t(core[1]) * core[2],
           core[2],
           core[0],
           core[1],
           core[2]};
    return v.sub(t0[0], t0[1], t0[2], tn[0], tn[1], tn[2]);
  };
  const View shape = View::compact(nullptr, tn[0], tn[1], tn[2]);
  auto base = [&](FeatureFamily f) { return col.out_base[static_cast<int>(f)]; };
  const long cz = long(ch);
  const bool gs = base(FeatureFamily::GaussianSmoothing) >= 0;
  const bool log = base(FeatureFamily::LaplacianOfGaussian) >= 0;
  const bool ggm = base(FeatureFamily::GaussianGradientMagnitude) >= 0;
  const bool dog = base(FeatureFamily::DifferenceOfGaussians) >= 0;
  const bool st = base(FeatureFamily::StructureTensorEigenvalues) >= 0;
  const bool hog = base(FeatureFamily::HessianOfGaussianEigenvalues) >= 0;
  const int nev = zact ? 3 : 2;

  // Combos at sigma_f shared by GS, LoG, GGM, HoG, DoG.
  std::vector<Combo> need;
  auto want = [&](int oz, int oy, int ox) {
    for (const Combo& c : need)
      if (c.oz == oz && c.oy == oy && c.ox == ox) return;
    need.push_back({oz, oy, ox});
  };
  if (gs || dog) want(0, 0, 0);
  if (log || hog) {
    want(0, 2, 0);
    want(0, 0, 2);
    if (zact) want(2, 0, 0);
  }
  if (ggm) {
    want(0, 1, 0);
    want(0, 0, 1);
    if (zact) want(1, 0, 0);
  }
  if (hog) {
    want(0, 1, 1);
    if (zact) {
      want(1, 1, 0);
      want(1, 0, 1);
    }
  }
  Derivs D;
  if (!need.empty()) {
    const Kernel* k[3] = {&pl.k0, &pl.k1, &pl.k2};
    derivatives(region(pl.k0.radius), tn[0], tn[1], tn[2], zact, k, need, D, arena);
  }
  if (gs)
    rows(simd::copy, shape, D.at(0, 0, 0), out_view(base(FeatureFamily::GaussianSmoothing) + cz));
  if (log) {
    const View o = out_view(base(FeatureFamily::LaplacianOfGaussian) + cz);
    if (zact)
      rows(simd::add3, shape, D.at(2, 0, 0), D.at(0, 2, 0), D.at(0, 0, 2), o);
    else
      rows(simd::add2, shape, D.at(0, 2, 0), D.at(0, 0, 2), o);
  }
  if (ggm) {
    const View o = out_view(base(FeatureFamily::GaussianGradientMagnitude) + cz);
    if (zact)
      rows(simd::magnitude3, shape, D.at(1, 0, 0), D.at(0, 1, 0), D.at(0, 0, 1), o);
    else
      rows(simd::magnitude2, shape, D.at(0, 1, 0), D.at(0, 0, 1), o);
  }
  if (hog) {
    const long b = base(FeatureFamily::HessianOfGaussianEigenvalues) + cz * nev;
    if (zact)
      rows(simd::eig3, shape, D.at(2, 0, 0), D.at(1, 1, 0), D.at(1, 0, 1), D.at(0, 2, 0),
           D.at(0, 1, 1), D.at(0, 0, 2), out_view(b), out_view(b + 1), out_view(b + 2));
    else
      rows(simd::eig2, shape, D.at(0, 2, 0), D.at(0, 1, 1), D.at(0, 0, 2), out_view(b),
           out_view(b + 1));
  }
  if (dog) {
    Derivs S;
    const Kernel* k[3] = {&pl.dog_small, nullptr, nullptr};
    derivatives(region(pl.dog_small.radius), tn[0], tn[1], tn[2], zact, k, {{0, 0, 0}}, S, arena);
    rows(simd::sub, shape, D.at(0, 0, 0), S.at(0, 0, 0),
         out_view(base(FeatureFamily::DifferenceOfGaussians) + cz));
  }
  if (st) {
    // Gradient at 0.5 sigma_f over the tile grown by the averaging radius, tensor products,
    // mirrored at image borders, then averaged at sigma_f (fastfilters' order, §1.2).
    const int ro = pl.k0.radius;
    std::array<int, 3> gn{}, gorigin{};
    for (int a = 0; a < 3; ++a) {
      const int e = active[a] ? ro : 0;
      gn[a] = tn[a] + 2 * e;
      gorigin[a] = g.c0[a] + t0[a] - e;
    }
    Derivs G;
    const Kernel* k[3] = {&pl.st_g0, &pl.st_g1, nullptr};
    std::vector<Combo> gneed = {{0, 1, 0}, {0, 0, 1}};
    if (zact) gneed.insert(gneed.begin(), Combo{1, 0, 0});
    derivatives(region(ro + pl.st_g0.radius), gn[0], gn[1], gn[2], zact, k, gneed, G, arena);
    const std::size_t n = std::size_t(gn[0]) * gn[1] * gn[2];
    std::vector<View> T;
    const int nt = zact ? 6 : 3;
    for (int i = 0; i < nt; ++i)
      T.push_back(arena.vol(gn[0], gn[1], gn[2]));
    // G's views are compact arrays of exactly gn, so the products run as one span.
    if (zact)
      simd::products3(G.at(1, 0, 0).p, G.at(0, 1, 0).p, G.at(0, 0, 1).p, T[0].p, T[1].p, T[2].p,
                      T[3].p, T[4].p, T[5].p, n);
    else
      simd::products2(G.at(0, 1, 0).p, G.at(0, 0, 1).p, T[0].p, T[1].p, T[2].p, n);
    std::vector<View> S(nt);
    const Kernel* k0[3] = {&pl.k0, nullptr, nullptr};
    for (int i = 0; i < nt; ++i) {
      reflect_outside(T[i], gorigin, g, active);
      Derivs R;
      derivatives(T[i], tn[0], tn[1], tn[2], zact, k0, {{0, 0, 0}}, R, arena);
      S[i] = R.at(0, 0, 0);
    }
    const long b = base(FeatureFamily::StructureTensorEigenvalues) + cz * nev;
    // Double: a tensor of an edge has its smallest eigenvalue ~1e-4 of its largest, and that
    // channel's range is as small; float (as fastfilters) leaves ~1e-7 of the largest there,
    // which failed the 1e-4-of-range parity test for sigma 3.5 and 5 (2e-4).
    if (zact)
      rows(simd::eig3_f64, shape, S[0], S[1], S[2], S[3], S[4], S[5], out_view(b), out_view(b + 1),
           out_view(b + 2));
    else
      rows(simd::eig2, shape, S[0], S[1], S[2], out_view(b), out_view(b + 1));
  }
}

// ---------------------------------------------------------------- whole image

Image compute_features(const Image& input, const FeatureSelection& sel, const RunContext& ctx) {
  const Axes& ax = input.axes();
  if (!ax.has('y') || !ax.has('x'))
    throw_usage("features need an image with y and x axes, got axes '" + ax.str() + "'");
  std::string canon;
  for (char k : Axes::kCanonical)
    if (ax.has(k) && k != 'c') canon += k;
  const Image img = input.transposed(Axes(canon + "c")).astype(DType::float32);
  const std::size_t T = img.extent('t'), Z = img.extent('z'), Y = img.extent('y'),
                    X = img.extent('x'), C = img.extent('c');
  const bool in_3d = Z > 1;
  const Shape spatial = in_3d ? Shape{Z, Y, X} : Shape{Y, X};
  validate_for_shape(sel, ax.has('z') ? Shape{Z, Y, X} : Shape{Y, X});
  FeatureComputer fc(sel, C, in_3d ? 3 : 2);
  const std::size_t n = fc.n_channels();
  Shape out_shape = img.shape();
  out_shape.back() = n;
  Image result(DType::float32, out_shape, Axes(canon + "c"));
  const Shape halo = fc.halo();
  // Budget: the block with halo (input) plus the planar result of its core and scratch.
  const double bytes_per_px = 4.0 * double(n + 4 * C + 8);
  const Shape bshape = block_shape_for_budget(spatial, halo, bytes_per_px, ctx.ram_bytes);
  const auto blocks = make_blocks(spatial, bshape, halo);
  FeatureComputer::Workspace ws(ctx.threads);
  const std::size_t spatial_size = Z * Y * X;
  const float* src_all = img.data<float>();
  float* dst_all = result.data<float>();
  std::vector<float> blockbuf, planar;
  const std::uint64_t total = std::uint64_t(T) * blocks.size();
  std::uint64_t done = 0;
  for (std::size_t t = 0; t < T; ++t) {
    const float* src = src_all + t * spatial_size * C;
    float* dst = dst_all + t * spatial_size * n;
    for (const Block& b : blocks) {
      const Shape os = b.outer.shape();
      Shape bs = os;
      bs.push_back(C);
      blockbuf.resize(b.outer.size() * C);
      std::size_t k = 0;
      for_each_row(spatial, b.outer, [&](std::size_t off) {
        std::memcpy(blockbuf.data() + k, src + off * C, os.back() * C * sizeof(float));
        k += os.back() * C;
      });
      const Roi core = b.core_in_outer();
      const std::size_t csize = core.size();
      planar.resize(csize * n);
      fc.compute(blockbuf.data(), bs, core, BlockBorders::of(b.outer, spatial), planar.data(), ws);
      // Interleave the planes into the channel-last result.
      std::size_t p = 0;
      const std::size_t rowlen = core.shape().back();
      for_each_row(spatial, b.core, [&](std::size_t off) {
        float* d = dst + off * n;
        for (std::size_t x = 0; x < rowlen; ++x, ++p)
          for (std::size_t q = 0; q < n; ++q)
            d[x * n + q] = planar[q * csize + p];
      });
      ctx.progress("features", ++done, total);
    }
  }
  return result;
}

}  // namespace bioforest::features
