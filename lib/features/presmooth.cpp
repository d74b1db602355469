// SPDX-License-Identifier: BSD-3-Clause
// Pass order z, y, x: the slowest axis first, reading lines through tables of (mirrored)
// line pointers, so each pass computes exactly the lines the next one needs and the slab's
// halo along the split axis costs only the feature filters' radius.
#include "presmooth.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "simd.hpp"

namespace bioforest::features {

namespace {

// The block indices [lo, hi) that the mirrored range [b0, b1) reads.
std::array<int, 2> real_range(int b0, int b1, int n) {
  int lo = n, hi = 0;
  if (b0 >= 0 && b1 <= n) return {b0, b1};
  for (int b = b0; b < b1; ++b) {
    const int m = mirror(b, n);
    lo = std::min(lo, m);
    hi = std::max(hi, m + 1);
  }
  return {lo, hi};
}

// Lines per vertical-pass call: a block of output lines for double-accumulating kernels
// (simd::conv_rows_block_f64), one line otherwise.
int block_rows(const Kernel& k, int remaining) {
  return k.accumulate_double ? std::min(simd::kBlockRows, remaining) : 1;
}

// Vertical pass of `kb` output lines s.outs[0..kb) from the input lines s.rows[0..kb + 2r).
void conv(const Kernel& k, SlabScratch& s, int kb, int n) {
  if (k.accumulate_double)
    simd::conv_rows_block_f64(s.rows.data(), s.outs.data(), kb, std::size_t(n), s.taps.data(),
                              k.radius);
  else
    simd::conv_rows(s.rows.data(), s.outs[0], std::size_t(n), k.half.data(), k.radius, k.odd);
}

// dst[i] = src[index[i]] with the contiguous middle copied in one go.
void gather_row(const float* src, const std::vector<int>& index, int first, int last, float* dst) {
  const int n = int(index.size());
  for (int i = 0; i < first; ++i)
    dst[i] = src[index[i]];
  if (last > first) std::memcpy(dst + first, src + index[first], sizeof(float) * (last - first));
  for (int i = std::max(last, first); i < n; ++i)
    dst[i] = src[index[i]];
}

}  // namespace

void presmooth_region(const PlaneSource& src, const std::array<int, 3>& start,
                      const std::array<bool, 3>& active, const Kernel* k, const View& P,
                      SlabScratch& s) {
  const int r = k ? k->radius : 0;
  const std::array<int, 3> n{P.nz, P.ny, P.nx};
  std::array<int, 3> e{};  // input margin per axis
  std::array<std::array<int, 2>, 3> real{};
  for (int a = 0; a < 3; ++a) {
    e[a] = active[a] ? r : 0;
    real[a] = real_range(start[a] - e[a], start[a] + n[a] + e[a], src.B[a]);
  }
  const int xlo = real[2][0], nxr = real[2][1] - real[2][0];
  // Padded x index table (mirrored, relative to xlo) shared by every line.
  s.index.resize(std::size_t(n[2] + 2 * e[2]));
  for (int i = 0; i < int(s.index.size()); ++i)
    s.index[i] = mirror(start[2] - e[2] + i, src.B[2]) - xlo;
  // Where the padded line lies inside the block, the table is a plain shift.
  const int b0 = start[2] - e[2];
  const int first = std::clamp(-b0, 0, int(s.index.size()));
  const int last = std::clamp(src.B[2] - b0, first, int(s.index.size()));

  if (!k) {  // mirrored copy only
    for (int z = 0; z < n[0]; ++z)
      for (int y = 0; y < n[1]; ++y)
        gather_row(src.row(mirror(start[0] + z, src.B[0]), mirror(start[1] + y, src.B[1])) + xlo,
                   s.index, first, last, P.row(z, y));
    return;
  }
  s.rows.resize(std::size_t(2 * r + simd::kBlockRows));
  s.outs.resize(std::size_t(simd::kBlockRows));
  // The correlation taps unfolded: c[m] at m + r.
  s.taps.resize(std::size_t(2 * r + 1));
  for (int m = -r; m <= r; ++m)
    s.taps[m + r] = (k->odd && m < 0 ? -1.0 : 1.0) * k->half_d[std::abs(m)];

  // z pass over every real row the y pass will read.
  const int ylo = real[1][0], nyr = real[1][1] - real[1][0];
  float* Z = nullptr;
  if (active[0]) {
    Z = s.z(std::size_t(n[0]) * nyr * nxr);
    for (int yr = 0; yr < nyr; ++yr)
      for (int z = 0, kb = 0; z < n[0]; z += kb) {
        kb = block_rows(*k, n[0] - z);
        for (int j = 0; j < kb + 2 * r; ++j)
          s.rows[j] = src.row(mirror(start[0] + z - r + j, src.B[0]), ylo + yr) + xlo;
        for (int q = 0; q < kb; ++q)
          s.outs[q] = Z + (std::size_t(z + q) * nyr + yr) * nxr;
        conv(*k, s, kb, nxr);
      }
  }
  auto y_source = [&](int z, int yb) -> const float* {
    const int ym = mirror(yb, src.B[1]);
    if (Z) return Z + (std::size_t(z) * nyr + (ym - ylo)) * nxr;
    return src.row(mirror(start[0] + z, src.B[0]), ym) + xlo;
  };
  // y pass: lines of real x only.
  float* Y = s.y(std::size_t(n[0]) * n[1] * nxr);
  const int ry = active[1] ? r : 0;
  for (int z = 0; z < n[0]; ++z)
    for (int y = 0, kb = 0; y < n[1]; y += kb) {
      if (!active[1]) {
        kb = 1;
        std::memcpy(Y + (std::size_t(z) * n[1] + y) * nxr, y_source(z, start[1] + y),
                    sizeof(float) * nxr);
        continue;
      }
      kb = block_rows(*k, n[1] - y);
      for (int j = 0; j < kb + 2 * ry; ++j)
        s.rows[j] = y_source(z, start[1] + y - ry + j);
      for (int q = 0; q < kb; ++q)
        s.outs[q] = Y + (std::size_t(z) * n[1] + y + q) * nxr;
      conv(*k, s, kb, nxr);
    }
  // x pass on each line padded by mirroring.
  float* pad = s.pad(s.index.size());
  const float* center = pad + e[2];
  double* line = s.line(s.index.size());
  for (int z = 0; z < n[0]; ++z)
    for (int y = 0; y < n[1]; ++y) {
      gather_row(Y + (std::size_t(z) * n[1] + y) * nxr, s.index, first, last, pad);
      if (k->accumulate_double)
        simd::conv_line_promoted(center, P.row(z, y), std::size_t(n[2]), k->half_d.data(), e[2],
                                 k->odd, line);
      else
        simd::conv_line(center, 1, P.row(z, y), std::size_t(n[2]), k->half.data(), e[2], k->odd);
    }
}

}  // namespace bioforest::features
