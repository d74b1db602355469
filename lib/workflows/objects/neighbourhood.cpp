// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/objects/neighbourhood.hpp"

#include <algorithm>
#include <limits>

namespace bioforest::workflows {

namespace {

constexpr double kFar = std::numeric_limits<double>::infinity();

// One axis of the exact squared distance transform (Felzenszwalb & Huttenlocher's lower
// envelope of parabolas) with squared pitch w: d[i] = min_q f[q] + w (i - q)^2 over the n
// values at stride `stride`. Infinite f are not sites.
void edt_1d(double* f, std::size_t n, std::size_t stride, double w, std::vector<double>& in,
            std::vector<std::size_t>& v, std::vector<double>& z) {
  in.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    in[i] = f[i * stride];
  v.resize(n);
  z.resize(n + 1);
  std::size_t k = 0;
  bool any = false;
  for (std::size_t q = 0; q < n; ++q) {
    if (in[q] == kFar) continue;
    if (!any) {
      v[0] = q;
      z[0] = -kFar;
      z[1] = kFar;
      any = true;
      continue;
    }
    for (;;) {
      const double p = double(v[k]);
      const double s = ((in[q] + w * double(q) * double(q)) - (in[v[k]] + w * p * p)) /
                       (2 * w * (double(q) - p));
      if (s <= z[k] && k > 0) {
        --k;
        continue;
      }
      if (s <= z[k]) {  // k == 0: q dominates the only parabola everywhere
        v[0] = q;
        z[1] = kFar;
        break;
      }
      ++k;
      v[k] = q;
      z[k] = s;
      z[k + 1] = kFar;
      break;
    }
  }
  if (!any) return;
  k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    while (z[k + 1] < double(i))
      ++k;
    const double d = double(i) - double(v[k]);
    f[i * stride] = in[v[k]] + w * d * d;
  }
}

}  // namespace

void object_neighbourhood(const std::uint32_t* labels, const Shape& zyx, std::uint32_t id,
                          const std::array<std::size_t, 3>& bbox_lo,
                          const std::array<std::size_t, 3>& bbox_hi, const Margin& margin_xyz,
                          Neighbourhood& out) {
  const std::size_t M = std::max({margin_xyz[0], margin_xyz[1], margin_xyz[2]});
  const std::array<std::size_t, 3> m{margin_xyz[2], margin_xyz[1], margin_xyz[0]};  // z, y, x
  std::array<std::size_t, 3> hi{};
  for (std::size_t a = 0; a < 3; ++a) {
    out.lo[a] = bbox_lo[a] >= m[a] ? bbox_lo[a] - m[a] : 0;
    hi[a] = std::min(bbox_hi[a] + m[a], zyx[a] - 1);
    out.shape[a] = hi[a] - out.lo[a] + 1;
  }
  const std::size_t Z = out.shape[0], Y = out.shape[1], X = out.shape[2], n = Z * Y * X;
  std::vector<double>& d = out.distance;
  d.resize(n);
  for (std::size_t z = 0; z < Z; ++z)
    for (std::size_t y = 0; y < Y; ++y) {
      const std::uint32_t* row =
          labels + ((out.lo[0] + z) * zyx[1] + out.lo[1] + y) * zyx[2] + out.lo[2];
      double* dr = d.data() + (z * Y + y) * X;
      for (std::size_t x = 0; x < X; ++x)
        dr[x] = row[x] == id ? 0.0 : kFar;
    }
  if (M > 0) {
    // Line buffers of edt_1d, kept per thread across objects.
    thread_local std::vector<double> in, z;
    thread_local std::vector<std::size_t> v;
    const std::array<std::size_t, 3> len{Z, Y, X}, stride{Y * X, X, 1};
    for (std::size_t a = 0; a < 3; ++a) {
      if (len[a] == 1) continue;
      // ilastik's pixel pitch max // margin; a zero margin keeps the axis from growing.
      const double pitch = m[a] ? double(M / m[a]) : kFar;
      const double w = pitch * pitch;
      if (w == kFar) continue;
      // Lines along axis a start at o * len * stride + i, i < stride.
      const std::size_t block = len[a] * stride[a];
      for (std::size_t o = 0; o < n; o += block)
        for (std::size_t i = 0; i < stride[a]; ++i)
          edt_1d(d.data() + o + i, len[a], stride[a], w, in, v, z);
    }
  }
  out.region.assign(n, 0);
  const double limit = double(M) * double(M);
  for (std::size_t i = 0; i < n; ++i)
    out.region[i] = d[i] == 0.0 ? 2 : (d[i] < limit ? 1 : 0);
}

}  // namespace bioforest::workflows
