// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// (private) ilastik's pre-smoothing of one region (a slab of a block), computed straight from
// the block's channel plane: no gathered copy of the input, no whole-frame passes. The
// region may reach beyond the block where the block face is an image border; there the
// input is mirrored (vigra's REFLECT), by addressing lines through index tables.

#include <array>
#include <cstddef>
#include <vector>

#include <hwy/aligned_allocator.h>

#include "bioforest/features/kernels.hpp"
#include "view.hpp"

namespace bioforest::features {

/// One channel of a block as planes of rows (x contiguous): row(z, y) in block coordinates.
struct PlaneSource {
  const float* base = nullptr;
  std::ptrdiff_t plane = 0, row_stride = 0;
  std::array<int, 3> B{1, 1, 1};  ///< block extent (z, y, x)
  const float* row(int z, int y) const { return base + z * plane + y * row_stride; }
};

/// Reusable buffers of one thread (grow to the largest slab, then no allocation).
class SlabScratch {
 public:
  float* z(std::size_t n) { return grow(z_, zcap_, n); }
  float* y(std::size_t n) { return grow(y_, ycap_, n); }
  float* pad(std::size_t n) { return grow(pad_, padcap_, n); }
  double* line(std::size_t n) {
    if (linecap_ < n) {
      line_ = hwy::AllocateAligned<double>(n);
      linecap_ = n;
    }
    return line_.get();
  }
  std::vector<const float*> rows;  ///< input line table of a block of output lines
  std::vector<float*> outs;        ///< the block's output lines
  std::vector<double> taps;        ///< the kernel's correlation taps, unfolded
  std::vector<int> index;          ///< mirrored x index of each padded element

 private:
  static float* grow(hwy::AlignedFreeUniquePtr<float[]>& b, std::size_t& cap, std::size_t n) {
    if (cap < n) {
      b = hwy::AllocateAligned<float>(n);
      cap = n;
    }
    return b.get();
  }
  hwy::AlignedFreeUniquePtr<float[]> z_, y_, pad_;
  hwy::AlignedFreeUniquePtr<double[]> line_;
  std::size_t zcap_ = 0, ycap_ = 0, padcap_ = 0, linecap_ = 0;
};

/// Reflection about 0 and n-1 without repeating the edge (vigra REFLECT), extended
/// periodically so that any index maps into [0, n).
inline int mirror(int b, int n) {
  if (n == 1) return 0;
  const int period = 2 * (n - 1);
  b %= period;
  if (b < 0) b += period;
  return b >= n ? period - b : b;
}

/// Fills P (extent n, compact) with the input over the region starting at block coordinate
/// `start`, smoothed with `k` along the `active` axes (z, then y, then x), or merely mirrored
/// when k is null. Every value is a function of its position only (same bits for any slab
/// or block that contains it).
void presmooth_region(const PlaneSource& src, const std::array<int, 3>& start,
                      const std::array<bool, 3>& active, const Kernel* k, const View& P,
                      SlabScratch& s);

}  // namespace bioforest::features
