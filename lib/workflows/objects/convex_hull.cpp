// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/objects/convex_hull.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "bioforest/core/error.hpp"
#include "bioforest/workflows/objects/connected_components.hpp"

namespace bioforest::workflows {

namespace {

using P = HullPoint;

P sub(const P& a, const P& b) {
  return {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
}
P cross(const P& a, const P& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
std::int64_t dot(const P& a, const P& b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
// z component of (b - a) x (c - a): > 0 for a counter-clockwise turn.
std::int64_t turn(const P& a, const P& b, const P& c) {
  return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
}
// > 0 when d lies on the side of plane (a, b, c) that (b - a) x (c - a) points to.
std::int64_t orient(const P& a, const P& b, const P& c, const P& d) {
  return dot(cross(sub(b, a), sub(c, a)), sub(d, a));
}

// floor / ceil of a / b for b != 0.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return -floor_div(-a, b);
}

// The face-midpoint points of the extreme pixels of every row of the crop (z, y, x): any
// other object pixel's points are convex combinations of these.
std::vector<P> row_extreme_points(const std::uint8_t* mask, const Shape& zyx, bool three_d) {
  std::vector<P> pts;
  const std::size_t Z = zyx[0], Y = zyx[1], X = zyx[2];
  for (std::size_t z = 0; z < Z; ++z)
    for (std::size_t y = 0; y < Y; ++y) {
      const std::uint8_t* row = mask + (z * Y + y) * X;
      std::size_t x0 = X, x1 = 0;
      for (std::size_t x = 0; x < X; ++x)
        if (row[x]) {
          x0 = std::min(x0, x);
          x1 = x;
        }
      if (x0 == X) continue;
      const auto zz = std::int64_t(2 * z), yy = std::int64_t(2 * y);
      for (const std::size_t x : {x0, x1}) {
        const auto xx = std::int64_t(2 * x);
        pts.push_back({xx, yy - 1, zz});
        pts.push_back({xx, yy + 1, zz});
        if (three_d) {
          pts.push_back({xx, yy, zz - 1});
          pts.push_back({xx, yy, zz + 1});
        }
      }
      pts.push_back({std::int64_t(2 * x0) - 1, yy, zz});
      pts.push_back({std::int64_t(2 * x1) + 1, yy, zz});
    }
  return pts;
}

// A half-space n . p <= d.
struct HalfSpace {
  P n;
  std::int64_t d;
};

// Marks the pixels whose doubled centres satisfy every half-space, row by row: each
// half-space bounds x on a row, so the row's hull span is an interval.
std::vector<std::uint8_t> rasterise(const std::vector<HalfSpace>& hs, const Shape& zyx) {
  const std::size_t Z = zyx[0], Y = zyx[1], X = zyx[2];
  std::vector<std::uint8_t> out(Z * Y * X, 0);
  for (std::size_t z = 0; z < Z; ++z)
    for (std::size_t y = 0; y < Y; ++y) {
      std::int64_t lo = 0, hi = std::int64_t(X) - 1;
      for (const auto& h : hs) {
        const std::int64_t r = h.d - h.n[1] * std::int64_t(2 * y) - h.n[2] * std::int64_t(2 * z);
        if (h.n[0] > 0)
          hi = std::min(hi, floor_div(r, 2 * h.n[0]));
        else if (h.n[0] < 0)
          lo = std::max(lo, ceil_div(r, 2 * h.n[0]));
        else if (r < 0)
          hi = -1;
        if (lo > hi) break;
      }
      std::uint8_t* row = out.data() + (z * Y + y) * X;
      for (std::int64_t x = lo; x <= hi; ++x)
        row[x] = 1;
    }
  return out;
}

}  // namespace

std::vector<HullPoint> convex_hull_2d(std::vector<HullPoint> points);

namespace {

// The points that are 2-D hull vertices within their plane of constant coordinate `axis`.
std::vector<P> plane_hull_vertices(std::vector<P> pts, std::size_t axis) {
  // Move `axis` to the third slot so that convex_hull_2d sees the other two.
  const std::size_t u = axis == 0 ? 1 : 0, v = axis == 2 ? 1 : 2;
  for (auto& p : pts)
    p = {p[u], p[v], p[axis]};
  std::sort(pts.begin(), pts.end(), [](const P& a, const P& b) { return a[2] < b[2]; });
  std::vector<P> out;
  for (std::size_t s = 0; s < pts.size();) {
    std::size_t e = s;
    while (e < pts.size() && pts[e][2] == pts[s][2])
      ++e;
    const auto h = convex_hull_2d(
        std::vector<P>(pts.begin() + std::ptrdiff_t(s), pts.begin() + std::ptrdiff_t(e)));
    for (const auto& q : h) {
      P back{};
      back[u] = q[0];
      back[v] = q[1];
      back[axis] = q[2];
      out.push_back(back);
    }
    s = e;
  }
  return out;
}

}  // namespace

std::vector<HullPoint> convex_hull_2d(std::vector<HullPoint> pts) {
  std::sort(pts.begin(), pts.end(),
            [](const P& a, const P& b) { return a[0] != b[0] ? a[0] < b[0] : a[1] < b[1]; });
  pts.erase(std::unique(pts.begin(), pts.end(),
                        [](const P& a, const P& b) { return a[0] == b[0] && a[1] == b[1]; }),
            pts.end());
  if (pts.size() < 3) return pts;
  std::vector<P> h(2 * pts.size());
  std::size_t k = 0;
  for (const auto& p : pts) {  // lower chain
    while (k >= 2 && turn(h[k - 2], h[k - 1], p) <= 0)
      --k;
    h[k++] = p;
  }
  for (std::size_t i = pts.size() - 1, lower = k + 1; i-- > 0;) {  // upper chain
    while (k >= lower && turn(h[k - 2], h[k - 1], pts[i]) <= 0)
      --k;
    h[k++] = pts[i];
  }
  h.resize(k - 1);  // the last point repeats the first
  return h;
}

std::vector<std::array<std::size_t, 3>> convex_hull_3d(const std::vector<HullPoint>& pts) {
  using Face = std::array<std::size_t, 3>;
  const std::size_t n = pts.size();
  // An initial tetrahedron from the first non-degenerate points.
  std::size_t i1 = 1, i2 = 0, i3 = 0;
  while (i1 < n && pts[i1] == pts[0])
    ++i1;
  for (i2 = i1 + 1; i2 < n; ++i2) {
    const P c = cross(sub(pts[i1], pts[0]), sub(pts[i2], pts[0]));
    if (c[0] != 0 || c[1] != 0 || c[2] != 0) break;
  }
  for (i3 = i2 + 1; i3 < n; ++i3)
    if (orient(pts[0], pts[i1], pts[i2], pts[i3]) != 0) break;
  // The face midpoints of even one voxel span 3-D, so this cannot fail for our callers.
  BIOFOREST_CHECK(i3 < n, "convex hull of coplanar points");
  std::vector<Face> faces;
  std::vector<std::uint8_t> alive;
  auto add = [&](std::size_t a, std::size_t b, std::size_t c) {
    faces.push_back({a, b, c});
    alive.push_back(1);
  };
  const std::array<std::size_t, 4> t{0, i1, i2, i3};
  for (std::size_t f = 0; f < 4; ++f) {
    std::size_t a = t[(f + 1) % 4], b = t[(f + 2) % 4], c = t[(f + 3) % 4];
    if (orient(pts[a], pts[b], pts[c], pts[t[f]]) > 0) std::swap(b, c);  // outward
    add(a, b, c);
  }
  std::vector<std::size_t> visible;
  std::vector<std::array<std::size_t, 2>> edges;
  for (std::size_t p = 1; p < n; ++p) {
    if (p == i1 || p == i2 || p == i3) continue;
    visible.clear();
    for (std::size_t f = 0; f < faces.size(); ++f)
      if (alive[f] && orient(pts[faces[f][0]], pts[faces[f][1]], pts[faces[f][2]], pts[p]) > 0)
        visible.push_back(f);
    if (visible.empty()) continue;  // inside or on the hull
    edges.clear();
    for (const std::size_t f : visible) {
      alive[f] = 0;
      for (std::size_t e = 0; e < 3; ++e)
        edges.push_back({faces[f][e], faces[f][(e + 1) % 3]});
    }
    // Horizon: visible directed edges whose reverse is not visible.
    const std::size_t m = edges.size();
    for (std::size_t e = 0; e < m; ++e) {
      bool twin = false;
      for (std::size_t o = 0; o < m && !twin; ++o)
        twin = edges[o][0] == edges[e][1] && edges[o][1] == edges[e][0];
      if (!twin) add(edges[e][0], edges[e][1], p);
    }
  }
  std::vector<Face> out;
  for (std::size_t f = 0; f < faces.size(); ++f)
    if (alive[f]) out.push_back(faces[f]);
  return out;
}

std::vector<std::uint8_t> convex_hull_image(const std::uint8_t* mask, const Shape& shape) {
  const bool three_d = shape.size() == 3;
  const Shape zyx = three_d ? shape : Shape{1, shape[0], shape[1]};
  std::vector<P> pts = row_extreme_points(mask, zyx, three_d);
  std::vector<HalfSpace> hs;
  if (pts.empty()) return std::vector<std::uint8_t>(zyx[0] * zyx[1] * zyx[2], 0);
  if (!three_d) {
    const auto h = convex_hull_2d(std::move(pts));
    for (std::size_t i = 0; i < h.size(); ++i) {
      const P& a = h[i];
      const P& b = h[(i + 1) % h.size()];
      const P nrm{b[1] - a[1], a[0] - b[0], 0};
      hs.push_back({nrm, dot(nrm, a)});
    }
    return rasterise(hs, zyx);
  }
  // A vertex of the 3-D hull is a vertex of the 2-D hull of every plane section through it:
  // keep only the 2-D hull vertices of the planes of constant z, then y, then x.
  std::vector<P> thin = std::move(pts);
  for (std::size_t axis : {2, 1, 0})
    thin = plane_hull_vertices(std::move(thin), axis);
  for (const auto& f : convex_hull_3d(thin)) {
    const P nrm = cross(sub(thin[f[1]], thin[f[0]]), sub(thin[f[2]], thin[f[0]]));
    hs.push_back({nrm, dot(nrm, thin[f[0]])});
  }
  return rasterise(hs, zyx);
}

namespace {

// Mean, population variance, skewness and excess kurtosis (vigra's definitions); 0 where the
// spread is 0.
// Mean and, by `sample`, population moments (variance m2/n, g1, g2) or the bias-corrected
// sample ones (m2/(n-1), G1 = g1 sqrt(n(n-1))/(n-2), G2 = ((n+1) g2 + 6)(n-1)/((n-2)(n-3)),
// 0 where undefined): the latter are what ilastik stores for the defect volumes.
void moments(const std::vector<double>& v, bool sample, double& mean, double& var, double& skew,
             double& kurt) {
  mean = var = skew = kurt = 0;
  if (v.empty()) return;
  const double n = double(v.size());
  for (double x : v)
    mean += x;
  mean /= n;
  double m2 = 0, m3 = 0, m4 = 0;
  for (double x : v) {
    const double d = x - mean, d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  var = m2 / n;
  if (m2 > 0) {
    skew = std::sqrt(n) * m3 / std::pow(m2, 1.5);
    kurt = n * m4 / (m2 * m2) - 3.0;
  }
  if (!sample) return;
  var = n > 1 ? m2 / (n - 1) : 0.0;
  skew = n > 2 ? skew * std::sqrt(n * (n - 1)) / (n - 2) : 0.0;
  kurt = n > 3 ? ((n + 1) * kurt + 6) * (n - 1) / ((n - 2) * (n - 3)) : 0.0;
}

}  // namespace

const char* hull_convention_name(HullConvention c) {
  return c == HullConvention::ilastik ? "ilastik" : "scikit-image";
}

HullConvention hull_convention_from_name(const std::string& name) {
  if (name == "scikit-image") return HullConvention::scikit_image;
  if (name == "ilastik") return HullConvention::ilastik;
  throw_usage("unknown convex-hull convention '" + name + "' (scikit-image or ilastik)");
}

HullFeatures convex_hull_features(const std::uint8_t* mask, const Shape& shape,
                                  const std::array<double, 3>& origin, HullConvention convention) {
  const bool ilastik = convention == HullConvention::ilastik;
  const bool three_d = shape.size() == 3;
  const std::size_t D = shape.size();
  const Shape zyx = three_d ? shape : Shape{1, shape[0], shape[1]};
  const std::size_t X = zyx[2], Y = zyx[1], total = zyx[0] * Y * X;
  const auto hull = ilastik ? std::vector<std::uint8_t>(total, 1) : convex_hull_image(mask, shape);
  std::vector<std::uint8_t> defect(total);
  for (std::size_t i = 0; i < total; ++i)
    defect[i] = hull[i] && !mask[i];
  std::vector<std::uint32_t> lab(total);
  const std::uint32_t nd = label_components(defect.data(), shape, Connectivity::direct, lab.data());

  HullFeatures h;
  std::array<double, 3> in{}, hc{}, dc{};
  std::vector<double> vol(nd, 0.0);
  std::vector<std::array<double, 3>> cen(nd, std::array<double, 3>{});
  for (std::size_t i = 0; i < total; ++i) {
    if (!hull[i]) continue;
    const std::array<double, 3> c{double(i % X), double((i / X) % Y), double(i / (X * Y))};
    for (std::size_t d = 0; d < 3; ++d)
      hc[d] += c[d];
    h.hull_volume += 1;
    if (mask[i]) {
      h.input_volume += 1;
      for (std::size_t d = 0; d < 3; ++d)
        in[d] += c[d];
    } else {
      const std::size_t k = lab[i] - 1;
      vol[k] += 1;
      for (std::size_t d = 0; d < 3; ++d) {
        cen[k][d] += c[d];
        dc[d] += c[d];
      }
    }
  }
  if (h.input_volume == 0) return h;
  const double defect_total = h.hull_volume - h.input_volume;
  for (std::size_t d = 0; d < D; ++d) {
    in[d] /= h.input_volume;
    h.input_center[d] = in[d] + origin[d];
    h.hull_center[d] = hc[d] / h.hull_volume + origin[d];
    h.defect_center[d] = (nd ? dc[d] / defect_total : in[d]) + origin[d];
  }
  h.convexity = h.input_volume / h.hull_volume;
  h.defect_count = double(nd);
  moments(vol, ilastik, h.defect_mean, h.defect_variance, h.defect_skewness, h.defect_kurtosis);
  double disp = 0;
  for (std::size_t k = 0; k < nd; ++k) {
    double s = 0;
    for (std::size_t d = 0; d < D; ++d) {
      const double diff = cen[k][d] / vol[k] - in[d];
      s += diff * diff;
    }
    disp += vol[k] * std::sqrt(s);
  }
  if (nd) h.defect_displacement_mean = disp / defect_total;
  return h;
}

}  // namespace bioforest::workflows
