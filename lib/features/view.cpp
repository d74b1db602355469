// SPDX-License-Identifier: BSD-3-Clause
#include "view.hpp"

#include <array>

#include "bioforest/core/error.hpp"
#include "simd.hpp"

namespace bioforest::features {

void separable_pass(const View& in, const View& out, int axis, const Kernel& k, int threads) {
  const int r = k.radius;
  BIOFOREST_CHECK(out.nz == in.nz - (axis == 0 ? 2 * r : 0) &&
                      out.ny == in.ny - (axis == 1 ? 2 * r : 0) &&
                      out.nx == in.nx - (axis == 2 ? 2 * r : 0),
                  "separable_pass shapes");
  const std::ptrdiff_t step = axis == 0 ? in.sz : axis == 1 ? in.sy : 1;
  auto line = [&](const float* c, float* o, std::size_t n) {
    if (k.accumulate_double)
      simd::conv_line_f64(c, step, o, n, k.half_d.data(), r, k.odd);
    else
      simd::conv_line(c, step, o, n, k.half.data(), r, k.odd);
  };
  // A y or z pass between views with the same contiguous layout is one long line per plane
  // (y) or per volume (z): the filter only ever steps along the pass axis, so the rows need
  // not be visited one by one. Tiles have short rows (128 in 3-D), and the per-call cost of
  // the dispatch was ~6 % of the 3-D set.
  const bool rows_contiguous = in.sy == in.nx && out.sy == out.nx && in.nx == out.nx;
  if (threads <= 1 && axis == 1 && rows_contiguous) {
    for (int z = 0; z < out.nz; ++z)
      line(in.row(z, r), out.row(z, 0), std::size_t(out.ny) * out.nx);
    return;
  }
  if (threads <= 1 && axis == 0 && rows_contiguous && in.sz == out.sz &&
      out.sz == std::ptrdiff_t(out.ny) * out.sy) {
    line(in.row(r, 0), out.p, out.size());
    return;
  }
  const long rows = long(out.nz) * out.ny;
  auto one_row = [&](long i) {
    const int z = int(i / out.ny), y = int(i % out.ny);
    const float* c = axis == 0 ? in.row(z + r, y) : axis == 1 ? in.row(z, y + r) : in.row(z, y) + r;
    line(c, out.row(z, y), std::size_t(out.nx));
  };
  if (threads > 1 && rows > 1) {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (long i = 0; i < rows; ++i)
      one_row(i);
  } else {
    for (long i = 0; i < rows; ++i)
      one_row(i);
  }
}

void separable_pass_multi(const View& in, const View* outs, const Kernel* const* ks, int count,
                          int axis) {
  const int r = ks[0]->radius;
  bool same = count >= 1 && count <= 3;
  for (int q = 0; q < count && same; ++q)
    same = ks[q]->radius == r && !ks[q]->accumulate_double && outs[q].sy == outs[0].sy &&
           outs[q].sz == outs[0].sz && outs[q].nz == outs[0].nz && outs[q].ny == outs[0].ny &&
           outs[q].nx == outs[0].nx;
  if (!same) {
    for (int q = 0; q < count; ++q)
      separable_pass(in, outs[q], axis, *ks[q]);
    return;
  }
  const View& out = outs[0];
  BIOFOREST_CHECK(out.nz == in.nz - (axis == 0 ? 2 * r : 0) &&
                      out.ny == in.ny - (axis == 1 ? 2 * r : 0) &&
                      out.nx == in.nx - (axis == 2 ? 2 * r : 0),
                  "separable_pass_multi shapes");
  const std::ptrdiff_t step = axis == 0 ? in.sz : axis == 1 ? in.sy : 1;
  std::array<const float*, 3> taps{};
  std::array<bool, 3> odd{};
  for (int q = 0; q < count; ++q) {
    taps[q] = ks[q]->half.data();
    odd[q] = ks[q]->odd;
  }
  // Same traversal as separable_pass: whole planes (y) or the whole volume (z) as one line
  // where the layouts allow, else row by row.
  std::array<float*, 3> o{};
  auto line = [&](const float* c, std::ptrdiff_t out_offset, std::size_t n) {
    for (int q = 0; q < count; ++q)
      o[q] = outs[q].p + out_offset;
    simd::conv_line_multi(c, step, o.data(), count, n, taps.data(), odd.data(), r);
  };
  const bool rows_contiguous = in.sy == in.nx && out.sy == out.nx && in.nx == out.nx;
  if (axis == 1 && rows_contiguous) {
    for (int z = 0; z < out.nz; ++z)
      line(in.row(z, r), z * out.sz, std::size_t(out.ny) * out.nx);
    return;
  }
  if (axis == 0 && rows_contiguous && in.sz == out.sz &&
      out.sz == std::ptrdiff_t(out.ny) * out.sy) {
    line(in.row(r, 0), 0, out.size());
    return;
  }
  for (int z = 0; z < out.nz; ++z)
    for (int y = 0; y < out.ny; ++y) {
      const float* c = axis == 0   ? in.row(z + r, y)
                       : axis == 1 ? in.row(z, y + r)
                                   : in.row(z, y) + r;
      line(c, z * out.sz + y * out.sy, std::size_t(out.nx));
    }
}

}  // namespace bioforest::features
