// SPDX-License-Identifier: BSD-3-Clause
#include "view.hpp"

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

}  // namespace bioforest::features
