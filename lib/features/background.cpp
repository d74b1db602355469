// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/features/background.hpp"

#include <algorithm>
#include <functional>
#include <limits>

#include "bioforest/core/error.hpp"
#include "bioforest/features/smoothing.hpp"

namespace bioforest::features {
namespace {

// Running extremum over windows of w = 2 r + 1 along one line, in O(1) per pixel whatever r
// (van Herk / Gil & Werman): the line, padded with r neutral values at each end, is cut into
// blocks of w; `prefix` holds each block's running extremum from its start, `suffix` from its
// end, and a window, which spans at most two blocks, is the extremum of one suffix and one
// prefix value. The neutral padding clips the window at the borders.
template <class Better>
void window_extremum(const float* line, std::size_t len, std::size_t r, float neutral,
                     Better better, float* out, float* padded, float* prefix, float* suffix) {
  const std::size_t w = 2 * r + 1, n = len + 2 * r;
  std::fill_n(padded, r, neutral);
  std::copy_n(line, len, padded + r);
  std::fill_n(padded + r + len, r, neutral);
  for (std::size_t b = 0; b < n; b += w) {
    const std::size_t e = std::min(n, b + w);
    prefix[b] = padded[b];
    for (std::size_t i = b + 1; i < e; ++i)
      prefix[i] = better(padded[i], prefix[i - 1]) ? padded[i] : prefix[i - 1];
    suffix[e - 1] = padded[e - 1];
    for (std::size_t i = e - 1; i-- > b;)
      suffix[i] = better(padded[i], suffix[i + 1]) ? padded[i] : suffix[i + 1];
  }
  for (std::size_t i = 0; i < len; ++i) {  // window [i, i + w - 1] of the padded line
    const float a = suffix[i], c = prefix[i + w - 1];
    out[i] = better(a, c) ? a : c;
  }
}

// The extremum over the box of half-side r, axis after axis, in place; the lines of an axis
// are shared among the threads, each with its own buffers.
template <class Better>
void box_extremum(float* field, const Shape& shape, std::size_t r, float neutral, Better better,
                  int threads) {
  std::size_t n = 1;
  for (auto e : shape)
    n *= e;
  if (n == 0 || r == 0) return;
  for (std::size_t axis = 0; axis < shape.size(); ++axis) {
    const std::size_t len = shape[axis];
    std::size_t stride = 1;
    for (std::size_t d = axis + 1; d < shape.size(); ++d)
      stride *= shape[d];
    const std::size_t lines = n / len, padded_len = len + 2 * r;
#pragma omp parallel num_threads(threads) if (lines > 1 && threads > 1)
    {
      std::vector<float> buffers(2 * len + 3 * padded_len);
      float* line = buffers.data();
      float* result = line + len;
      float* padded = result + len;
      float* prefix = padded + padded_len;
      float* suffix = prefix + padded_len;
#pragma omp for schedule(static)
      for (std::ptrdiff_t l = 0; l < std::ptrdiff_t(lines); ++l) {
        const std::size_t o = std::size_t(l) / stride, s = std::size_t(l) % stride;
        float* base = field + o * len * stride + s;
        for (std::size_t i = 0; i < len; ++i)
          line[i] = base[i * stride];
        window_extremum(line, len, r, neutral, better, result, padded, prefix, suffix);
        for (std::size_t i = 0; i < len; ++i)
          base[i * stride] = result[i];
      }
    }
  }
}

}  // namespace

void grey_opening(const float* in, const Shape& shape, std::size_t radius, float* out,
                  int threads) {
  std::size_t n = 1;
  for (auto e : shape)
    n *= e;
  if (out != in) std::copy_n(in, n, out);
  constexpr float inf = std::numeric_limits<float>::infinity();
  threads = std::max(1, threads);
  box_extremum(out, shape, radius, inf, std::less<float>(), threads);      // erosion
  box_extremum(out, shape, radius, -inf, std::greater<float>(), threads);  // dilation
}

void estimate_background(const float* in, const Shape& shape, const BackgroundOptions& options,
                         float* out, int threads) {
  if (!options.enabled()) throw_internal("estimate_background without a radius");
  smooth_normalized(in, shape, options.presmoothing, out, threads);
  grey_opening(out, shape, options.radius, out, threads);
  smooth_normalized(out, shape, options.smoothing, out, threads);
}

}  // namespace bioforest::features
