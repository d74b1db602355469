// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/density_refine.hpp"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "bioforest/core/error.hpp"
#include "bioforest/features/smoothing.hpp"

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

std::size_t refine_halo(const std::vector<double>& scales) {
  std::size_t r = 0;
  for (double s : scales)
    r = std::max(r, features::truncated_gaussian_radius(s));
  return r;
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
