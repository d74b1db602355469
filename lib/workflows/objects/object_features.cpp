// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/objects/object_features.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "bioforest/core/error.hpp"
#include "bioforest/workflows/objects/convex_hull.hpp"
#include "bioforest/workflows/objects/skeleton.hpp"

namespace bioforest::workflows {

namespace {

constexpr std::size_t kBins = 64;  // ilastik's binCount
constexpr std::array<double, 7> kQuantiles{0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0};

std::string squash(const std::string& s) {
  std::string o;
  for (char c : s)
    if (c != ' ' && c != '_') o += char(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

}  // namespace

namespace {

// vigra's standard region features (ilastik's "Standard Object Features").
const std::vector<std::string>& standard_features() {
  static const std::vector<std::string> n{"Count",
                                          "Sum",
                                          "Mean",
                                          "Variance",
                                          "Skewness",
                                          "Kurtosis",
                                          "Minimum",
                                          "Maximum",
                                          "Quantiles",
                                          "Histogram",
                                          "RegionCenter",
                                          "RegionRadii",
                                          "RegionAxes",
                                          "Weighted<RegionCenter>",
                                          "Weighted<RegionRadii>",
                                          "Weighted<RegionAxes>",
                                          "Coord<Minimum >",
                                          "Coord<Maximum >",
                                          "Coord<ArgMinWeight >",
                                          "Coord<ArgMaxWeight >",
                                          "Coord<Principal<Skewness > >",
                                          "Coord<Principal<Kurtosis > >",
                                          "Covariance",
                                          "PrincipalAxes"};
  return n;
}

// The intensity features that have neighbourhood variants (ilastik: Mean, Variance,
// Skewness, Kurtosis, Histogram, Covariance, Minimum, Maximum, Sum).
const std::vector<std::string>& local_bases() {
  static const std::vector<std::string> n{"Sum",      "Mean",      "Variance",
                                          "Skewness", "Kurtosis",  "Minimum",
                                          "Maximum",  "Histogram", "Covariance"};
  return n;
}
constexpr const char* kExcl = " in neighborhood";
constexpr const char* kIncl = " in object and neighborhood";

// ilastik's "Convex Hull" plugin (vigra's convex hull features).
const std::vector<std::string>& hull_features() {
  static const std::vector<std::string> n{
      "InputVolume",          "HullVolume",           "Convexity",
      "DefectCount",          "DefectVolumeMean",     "DefectVolumeVariance",
      "DefectVolumeSkewness", "DefectVolumeKurtosis", "DefectDisplacementMean",
      "InputCenter",          "HullCenter",           "DefectCenter"};
  return n;
}

// ilastik's "2D Skeleton Features" (vigra's extractSkeletonFeatures).
const std::vector<std::string>& skeleton_feature_names() {
  static const std::vector<std::string> n{"Diameter",        "Euclidean Diameter", "Total Length",
                                          "Average Length",  "Branch Count",       "Hole Count",
                                          "Skeleton Center", "Terminal 1",         "Terminal 2"};
  return n;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The base feature of a neighbourhood variant and whether it includes the object; empty
// base for other features.
std::string local_base(const std::string& f, bool* incl = nullptr) {
  for (const char* suffix : {kIncl, kExcl}) {
    const std::string sfx = suffix;
    if (f.size() > sfx.size() && f.compare(f.size() - sfx.size(), sfx.size(), sfx) == 0) {
      if (incl) *incl = suffix == kIncl;
      return f.substr(0, f.size() - sfx.size());
    }
  }
  return {};
}

}  // namespace

const std::vector<std::string>& supported_object_features() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = standard_features();
    for (const auto& b : local_bases()) {
      n.push_back(b + kExcl);
      n.push_back(b + kIncl);
    }
    n.insert(n.end(), hull_features().begin(), hull_features().end());
    n.insert(n.end(), skeleton_feature_names().begin(), skeleton_feature_names().end());
    std::sort(n.begin(), n.end());
    return n;
  }();
  return names;
}

std::vector<std::string> default_object_features() {
  std::vector<std::string> n = standard_features();
  std::sort(n.begin(), n.end());
  return n;
}

bool is_standard_object_feature(const std::string& f) {
  return contains(standard_features(), f);
}

bool is_convex_hull_feature(const std::string& f) {
  return contains(hull_features(), f);
}
bool is_skeleton_feature(const std::string& f) {
  return contains(skeleton_feature_names(), f);
}
bool is_neighbourhood_feature(const std::string& f) {
  return !local_base(f).empty();
}

const std::vector<std::string>& always_object_features() {
  static const std::vector<std::string> n{"Count", "RegionCenter", "Coord<Minimum >",
                                          "Coord<Maximum >"};
  return n;
}

std::string match_object_feature(const std::string& name) {
  for (const auto& f : supported_object_features())
    if (squash(f) == squash(name)) return f;
  for (const auto& f : supported_object_features())
    if (squash(object_feature_display_name(f)) == squash(name)) return f;
  std::string all;
  for (const auto& f : supported_object_features())
    all += (all.empty() ? "" : ", ") + f;
  throw_usage("unknown object feature '" + name + "' (supported: " + all + ")");
}

std::string object_feature_display_name(const std::string& f) {
  static const std::map<std::string, std::string> names{
      {"Count", "Size in pixels"},
      {"Mean", "Mean Intensity"},
      {"Variance", "Variance of Intensity"},
      {"Skewness", "Skewness of Intensity"},
      {"Kurtosis", "Kurtosis of Intensity"},
      {"Minimum", "Minimum intensity"},
      {"Maximum", "Maximum intensity"},
      {"Sum", "Total Intensity"},
      {"Quantiles", "Quantiles of Intensity"},
      {"Histogram", "Histogram of Intensity"},
      {"Covariance", "Covariance of Channel Intensity"},
      {"RegionCenter", "Center of the object"},
      {"RegionRadii", "Radii of the object"},
      {"RegionAxes", "Principal components of the object"},
      {"Coord<Minimum >", "Bounding Box Minimum"},
      {"Coord<Maximum >", "Bounding Box Maximum"},
      {"InputVolume", "Object Area"},
      {"HullVolume", "Convex Hull Area"},
      {"DefectVolumeMean", "Mean Defect Area"},
      {"DefectVolumeVariance", "Variance of Defect Area"},
      {"DefectVolumeSkewness", "Skewness of Defect Area"},
      {"DefectVolumeKurtosis", "Kurtosis of Defect Area"},
      {"DefectCount", "Number of Defects"},
      {"DefectDisplacementMean", "Mean Defect Displacement"},
      {"InputCenter", "Object Center"},
      {"HullCenter", "Convex Hull Center"},
      {"DefectCenter", "Defect Center"}};
  bool incl = false;
  const std::string base = local_base(f, &incl);
  if (!base.empty()) return object_feature_display_name(base) + (incl ? kIncl : kExcl);
  auto it = names.find(f);
  return it == names.end() ? f : it->second;
}

namespace {

// Columns a feature contributes, for D spatial dims and C channels.
std::size_t feature_width(const std::string& f, std::size_t D, std::size_t C) {
  if (const std::string base = local_base(f); !base.empty()) return feature_width(base, D, C);
  if (f == "InputCenter" || f == "HullCenter" || f == "DefectCenter") return D;
  if (is_convex_hull_feature(f)) return 1;
  if (f == "Skeleton Center" || f == "Terminal 1" || f == "Terminal 2") return 2;
  if (is_skeleton_feature(f)) return 1;
  if (f == "Count") return 1;
  if (f == "RegionCenter" || f == "RegionRadii" || f == "Coord<Minimum >" ||
      f == "Coord<Maximum >" || f == "Coord<Principal<Skewness > >" ||
      f == "Coord<Principal<Kurtosis > >")
    return D;
  if (f == "RegionAxes") return D * D;
  if (f == "Quantiles") return kQuantiles.size() * C;
  if (f == "Histogram") return kBins * C;
  if (f == "Weighted<RegionCenter>" || f == "Weighted<RegionRadii>" ||
      f == "Coord<ArgMinWeight >" || f == "Coord<ArgMaxWeight >")
    return D * C;
  if (f == "Weighted<RegionAxes>") return D * D * C;
  if (f == "Covariance" || f == "PrincipalAxes") return C * C;
  return C;  // Sum, Mean, Variance, Skewness, Kurtosis, Minimum, Maximum
}

// Symmetric eigen-decomposition (n <= 3) as vigra's symmetricEigensystem computes it
// (EISPACK's tred2 + tql2: Householder tridiagonalisation, then implicit QL): eigenvalues
// descending, eigenvectors as columns of v. The algorithm, not only the result, is vigra's
// because an eigenvector's sign is whatever the algorithm leaves, and ilastik's RegionAxes,
// PrincipalAxes and the principal coordinate skewness carry those signs.
void symmetric_eigen(std::size_t n, const std::array<double, 9>& a, std::array<double, 3>& w,
                     std::array<double, 9>& v) {
  auto V = [&](std::size_t r, std::size_t c) -> double& { return v[r * 3 + c]; };
  double d[3] = {0, 0, 0}, e[3] = {0, 0, 0};
  v = a;
  for (std::size_t j = 0; j < n; ++j)
    d[j] = V(n - 1, j);
  // Householder reduction to tridiagonal form.
  for (std::size_t i = n - 1; i > 0; --i) {
    double scale = 0, h = 0;
    for (std::size_t k = 0; k < i; ++k)
      scale += std::abs(d[k]);
    if (scale == 0) {
      e[i] = d[i - 1];
      for (std::size_t j = 0; j < i; ++j) {
        d[j] = V(i - 1, j);
        V(i, j) = 0;
        V(j, i) = 0;
      }
    } else {
      for (std::size_t k = 0; k < i; ++k) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      double f = d[i - 1], g = std::sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (std::size_t j = 0; j < i; ++j)
        e[j] = 0;
      for (std::size_t j = 0; j < i; ++j) {
        f = d[j];
        V(j, i) = f;
        g = e[j] + V(j, j) * f;
        for (std::size_t k = j + 1; k <= i - 1; ++k) {
          g += V(k, j) * d[k];
          e[k] += V(k, j) * f;
        }
        e[j] = g;
      }
      f = 0;
      for (std::size_t j = 0; j < i; ++j) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const double hh = f / (h + h);
      for (std::size_t j = 0; j < i; ++j)
        e[j] -= hh * d[j];
      for (std::size_t j = 0; j < i; ++j) {
        f = d[j];
        g = e[j];
        for (std::size_t k = j; k <= i - 1; ++k)
          V(k, j) -= (f * e[k] + g * d[k]);
        d[j] = V(i - 1, j);
        V(i, j) = 0;
      }
    }
    d[i] = h;
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    V(n - 1, i) = V(i, i);
    V(i, i) = 1;
    const double h = d[i + 1];
    if (h != 0) {
      for (std::size_t k = 0; k <= i; ++k)
        d[k] = V(k, i + 1) / h;
      for (std::size_t j = 0; j <= i; ++j) {
        double g = 0;
        for (std::size_t k = 0; k <= i; ++k)
          g += V(k, i + 1) * V(k, j);
        for (std::size_t k = 0; k <= i; ++k)
          V(k, j) -= g * d[k];
      }
    }
    for (std::size_t k = 0; k <= i; ++k)
      V(k, i + 1) = 0;
  }
  for (std::size_t j = 0; j < n; ++j) {
    d[j] = V(n - 1, j);
    V(n - 1, j) = 0;
  }
  V(n - 1, n - 1) = 1;
  e[0] = 0;
  // Implicit QL iterations on the tridiagonal matrix.
  for (std::size_t i = 1; i < n; ++i)
    e[i - 1] = e[i];
  e[n - 1] = 0;
  double f = 0, tst1 = 0;
  const double eps = std::numeric_limits<double>::epsilon();
  for (std::size_t l = 0; l < n; ++l) {
    tst1 = std::max(tst1, std::abs(d[l]) + std::abs(e[l]));
    std::size_t m = l;
    while (m < n - 1 && std::abs(e[m]) > eps * tst1)
      ++m;
    if (m > l) {
      for (int iter = 0; iter < 60; ++iter) {
        double g = d[l], p = (d[l + 1] - g) / (2 * e[l]), r = std::hypot(p, 1.0);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const double dl1 = d[l + 1];
        double h = g - d[l];
        for (std::size_t i = l + 2; i < n; ++i)
          d[i] -= h;
        f += h;
        p = d[m];
        double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const double el1 = e[l + 1];
        for (std::size_t i = m; i-- > l;) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = std::hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (std::size_t k = 0; k < n; ++k) {
            h = V(k, i + 1);
            V(k, i + 1) = s * V(k, i) + c * h;
            V(k, i) = c * V(k, i) - s * h;
          }
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (std::abs(e[l]) <= eps * tst1) break;
      }
    }
    d[l] += f;
    e[l] = 0;
  }
  // Selection sort, descending, swapping whole eigenvector columns.
  for (std::size_t i = 0; i + 1 < n; ++i) {
    std::size_t k = i;
    double p = d[i];
    for (std::size_t j = i + 1; j < n; ++j)
      if (d[j] > p) {
        k = j;
        p = d[j];
      }
    if (k != i) {
      d[k] = d[i];
      d[i] = p;
      for (std::size_t r = 0; r < n; ++r)
        std::swap(V(r, i), V(r, k));
    }
  }
  for (std::size_t k = 0; k < n; ++k)
    w[k] = d[k];
}

// vigra's StandardQuantiles of a histogram over [offset, offset + bins/scale): linear
// interpolation of the cumulative histogram between the bin edges, the ends pinned to the
// region's own minimum and maximum.
void histogram_quantiles(const double* hist, double count, double rmin, double rmax, double scale,
                         double offset, double* out) {
  auto map = [&](double x) { return scale * (x - offset); };
  auto unmap = [&](double m) { return m / scale + offset; };
  std::vector<double> key{map(rmin)}, cum{0.0};
  const double mapped_max = map(rmax);
  for (std::size_t k = 0; k < kBins; ++k) {
    if (hist[k] <= 0) continue;
    if (key.back() <= double(k)) {
      key.push_back(double(k));
      cum.push_back(cum.back());
    }
    key.push_back(std::min(double(k + 1), mapped_max));
    cum.push_back(cum.back() + hist[k]);
  }
  std::size_t q = 0, end = kQuantiles.size();
  out[0] = rmin;
  ++q;
  out[end - 1] = rmax;
  --end;
  std::size_t point = 0;
  while (q < end) {
    const double qcount = count * kQuantiles[q];
    if (point + 1 >= cum.size()) {
      out[q++] = rmax;
      continue;
    }
    if (cum[point] < qcount && cum[point + 1] >= qcount) {
      const double t =
          (qcount - cum[point]) / (cum[point + 1] - cum[point]) * (key[point + 1] - key[point]);
      out[q++] = unmap(t + key[point]);
    } else {
      ++point;
    }
  }
}

struct Frame {
  const float* raw;
  std::size_t C, D;
  Shape spatial;                     // (z, y, x) with z = 1 in 2-D
  std::vector<double> gmin, gscale;  // per channel histogram mapping
};

// The standard features in standard_features() order, for column lookups in the hot path.
enum Std {
  kCount,
  kSum,
  kMean,
  kVariance,
  kSkewness,
  kKurtosis,
  kMinimum,
  kMaximum,
  kQuantileCols,
  kHistogram,
  kCenter,
  kRadii,
  kAxes,
  kWCenter,
  kWRadii,
  kWAxes,
  kBoxMin,
  kBoxMax,
  kArgMin,
  kArgMax,
  kPSkew,
  kPKurt,
  kCovariance,
  kPrincipalAxes,
  kStdCount
};

struct Layout {
  std::map<std::string, std::size_t> start;            // feature -> first column
  std::array<std::ptrdiff_t, kStdCount> std_col{};     // first column or -1, by Std
  bool histogram = false;                              // Histogram or Quantiles selected
  bool weighted = false;                               // Weighted<RegionRadii/Axes> selected
  bool hull = false, skeleton = false, local = false;  // plugin groups selected
  bool local_histogram = false;
  bool local_covariance = false;
  bool has(const std::string& f) const { return start.count(f) != 0; }
  std::size_t operator[](const std::string& f) const { return start.at(f); }
  bool has(Std f) const { return std_col[f] >= 0; }
  std::size_t operator[](Std f) const { return std::size_t(std_col[f]); }
  void index_standard() {
    for (std::size_t k = 0; k < kStdCount; ++k) {
      const auto it = start.find(standard_features()[k]);
      std_col[k] = it == start.end() ? -1 : std::ptrdiff_t(it->second);
    }
  }
};

// Coordinates of raster-ordered pixel indices: divisions only when the row changes, which
// the pixels of one object do rarely.
class RowWalker {
 public:
  RowWalker(std::size_t X, std::size_t Y) : X_(X), Y_(Y) {}
  void operator()(std::uint32_t p, double* c) {
    if (p < row_begin_ || p >= row_begin_ + X_) {
      const std::size_t r = p / X_;
      row_begin_ = r * X_;
      y_ = double(r % Y_);
      z_ = double(r / Y_);
    }
    c[0] = double(p - row_begin_);
    c[1] = y_;
    c[2] = z_;
  }

 private:
  std::size_t X_, Y_, row_begin_ = 0;
  double y_ = 0, z_ = 0;
};

// The scatter matrix of pixel vectors (all channels of a pixel) about given channel means:
// vigra's FlatScatterMatrix, kept full (C x C, row-major) because ilastik stores it so.
struct ChannelScatter {
  std::size_t C = 0;
  double n = 0;
  std::vector<double> m;
  explicit ChannelScatter(std::size_t channels) : C(channels), m(channels * channels, 0.0) {}
  void add(const float* p, const double* mean) {
    n += 1;
    for (std::size_t a = 0; a < C; ++a) {
      const double da = double(p[a]) - mean[a];
      for (std::size_t b = a; b < C; ++b)
        m[a * C + b] += da * (double(p[b]) - mean[b]);
    }
  }
  // Covariance (scatter / N, vigra's population covariance) into out[0 .. C*C).
  void covariance(double* out) const {
    for (std::size_t a = 0; a < C; ++a)
      for (std::size_t b = 0; b < C; ++b)
        out[a * C + b] = n > 0 ? m[std::min(a, b) * C + std::max(a, b)] / n
                               : std::numeric_limits<double>::quiet_NaN();
  }
  // vigra's PrincipalAxes: the covariance's eigenvectors as columns, eigenvalues descending.
  void principal_axes(double* out) const {
    std::array<double, 9> cov{}, vec{};
    std::array<double, 3> ev{};
    for (std::size_t a = 0; a < C; ++a)
      for (std::size_t b = 0; b < C; ++b)
        cov[a * 3 + b] = m[std::min(a, b) * C + std::max(a, b)] / n;
    symmetric_eigen(C, cov, ev, vec);
    for (std::size_t r = 0; r < C; ++r)
      for (std::size_t k = 0; k < C; ++k)
        out[r * C + k] = vec[r * 3 + k];
  }
};

// All features of one object from its pixel list, written into `row`.
void object_row(const Frame& g, const Layout& L, const std::uint32_t* px, std::size_t n,
                double* row, std::vector<double>& scratch) {
  const std::size_t C = g.C, D = g.D, X = g.spatial[2], Y = g.spatial[1];
  RowWalker coords(X, Y);
  // scratch: per channel sum, min, max, wsum[D], argmin[D], argmax[D], hist[64], m2, m3, m4,
  // wscatter[9]
  const std::size_t per = 3 + 3 * D + kBins + 3 + 9;
  scratch.assign(per * C, 0.0);
  double csum[3] = {0, 0, 0}, cmin[3], cmax[3];
  std::fill_n(cmin, 3, std::numeric_limits<double>::max());
  std::fill_n(cmax, 3, std::numeric_limits<double>::lowest());
  // Each sum below runs over the pixels in list order, one accumulator per loop kept in a
  // register (channel-outer loops): fast, and the same values for any thread count.
  double c[3] = {0, 0, 0};
  for (std::size_t i = 0; i < n; ++i) {
    coords(px[i], c);
    for (std::size_t d = 0; d < D; ++d) {
      csum[d] += c[d];
      cmin[d] = std::min(cmin[d], c[d]);
      cmax[d] = std::max(cmax[d], c[d]);
    }
  }
  for (std::size_t ch = 0; ch < C; ++ch) {
    double* s = scratch.data() + ch * per;
    double* hist = s + 3 + 3 * D;
    double sum = 0, mn = std::numeric_limits<double>::max(),
           mx = std::numeric_limits<double>::lowest(), w0 = 0, w1 = 0, w2 = 0;
    std::size_t imin = 0, imax = 0;
    RowWalker walk(X, Y);
    const float* v = g.raw + ch;
    for (std::size_t i = 0; i < n; ++i) {
      const double x = v[std::size_t(px[i]) * C];
      sum += x;
      if (x < mn) {
        mn = x;
        imin = i;
      }
      if (x > mx) {
        mx = x;
        imax = i;
      }
      walk(px[i], c);
      w0 += x * c[0];
      w1 += x * c[1];
      w2 += x * c[2];
      if (L.histogram) {
        const double m = (x - g.gmin[ch]) * g.gscale[ch];
        hist[m >= double(kBins) ? kBins - 1 : std::size_t(std::max(m, 0.0))] += 1;
      }
    }
    s[0] = sum;
    s[1] = mn;
    s[2] = mx;
    const double w[3] = {w0, w1, w2};
    std::copy_n(w, D, s + 3);
    walk(px[imin], c);
    std::copy_n(c, D, s + 3 + D);
    walk(px[imax], c);
    std::copy_n(c, D, s + 3 + 2 * D);
  }
  const double N = double(n);
  double mu[3];
  for (std::size_t d = 0; d < D; ++d)
    mu[d] = csum[d] / N;
  // Second pass: central moments about the means.
  std::array<double, 9> scatter{};
  for (std::size_t i = 0; i < n; ++i) {
    coords(px[i], c);
    double dc[3];
    for (std::size_t d = 0; d < D; ++d)
      dc[d] = c[d] - mu[d];
    for (std::size_t a = 0; a < D; ++a)
      for (std::size_t b = a; b < D; ++b)
        scatter[a * 3 + b] += dc[a] * dc[b];
  }
  for (std::size_t ch = 0; ch < C; ++ch) {
    double* s = scratch.data() + ch * per;
    double* m = s + 3 + 3 * D + kBins;
    const double mean = s[0] / N;
    const float* v = g.raw + ch;
    double m2 = 0, m3 = 0, m4 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double dv = double(v[std::size_t(px[i]) * C]) - mean;
      const double d2 = dv * dv;
      m2 += d2;
      m3 += d2 * dv;
      m4 += d2 * d2;
    }
    m[0] = m2;
    m[1] = m3;
    m[2] = m4;
    if (!L.weighted) continue;
    double* ws = m + 3;
    RowWalker walk(X, Y);
    for (std::size_t i = 0; i < n; ++i) {
      const double x = v[std::size_t(px[i]) * C];
      walk(px[i], c);
      double wc[3];
      for (std::size_t d = 0; d < D; ++d)
        wc[d] = c[d] - s[3 + d] / s[0];
      for (std::size_t a = 0; a < D; ++a)
        for (std::size_t b = a; b < D; ++b)
          ws[a * 3 + b] += x * wc[a] * wc[b];
    }
  }
  for (std::size_t a = 0; a < D; ++a)
    for (std::size_t b = 0; b < a; ++b)
      scatter[a * 3 + b] = scatter[b * 3 + a];
  std::array<double, 3> ev{};
  std::array<double, 9> vec{};
  for (auto& e : scatter)
    e /= N;
  symmetric_eigen(D, scatter, ev, vec);

  row[L[kCount]] = N;
  for (std::size_t d = 0; d < D; ++d) {
    row[L[kCenter] + d] = mu[d];
    row[L[kBoxMin] + d] = cmin[d];
    row[L[kBoxMax] + d] = cmax[d] + 1;  // exclusive end, as ilastik
  }
  if (L.has(kRadii))
    for (std::size_t d = 0; d < D; ++d)
      row[L[kRadii] + d] = std::sqrt(std::max(ev[d], 0.0));
  if (L.has(kAxes))
    for (std::size_t r = 0; r < D; ++r)
      for (std::size_t k = 0; k < D; ++k)
        row[L[kAxes] + r * D + k] = vec[r * 3 + k];
  if (L.has(kPSkew) || L.has(kPKurt)) {
    double pm[3][3] = {};
    for (std::size_t i = 0; i < n; ++i) {
      coords(px[i], c);
      for (std::size_t k = 0; k < D; ++k) {
        double p = 0;
        for (std::size_t d = 0; d < D; ++d)
          p += (c[d] - mu[d]) * vec[d * 3 + k];
        const double p2 = p * p;
        pm[k][0] += p2;
        pm[k][1] += p2 * p;
        pm[k][2] += p2 * p2;
      }
    }
    for (std::size_t k = 0; k < D; ++k) {
      if (L.has(kPSkew)) row[L[kPSkew] + k] = std::sqrt(N) * pm[k][1] / std::pow(pm[k][0], 1.5);
      if (L.has(kPKurt)) row[L[kPKurt] + k] = N * pm[k][2] / (pm[k][0] * pm[k][0]) - 3.0;
    }
  }
  for (std::size_t ch = 0; ch < C; ++ch) {
    const double* s = scratch.data() + ch * per;
    const double* m = s + 3 + 3 * D + kBins;
    auto put = [&](Std f, double value) {
      if (L.has(f)) row[L[f] + ch] = value;
    };
    put(kSum, s[0]);
    put(kMean, s[0] / N);
    put(kVariance, m[0] / N);
    put(kSkewness, std::sqrt(N) * m[1] / std::pow(m[0], 1.5));
    put(kKurtosis, N * m[2] / (m[0] * m[0]) - 3.0);
    put(kMinimum, s[1]);
    put(kMaximum, s[2]);
    const double* hist = s + 3 + 3 * D;
    if (L.has(kHistogram)) std::copy_n(hist, kBins, row + L[kHistogram] + ch * kBins);
    if (L.has(kQuantileCols))
      histogram_quantiles(hist, N, s[1], s[2], g.gscale[ch], g.gmin[ch],
                          row + L[kQuantileCols] + ch * kQuantiles.size());
    for (std::size_t d = 0; d < D; ++d) {
      if (L.has(kArgMin)) row[L[kArgMin] + ch * D + d] = s[3 + D + d];
      if (L.has(kArgMax)) row[L[kArgMax] + ch * D + d] = s[3 + 2 * D + d];
      if (L.has(kWCenter)) row[L[kWCenter] + ch * D + d] = s[3 + d] / s[0];
    }
    if (L.has(kWRadii) || L.has(kWAxes)) {
      std::array<double, 9> ws{};
      for (std::size_t a = 0; a < D; ++a)
        for (std::size_t b = 0; b < D; ++b)
          ws[a * 3 + b] = m[3 + std::min(a, b) * 3 + std::max(a, b)] / s[0];
      std::array<double, 3> wev{};
      std::array<double, 9> wvec{};
      symmetric_eigen(D, ws, wev, wvec);
      if (L.has(kWRadii))
        for (std::size_t d = 0; d < D; ++d)
          row[L[kWRadii] + ch * D + d] = std::sqrt(std::max(wev[d], 0.0));
      if (L.has(kWAxes))
        for (std::size_t r = 0; r < D; ++r)
          for (std::size_t k = 0; k < D; ++k)
            row[L[kWAxes] + ch * D * D + r * D + k] = wvec[r * 3 + k];
    }
  }
  if (L.has(kCovariance) || L.has(kPrincipalAxes)) {
    std::vector<double> mean(C);
    for (std::size_t ch = 0; ch < C; ++ch)
      mean[ch] = scratch[ch * per] / N;
    ChannelScatter cs(C);
    for (std::size_t i = 0; i < n; ++i)
      cs.add(g.raw + std::size_t(px[i]) * C, mean.data());
    if (L.has(kCovariance)) cs.covariance(row + L[kCovariance]);
    if (L.has(kPrincipalAxes)) cs.principal_axes(row + L[kPrincipalAxes]);
  }
}

// The object as a binary crop of its bounding box, (z, y, x) with z = 1 in 2-D.
void object_crop(const Frame& g, const std::uint32_t* px, std::size_t n,
                 const std::array<std::size_t, 3>& lo, const std::array<std::size_t, 3>& ext,
                 std::vector<std::uint8_t>& crop) {
  const std::size_t X = g.spatial[2], Y = g.spatial[1];
  crop.assign(ext[0] * ext[1] * ext[2], 0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t x = px[i] % X, y = (px[i] / X) % Y, z = px[i] / (X * Y);
    crop[((z - lo[0]) * ext[1] + (y - lo[1])) * ext[2] + (x - lo[2])] = 1;
  }
}

// Convex-hull and skeleton features of one object; its bounding box is already in `row`.
void shape_row(const Frame& g, const Layout& L, const std::uint32_t* px, std::size_t n, double* row,
               std::vector<std::uint8_t>& crop, HullConvention convention) {
  const std::size_t D = g.D;
  std::array<std::size_t, 3> lo{0, 0, 0}, ext{1, 1, 1};  // (z, y, x)
  std::array<double, 3> origin{0, 0, 0};                 // (x, y, z)
  for (std::size_t d = 0; d < D; ++d) {
    const auto a = std::size_t(row[L[kBoxMin] + d]);
    const auto b = std::size_t(row[L[kBoxMax] + d]);
    lo[2 - d] = a;
    ext[2 - d] = b - a;
    origin[d] = double(a);
  }
  object_crop(g, px, n, lo, ext, crop);
  const Shape shape = D == 3 ? Shape{ext[0], ext[1], ext[2]} : Shape{ext[1], ext[2]};
  auto put = [&](const char* f, double v) {
    if (L.has(f)) row[L[f]] = v;
  };
  auto put_point = [&](const char* f, const double* p, std::size_t k) {
    if (L.has(f)) std::copy_n(p, k, row + L[f]);
  };
  if (L.hull) {
    const HullFeatures h = convex_hull_features(crop.data(), shape, origin, convention);
    put("InputVolume", h.input_volume);
    put("HullVolume", h.hull_volume);
    put("Convexity", h.convexity);
    put("DefectCount", h.defect_count);
    put("DefectVolumeMean", h.defect_mean);
    put("DefectVolumeVariance", h.defect_variance);
    put("DefectVolumeSkewness", h.defect_skewness);
    put("DefectVolumeKurtosis", h.defect_kurtosis);
    put("DefectDisplacementMean", h.defect_displacement_mean);
    put_point("InputCenter", h.input_center.data(), D);
    put_point("HullCenter", h.hull_center.data(), D);
    put_point("DefectCenter", h.defect_center.data(), D);
  }
  if (L.skeleton) {
    const SkeletonFeatures k =
        skeleton_features(crop.data(), ext[1], ext[2], {origin[0], origin[1]});
    put("Diameter", k.diameter);
    put("Euclidean Diameter", k.euclidean_diameter);
    put("Total Length", k.total_length);
    put("Average Length", k.average_length);
    put("Branch Count", k.branch_count);
    put("Hole Count", k.hole_count);
    put_point("Skeleton Center", k.center.data(), 2);
    put_point("Terminal 1", k.terminal1.data(), 2);
    put_point("Terminal 2", k.terminal2.data(), 2);
  }
}

// vigra's histogram bin of a value over [lo, hi] with 64 bins: floor((v - lo) * 64 / (hi -
// lo)), the maximum itself in the last bin; a constant region has everything in bin 0.
struct Binning {
  double lo, scale;
  Binning(double lo_, double hi) : lo(lo_), scale(hi > lo_ ? double(kBins) / (hi - lo_) : 1.0) {}
  std::size_t operator()(double v) const {
    const double m = (v - lo) * scale;
    return m >= double(kBins) ? kBins - 1 : std::size_t(std::max(m, 0.0));
  }
};

// Sum, mean, central moments, min, max and histogram of one region, per channel.
struct RegionStats {
  double n = 0, sum = 0, mn = std::numeric_limits<double>::max(),
         mx = std::numeric_limits<double>::lowest(), m2 = 0, m3 = 0, m4 = 0;
  std::array<double, kBins> hist{};
  void add(double v) {
    n += 1;
    sum += v;
    mn = std::min(mn, v);
    mx = std::max(mx, v);
  }
  void add_central(double v, double mean) {
    const double d = v - mean, d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  // Writes the "<base><suffix>" columns of channel ch.
  void put(const Layout& L, const std::string& suffix, std::size_t ch, double* row) const {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const bool any = n > 0;
    const double values[] = {sum,
                             any ? sum / n : nan,
                             any ? m2 / n : nan,
                             any ? std::sqrt(n) * m3 / std::pow(m2, 1.5) : nan,
                             any ? n * m4 / (m2 * m2) - 3.0 : nan,
                             any ? mn : nan,
                             any ? mx : nan};
    const char* bases[] = {"Sum", "Mean", "Variance", "Skewness", "Kurtosis", "Minimum", "Maximum"};
    for (std::size_t k = 0; k < 7; ++k) {
      const auto it = L.start.find(bases[k] + suffix);
      if (it != L.start.end()) row[it->second + ch] = values[k];
    }
    const auto it = L.start.find("Histogram" + suffix);
    if (it != L.start.end()) std::copy(hist.begin(), hist.end(), row + it->second + ch * kBins);
  }
};

// The "in neighborhood" (the ring without the object) and "in object and neighborhood"
// features of object `id`, both regions in the same two passes over the box per channel.
void local_row(const Frame& g, const Layout& L, const std::uint32_t* labels, std::uint32_t id,
               const Margin& margin, double* row, Neighbourhood& nb) {
  std::array<std::size_t, 3> lo{0, 0, 0}, hi{0, 0, 0};  // (z, y, x)
  for (std::size_t d = 0; d < g.D; ++d) {
    lo[2 - d] = std::size_t(row[L[kBoxMin] + d]);
    hi[2 - d] = std::size_t(row[L[kBoxMax] + d]) - 1;
  }
  object_neighbourhood(labels, g.spatial, id, lo, hi, margin, nb);
  const std::size_t C = g.C, X = g.spatial[2], Y = g.spatial[1];
  const std::size_t BZ = nb.shape[0], BY = nb.shape[1], BX = nb.shape[2];
  auto for_each = [&](std::size_t ch, auto&& f) {
    for (std::size_t z = 0, i = 0; z < BZ; ++z)
      for (std::size_t y = 0; y < BY; ++y) {
        const float* p = g.raw + (((nb.lo[0] + z) * Y + nb.lo[1] + y) * X + nb.lo[2]) * C + ch;
        for (std::size_t x = 0; x < BX; ++x, ++i)
          if (const std::uint8_t r = nb.region[i]) f(r, double(p[x * C]));
      }
  };
  std::vector<double> ring_means(C), all_means(C);
  for (std::size_t ch = 0; ch < C; ++ch) {
    RegionStats ring, all;
    for_each(ch, [&](std::uint8_t r, double v) {
      all.add(v);
      if (r == 1) ring.add(v);
    });
    const double ring_mean = ring.sum / ring.n, all_mean = all.sum / all.n;
    ring_means[ch] = ring_mean;
    all_means[ch] = all_mean;
    // ilastik measures each region with its own vigra call (labels 0/1, ignoreLabel 0), so
    // each histogram spans that region's own minimum..maximum.
    const Binning ring_bins(ring.mn, ring.mx), all_bins(all.mn, all.mx);
    for_each(ch, [&](std::uint8_t r, double v) {
      all.add_central(v, all_mean);
      if (r == 1) ring.add_central(v, ring_mean);
      if (L.local_histogram) {
        all.hist[all_bins(v)] += 1;
        if (r == 1) ring.hist[ring_bins(v)] += 1;
      }
    });
    ring.put(L, kExcl, ch, row);
    all.put(L, kIncl, ch, row);
  }
  if (L.local_covariance) {
    ChannelScatter ring(C), all(C);
    for (std::size_t z = 0, i = 0; z < BZ; ++z)
      for (std::size_t y = 0; y < BY; ++y) {
        const float* p = g.raw + (((nb.lo[0] + z) * Y + nb.lo[1] + y) * X + nb.lo[2]) * C;
        for (std::size_t x = 0; x < BX; ++x, ++i)
          if (const std::uint8_t r = nb.region[i]) {
            all.add(p + x * C, all_means.data());
            if (r == 1) ring.add(p + x * C, ring_means.data());
          }
      }
    for (const auto& [region, suffix] : {std::pair{&ring, kExcl}, std::pair{&all, kIncl}}) {
      const auto it = L.start.find(std::string("Covariance") + suffix);
      if (it != L.start.end()) region->covariance(row + it->second);
    }
  }
}

}  // namespace

ObjectFeatures compute_object_features(const float* raw, std::size_t channels,
                                       const std::uint32_t* labels, const Shape& spatial,
                                       std::uint32_t n_objects,
                                       const std::vector<std::string>& features,
                                       const RunContext& ctx) {
  return compute_object_features(raw, channels, labels, spatial, n_objects, features, ctx,
                                 ObjectFeatureOptions{});
}

ObjectFeatures compute_object_features(const float* raw, std::size_t channels,
                                       const std::uint32_t* labels, const Shape& spatial,
                                       std::uint32_t n_objects,
                                       const std::vector<std::string>& features,
                                       const RunContext& ctx, const ObjectFeatureOptions& opt) {
  Frame g;
  g.raw = raw;
  g.C = channels;
  g.D = spatial.size();
  g.spatial = spatial.size() == 3 ? spatial : Shape{1, spatial[0], spatial[1]};
  const std::size_t total = g.spatial[0] * g.spatial[1] * g.spatial[2];
  if (total >= std::numeric_limits<std::uint32_t>::max())
    throw_usage("object features of frames with 2^32 pixels or more are not supported");

  // Columns: the always-computed features first, then the selection in sorted order.
  std::vector<std::string> feats = always_object_features();
  std::vector<std::string> rest;
  for (const auto& f : features) {
    const std::string m = match_object_feature(f);
    if (opt.skip_inapplicable && g.D != 2 && is_skeleton_feature(m)) continue;
    if (std::find(feats.begin(), feats.end(), m) == feats.end() &&
        std::find(rest.begin(), rest.end(), m) == rest.end())
      rest.push_back(m);
  }
  std::sort(rest.begin(), rest.end());
  feats.insert(feats.end(), rest.begin(), rest.end());
  ObjectFeatures out;
  Layout L;
  for (const auto& f : feats) {
    const std::size_t w = feature_width(f, g.D, g.C);
    L.start[f] = out.columns.size();
    const std::string name = object_feature_display_name(f);
    for (std::size_t i = 0; i < w; ++i) {
      out.columns.push_back(w == 1 ? name : name + "_" + std::to_string(i));
      out.feature_of_column.push_back(f);
    }
  }
  L.index_standard();
  L.histogram = L.has("Histogram") || L.has("Quantiles");
  L.weighted = L.has("Weighted<RegionRadii>") || L.has("Weighted<RegionAxes>");
  for (const auto& f : feats) {
    L.hull = L.hull || is_convex_hull_feature(f);
    L.skeleton = L.skeleton || is_skeleton_feature(f);
    L.local = L.local || is_neighbourhood_feature(f);
    L.local_histogram = L.local_histogram || local_base(f) == "Histogram";
    L.local_covariance = L.local_covariance || local_base(f) == "Covariance";
    if (f == "PrincipalAxes" && g.C > 3)
      throw_usage("PrincipalAxes is computed for at most 3 channels, not " + std::to_string(g.C));
    if (is_skeleton_feature(f) && g.D != 2)
      throw_usage("the skeleton feature '" + f + "' is defined for 2-D objects only");
  }
  out.rows = n_objects;
  out.values.assign(out.rows * out.columns.size(), 0.0);
  if (n_objects == 0) return out;

  // Histogram range per channel: ilastik's histogramRange="globalminmax" with ignoreLabel=0,
  // i.e. vigra's Global<Minimum/Maximum> over the object pixels only (background excluded).
  g.gmin.assign(g.C, 0.0);
  g.gscale.assign(g.C, 1.0);
  if (L.histogram) {
    std::vector<double> gmax(g.C, std::numeric_limits<double>::lowest());
    g.gmin.assign(g.C, std::numeric_limits<double>::max());
    if (!opt.histogram_range.empty()) {
      if (opt.histogram_range.size() != g.C)
        throw_usage("histogram range: " + std::to_string(opt.histogram_range.size()) +
                    " channel(s) given for " + std::to_string(g.C));
      for (std::size_t ch = 0; ch < g.C; ++ch)
        std::tie(g.gmin[ch], gmax[ch]) = opt.histogram_range[ch];
    } else {
      for (std::size_t i = 0; i < total; ++i)
        if (labels[i])
          for (std::size_t ch = 0; ch < g.C; ++ch) {
            const double v = raw[i * g.C + ch];
            g.gmin[ch] = std::min(g.gmin[ch], v);
            gmax[ch] = std::max(gmax[ch], v);
          }
    }
    for (std::size_t ch = 0; ch < g.C; ++ch)
      g.gscale[ch] = gmax[ch] > g.gmin[ch] ? double(kBins) / (gmax[ch] - g.gmin[ch]) : 1.0;
  }

  // Pixel lists of objects 1..n by a counting sort (raster order inside each object), in
  // parallel over fixed chunks of the frame: each chunk's pixels of an object go after the
  // earlier chunks' ones, so the lists do not depend on the thread count.
  const std::size_t chunks = std::min<std::size_t>(std::size_t(std::max(ctx.threads, 1)), 64);
  const std::size_t chunk_len = (total + chunks - 1) / chunks;
  const std::size_t NL = std::size_t(n_objects) + 1;
  std::vector<std::uint32_t> counts(chunks * NL, 0);
  std::uint32_t bad = 0;
#pragma omp parallel for num_threads(ctx.threads) schedule(static, 1) reduction(max : bad)
  for (std::ptrdiff_t c = 0; c < std::ptrdiff_t(chunks); ++c) {
    std::uint32_t* cnt = counts.data() + std::size_t(c) * NL;
    const std::size_t b = std::size_t(c) * chunk_len, e = std::min(total, b + chunk_len);
    for (std::size_t i = b; i < e; ++i) {
      const std::uint32_t l = labels[i];
      if (l > n_objects) {
        bad = std::max(bad, l);
        continue;
      }
      ++cnt[l];
    }
  }
  if (bad)
    throw_input("", "label " + std::to_string(bad) + " exceeds the object count " +
                        std::to_string(n_objects));
  std::vector<std::uint32_t> start(NL + 1, 0);  // start[l]: first pixel of object l (l >= 1)
  for (std::size_t l = 1; l < NL; ++l) {
    std::uint32_t s = start[l];
    for (std::size_t c = 0; c < chunks; ++c) {
      const std::uint32_t k = counts[c * NL + l];
      counts[c * NL + l] = s;  // now: where chunk c writes object l's pixels
      s += k;
    }
    start[l + 1] = s;
  }
  std::vector<std::uint32_t> px(start[NL]);
#pragma omp parallel for num_threads(ctx.threads) schedule(static, 1)
  for (std::ptrdiff_t c = 0; c < std::ptrdiff_t(chunks); ++c) {
    std::uint32_t* at = counts.data() + std::size_t(c) * NL;
    const std::size_t b = std::size_t(c) * chunk_len, e = std::min(total, b + chunk_len);
    for (std::size_t i = b; i < e; ++i)
      if (const std::uint32_t l = labels[i]) px[at[l]++] = std::uint32_t(i);
  }

  const std::size_t W = out.columns.size();
#pragma omp parallel num_threads(ctx.threads)
  {
    std::vector<double> scratch;
    std::vector<std::uint8_t> crop;
    Neighbourhood nb;
#pragma omp for schedule(dynamic, 16)
    for (std::ptrdiff_t o = 1; o <= std::ptrdiff_t(n_objects); ++o) {
      const std::size_t n = start[std::size_t(o) + 1] - start[std::size_t(o)];
      double* row = out.values.data() + std::size_t(o - 1) * W;
      if (n == 0) {
        std::fill_n(row, W, std::numeric_limits<double>::quiet_NaN());
        continue;
      }
      const std::uint32_t* list = px.data() + start[std::size_t(o)];
      object_row(g, L, list, n, row, scratch);
      if (L.hull || L.skeleton) shape_row(g, L, list, n, row, crop, opt.hull);
      if (L.local) local_row(g, L, labels, std::uint32_t(o), opt.margin, row, nb);
    }
  }
  return out;
}

}  // namespace bioforest::workflows
