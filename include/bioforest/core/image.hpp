// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The N-d image: an xtensor array (row-major, contiguous) of one of the eight pixel types,
/// with named axes. Readers return it, writers take it, workflows view its memory.

#include <variant>

#include <xtensor/xarray.hpp>

#include "bioforest/core/axes.hpp"
#include "bioforest/core/dtype.hpp"
#include "bioforest/core/roi.hpp"

namespace bioforest {

template <class T>
using Array = xt::xarray<T, xt::layout_type::row_major>;

class Image {
 public:
  using Storage = std::variant<Array<std::uint8_t>, Array<std::uint16_t>, Array<std::uint32_t>,
                               Array<std::int8_t>, Array<std::int16_t>, Array<std::int32_t>,
                               Array<float>, Array<double>>;

  Image() = default;
  /// A zero-filled image.
  Image(DType dtype, const Shape& shape, Axes axes);
  template <class T>
  Image(Array<T> data, Axes axes) : data_(std::move(data)), axes_(std::move(axes)) {
    check_rank();
  }

  DType dtype() const;
  const Axes& axes() const noexcept { return axes_; }
  Shape shape() const;
  std::size_t rank() const noexcept { return axes_.size(); }
  std::size_t size() const;   ///< number of elements
  std::size_t bytes() const;  ///< size() * dtype_size
  /// Extent along axis `key`, or 1 if the image has no such axis.
  std::size_t extent(char key) const;

  void* raw_data();
  const void* raw_data() const;

  /// The typed array; throws Error{internal} if T is not the image's dtype.
  template <class T>
  Array<T>& array() {
    return checked<T>();
  }
  template <class T>
  const Array<T>& array() const {
    return const_cast<Image*>(this)->checked<T>();
  }
  template <class T>
  T* data() {
    return checked<T>().data();
  }
  template <class T>
  const T* data() const {
    return const_cast<Image*>(this)->checked<T>().data();
  }

  /// Calls f(Array<T>&) with the typed array.
  template <class F>
  decltype(auto) visit(F&& f) {
    return std::visit(std::forward<F>(f), data_);
  }
  template <class F>
  decltype(auto) visit(F&& f) const {
    return std::visit(std::forward<F>(f), data_);
  }

  /// Relabels the axes (same rank); throws Error{usage} if the rank differs.
  void set_axes(Axes axes);
  /// numpy-style astype: a plain static_cast per element (no rescaling, no clamping for
  /// float->int beyond what the cast does; use io/convert for renormalisation).
  Image astype(DType dtype) const;
  /// The axes permuted into `target` order; axes of length 1 may be added (target has a
  /// letter this image lacks) or dropped (this image has a singleton axis target lacks).
  Image transposed(const Axes& target) const&;
  /// Same, reusing this image's memory when no element moves (axes already in target order,
  /// or only singleton axes added or dropped): no copy at all.
  Image transposed(const Axes& target) &&;
  /// A copy of the region `roi` (same rank, inside the image).
  Image crop(const Roi& roi) const;
  /// Copies `src` (same dtype and rank) into this image with its origin at `offset`.
  void paste(const Image& src, const Shape& offset);

 private:
  template <class T>
  Array<T>& checked();
  void check_rank() const;
  Image transposed_impl(const Axes& target, Image* movable) const;

  Storage data_;
  Axes axes_;
};

/// Visits, for every contiguous innermost row of `roi` inside an array of `shape`, the flat
/// offset of the row's first element; the row length is roi.shape().back(). Used by crop,
/// paste and the readers to move rows with memcpy.
template <class F>
void for_each_row(const Shape& shape, const Roi& roi, F&& f) {
  const std::size_t rank = shape.size();
  if (rank == 0 || roi.empty()) return;
  Shape strides(rank, 1);
  for (std::size_t i = rank - 1; i > 0; --i)
    strides[i - 1] = strides[i] * shape[i];
  Shape idx(roi.start);
  while (true) {
    std::size_t off = 0;
    for (std::size_t i = 0; i < rank; ++i)
      off += idx[i] * strides[i];
    f(off);
    if (rank == 1) return;
    std::size_t d = rank - 1;
    while (d-- > 0) {
      if (++idx[d] < roi.stop[d]) break;
      idx[d] = roi.start[d];
      if (d == 0) return;
    }
  }
}

}  // namespace bioforest
