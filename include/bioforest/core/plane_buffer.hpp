// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// A float buffer for the feature planes of a block (the pixel workflows' blocks, the forest
/// walk's copied and compacted rows): tens of MB that every block
/// overwrites, so it is never zero-filled (a std::vector's resize writes zeros that are
/// overwritten at once, and on fresh memory each zero page costs a fault), and it is kept
/// from one block and one image to the next. Not on transparent huge pages: on the
/// project's virtual machines a huge page's first touch costs 2-25 ms depending on whether
/// the host still backs it (51 MB: 4-120 ms), 4 KB pages a steadier 0.4 ms per MB
/// (pxclassify predict of a 512 x 512 image, 3 s apart: 94-185 ms against 119-131 ms).
/// Rechecked with every large malloc on huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1):
/// run back to back, predict 57 -> 53 ms and train 43 -> 38 ms, but 2 s apart, as a user's
/// script runs them, predict took a median 70 ms (62-119) against 64 ms (54-76).
/// Also tried (session 8): fresh memory mapped ahead by all the run's threads at once
/// (madvise MADV_POPULATE_WRITE, one call per thread): dsb2018's predict 9.4k -> 3.0k page
/// faults but the same CPU and wall time (41 ms, 3 x 30 interleaved runs); train the same
/// within noise. The cost of a fault here is the page's zeroing and mapping, not its entry.

#include <cstddef>
#include <memory>

namespace bioforest {

class PlaneBuffer {
 public:
  /// At least n floats, contents unspecified. Grows (dropping the contents), never shrinks.
  float* reserve(std::size_t n);
  float* data() const noexcept { return data_.get(); }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  std::unique_ptr<float[]> data_;
  std::size_t capacity_ = 0;
};

}  // namespace bioforest
