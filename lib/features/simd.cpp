// SPDX-License-Identifier: BSD-3-Clause
// Highway static/dynamic dispatch: this file is compiled once per SIMD target.
#include "simd.hpp"

#include <cmath>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "features/simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/cache_control.h>
#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace bioforest::features::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The same templates run on full vectors and on one-lane vectors for the tail, so every
// element sees identical arithmetic.
template <class D, class Body>
HWY_INLINE void ForEachSpan(std::size_t n, const Body& body) {
  const D d;
  const std::size_t N = hn::Lanes(d);
  std::size_t i = 0;
  for (; i + N <= n; i += N)
    body(d, i);
  const hn::CappedTag<hn::TFromD<D>, 1> d1;
  for (; i < n; ++i)
    body(d1, i);
}

template <int R, bool kOdd, class D>
HWY_INLINE void ConvFixed(D d, const float* HWY_RESTRICT p, std::ptrdiff_t step,
                          float* HWY_RESTRICT out, std::size_t i, const float* taps) {
  auto acc = kOdd ? hn::Zero(d) : hn::Mul(hn::Set(d, taps[0]), hn::LoadU(d, p + i));
  for (int m = 1; m <= R; ++m) {
    const auto a = hn::LoadU(d, p + i + m * step);
    const auto b = hn::LoadU(d, p + i - m * step);
    acc = hn::MulAdd(hn::Set(d, taps[m]), kOdd ? hn::Sub(a, b) : hn::Add(a, b), acc);
  }
  hn::StoreU(acc, d, out + i);
}

template <bool kOdd, class D>
HWY_INLINE void ConvAny(D d, const float* HWY_RESTRICT p, std::ptrdiff_t step,
                        float* HWY_RESTRICT out, std::size_t i, const float* taps, int r) {
  auto acc = kOdd ? hn::Zero(d) : hn::Mul(hn::Set(d, taps[0]), hn::LoadU(d, p + i));
  for (int m = 1; m <= r; ++m) {
    const auto a = hn::LoadU(d, p + i + m * step);
    const auto b = hn::LoadU(d, p + i - m * step);
    acc = hn::MulAdd(hn::Set(d, taps[m]), kOdd ? hn::Sub(a, b) : hn::Add(a, b), acc);
  }
  hn::StoreU(acc, d, out + i);
}

template <bool kOdd>
void ConvDispatchRadius(const float* p, std::ptrdiff_t step, float* out, std::size_t n,
                        const float* taps, int r) {
  using D = hn::ScalableTag<float>;
  // Small radii (every feature filter of the ilastik scheme) get unrolled tap loops.
  switch (r) {
#define BIOFOREST_CONV_CASE(R)                                                                    \
  case R:                                                                                         \
    ForEachSpan<D>(n,                                                                             \
                   [&](auto d, std::size_t i) { ConvFixed<R, kOdd>(d, p, step, out, i, taps); }); \
    return;
    BIOFOREST_CONV_CASE(1)
    BIOFOREST_CONV_CASE(2)
    BIOFOREST_CONV_CASE(3)
    BIOFOREST_CONV_CASE(4)
#undef BIOFOREST_CONV_CASE
    default:
      ForEachSpan<D>(n, [&](auto d, std::size_t i) { ConvAny<kOdd>(d, p, step, out, i, taps, r); });
  }
}

void ConvLine(const float* center, std::ptrdiff_t step, float* out, std::size_t n,
              const float* taps, int radius, bool odd) {
  if (odd)
    ConvDispatchRadius<true>(center, step, out, n, taps, radius);
  else
    ConvDispatchRadius<false>(center, step, out, n, taps, radius);
}

// Up to three kernels of one radius over the same input (a tile's x, y or z derivatives):
// the 2R+1 input vectors are loaded and paired once for all of them. Per output the
// operations are ConvFixed's, in its order, so the bits are conv_line's. (2-D set 0.2525 ->
// 0.2438 CPU s, 1 thread, mean of 5 alternating runs.)
template <int R, int C, class D>
HWY_INLINE void ConvMultiFixed(D d, const float* HWY_RESTRICT p, std::ptrdiff_t step,
                               float* const* outs, std::size_t i, const float* const* taps,
                               const bool* odd) {
  using V = hn::Vec<D>;
  const V c = hn::LoadU(d, p + i);
  V sum[R + 1], dif[R + 1];
  for (int m = 1; m <= R; ++m) {
    const V a = hn::LoadU(d, p + i + m * step);
    const V b = hn::LoadU(d, p + i - m * step);
    sum[m] = hn::Add(a, b);
    dif[m] = hn::Sub(a, b);
  }
  for (int k = 0; k < C; ++k) {
    const float* t = taps[k];
    V acc = odd[k] ? hn::Zero(d) : hn::Mul(hn::Set(d, t[0]), c);
    for (int m = 1; m <= R; ++m)
      acc = hn::MulAdd(hn::Set(d, t[m]), odd[k] ? dif[m] : sum[m], acc);
    hn::StoreU(acc, d, outs[k] + i);
  }
}

template <int C>
void ConvMultiC(const float* p, std::ptrdiff_t step, float* const* outs, std::size_t n,
                const float* const* taps, const bool* odd, int r) {
  using D = hn::ScalableTag<float>;
  switch (r) {
#define BIOFOREST_CONV_MULTI_CASE(R)                                                              \
  case R:                                                                                         \
    ForEachSpan<D>(                                                                               \
        n, [&](auto d, std::size_t i) { ConvMultiFixed<R, C>(d, p, step, outs, i, taps, odd); }); \
    return;
    BIOFOREST_CONV_MULTI_CASE(1)
    BIOFOREST_CONV_MULTI_CASE(2)
    BIOFOREST_CONV_MULTI_CASE(3)
    BIOFOREST_CONV_MULTI_CASE(4)
#undef BIOFOREST_CONV_MULTI_CASE
    default:
      for (int k = 0; k < C; ++k)
        ConvLine(p, step, outs[k], n, taps[k], r, odd[k]);
  }
}

void ConvLineMulti(const float* center, std::ptrdiff_t step, float* const* outs, int count,
                   std::size_t n, const float* const* taps, const bool* odd, int radius) {
  if (count == 3)
    ConvMultiC<3>(center, step, outs, n, taps, odd, radius);
  else if (count == 2)
    ConvMultiC<2>(center, step, outs, n, taps, odd, radius);
  else
    ConvLine(center, step, outs[0], n, taps[0], radius, odd[0]);
}

template <bool kOdd>
void ConvF64(const float* p, std::ptrdiff_t step, float* out, std::size_t n, const double* taps,
             int r) {
  ForEachSpan<hn::ScalableTag<double>>(n, [&](auto dd, std::size_t i) {
    const hn::Rebind<float, decltype(dd)> df;
    auto ld = [&](const float* q) { return hn::PromoteTo(dd, hn::LoadU(df, q)); };
    auto acc = kOdd ? hn::Zero(dd) : hn::Mul(hn::Set(dd, taps[0]), ld(p + i));
    for (int m = 1; m <= r; ++m) {
      const auto a = ld(p + i + m * step);
      const auto b = ld(p + i - m * step);
      acc = hn::MulAdd(hn::Set(dd, taps[m]), kOdd ? hn::Sub(a, b) : hn::Add(a, b), acc);
    }
    hn::StoreU(hn::DemoteTo(df, acc), df, out + i);
  });
}

// x pass of the pre-smoothing: the line is promoted to double once (not once per tap); the
// sums are ConvF64's, bit for bit.
template <bool kOdd>
void ConvPromoted(const float* center, float* out, std::size_t n, const double* taps, int r,
                  double* tmp) {
  const std::size_t len = n + 2 * std::size_t(r);
  ForEachSpan<hn::ScalableTag<double>>(len, [&](auto dd, std::size_t i) {
    const hn::Rebind<float, decltype(dd)> df;
    hn::StoreU(hn::PromoteTo(dd, hn::LoadU(df, center - r + i)), dd, tmp + i);
  });
  const double* p = tmp + r;
  // Four vectors per tap loop: one accumulator's chain of r dependent FMAs left the pass
  // latency-bound (4 cycles per tap; 2-D set 0.244 -> 0.235 CPU s, 1 thread). Per element
  // the operations and their order are the single-vector loop's below.
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const std::size_t N = hn::Lanes(dd);
  std::size_t i0 = 0;
  for (; i0 + 4 * N <= n; i0 += 4 * N) {
    hn::Vec<decltype(dd)> acc[4];
    for (std::size_t k = 0; k < 4; ++k)
      acc[k] = kOdd ? hn::Zero(dd) : hn::Mul(hn::Set(dd, taps[0]), hn::LoadU(dd, p + i0 + k * N));
    for (int m = 1; m <= r; ++m) {
      const auto t = hn::Set(dd, taps[m]);
      for (std::size_t k = 0; k < 4; ++k) {
        const auto a = hn::LoadU(dd, p + i0 + k * N + m);
        const auto b = hn::LoadU(dd, p + i0 + k * N - m);
        acc[k] = hn::MulAdd(t, kOdd ? hn::Sub(a, b) : hn::Add(a, b), acc[k]);
      }
    }
    for (std::size_t k = 0; k < 4; ++k)
      hn::StoreU(hn::DemoteTo(df, acc[k]), df, out + i0 + k * N);
  }
  ForEachSpan<hn::ScalableTag<double>>(n - i0, [&](auto d, std::size_t j) {
    const std::size_t i = i0 + j;
    const hn::Rebind<float, decltype(d)> dfj;
    auto acc = kOdd ? hn::Zero(d) : hn::Mul(hn::Set(d, taps[0]), hn::LoadU(d, p + i));
    for (int m = 1; m <= r; ++m) {
      const auto a = hn::LoadU(d, p + i + m);
      const auto b = hn::LoadU(d, p + i - m);
      acc = hn::MulAdd(hn::Set(d, taps[m]), kOdd ? hn::Sub(a, b) : hn::Add(a, b), acc);
    }
    hn::StoreU(hn::DemoteTo(dfj, acc), dfj, out + i);
  });
}

void ConvLinePromoted(const float* center, float* out, std::size_t n, const double* taps,
                      int radius, bool odd, double* tmp) {
  if (odd)
    ConvPromoted<true>(center, out, n, taps, radius, tmp);
  else
    ConvPromoted<false>(center, out, n, taps, radius, tmp);
}

void ConvLineF64(const float* center, std::ptrdiff_t step, float* out, std::size_t n,
                 const double* taps, int radius, bool odd) {
  if (odd)
    ConvF64<true>(center, step, out, n, taps, radius);
  else
    ConvF64<false>(center, step, out, n, taps, radius);
}

// Row-table variants: the same arithmetic as ConvAny/ConvF64 (so a pass gives the same bits
// whichever way its lines are addressed).
template <bool kOdd>
void ConvRowsT(const float* const* rows, float* out, std::size_t n, const float* taps, int r) {
  const float* const* c = rows + r;
  ForEachSpan<hn::ScalableTag<float>>(n, [&](auto d, std::size_t i) {
    auto acc = kOdd ? hn::Zero(d) : hn::Mul(hn::Set(d, taps[0]), hn::LoadU(d, c[0] + i));
    for (int m = 1; m <= r; ++m) {
      const auto a = hn::LoadU(d, c[m] + i);
      const auto b = hn::LoadU(d, c[-m] + i);
      acc = hn::MulAdd(hn::Set(d, taps[m]), kOdd ? hn::Sub(a, b) : hn::Add(a, b), acc);
    }
    hn::StoreU(acc, d, out + i);
  });
}

void ConvRows(const float* const* rows, float* out, std::size_t n, const float* taps, int radius,
              bool odd) {
  if (odd)
    ConvRowsT<true>(rows, out, n, taps, radius);
  else
    ConvRowsT<false>(rows, out, n, taps, radius);
}

// Several output lines at once (register blocking): each input line is loaded and promoted
// once per block of K outputs and feeds all K accumulators, which stay in registers (each
// loaded cache line is used up at once, so lines a power of two apart evicting each other
// from L1 costs nothing). Taps are
// not folded (a*w + b*w instead of (a+b)*w: the same FP operation count, but no reloads of
// the symmetric partner). Output k is sum_{t=0..2r} w[t] * rows[k + t], one FMA per t in
// ascending t from zero, in double: every output line gets the same sequence whatever K and
// wherever it sits. Against the tap-outer pass it replaces (folded taps, every input element
// promoted 2r+1 times, accumulators streamed through L1): 2-D set 0.288 -> 0.257 CPU s, 3-D set
// 2.28 -> 2.09 CPU s (1 thread); the parity margins are unchanged to three digits.
template <int K, int V, class DD>
HWY_INLINE void ConvBlockChunk(DD dd, const float* const* rows, float* const* outs, std::size_t x,
                               const double* w, int r) {
  const hn::Rebind<float, DD> df;
  const std::size_t N = hn::Lanes(dd);
  hn::Vec<DD> acc[K][V];
  for (int k = 0; k < K; ++k)
    for (int q = 0; q < V; ++q)
      acc[k][q] = hn::Zero(dd);
  for (int j = 0; j < K + 2 * r; ++j) {
    hn::Vec<DD> v[V];
    for (int q = 0; q < V; ++q)
      v[q] = hn::PromoteTo(dd, hn::LoadU(df, rows[j] + x + q * N));
    for (int k = 0; k < K; ++k) {
      const int t = j - k;
      if (t < 0 || t > 2 * r) continue;
      const auto wt = hn::Set(dd, w[t]);
      for (int q = 0; q < V; ++q)
        acc[k][q] = hn::MulAdd(wt, v[q], acc[k][q]);
    }
  }
  for (int k = 0; k < K; ++k)
    for (int q = 0; q < V; ++q)
      hn::StoreU(hn::DemoteTo(df, acc[k][q]), df, outs[k] + x + q * N);
}

template <int K>
void ConvBlockK(const float* const* rows, float* const* outs, std::size_t n, const double* w,
                int r) {
  // Four vectors per line on AVX-512 (K * 4 + 4 of 32 registers), two elsewhere.
  constexpr int V = HWY_TARGET <= HWY_AVX3 ? 4 : 2;
  const hn::ScalableTag<double> dd;
  const std::size_t N = hn::Lanes(dd);
  std::size_t x = 0;
  for (; x + V * N <= n; x += V * N)
    ConvBlockChunk<K, V>(dd, rows, outs, x, w, r);
  for (; x + N <= n; x += N)
    ConvBlockChunk<K, 1>(dd, rows, outs, x, w, r);
  const hn::CappedTag<double, 1> d1;
  for (; x < n; ++x)
    ConvBlockChunk<K, 1>(d1, rows, outs, x, w, r);
}

void ConvRowsBlockF64(const float* const* rows, float* const* outs, int k, std::size_t n,
                      const double* taps_full, int radius) {
  switch (k) {
    case 1:
      return ConvBlockK<1>(rows, outs, n, taps_full, radius);
    case 2:
      return ConvBlockK<2>(rows, outs, n, taps_full, radius);
    case 3:
      return ConvBlockK<3>(rows, outs, n, taps_full, radius);
    case 4:
      return ConvBlockK<4>(rows, outs, n, taps_full, radius);
    case 5:
      return ConvBlockK<5>(rows, outs, n, taps_full, radius);
    default:
      return ConvBlockK<6>(rows, outs, n, taps_full, radius);
  }
}

// Scratch for the lanes of one vector of floats (the widest target's).
constexpr std::size_t kMaxFloatLanes = HWY_MAX_BYTES / sizeof(float);

// Feature outputs are written once and read much later (by the forest, or the writer): full,
// aligned vectors bypass the cache (no read-for-ownership of ~1 GB of planes). A vector at
// the end of a line owns only lanes [lo, hi) (see ForEachOut); the values are the same
// whichever way they are stored.
struct OutLanes {
  std::size_t lo = 0, hi = 0;
  bool partial = false;
};

template <class D, class V>
HWY_INLINE void StoreOut(V v, D d, float* HWY_RESTRICT p, const OutLanes& lanes) {
  const std::size_t bytes = hn::Lanes(d) * sizeof(float);
  if (lanes.partial) {
    // Element by element: a masked vector store still claims the cache line of its
    // masked-off lanes, which is a streamed line here (measured on Zen 4: the 2-D set 85 %
    // slower with BlendedStore ends than with these copies).
    HWY_ALIGN float lane[kMaxFloatLanes];
    hn::Store(v, d, lane);
    for (std::size_t k = lanes.lo; k < lanes.hi; ++k)
      p[k] = lane[k];
  } else if (hn::Lanes(d) > 1 && reinterpret_cast<std::uintptr_t>(p) % bytes == 0) {
    hn::Stream(v, d, p);
  } else {
    hn::StoreU(v, d, p);
  }
}

// ForEachSpan for the output kernels over float vectors: the vectors are placed so that their
// stores to `out` are aligned (callers' planes rarely are: malloc gives 16 bytes). The
// elements before the first aligned vector and after the last one come from a full vector
// at the line's start and end, stored lane by lane: every element still gets the arithmetic
// of a full vector, and no cache line is written both by a stream and by a plain store (a
// plain store to a line just streamed costs a memory round trip). Measured: the bench's 2-D
// set took 13 % longer with every store unaligned (plain stores read each output line
// before writing it).
template <class D, class Body>
HWY_INLINE void ForEachOut(std::size_t n, const float* out, const Body& body) {
  const D d;
  const std::size_t N = hn::Lanes(d);
  if (n < N) {
    const hn::CappedTag<float, 1> d1;
    for (std::size_t i = 0; i < n; ++i)
      body(d1, i, OutLanes{});
    return;
  }
  const std::size_t misalign = (reinterpret_cast<std::uintptr_t>(out) / sizeof(float)) % N;
  std::size_t i = 0;
  if (misalign != 0) {
    i = N - misalign;
    body(d, 0, OutLanes{0, i, true});
  }
  for (; i + N <= n; i += N)
    body(d, i, OutLanes{});
  if (i < n) body(d, n - N, OutLanes{N - (n - i), N, true});
}

void FlushStreams() {
  hwy::FlushStream();
}

using DF = hn::ScalableTag<float>;

void Copy(const float* a, float* out, std::size_t n) {
  ForEachOut<DF>(n, out, [&](auto d, std::size_t i, const auto& w) {
    StoreOut(hn::LoadU(d, a + i), d, out + i, w);
  });
}

void Add2(const float* a, const float* b, float* out, std::size_t n) {
  ForEachOut<DF>(n, out, [&](auto d, std::size_t i, const auto& w) {
    StoreOut(hn::Add(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, out + i, w);
  });
}

void Add3(const float* a, const float* b, const float* c, float* out, std::size_t n) {
  ForEachOut<DF>(n, out, [&](auto d, std::size_t i, const auto& w) {
    StoreOut(hn::Add(hn::Add(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), hn::LoadU(d, c + i)), d,
             out + i, w);
  });
}

void Sub(const float* a, const float* b, float* out, std::size_t n) {
  ForEachOut<DF>(n, out, [&](auto d, std::size_t i, const auto& w) {
    StoreOut(hn::Sub(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, out + i, w);
  });
}

void Magnitude2(const float* a, const float* b, float* out, std::size_t n) {
  ForEachOut<DF>(n, out, [&](auto d, std::size_t i, const auto& w) {
    const auto x = hn::LoadU(d, a + i), y = hn::LoadU(d, b + i);
    StoreOut(hn::Sqrt(hn::Add(hn::Mul(x, x), hn::Mul(y, y))), d, out + i, w);
  });
}

void Magnitude3(const float* a, const float* b, const float* c, float* out, std::size_t n) {
  ForEachOut<DF>(n, out, [&](auto d, std::size_t i, const auto& w) {
    const auto x = hn::LoadU(d, a + i), y = hn::LoadU(d, b + i), z = hn::LoadU(d, c + i);
    StoreOut(hn::Sqrt(hn::Add(hn::Add(hn::Mul(x, x), hn::Mul(y, y)), hn::Mul(z, z))), d, out + i,
             w);
  });
}

void Products2(const float* a, const float* b, float* aa, float* ab, float* bb, std::size_t n) {
  ForEachSpan<DF>(n, [&](auto d, std::size_t i) {
    const auto x = hn::LoadU(d, a + i), y = hn::LoadU(d, b + i);
    hn::StoreU(hn::Mul(x, x), d, aa + i);
    hn::StoreU(hn::Mul(x, y), d, ab + i);
    hn::StoreU(hn::Mul(y, y), d, bb + i);
  });
}

void Products3(const float* a, const float* b, const float* c, float* aa, float* ab, float* ac,
               float* bb, float* bc, float* cc, std::size_t n) {
  ForEachSpan<DF>(n, [&](auto d, std::size_t i) {
    const auto x = hn::LoadU(d, a + i), y = hn::LoadU(d, b + i), z = hn::LoadU(d, c + i);
    hn::StoreU(hn::Mul(x, x), d, aa + i);
    hn::StoreU(hn::Mul(x, y), d, ab + i);
    hn::StoreU(hn::Mul(x, z), d, ac + i);
    hn::StoreU(hn::Mul(y, y), d, bb + i);
    hn::StoreU(hn::Mul(y, z), d, bc + i);
    hn::StoreU(hn::Mul(z, z), d, cc + i);
  });
}

using DD = hn::ScalableTag<double>;

// vigra's symmetric2x2Eigenvalues with T = float (a00 -/+ a11 are float operations, the rest
// double) over n elements, plain stores: the reference the float kernel falls back to.
void Eig2Double(const float* a00, const float* a01, const float* a11, float* e0, float* e1,
                std::size_t n) {
  ForEachSpan<DD>(n, [&](auto dd, std::size_t i) {
    const hn::Rebind<float, decltype(dd)> df;
    const auto fa = hn::LoadU(df, a00 + i), fb = hn::LoadU(df, a01 + i),
               fc = hn::LoadU(df, a11 + i);
    const auto diff = hn::PromoteTo(dd, hn::Sub(fa, fc));
    const auto tr = hn::PromoteTo(dd, hn::Add(fa, fc));
    const auto b = hn::PromoteTo(dd, fb);
    const auto b2 = hn::Mul(hn::Set(dd, 2.0), b);
    const auto dsc = hn::Sqrt(hn::Add(hn::Mul(diff, diff), hn::Mul(b2, b2)));
    const auto half = hn::Set(dd, 0.5);
    hn::StoreU(hn::DemoteTo(df, hn::Mul(half, hn::Add(tr, dsc))), df, e0 + i);
    hn::StoreU(hn::DemoteTo(df, hn::Mul(half, hn::Sub(tr, dsc))), df, e1 + i);
  });
}

void Eig2(const float* a00, const float* a01, const float* a11, float* e0, float* e1,
          std::size_t n) {
  // The same formula in float: its rounding (a few ulp of the larger eigenvalue) is far below
  // the parity tolerance, and a float square root costs a quarter of a double one. Lanes
  // whose discriminant overflows float take vigra's double arithmetic.
  ForEachOut<DF>(n, e0, [&](auto d, std::size_t i, const auto& w) {
    const auto fa = hn::LoadU(d, a00 + i), fb = hn::LoadU(d, a01 + i), fc = hn::LoadU(d, a11 + i);
    const auto diff = hn::Sub(fa, fc), tr = hn::Add(fa, fc);
    const auto b2 = hn::Add(fb, fb);
    const auto dsc = hn::Sqrt(hn::MulAdd(diff, diff, hn::Mul(b2, b2)));
    const auto half = hn::Set(d, 0.5f);
    auto r0 = hn::Mul(half, hn::Add(tr, dsc)), r1 = hn::Mul(half, hn::Sub(tr, dsc));
    const auto bad = hn::Not(hn::Lt(dsc, hn::Set(d, HUGE_VALF)));
    if (HWY_UNLIKELY(!hn::AllFalse(d, bad))) {
      HWY_ALIGN float t0[kMaxFloatLanes], t1[kMaxFloatLanes];
      Eig2Double(a00 + i, a01 + i, a11 + i, t0, t1, hn::Lanes(d));
      r0 = hn::IfThenElse(bad, hn::Load(d, t0), r0);
      r1 = hn::IfThenElse(bad, hn::Load(d, t1), r1);
    }
    StoreOut(r0, d, e0 + i, w);
    StoreOut(r1, d, e1 + i, w);
  });
}

// vigra's symmetric3x3Eigenvalues formula over n elements, evaluated entirely in double
// (reference §1.6; vigra itself forms the two- and three-factor products in float, which near
// degenerate tensors costs it up to ~1e-4 relative accuracy). Plain stores: the reference the
// float kernel falls back to.
void Eig3Double(const float* p00, const float* p01, const float* p02, const float* p11,
                const float* p12, const float* p22, float* e0, float* e1, float* e2,
                std::size_t n) {
  ForEachSpan<DD>(n, [&](auto dd, std::size_t i) {
    const hn::Rebind<float, decltype(dd)> df;
    auto ld = [&](const float* p) { return hn::PromoteTo(dd, hn::LoadU(df, p + i)); };
    const auto a00 = ld(p00), a01 = ld(p01), a02 = ld(p02), a11 = ld(p11), a12 = ld(p12),
               a22 = ld(p22);
    const auto two = hn::Set(dd, 2.0), inv3 = hn::Set(dd, 1.0 / 3.0), zero = hn::Zero(dd);
    const auto c0 = hn::Sub(hn::Sub(hn::Sub(hn::Add(hn::Mul(hn::Mul(a00, a11), a22),
                                                    hn::Mul(hn::Mul(hn::Mul(two, a01), a02), a12)),
                                            hn::Mul(hn::Mul(a00, a12), a12)),
                                    hn::Mul(hn::Mul(a11, a02), a02)),
                            hn::Mul(hn::Mul(a22, a01), a01));
    const auto c1 = hn::Sub(
        hn::Add(hn::Sub(hn::Add(hn::Sub(hn::Mul(a00, a11), hn::Mul(a01, a01)), hn::Mul(a00, a22)),
                        hn::Mul(a02, a02)),
                hn::Mul(a11, a22)),
        hn::Mul(a12, a12));
    const auto c2 = hn::Add(hn::Add(a00, a11), a22);
    const auto c2d3 = hn::Mul(c2, inv3);
    const auto ad3 = hn::Min(hn::Mul(hn::Sub(c1, hn::Mul(c2, c2d3)), inv3), zero);
    const auto mbd2 =
        hn::Mul(hn::Set(dd, 0.5),
                hn::Add(c0, hn::Mul(c2d3, hn::Sub(hn::Mul(hn::Mul(two, c2d3), c2d3), c1))));
    const auto q = hn::Min(hn::Add(hn::Mul(mbd2, mbd2), hn::Mul(hn::Mul(ad3, ad3), ad3)), zero);
    const auto mag = hn::Sqrt(hn::Neg(ad3));
    // atan2(sqrt(-q), mbd2) == acos(mbd2 / sqrt(mbd2^2 - q)) because sqrt(-q) >= 0;
    // Highway has acos but no atan2. atan2(0, 0) == 0 == acos(1).
    const auto rho = hn::Sqrt(hn::Sub(hn::Mul(mbd2, mbd2), q));
    const auto pos = hn::Gt(rho, zero);
    const auto ratio = hn::IfThenElse(
        pos, hn::Div(mbd2, hn::IfThenElse(pos, rho, hn::Set(dd, 1.0))), hn::Set(dd, 1.0));
    const auto clamped = hn::Min(hn::Max(ratio, hn::Set(dd, -1.0)), hn::Set(dd, 1.0));
    const auto angle = hn::Mul(hn::Acos(dd, clamped), inv3);
    // angle is in [0, pi/3], so sin >= 0 follows from cos: one polynomial instead of two.
    const auto cs = hn::Cos(dd, angle);
    const auto sn = hn::Sqrt(hn::Max(hn::Sub(hn::Set(dd, 1.0), hn::Mul(cs, cs)), zero));
    const auto r3sn = hn::Mul(hn::Set(dd, 1.7320508075688772), sn);
    const auto r0 = hn::Add(c2d3, hn::Mul(hn::Mul(two, mag), cs));
    const auto r1 = hn::Sub(c2d3, hn::Mul(mag, hn::Add(cs, r3sn)));
    const auto r2 = hn::Sub(c2d3, hn::Mul(mag, hn::Sub(cs, r3sn)));
    const auto hi = hn::Max(r0, r1), lo = hn::Min(r0, r1);
    const auto t = hn::Min(hi, r2);
    hn::StoreU(hn::DemoteTo(df, hn::Max(hi, r2)), df, e0 + i);
    hn::StoreU(hn::DemoteTo(df, hn::Max(t, lo)), df, e1 + i);
    hn::StoreU(hn::DemoteTo(df, hn::Min(t, lo)), df, e2 + i);
  });
}

// Eig3Double with the output kernels' stores, for tensors whose eigenvalues span more than
// float resolves (see compute.cpp: the structure tensor).
void Eig3F64(const float* p00, const float* p01, const float* p02, const float* p11,
             const float* p12, const float* p22, float* e0, float* e1, float* e2, std::size_t n) {
  ForEachOut<DF>(n, e0, [&](auto d, std::size_t i, const auto& w) {
    HWY_ALIGN float t0[kMaxFloatLanes], t1[kMaxFloatLanes], t2[kMaxFloatLanes];
    Eig3Double(p00 + i, p01 + i, p02 + i, p11 + i, p12 + i, p22 + i, t0, t1, t2, hn::Lanes(d));
    StoreOut(hn::Load(d, t0), d, e0 + i, w);
    StoreOut(hn::Load(d, t1), d, e1 + i, w);
    StoreOut(hn::Load(d, t2), d, e2 + i, w);
  });
}

void Eig3(const float* p00, const float* p01, const float* p02, const float* p11, const float* p12,
          const float* p22, float* e0, float* e1, float* e2, std::size_t n) {
  // The trigonometric closed form in float on the deviator B = A - tr(A)/3: m + 2p cos(phi +
  // 2 pi k / 3) with p = sqrt(tr(B^2) / 6), cos(3 phi) = det(B / p) / 2. The deviator's
  // diagonal is formed from differences of A's diagonal (exact for nearby values), so its
  // rounding scales with B, not with the trace; products are taken of B / p (no overflow).
  // What float cannot resolve is the angle near a double eigenvalue (|cos 3phi| -> 1, where
  // d phi / d cos 3phi grows without bound): those lanes, and any non-finite lane, take the
  // double formula above. Elsewhere the float result stays within ~1e-6 p of it.
  ForEachOut<DF>(n, e0, [&](auto d, std::size_t i, const auto& w) {
    const auto a00 = hn::LoadU(d, p00 + i), a01 = hn::LoadU(d, p01 + i),
               a02 = hn::LoadU(d, p02 + i), a11 = hn::LoadU(d, p11 + i),
               a12 = hn::LoadU(d, p12 + i), a22 = hn::LoadU(d, p22 + i);
    const auto third = hn::Set(d, 1.0f / 3.0f), zero = hn::Zero(d), one = hn::Set(d, 1.0f);
    const auto m = hn::Mul(hn::Add(hn::Add(a00, a11), a22), third);
    const auto d01 = hn::Sub(a00, a11), d02 = hn::Sub(a00, a22), d12 = hn::Sub(a11, a22);
    const auto b00 = hn::Mul(hn::Add(d01, d02), third);
    const auto b11 = hn::Mul(hn::Sub(d12, d01), third);
    const auto b22 = hn::Neg(hn::Mul(hn::Add(d02, d12), third));
    const auto off = hn::MulAdd(a01, a01, hn::MulAdd(a02, a02, hn::Mul(a12, a12)));
    const auto p2 = hn::MulAdd(hn::Set(d, 2.0f), off,
                               hn::MulAdd(b00, b00, hn::MulAdd(b11, b11, hn::Mul(b22, b22))));
    const auto p = hn::Sqrt(hn::Mul(p2, hn::Set(d, 1.0f / 6.0f)));
    const auto pos = hn::Gt(p, zero);
    const auto inv = hn::IfThenElseZero(pos, hn::Div(one, hn::IfThenElse(pos, p, one)));
    const auto c00 = hn::Mul(b00, inv), c11 = hn::Mul(b11, inv), c22 = hn::Mul(b22, inv);
    const auto c01 = hn::Mul(a01, inv), c02 = hn::Mul(a02, inv), c12 = hn::Mul(a12, inv);
    const auto det = hn::Add(hn::Sub(hn::Mul(c00, hn::NegMulAdd(c12, c12, hn::Mul(c11, c22))),
                                     hn::Mul(c01, hn::NegMulAdd(c12, c02, hn::Mul(c01, c22)))),
                             hn::Mul(c02, hn::NegMulAdd(c11, c02, hn::Mul(c01, c12))));
    const auto r = hn::Mul(det, hn::Set(d, 0.5f));
    const auto clamped = hn::Min(hn::Max(r, hn::Neg(one)), one);
    const auto phi = hn::Mul(hn::Acos(d, clamped), third);
    // phi is in [0, pi/3], so sin >= 0 follows from cos: one polynomial instead of two.
    const auto cs = hn::Cos(d, phi);
    const auto sn = hn::Sqrt(hn::Max(hn::NegMulAdd(cs, cs, one), zero));
    const auto r3sn = hn::Mul(hn::Set(d, 1.7320508f), sn);
    const auto x0 = hn::MulAdd(hn::Add(p, p), cs, m);
    const auto x1 = hn::NegMulAdd(p, hn::Sub(cs, r3sn), m);
    const auto x2 = hn::NegMulAdd(p, hn::Add(cs, r3sn), m);
    const auto hi = hn::Max(x0, x1), lo = hn::Min(x0, x1);
    const auto t = hn::Min(hi, x2);
    auto r0 = hn::Max(hi, x2), r1 = hn::Max(t, lo), r2 = hn::Min(t, lo);
    // Not (1 - |r| >= kNearDouble): also true for NaN (non-finite input); p overflows (to
    // infinity, with r = 0) when the entries' squares exceed float.
    constexpr float kNearDouble = 1e-3f;
    const auto bad = hn::Or(hn::Not(hn::Ge(hn::Sub(one, hn::Abs(r)), hn::Set(d, kNearDouble))),
                            hn::Not(hn::Lt(p, hn::Set(d, HUGE_VALF))));
    if (HWY_UNLIKELY(!hn::AllFalse(d, bad))) {
      HWY_ALIGN float t0[kMaxFloatLanes], t1[kMaxFloatLanes], t2[kMaxFloatLanes];
      Eig3Double(p00 + i, p01 + i, p02 + i, p11 + i, p12 + i, p22 + i, t0, t1, t2, hn::Lanes(d));
      r0 = hn::IfThenElse(bad, hn::Load(d, t0), r0);
      r1 = hn::IfThenElse(bad, hn::Load(d, t1), r1);
      r2 = hn::IfThenElse(bad, hn::Load(d, t2), r2);
    }
    StoreOut(r0, d, e0 + i, w);
    StoreOut(r1, d, e1 + i, w);
    StoreOut(r2, d, e2 + i, w);
  });
}

}  // namespace bioforest::features::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bioforest::features::simd {

HWY_EXPORT(ConvLine);
HWY_EXPORT(ConvLineMulti);
HWY_EXPORT(ConvLineF64);
HWY_EXPORT(ConvLinePromoted);
HWY_EXPORT(ConvRows);
HWY_EXPORT(ConvRowsBlockF64);
HWY_EXPORT(FlushStreams);
HWY_EXPORT(Copy);
HWY_EXPORT(Add2);
HWY_EXPORT(Add3);
HWY_EXPORT(Sub);
HWY_EXPORT(Magnitude2);
HWY_EXPORT(Magnitude3);
HWY_EXPORT(Products2);
HWY_EXPORT(Products3);
HWY_EXPORT(Eig2);
HWY_EXPORT(Eig3);
HWY_EXPORT(Eig3F64);

void conv_line(const float* center, std::ptrdiff_t step, float* out, std::size_t n,
               const float* taps, int radius, bool odd) {
  HWY_DYNAMIC_DISPATCH(ConvLine)(center, step, out, n, taps, radius, odd);
}
void conv_line_multi(const float* center, std::ptrdiff_t step, float* const* outs, int count,
                     std::size_t n, const float* const* taps, const bool* odd, int radius) {
  HWY_DYNAMIC_DISPATCH(ConvLineMulti)(center, step, outs, count, n, taps, odd, radius);
}
void conv_line_f64(const float* center, std::ptrdiff_t step, float* out, std::size_t n,
                   const double* taps, int radius, bool odd) {
  HWY_DYNAMIC_DISPATCH(ConvLineF64)(center, step, out, n, taps, radius, odd);
}
void conv_line_promoted(const float* center, float* out, std::size_t n, const double* taps,
                        int radius, bool odd, double* tmp) {
  HWY_DYNAMIC_DISPATCH(ConvLinePromoted)(center, out, n, taps, radius, odd, tmp);
}
void conv_rows(const float* const* rows, float* out, std::size_t n, const float* taps, int radius,
               bool odd) {
  HWY_DYNAMIC_DISPATCH(ConvRows)(rows, out, n, taps, radius, odd);
}
void conv_rows_block_f64(const float* const* rows, float* const* outs, int k, std::size_t n,
                         const double* taps_full, int radius) {
  HWY_DYNAMIC_DISPATCH(ConvRowsBlockF64)(rows, outs, k, n, taps_full, radius);
}
void flush_streams() {
  HWY_DYNAMIC_DISPATCH(FlushStreams)();
}
void copy(const float* a, float* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Copy)(a, out, n);
}
void add2(const float* a, const float* b, float* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Add2)(a, b, out, n);
}
void add3(const float* a, const float* b, const float* c, float* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Add3)(a, b, c, out, n);
}
void sub(const float* a, const float* b, float* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Sub)(a, b, out, n);
}
void magnitude2(const float* a, const float* b, float* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Magnitude2)(a, b, out, n);
}
void magnitude3(const float* a, const float* b, const float* c, float* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Magnitude3)(a, b, c, out, n);
}
void products2(const float* a, const float* b, float* aa, float* ab, float* bb, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Products2)(a, b, aa, ab, bb, n);
}
void products3(const float* a, const float* b, const float* c, float* aa, float* ab, float* ac,
               float* bb, float* bc, float* cc, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Products3)(a, b, c, aa, ab, ac, bb, bc, cc, n);
}
void eig2(const float* a00, const float* a01, const float* a11, float* e0, float* e1,
          std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Eig2)(a00, a01, a11, e0, e1, n);
}
void eig3(const float* a00, const float* a01, const float* a02, const float* a11, const float* a12,
          const float* a22, float* e0, float* e1, float* e2, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Eig3)(a00, a01, a02, a11, a12, a22, e0, e1, e2, n);
}
void eig3_f64(const float* a00, const float* a01, const float* a02, const float* a11,
              const float* a12, const float* a22, float* e0, float* e1, float* e2, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Eig3F64)(a00, a01, a02, a11, a12, a22, e0, e1, e2, n);
}

}  // namespace bioforest::features::simd
#endif
