// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// (private) Strided 3-D float views (x contiguous), a bump arena for per-tile scratch, and
// the separable pass over a view. 2-D data is a view with nz == 1.

#include <cstddef>
#include <vector>

#include <hwy/aligned_allocator.h>

#include "bioforest/features/kernels.hpp"

namespace bioforest::features {

struct View {
  float* p = nullptr;
  std::ptrdiff_t sz = 0, sy = 0;
  int nz = 1, ny = 1, nx = 1;

  float* row(int z, int y) const { return p + z * sz + y * sy; }
  std::size_t size() const { return std::size_t(nz) * ny * nx; }
  View sub(int z0, int y0, int x0, int nz_, int ny_, int nx_) const {
    return {row(z0, y0) + x0, sz, sy, nz_, ny_, nx_};
  }
  static View compact(float* mem, int nz, int ny, int nx) {
    return {mem, std::ptrdiff_t(ny) * nx, nx, nz, ny, nx};
  }
};

/// Bump allocator for scratch arrays: reset() per tile, memory kept across calls, so the
/// steady state allocates nothing.
class Arena {
 public:
  void reset() {
    chunk_ = 0;
    off_ = 0;
  }
  float* alloc(std::size_t n) {
    n = (n + 15) & ~std::size_t(15);  // keep 64-byte alignment
    while (chunk_ < chunks_.size() && off_ + n > caps_[chunk_]) {
      ++chunk_;
      off_ = 0;
    }
    if (chunk_ == chunks_.size()) {
      const std::size_t cap = n > kChunk ? n : kChunk;
      chunks_.push_back(hwy::AllocateAligned<float>(cap));
      caps_.push_back(cap);
      off_ = 0;
    }
    float* p = chunks_[chunk_].get() + off_;
    off_ += n;
    return p;
  }
  View vol(int nz, int ny, int nx) {
    return View::compact(alloc(std::size_t(nz) * ny * nx), nz, ny, nx);
  }

 private:
  static constexpr std::size_t kChunk = std::size_t(1) << 20;
  std::vector<hwy::AlignedFreeUniquePtr<float[]>> chunks_;
  std::vector<std::size_t> caps_;
  std::size_t chunk_ = 0, off_ = 0;
};

/// One valid-mode separable pass along `axis` (0 z, 1 y, 2 x): `out` has the shape of `in`
/// shrunk by 2 * k.radius along that axis. `threads` > 1 splits rows over OpenMP.
void separable_pass(const View& in, const View& out, int axis, const Kernel& k, int threads = 1);

/// separable_pass of `count` (1..3) kernels over the same input into equally shaped views
/// outs[q], loading the input once when the kernels share a radius (same bits as one
/// separable_pass per kernel).
void separable_pass_multi(const View& in, const View* outs, const Kernel* const* ks, int count,
                          int axis);

}  // namespace bioforest::features
