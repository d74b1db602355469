// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/features/smoothing.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace bioforest::features {

std::size_t truncated_gaussian_radius(double sigma) {
  return sigma <= 0 ? 0 : std::size_t(std::ceil(3.0 * sigma));
}

void smooth_normalized(const float* in, const Shape& shape, double sigma, float* out) {
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
  std::vector<double> line, res;
  for (std::size_t axis = 0; axis < shape.size(); ++axis) {
    const std::size_t len = shape[axis];
    std::size_t stride = 1;
    for (std::size_t d = axis + 1; d < shape.size(); ++d)
      stride *= shape[d];
    const std::size_t outer = n / (len * stride);
    line.resize(len);
    res.resize(len);
    for (std::size_t o = 0; o < outer; ++o)
      for (std::size_t s = 0; s < stride; ++s) {
        float* base = out + o * len * stride + s;
        for (std::size_t i = 0; i < len; ++i)
          line[i] = base[i * stride];
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
          base[i * stride] = float(res[i]);
      }
  }
}

}  // namespace bioforest::features
