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
  const long rows = long(out.nz) * out.ny;
  auto one_row = [&](long i) {
    const int z = int(i / out.ny), y = int(i % out.ny);
    const float* c = axis == 0 ? in.row(z + r, y) : axis == 1 ? in.row(z, y + r) : in.row(z, y) + r;
    if (k.accumulate_double)
      simd::conv_line_f64(c, step, out.row(z, y), std::size_t(out.nx), k.half_d.data(), r, k.odd);
    else
      simd::conv_line(c, step, out.row(z, y), std::size_t(out.nx), k.half.data(), r, k.odd);
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
