// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/evaluate/labels.hpp"

#include <cmath>
#include <type_traits>

#include "bioforest/core/error.hpp"

namespace bioforest::workflows::evaluate {

Shape squeeze(const Shape& shape) {
  Shape out;
  for (auto n : shape)
    if (n != 1) out.push_back(n);
  return out;
}

LabelImage to_labels(const Image& image, const std::string& file) {
  if (image.extent('c') > 1)
    throw_input(file, "has " + std::to_string(image.extent('c')) +
                          " channels; a label image must have one");
  LabelImage out;
  out.shape = squeeze(image.shape());
  out.values.resize(image.size());
  image.visit([&](const auto& array) {
    using T = typename std::decay_t<decltype(array)>::value_type;
    const T* src = array.data();
    for (std::size_t i = 0; i < out.values.size(); ++i) {
      const T v = src[i];
      if constexpr (std::is_floating_point_v<T>) {
        // numpy tools often save labels as float; accept them only when nothing is lost.
        if (!(v >= 0) || v != std::floor(v))
          throw_input(file, "is not a label image: value " + std::to_string(v) +
                                " is not a non-negative integer (dtype " +
                                std::string(dtype_name(image.dtype())) + ")");
      } else if constexpr (std::is_signed_v<T>) {
        if (v < 0) throw_input(file, "is not a label image: negative value " + std::to_string(v));
      }
      out.values[i] = static_cast<std::uint64_t>(v);
    }
  });
  return out;
}

LabelImage read_labels(const std::string& path, const io::ReadOptions& options) {
  return to_labels(io::read_image(path, options), path);
}

void check_same_shape(const Shape& pred, const std::string& pred_file, const Shape& gt,
                      const std::string& gt_file) {
  if (squeeze(pred) == squeeze(gt)) return;
  throw_input(pred_file, "shape " + shape_str(pred) + " differs from the ground truth " + gt_file +
                             " (shape " + shape_str(gt) + ")");
}

}  // namespace bioforest::workflows::evaluate
