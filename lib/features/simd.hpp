// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// (private) The hot loops of the feature filters, compiled for every SIMD target Highway
// supports and dispatched at run time (no -march=native). Every element goes through the
// same instruction sequence whether it sits in a full vector or in the tail, so results do
// not depend on where a row starts: blockwise == whole-image, any thread count.

#include <cstddef>

namespace bioforest::features::simd {

/// out[i] = c[0]*p[i] + sum_{m=1..r} c[m] * (p[i + m*step] +/- p[i - m*step]), i < n:
/// one separable pass of a symmetric (odd=false) or antisymmetric (odd=true) kernel,
/// along x (step 1) or along y/z (step = row/plane stride). `center` points at the input
/// element aligned with out[0].
void conv_line(const float* center, std::ptrdiff_t step, float* out, std::size_t n,
               const float* taps, int radius, bool odd);

/// conv_line for `count` (1..3) kernels of the same radius over the same input, loaded once:
/// outs[k] gets kernel k (taps[k], odd[k]), bit for bit as conv_line would.
void conv_line_multi(const float* center, std::ptrdiff_t step, float* const* outs, int count,
                     std::size_t n, const float* const* taps, const bool* odd, int radius);

/// As conv_line, with double taps and double accumulation (one rounding to float).
void conv_line_f64(const float* center, std::ptrdiff_t step, float* out, std::size_t n,
                   const double* taps, int radius, bool odd);

/// conv_line_f64 along x (step 1) of a line promoted to double once; `tmp` holds
/// n + 2 * radius doubles.
void conv_line_promoted(const float* center, float* out, std::size_t n, const double* taps,
                        int radius, bool odd, double* tmp);

/// As conv_line, but the input lines come from a table: rows[r + m] is the line at offset m
/// (m = -radius..radius), so mirrored borders and lines in other planes need no copy.
void conv_rows(const float* const* rows, float* out, std::size_t n, const float* taps, int radius,
               bool odd);

/// Up to kBlockRows output lines of one vertical pass at once, in double: outs[k][i] =
/// sum_{t=0..2r} taps_full[t] * rows[k + t][i] for k < `k` (rows: k + 2r lines), one FMA per
/// tap in ascending t, one rounding to float. taps_full: the 2r+1 correlation taps.
constexpr int kBlockRows = 6;
void conv_rows_block_f64(const float* const* rows, float* const* outs, int k, std::size_t n,
                         const double* taps_full, int radius);

/// copy .. eig3 write their outputs with non-temporal stores where aligned: call this on
/// the writing thread before the outputs are read elsewhere.
void flush_streams();

void copy(const float* a, float* out, std::size_t n);
void add2(const float* a, const float* b, float* out, std::size_t n);
void add3(const float* a, const float* b, const float* c, float* out, std::size_t n);
void sub(const float* a, const float* b, float* out, std::size_t n);  ///< a - b
void magnitude2(const float* a, const float* b, float* out, std::size_t n);
void magnitude3(const float* a, const float* b, const float* c, float* out, std::size_t n);
/// Outer products of a gradient: (a*a, a*b, b*b).
void products2(const float* a, const float* b, float* aa, float* ab, float* bb, std::size_t n);
/// (a*a, a*b, a*c, b*b, b*c, c*c).
void products3(const float* a, const float* b, const float* c, float* aa, float* ab, float* ac,
               float* bb, float* bc, float* cc, std::size_t n);
/// Eigenvalues of [[a00 a01] [a01 a11]], descending: vigra's formula in float (a few ulp of
/// the larger eigenvalue; lanes that overflow float are computed in double, as vigra).
void eig2(const float* a00, const float* a01, const float* a11, float* e0, float* e1,
          std::size_t n);
/// Eigenvalues of a symmetric 3x3 matrix, descending, closed form in float on the deviator:
/// accurate to ~1e-6 of the matrix norm, so for matrices whose eigenvalue channels all span
/// ranges comparable to that norm (the Hessian). Near-double eigenvalues and non-finite
/// lanes are computed as eig3_f64.
void eig3(const float* a00, const float* a01, const float* a02, const float* a11, const float* a12,
          const float* a22, float* e0, float* e1, float* e2, std::size_t n);
/// Eigenvalues of a symmetric 3x3 matrix, descending, vigra's closed form evaluated in double
/// (reference §1.6 explains why double): for positive semi-definite tensors whose smallest
/// eigenvalue is orders of magnitude below the largest (the structure tensor).
void eig3_f64(const float* a00, const float* a01, const float* a02, const float* a11,
              const float* a12, const float* a22, float* e0, float* e1, float* e2, std::size_t n);

}  // namespace bioforest::features::simd
