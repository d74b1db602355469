// SPDX-License-Identifier: BSD-3-Clause
// The private SIMD kernels of the feature filters: eigenvalue solvers against a long-double
// Jacobi reference (including degenerate and non-finite matrices), and the output kernels'
// placement of vectors on the output's alignment (every start offset and length, bit for bit).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "../../../lib/features/simd.hpp"

using namespace bioforest::features;

namespace {

// Eigenvalues of a symmetric 3x3 matrix by cyclic Jacobi rotations in long double, descending.
std::array<double, 3> jacobi3(const std::array<double, 6>& m) {
  long double a[3][3] = {{m[0], m[1], m[2]}, {m[1], m[3], m[4]}, {m[2], m[4], m[5]}};
  for (int sweep = 0; sweep < 60; ++sweep) {
    for (int p = 0; p < 2; ++p)
      for (int q = p + 1; q < 3; ++q) {
        if (a[p][q] == 0) continue;
        const long double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const long double t =
            (theta >= 0 ? 1 : -1) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const long double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < 3; ++k) {  // A <- A J
          const long double akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < 3; ++k) {  // A <- J^T A
          const long double apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
  }
  std::array<double, 3> e{double(a[0][0]), double(a[1][1]), double(a[2][2])};
  std::sort(e.begin(), e.end(), std::greater<>());
  return e;
}

// Random symmetric matrices R diag(l) R^T with eigenvalue patterns that stress the closed
// form: generic, double and triple eigenvalues, thin (rank-1) tensors, large offsets.
std::vector<std::array<double, 6>> test_matrices(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<std::array<double, 6>> out;
  for (std::size_t i = 0; i < n; ++i) {
    double l[3] = {u(rng), u(rng), u(rng)};
    const double scale = std::pow(10.0, 4.0 * u(rng));
    switch (i % 6) {
      case 1:
        l[1] = l[0];
        break;  // double eigenvalue
      case 2:
        l[1] = l[0] * (1 + 1e-5 * u(rng));
        break;  // nearly double
      case 3:
        l[1] = l[2] = 1e-4 * std::fabs(l[1]);
        l[0] = 1;
        break;  // thin, PSD
      case 4:
        l[0] += 50, l[1] += 50, l[2] += 50;
        break;  // trace-dominated
      case 5:
        l[1] = l[2] = l[0];
        break;  // isotropic
      default:
        break;
    }
    // Random rotation from a normalised quaternion.
    double q[4] = {u(rng), u(rng), u(rng), u(rng)};
    const double qn = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    for (double& v : q)
      v /= qn;
    const double w = q[0], x = q[1], y = q[2], z = q[3];
    const double R[3][3] = {{1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)},
                            {2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)},
                            {2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)}};
    auto a = [&](int r, int c) {
      double s = 0;
      for (int k = 0; k < 3; ++k)
        s += R[r][k] * scale * l[k] * R[c][k];
      return s;
    };
    out.push_back({a(0, 0), a(0, 1), a(0, 2), a(1, 1), a(1, 2), a(2, 2)});
  }
  return out;
}

using Eig3Fn = void (*)(const float*, const float*, const float*, const float*, const float*,
                        const float*, float*, float*, float*, std::size_t);

// Largest |ours - reference| over the matrix's largest |eigenvalue|.
double eig3_worst_error(Eig3Fn fn, const std::vector<std::array<double, 6>>& mats) {
  const std::size_t n = mats.size();
  std::vector<std::vector<float>> in(6, std::vector<float>(n)), out(3, std::vector<float>(n));
  for (std::size_t i = 0; i < n; ++i)
    for (int k = 0; k < 6; ++k)
      in[k][i] = float(mats[i][k]);
  fn(in[0].data(), in[1].data(), in[2].data(), in[3].data(), in[4].data(), in[5].data(),
     out[0].data(), out[1].data(), out[2].data(), n);
  simd::flush_streams();
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    // Reference of the float-rounded input (what the kernels see).
    std::array<double, 6> m;
    for (int k = 0; k < 6; ++k)
      m[k] = in[k][i];
    const auto ref = jacobi3(m);
    const double norm = std::max(std::fabs(ref[0]), std::fabs(ref[2]));
    for (int k = 0; k < 3; ++k)
      worst = std::max(worst, std::fabs(out[k][i] - ref[k]) / norm);
  }
  return worst;
}

}  // namespace

TEST_CASE("3x3 eigenvalues match a long-double Jacobi reference", "[features]") {
  const auto mats = test_matrices(3000, 11);
  // Double: float rounding of the result only.
  CHECK(eig3_worst_error(simd::eig3_f64, mats) < 3e-7);
  // Float on the deviator with the double fallback near double eigenvalues.
  CHECK(eig3_worst_error(simd::eig3, mats) < 5e-6);
}

TEST_CASE("3x3 eigenvalues: zero, overflow and one lane at a time", "[features]") {
  const float big = 3e25f;  // squares overflow float: the double fallback takes over
  std::vector<float> a00{0, 2, big}, a01{0, 0, 0}, a02{0, 0, 0}, a11{0, 2, -big}, a12{0, 0, big},
      a22{0, 2, 1};
  std::vector<float> e0(3), e1(3), e2(3);
  simd::eig3(a00.data(), a01.data(), a02.data(), a11.data(), a12.data(), a22.data(), e0.data(),
             e1.data(), e2.data(), 3);
  CHECK(e0[0] == 0.f);
  CHECK(e2[0] == 0.f);
  CHECK(e0[1] == Approx(2.f));
  CHECK(e2[1] == Approx(2.f));
  const auto ref = jacobi3({big, 0, 0, -big, big, 1});
  CHECK(std::isfinite(e0[2]));
  CHECK(e0[2] == Approx(ref[0]).epsilon(1e-6));
  CHECK(e2[2] == Approx(ref[2]).epsilon(1e-6));
}

TEST_CASE("2x2 eigenvalues in float agree with the double formula", "[features]") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-100.f, 100.f);
  const std::size_t n = 1000;
  std::vector<float> a(n), b(n), c(n), e0(n), e1(n);
  for (std::size_t i = 0; i < n; ++i)
    a[i] = u(rng), b[i] = u(rng), c[i] = i % 5 == 0 ? a[i] : u(rng);
  a[7] = 3e25f, b[7] = 2e25f, c[7] = -1e25f;  // discriminant overflows float
  simd::eig2(a.data(), b.data(), c.data(), e0.data(), e1.data(), n);
  simd::flush_streams();
  for (std::size_t i = 0; i < n; ++i) {
    const double d = double(a[i] - c[i]), t = double(a[i] + c[i]), bb = 2.0 * b[i];
    const double s = std::sqrt(d * d + bb * bb);
    const double norm = std::max(std::fabs(0.5 * (t + s)), std::fabs(0.5 * (t - s)));
    INFO(i);
    CHECK(std::fabs(e0[i] - 0.5 * (t + s)) <= 4e-7 * norm);
    CHECK(std::fabs(e1[i] - 0.5 * (t - s)) <= 4e-7 * norm);
  }
}

TEST_CASE("output kernels: any alignment and length, same bits per element", "[features]") {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-10.f, 10.f);
  const std::size_t cap = 200;
  std::vector<float> a(cap), b(cap), c(cap);
  for (std::size_t i = 0; i < cap; ++i)
    a[i] = u(rng), b[i] = u(rng), c[i] = u(rng);
  // Each element's value from a length-1 call (the one-lane path) is the reference.
  std::vector<float> ref_add(cap), ref_mag(cap), ref_e0(cap), ref_e1(cap), ref_e2(cap);
  for (std::size_t i = 0; i < cap; ++i) {
    simd::add3(&a[i], &b[i], &c[i], &ref_add[i], 1);
    simd::magnitude2(&a[i], &b[i], &ref_mag[i], 1);
    simd::eig3(&a[i], &b[i], &c[i], &b[i], &a[i], &c[i], &ref_e0[i], &ref_e1[i], &ref_e2[i], 1);
  }
  std::vector<float> o(cap + 64), p(cap + 64), q0(cap + 64), q1(cap + 64), q2(cap + 64);
  std::size_t mismatches = 0, guard = 0;
  for (std::size_t off = 0; off < 16; ++off)
    for (std::size_t n : {1, 3, 15, 16, 17, 31, 33, 64, 100, 150}) {
      for (auto* v : {&o, &p, &q0, &q1, &q2})
        std::fill(v->begin(), v->end(), -999.f);
      simd::add3(a.data(), b.data(), c.data(), o.data() + off, n);
      simd::magnitude2(a.data(), b.data(), p.data() + off, n);
      simd::eig3(a.data(), b.data(), c.data(), b.data(), a.data(), c.data(), q0.data() + off,
                 q1.data() + off, q2.data() + off, n);
      simd::flush_streams();
      for (std::size_t i = 0; i < n; ++i) {
        mismatches += std::memcmp(&o[off + i], &ref_add[i], 4) != 0;
        mismatches += std::memcmp(&p[off + i], &ref_mag[i], 4) != 0;
        mismatches += std::memcmp(&q0[off + i], &ref_e0[i], 4) != 0;
        mismatches += std::memcmp(&q1[off + i], &ref_e1[i], 4) != 0;
        mismatches += std::memcmp(&q2[off + i], &ref_e2[i], 4) != 0;
      }
      // Nothing written outside [off, off + n).
      for (auto* v : {&o, &p, &q0, &q1, &q2})
        for (std::size_t i = 0; i < v->size(); ++i)
          if ((i < off || i >= off + n) && (*v)[i] != -999.f) ++guard;
    }
  CHECK(mismatches == 0);
  CHECK(guard == 0);
}
