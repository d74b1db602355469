// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/image.hpp"

#include <cstring>
#include <utility>

#include "bioforest/core/error.hpp"

namespace bioforest {

namespace {

template <class T>
Array<T> zeros(const Shape& shape) {
  Array<T> a = Array<T>::from_shape(shape);
  std::fill(a.begin(), a.end(), T{});
  return a;
}

}  // namespace

Image::Image(DType dtype, const Shape& shape, Axes axes) : axes_(std::move(axes)) {
  visit_dtype(dtype, [&](auto v) { data_ = zeros<decltype(v)>(shape); });
  check_rank();
}

void Image::check_rank() const {
  const std::size_t r = visit([](const auto& a) { return a.dimension(); });
  if (r != axes_.size())
    throw_usage("axes '" + axes_.str() + "' do not fit the image shape " + shape_str(shape()) +
                " (" + std::to_string(r) + " dimensions)");
}

template <class T>
Array<T>& Image::checked() {
  auto* p = std::get_if<Array<T>>(&data_);
  if (!p)
    throw_internal("image holds " + std::string(dtype_name(dtype())) + ", accessed as " +
                   std::string(dtype_name(dtype_of<T>())));
  return *p;
}

#define BIOFOREST_INSTANTIATE(T) template Array<T>& Image::checked<T>();
BIOFOREST_INSTANTIATE(std::uint8_t)
BIOFOREST_INSTANTIATE(std::uint16_t)
BIOFOREST_INSTANTIATE(std::uint32_t)
BIOFOREST_INSTANTIATE(std::int8_t)
BIOFOREST_INSTANTIATE(std::int16_t)
BIOFOREST_INSTANTIATE(std::int32_t)
BIOFOREST_INSTANTIATE(float)
BIOFOREST_INSTANTIATE(double)
#undef BIOFOREST_INSTANTIATE

DType Image::dtype() const {
  return visit(
      [](const auto& a) { return dtype_of<typename std::decay_t<decltype(a)>::value_type>(); });
}

Shape Image::shape() const {
  return visit([](const auto& a) { return Shape(a.shape().begin(), a.shape().end()); });
}

std::size_t Image::size() const {
  return visit([](const auto& a) { return a.size(); });
}

std::size_t Image::bytes() const {
  return size() * dtype_size(dtype());
}

std::size_t Image::extent(char key) const {
  return axes_.has(key) ? shape()[axes_.index(key)] : 1;
}

void* Image::raw_data() {
  return visit([](auto& a) { return static_cast<void*>(a.data()); });
}

const void* Image::raw_data() const {
  return visit([](const auto& a) { return static_cast<const void*>(a.data()); });
}

void Image::set_axes(Axes axes) {
  axes_ = std::move(axes);
  check_rank();
}

Image Image::astype(DType dtype) const {
  return visit([&](const auto& src) {
    return visit_dtype(dtype, [&](auto v) {
      using T = decltype(v);
      Array<T> out = Array<T>::from_shape(src.shape());
      const auto* s = src.data();
      T* d = out.data();
      const std::size_t n = src.size();
      for (std::size_t i = 0; i < n; ++i)
        d[i] = static_cast<T>(s[i]);
      return Image(std::move(out), axes_);
    });
  });
}

Image Image::transposed(const Axes& target) && {
  if (target == axes_) return std::move(*this);
  return std::as_const(*this).transposed_impl(target, this);
}

Image Image::transposed(const Axes& target) const& {
  return transposed_impl(target, nullptr);
}

// `movable`: this image (a temporary) whose storage a pure relabelling may take.
Image Image::transposed_impl(const Axes& target, Image* movable) const {
  // Drop singleton axes that target lacks, add singleton axes that this image lacks.
  Shape src_shape = shape();
  std::string kept;
  Shape kept_shape;
  for (std::size_t i = 0; i < rank(); ++i) {
    if (target.has(axes_[i])) {
      kept += axes_[i];
      kept_shape.push_back(src_shape[i]);
    } else if (src_shape[i] != 1) {
      throw_usage("cannot drop axis '" + std::string(1, axes_[i]) + "' of length " +
                  std::to_string(src_shape[i]) + " to get axes '" + target.str() + "'");
    }
  }
  // Source extended with target's missing axes at the front (length 1).
  std::string ext;
  Shape ext_shape;
  for (char k : target.str())
    if (kept.find(k) == std::string::npos) {
      ext += k;
      ext_shape.push_back(1);
    }
  ext += kept;
  ext_shape.insert(ext_shape.end(), kept_shape.begin(), kept_shape.end());
  const Axes ext_axes(ext);
  if (ext_axes == target) {
    Image out = movable ? std::move(*movable) : *this;
    out.visit([&](auto& a) { a.reshape(ext_shape); });
    out.axes_ = target;
    return out;
  }
  const auto perm = ext_axes.permutation_to(target);
  Shape out_shape(target.size());
  for (std::size_t i = 0; i < perm.size(); ++i)
    out_shape[i] = ext_shape[perm[i]];
  // Axes of length 1 move without moving data (yx -> tyxc, the usual case): when the others
  // keep their order, relabelling is the whole transpose (the gather below took ~2 ms for a
  // 512 x 512 image, a 1-long inner loop per pixel).
  bool same_order = true;
  for (std::size_t i = 0, j = 0; same_order; ++i, ++j) {
    while (i < perm.size() && out_shape[i] == 1)
      ++i;
    while (j < ext_shape.size() && ext_shape[j] == 1)
      ++j;
    if (i == perm.size() || j == ext_shape.size()) {
      same_order = i == perm.size() && j == ext_shape.size();
      break;
    }
    same_order = perm[i] == j;
  }
  if (same_order) {
    Image out = movable ? std::move(*movable) : *this;
    out.visit([&](auto& a) { a.reshape(out_shape); });
    out.axes_ = target;
    return out;
  }
  // Source strides in extended layout.
  Shape ext_strides(ext_shape.size(), 1);
  for (std::size_t i = ext_shape.size() - 1; i > 0; --i)
    ext_strides[i - 1] = ext_strides[i] * ext_shape[i];
  Shape gather(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i)
    gather[i] = ext_strides[perm[i]];
  return visit([&](const auto& src) {
    using T = typename std::decay_t<decltype(src)>::value_type;
    Array<T> out = Array<T>::from_shape(out_shape);
    const T* s = src.data();
    T* d = out.data();
    const std::size_t r = out_shape.size();
    Shape idx(r, 0);
    const std::size_t n = out.size();
    const std::size_t inner = out_shape[r - 1], inner_stride = gather[r - 1];
    for (std::size_t o = 0; o < n; o += inner) {
      std::size_t base = 0;
      for (std::size_t i = 0; i + 1 < r; ++i)
        base += idx[i] * gather[i];
      for (std::size_t x = 0; x < inner; ++x)
        d[o + x] = s[base + x * inner_stride];
      for (std::size_t dim = r - 1; dim-- > 0;) {
        if (++idx[dim] < out_shape[dim]) break;
        idx[dim] = 0;
      }
    }
    return Image(std::move(out), target);
  });
}

Image Image::crop(const Roi& roi) const {
  const Shape sh = shape();
  if (roi.rank() != rank() || !Roi::whole(sh).contains(roi))
    throw_internal("crop " + roi.str() + " outside image " + shape_str(sh));
  return visit([&](const auto& src) {
    using T = typename std::decay_t<decltype(src)>::value_type;
    Array<T> out = Array<T>::from_shape(roi.shape());
    const std::size_t row = roi.shape().back();
    T* d = out.data();
    for_each_row(sh, roi, [&](std::size_t off) {
      std::memcpy(d, src.data() + off, row * sizeof(T));
      d += row;
    });
    return Image(std::move(out), axes_);
  });
}

void Image::paste(const Image& src, const Shape& offset) {
  if (src.dtype() != dtype() || src.rank() != rank())
    throw_internal("paste of a " + std::string(dtype_name(src.dtype())) + " " +
                   shape_str(src.shape()) + " block into a " + std::string(dtype_name(dtype())) +
                   " " + shape_str(shape()) + " image");
  const Shape sh = shape();
  const Roi dst = Roi::whole(src.shape()).shifted(offset);
  if (!Roi::whole(sh).contains(dst))
    throw_internal("paste " + dst.str() + " outside image " + shape_str(sh));
  visit([&](auto& d) {
    using T = typename std::decay_t<decltype(d)>::value_type;
    const T* s = src.data<T>();
    const std::size_t row = dst.shape().back();
    for_each_row(sh, dst, [&](std::size_t off) {
      std::memcpy(d.data() + off, s, row * sizeof(T));
      s += row;
    });
  });
}

}  // namespace bioforest
