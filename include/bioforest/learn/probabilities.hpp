// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// What workflows derive from probability maps: the hard labels ("Simple Segmentation") and
/// ilastik's uncertainty 1 - (p_max - p_second).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bioforest::learn {

enum class ProbaLayout {
  row_major,     ///< p[i * n_classes + c]
  class_planar,  ///< p[c * n_samples + i]
};

/// For each sample the column of the largest probability (ties: the lower column).
void argmax(const float* proba, std::size_t n_samples, std::size_t n_classes, ProbaLayout layout,
            std::uint32_t* out);

/// 1 - (p_max - p_second) per sample; 0 when there is a single class (ilastik's
/// OpEnsembleMargin).
void uncertainty(const float* proba, std::size_t n_samples, std::size_t n_classes,
                 ProbaLayout layout, float* out);

}  // namespace bioforest::learn
