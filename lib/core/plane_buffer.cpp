// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/plane_buffer.hpp"

namespace bioforest {

float* PlaneBuffer::reserve(std::size_t n) {
  if (n > capacity_) {
    data_.reset();  // before the new one: the old planes need not coexist with the new
    capacity_ = 0;
    data_.reset(new float[n]);  // default-initialised: not written
    capacity_ = n;
  }
  return data_.get();
}

}  // namespace bioforest
