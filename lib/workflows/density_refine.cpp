// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/density_refine.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "bioforest/core/error.hpp"

namespace bioforest::workflows {

std::vector<std::size_t> density_image_folds(std::size_t n_images, std::size_t k,
                                             std::uint64_t seed) {
  if (k < 2 || n_images < 2)
    throw_internal("out-of-fold split needs 2 folds and 2 images (k = " + std::to_string(k) +
                   ", images = " + std::to_string(n_images) + ")");
  k = std::min(k, n_images);
  std::vector<std::size_t> order(n_images);
  std::iota(order.begin(), order.end(), std::size_t(0));
  // splitmix64: a fixed generator, so the split is the same on every platform.
  std::uint64_t state = seed ^ 0x5bd1e9955bd1e995ULL;
  auto next = [&] {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  for (std::size_t i = n_images - 1; i > 0; --i)
    std::swap(order[i], order[std::size_t(next() % (i + 1))]);
  std::vector<std::size_t> fold(n_images);
  for (std::size_t i = 0; i < n_images; ++i)
    fold[order[i]] = i % k;
  return fold;
}

std::size_t refine_radius(double sigma) {
  return sigma <= 0 ? 0 : std::size_t(std::ceil(3.0 * sigma));
}

std::size_t refine_halo(const std::vector<double>& scales) {
  std::size_t r = 0;
  for (double s : scales)
    r = std::max(r, refine_radius(s));
  return r;
}

void smooth_normalized(const float* in, const Shape& shape, double sigma, float* out) {
  std::size_t n = 1;
  for (auto e : shape)
    n *= e;
  std::copy_n(in, n, out);
  if (sigma <= 0 || n == 0) return;
  const std::size_t r = refine_radius(sigma);
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

std::vector<std::string> refine_feature_names(const std::vector<double>& scales) {
  std::vector<std::string> names;
  for (double s : scales) {
    std::ostringstream o;
    o << "stage-1 density";
    if (s > 0) o << ", Gaussian sigma " << s;
    names.push_back(o.str());
  }
  return names;
}

}  // namespace bioforest::workflows
