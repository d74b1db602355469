// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The float buffer for the feature planes of a block: tens of MB that every block
/// overwrites, so it is never zero-filled, and on transparent huge pages. Fresh 4 KB pages
/// cost a fault each (about 13k for the 49 planes of a 512 x 512 block) and, on this
/// project's virtual machines, more than the features of a small image; a std::vector's
/// resize also writes zeros that are overwritten at once.

#include <cstddef>
#include <memory>

namespace bioforest::workflows {

class PlaneBuffer {
 public:
  /// At least n floats, contents unspecified. Grows (dropping the contents), never shrinks.
  float* reserve(std::size_t n);
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  struct Free {
    void operator()(float* p) const noexcept;
  };
  std::unique_ptr<float, Free> data_;
  std::size_t capacity_ = 0;
};

}  // namespace bioforest::workflows
