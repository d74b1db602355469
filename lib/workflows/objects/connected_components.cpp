// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/objects/connected_components.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <numeric>
#include <string>

#include "bioforest/core/error.hpp"

namespace bioforest::workflows {

Connectivity parse_connectivity(int neighbours, int spatial_rank) {
  if (spatial_rank == 2 && neighbours == 4) return Connectivity::direct;
  if (spatial_rank == 2 && neighbours == 8) return Connectivity::indirect;
  if (spatial_rank == 3 && neighbours == 6) return Connectivity::direct;
  if (spatial_rank == 3 && neighbours == 26) return Connectivity::indirect;
  throw_usage("connectivity " + std::to_string(neighbours) + " does not fit a " +
              std::to_string(spatial_rank) + "-D image (use 4 or 8 in 2-D, 6 or 26 in 3-D)");
}

namespace {

struct Dims {
  std::size_t z, y, x;
};

Dims dims_of(const Shape& s) {
  BIOFOREST_CHECK(s.size() == 2 || s.size() == 3, "labelling needs a 2-D or 3-D shape");
  return s.size() == 3 ? Dims{s[0], s[1], s[2]} : Dims{1, s[0], s[1]};
}

// Provisional labels are created in raster order and a union always hangs the larger root
// under the smaller, so every root is its set's earliest label, created at the set's first
// pixel: numbering roots in ascending order gives raster order of first pixels.
std::uint32_t find_root(std::uint32_t* parent, std::uint32_t i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

std::uint32_t merge(std::uint32_t* parent, std::uint32_t a, std::uint32_t b) {
  a = find_root(parent, a);
  b = find_root(parent, b);
  if (a < b) {
    parent[b] = a;
    return a;
  }
  parent[a] = b;
  return b;
}

// A run of foreground pixels [x0, x1) in one row, and its provisional label.
struct Run {
  std::uint32_t x0, x1, label;
};

// Joins `run` to the runs [from, last) of an earlier row that touch it (`diagonal`: also at
// a corner) and returns its label (l, or 0 if none touches and l is 0). `from` advances
// along that row's sorted runs, so each row is walked once.
std::uint32_t join_row(const Run& run, const std::vector<Run>& runs, std::size_t& from,
                       std::size_t last, bool diagonal, std::uint32_t l, std::uint32_t* parent) {
  const std::uint32_t reach = diagonal ? 1 : 0;
  while (from != last && runs[from].x1 + reach <= run.x0)
    ++from;
  for (std::size_t r = from; r != last && runs[r].x0 < run.x1 + reach; ++r)
    l = l ? merge(parent, l, runs[r].label) : runs[r].label;
  return l;
}

}  // namespace

// Run-based two-pass labelling: runs of each row are joined to the touching runs of the
// causal neighbour rows (the previous row of the plane; the same and neighbouring rows of
// the previous plane), so the work goes with the number of runs, not of pixels.
std::uint32_t label_components(const std::uint8_t* mask, const Shape& shape, Connectivity c,
                               std::uint32_t* labels) {
  const Dims d = dims_of(shape);
  const bool ind = c == Connectivity::indirect;
  const std::size_t rows = d.z * d.y;
  std::vector<Run> runs;
  std::vector<std::size_t> row_begin(rows + 1, 0);
  std::vector<std::uint32_t> parent{0};
  for (std::size_t z = 0, r = 0; z < d.z; ++z)
    for (std::size_t y = 0; y < d.y; ++y, ++r) {
      row_begin[r] = runs.size();
      const std::uint8_t* m = mask + r * d.x;
      // Causal neighbour rows: (row index, diagonal contact allowed).
      std::array<std::pair<std::size_t, bool>, 4> nb{};
      std::size_t nn = 0;
      if (y > 0) nb[nn++] = {r - 1, ind};
      if (z > 0) {
        nb[nn++] = {r - d.y, ind};
        if (ind && y > 0) nb[nn++] = {r - d.y - 1, true};
        if (ind && y + 1 < d.y) nb[nn++] = {r - d.y + 1, true};
      }
      std::array<std::size_t, 4> from{};
      for (std::size_t k = 0; k < nn; ++k)
        from[k] = row_begin[nb[k].first];
      for (std::size_t x = 0; x < d.x;) {
        if (!m[x]) {
          ++x;
          continue;
        }
        Run run{std::uint32_t(x), 0, 0};
        while (x < d.x && m[x])
          ++x;
        run.x1 = std::uint32_t(x);
        std::uint32_t l = 0;
        for (std::size_t k = 0; k < nn; ++k)
          l = join_row(run, runs, from[k], row_begin[nb[k].first + 1], nb[k].second, l,
                       parent.data());
        if (!l) {
          BIOFOREST_CHECK(parent.size() < std::numeric_limits<std::uint32_t>::max(),
                          "more than 2^32 provisional labels in one block");
          l = std::uint32_t(parent.size());
          parent.push_back(l);
        }
        run.label = l;
        runs.push_back(run);
      }
      row_begin[r + 1] = runs.size();
    }
  // Flatten (parents are smaller, so ascending order sees resolved parents) and number roots.
  std::vector<std::uint32_t> final_id(parent.size(), 0);
  std::uint32_t n = 0;
  for (std::size_t l = 1; l < parent.size(); ++l) {
    parent[l] = parent[parent[l]];
    final_id[l] = parent[l] == l ? ++n : final_id[parent[l]];
  }
  std::fill_n(labels, rows * d.x, 0u);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t k = row_begin[r]; k < row_begin[r + 1]; ++k)
      std::fill(labels + r * d.x + runs[k].x0, labels + r * d.x + runs[k].x1,
                final_id[runs[k].label]);
  return n;
}

// ---------------------------------------------------------------------------------------
// Blockwise

namespace {

Shape as_zyx(const Shape& s) {
  return s.size() == 3 ? s : Shape{1, s[0], s[1]};
}

// The two axes other than `a`, in order.
std::pair<std::size_t, std::size_t> other_axes(std::size_t a) {
  if (a == 0) return {1, 2};
  if (a == 1) return {0, 2};
  return {0, 1};
}

Roi roi_zyx(const Roi& r) {
  if (r.rank() == 3) return r;
  return Roi{{0, r.start[0], r.start[1]}, {1, r.stop[0], r.stop[1]}};
}

}  // namespace

BlockwiseLabeling::BlockwiseLabeling(const Shape& shape, const Shape& block_shape, Connectivity c)
    : shape_(as_zyx(shape)), block_shape_(as_zyx(block_shape)), conn_(c) {
  BIOFOREST_CHECK(shape.size() == block_shape.size(), "block shape rank");
  blocks_ = make_blocks(shape, block_shape, Shape(shape.size(), 0));
  grid_.resize(3);
  for (int a = 0; a < 3; ++a)
    grid_[a] = (shape_[a] + block_shape_[a] - 1) / block_shape_[a];
}

std::size_t BlockwiseLabeling::block_at(const Shape& p) const {
  return ((p[0] / block_shape_[0]) * grid_[1] + p[1] / block_shape_[1]) * grid_[2] +
         p[2] / block_shape_[2];
}

std::uint64_t BlockwiseLabeling::find(std::uint64_t i) {
  while (parent_[i] != i) {
    parent_[i] = parent_[parent_[i]];
    i = parent_[i];
  }
  return i;
}

void BlockwiseLabeling::unite(std::uint64_t a, std::uint64_t b) {
  a = find(a);
  b = find(b);
  if (a < b)
    parent_[b] = a;
  else if (b < a)
    parent_[a] = b;
}

void BlockwiseLabeling::store_faces(std::size_t b, const std::vector<std::uint32_t>& local) {
  const Roi core = roi_zyx(blocks_[b].core);
  const Shape e = core.shape();
  const std::uint64_t off = offset_[b];
  for (std::size_t a = 0; a < 3; ++a) {
    const auto [u, v] = other_axes(a);
    for (int side = 0; side < 2; ++side) {
      auto& face = faces_[b][2 * a + side];
      face.assign(e[u] * e[v], 0);
      Shape p(3);
      p[a] = side ? e[a] - 1 : 0;
      for (p[u] = 0; p[u] < e[u]; ++p[u])
        for (p[v] = 0; p[v] < e[v]; ++p[v]) {
          const std::uint32_t l = local[(p[0] * e[1] + p[1]) * e[2] + p[2]];
          face[p[u] * e[v] + p[v]] = l ? off + l : 0;
        }
    }
  }
}

void BlockwiseLabeling::merge_faces(std::size_t b) {
  const Roi core = roi_zyx(blocks_[b].core);
  const Shape e = core.shape();
  const int reach = conn_ == Connectivity::indirect ? 1 : 0;
  for (std::size_t a = 0; a < 3; ++a) {
    if (core.start[a] == 0) continue;
    const auto [u, v] = other_axes(a);
    const auto& face = faces_[b][2 * a];
    for (std::size_t pu = 0; pu < e[u]; ++pu)
      for (std::size_t pv = 0; pv < e[v]; ++pv) {
        const std::uint64_t gp = face[pu * e[v] + pv];
        if (!gp) continue;
        for (int du = -reach; du <= reach; ++du)
          for (int dv = -reach; dv <= reach; ++dv) {
            const std::ptrdiff_t qu = std::ptrdiff_t(core.start[u] + pu) + du;
            const std::ptrdiff_t qv = std::ptrdiff_t(core.start[v] + pv) + dv;
            if (qu < 0 || qv < 0 || std::size_t(qu) >= shape_[u] || std::size_t(qv) >= shape_[v])
              continue;
            Shape q(3);
            q[a] = core.start[a] - 1;
            q[u] = std::size_t(qu);
            q[v] = std::size_t(qv);
            const std::size_t bq = block_at(q);
            const Roi other = roi_zyx(blocks_[bq].core);
            const std::size_t ev = other.stop[v] - other.start[v];
            const std::uint64_t gq =
                faces_[bq][2 * a + 1][(q[u] - other.start[u]) * ev + (q[v] - other.start[v])];
            if (gq) unite(gp, gq);
          }
      }
  }
}

void BlockwiseLabeling::scan(const MaskFn& mask, const FlagFn& flag, const RunContext& ctx) {
  offset_.assign(blocks_.size(), 0);
  faces_.assign(blocks_.size(), {});
  parent_.assign(1, 0);
  first_.assign(1, 0);
  size_.assign(1, 0);
  flag_.assign(1, 0);
  std::vector<std::uint8_t> m, flags;
  std::vector<std::uint32_t> local;
  for (std::size_t b = 0; b < blocks_.size(); ++b) {
    const Roi& core = blocks_[b].core;
    mask(core, m);
    BIOFOREST_CHECK(m.size() == core.size(), "mask block size");
    local.resize(core.size());
    const std::uint32_t n = label_components(m.data(), core.shape(), conn_, local.data());
    const std::uint64_t off = parent_.size() - 1;
    offset_[b] = off;
    for (std::uint64_t l = 1; l <= n; ++l)
      parent_.push_back(off + l);
    first_.resize(parent_.size(), std::numeric_limits<std::uint64_t>::max());
    size_.resize(parent_.size(), 0);
    flag_.resize(parent_.size(), 0);
    // The local raster order agrees with the global one inside a box, so each local
    // component's first local pixel is its first global pixel.
    const Roi c3 = roi_zyx(core);
    const Shape e = c3.shape();
    std::size_t i = 0;
    for (std::size_t z = 0; z < e[0]; ++z)
      for (std::size_t y = 0; y < e[1]; ++y)
        for (std::size_t x = 0; x < e[2]; ++x, ++i) {
          const std::uint32_t l = local[i];
          if (!l) continue;
          const std::uint64_t g = off + l;
          if (size_[g]++ == 0)
            first_[g] =
                ((c3.start[0] + z) * shape_[1] + c3.start[1] + y) * shape_[2] + c3.start[2] + x;
        }
    if (flag) {
      flags.assign(n + 1, 0);
      flag(core, local.data(), n, flags);
      for (std::uint64_t l = 1; l <= n; ++l)
        flag_[off + l] = flags[l];
    }
    if (blocks_.size() == 1)
      single_block_ = std::move(local);  // no faces to merge
    else
      store_faces(b, local);
    ctx.progress("labelling", b + 1, blocks_.size());
  }
  for (std::size_t b = 0; b < blocks_.size(); ++b)
    merge_faces(b);
}

std::uint32_t BlockwiseLabeling::finalize(std::uint64_t min_size, std::uint64_t max_size,
                                          bool require_flag) {
  const std::size_t total = parent_.size();
  std::vector<std::uint64_t> size(total, 0),
      first(total, std::numeric_limits<std::uint64_t>::max());
  std::vector<std::uint8_t> flagged(total, 0);
  for (std::uint64_t i = 1; i < total; ++i) {
    const std::uint64_t r = find(i);
    size[r] += size_[i];
    first[r] = std::min(first[r], first_[i]);
    flagged[r] |= flag_[i];
  }
  std::vector<std::uint64_t> roots;
  for (std::uint64_t i = 1; i < total; ++i)
    if (parent_[i] == i && size[i] >= min_size && size[i] <= max_size &&
        (!require_flag || flagged[i]))
      roots.push_back(i);
  std::sort(roots.begin(), roots.end(),
            [&](std::uint64_t a, std::uint64_t b) { return first[a] < first[b]; });
  BIOFOREST_CHECK(roots.size() < std::numeric_limits<std::uint32_t>::max(),
                  "more than 2^32 - 1 objects");
  std::vector<std::uint32_t> root_id(total, 0);
  final_sizes_.resize(roots.size());
  for (std::size_t k = 0; k < roots.size(); ++k) {
    root_id[roots[k]] = std::uint32_t(k + 1);
    final_sizes_[k] = size[roots[k]];
  }
  final_.assign(total, 0);
  for (std::uint64_t i = 1; i < total; ++i)
    final_[i] = root_id[find(i)];
  faces_.clear();
  return std::uint32_t(roots.size());
}

void BlockwiseLabeling::block_labels(std::size_t b, const MaskFn& mask,
                                     std::vector<std::uint32_t>& out) const {
  const Roi& core = blocks_[b].core;
  if (blocks_.size() == 1 && single_block_.size() == core.size()) {
    out = single_block_;
  } else {
    std::vector<std::uint8_t> m;
    mask(core, m);
    out.resize(core.size());
    label_components(m.data(), core.shape(), conn_, out.data());
  }
  const std::uint64_t off = offset_[b];
  for (auto& l : out)
    l = l ? final_[off + l] : 0;
}

}  // namespace bioforest::workflows
