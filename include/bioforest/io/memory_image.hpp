// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// An image already in memory behind the ImageReader interface, so workflows treat
/// computed data (labels pasted from an ilastik project, a previous stage's output) like a
/// file.

#include <memory>
#include <string>

#include "bioforest/io/reader.hpp"

namespace bioforest::io {

/// A reader over `image`; `name` stands in for the path in messages.
std::unique_ptr<ImageReader> memory_image(Image image, const std::string& name);

}  // namespace bioforest::io
