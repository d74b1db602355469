// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/features/smoothing.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace bioforest::features {
namespace {

// Along the innermost (contiguous) axis: each line of `len` values on its own.
void smooth_lines(float* field, std::size_t lines, std::size_t len, const std::vector<double>& w,
                  std::size_t r, int threads) {
#pragma omp parallel num_threads(threads) if (lines > 1 && threads > 1)
  {
    std::vector<double> res(len);
#pragma omp for schedule(static)
    for (std::ptrdiff_t l = 0; l < std::ptrdiff_t(lines); ++l) {
      float* line = field + std::size_t(l) * len;
      for (std::size_t i = 0; i < len; ++i) {
        const std::size_t lo = i >= r ? i - r : 0, hi = std::min(len - 1, i + r);
        double acc = 0, wsum = 0;
        for (std::size_t j = lo; j <= hi; ++j) {
          const double wj = w[j + r - i];
          acc += wj * line[j];
          wsum += wj;
        }
        res[i] = acc / wsum;
      }
      for (std::size_t i = 0; i < len; ++i)
        line[i] = float(res[i]);
    }
  }
}

// Along an outer axis: whole rows of `stride` contiguous values are weighted and summed, so
// memory is read row by row instead of one strided line at a time. The sums run over j in
// the same order as smooth_lines', so both axes round the same way.
void smooth_rows(float* field, std::size_t outer, std::size_t len, std::size_t stride,
                 const std::vector<double>& w, std::size_t r, int threads) {
  std::vector<float> copy(len * stride);
  for (std::size_t o = 0; o < outer; ++o) {
    float* block = field + o * len * stride;
    std::copy_n(block, len * stride, copy.data());
#pragma omp parallel num_threads(threads) if (len > 1 && threads > 1)
    {
      std::vector<double> acc(stride);
#pragma omp for schedule(static)
      for (std::ptrdiff_t ii = 0; ii < std::ptrdiff_t(len); ++ii) {
        const std::size_t i = std::size_t(ii);
        const std::size_t lo = i >= r ? i - r : 0, hi = std::min(len - 1, i + r);
        std::fill(acc.begin(), acc.end(), 0.0);
        double wsum = 0;
        for (std::size_t j = lo; j <= hi; ++j) {
          const double wj = w[j + r - i];
          const float* row = &copy[j * stride];
          for (std::size_t s = 0; s < stride; ++s)
            acc[s] += wj * row[s];
          wsum += wj;
        }
        float* out = block + i * stride;
        for (std::size_t s = 0; s < stride; ++s)
          out[s] = float(acc[s] / wsum);
      }
    }
  }
}

}  // namespace

std::size_t truncated_gaussian_radius(double sigma) {
  return sigma <= 0 ? 0 : std::size_t(std::ceil(3.0 * sigma));
}

void smooth_normalized(const float* in, const Shape& shape, double sigma, float* out, int threads) {
  std::size_t n = 1;
  for (auto e : shape)
    n *= e;
  if (out != in) std::copy_n(in, n, out);
  if (sigma <= 0 || n == 0) return;
  const std::size_t r = truncated_gaussian_radius(sigma);
  std::vector<double> w(2 * r + 1);
  for (std::size_t i = 0; i <= 2 * r; ++i) {
    const double d = double(i) - double(r);
    w[i] = std::exp(-d * d / (2 * sigma * sigma));
  }
  threads = std::max(1, threads);
  for (std::size_t axis = 0; axis < shape.size(); ++axis) {
    const std::size_t len = shape[axis];
    std::size_t stride = 1;
    for (std::size_t d = axis + 1; d < shape.size(); ++d)
      stride *= shape[d];
    const std::size_t outer = n / (len * stride);
    if (stride == 1)
      smooth_lines(out, outer, len, w, r, threads);
    else
      smooth_rows(out, outer, len, stride, w, r, threads);
  }
}

}  // namespace bioforest::features
