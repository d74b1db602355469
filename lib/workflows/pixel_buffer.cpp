// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/pixel_buffer.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace bioforest::workflows {

float* PlaneBuffer::reserve(std::size_t n) {
  if (n > capacity_) {
    // Whole huge pages: the last one is not shared with other allocations.
    constexpr std::size_t kHuge = std::size_t(2) << 20;
    const std::size_t bytes = (n * sizeof(float) + kHuge - 1) / kHuge * kHuge;
    data_.reset();
    capacity_ = 0;
    void* p = std::aligned_alloc(kHuge, bytes);
    if (!p) throw std::bad_alloc();
    madvise(p, bytes, MADV_HUGEPAGE);  // advice only: without THP, 4 KB pages
    data_.reset(static_cast<float*>(p));
    capacity_ = bytes / sizeof(float);
  }
  return data_.get();
}

void PlaneBuffer::Free::operator()(float* p) const noexcept {
  std::free(p);
}

}  // namespace bioforest::workflows
