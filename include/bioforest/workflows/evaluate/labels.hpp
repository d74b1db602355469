// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Label images as the evaluation metrics see them: one unsigned label per pixel or voxel in C
/// order, with the shape they came from. Every metric works on these in memory, so other
/// workflows can score their own results without writing files.

#include <cstdint>
#include <string>
#include <vector>

#include "bioforest/core/image.hpp"
#include "bioforest/io/reader.hpp"

namespace bioforest::workflows::evaluate {

struct LabelImage {
  std::vector<std::uint64_t> values;  ///< C order
  Shape shape;                        ///< singleton axes dropped (as numpy.squeeze)

  std::size_t size() const noexcept { return values.size(); }
};

/// A label image from any integer image, or a float image whose values are all integral
/// (what numpy-based tools often write). Throws Error{input} naming `file` for negative or
/// non-integral values and for images with more than one channel.
LabelImage to_labels(const Image& image, const std::string& file);

/// io::read_image + to_labels.
LabelImage read_labels(const std::string& path, const io::ReadOptions& options = {});

/// Throws Error{input} naming both files and both shapes when the shapes differ.
void check_same_shape(const Shape& pred, const std::string& pred_file, const Shape& gt,
                      const std::string& gt_file);

/// Drops axes of length 1 (a 1x512x512 page and a 512x512 image compare equal).
Shape squeeze(const Shape& shape);

}  // namespace bioforest::workflows::evaluate
