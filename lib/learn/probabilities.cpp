// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/learn/probabilities.hpp"

namespace bioforest::learn {
namespace {

template <class F>
void for_each_row(const float* p, std::size_t n, std::size_t k, ProbaLayout layout, F&& f) {
  const std::size_t cs = layout == ProbaLayout::row_major ? 1 : n;  // class stride
  const std::size_t ss = layout == ProbaLayout::row_major ? k : 1;  // sample stride
  for (std::size_t i = 0; i < n; ++i)
    f(i, p + i * ss, cs);
}

}  // namespace

void argmax(const float* proba, std::size_t n_samples, std::size_t n_classes, ProbaLayout layout,
            std::uint32_t* out) {
  for_each_row(proba, n_samples, n_classes, layout,
               [&](std::size_t i, const float* p, std::size_t cs) {
                 std::uint32_t best = 0;
                 for (std::size_t c = 1; c < n_classes; ++c)
                   if (p[c * cs] > p[best * cs]) best = std::uint32_t(c);
                 out[i] = best;
               });
}

void uncertainty(const float* proba, std::size_t n_samples, std::size_t n_classes,
                 ProbaLayout layout, float* out) {
  for_each_row(proba, n_samples, n_classes, layout,
               [&](std::size_t i, const float* p, std::size_t cs) {
                 if (n_classes < 2) {
                   out[i] = 0.0f;
                   return;
                 }
                 float first = -1.0f, second = -1.0f;
                 for (std::size_t c = 0; c < n_classes; ++c) {
                   const float v = p[c * cs];
                   if (v > first) {
                     second = first;
                     first = v;
                   } else if (v > second) {
                     second = v;
                   }
                 }
                 out[i] = 1.0f - (first - second);
               });
}

}  // namespace bioforest::learn
