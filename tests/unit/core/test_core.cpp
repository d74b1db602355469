// SPDX-License-Identifier: BSD-3-Clause
#include <catch2/catch.hpp>

#include "bioforest/core/axes.hpp"
#include "bioforest/core/blocking.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/image.hpp"

using namespace bioforest;

TEST_CASE("image crop and paste round trip", "[core][image]") {
  Image img(DType::uint16, {4, 5, 6}, Axes("zyx"));
  auto* p = img.data<std::uint16_t>();
  for (std::size_t i = 0; i < img.size(); ++i)
    p[i] = std::uint16_t(i);
  Roi roi{{1, 2, 3}, {3, 5, 6}};
  Image c = img.crop(roi);
  CHECK(c.shape() == Shape{2, 3, 3});
  CHECK(c.data<std::uint16_t>()[0] == 1 * 30 + 2 * 6 + 3);
  Image z(DType::uint16, {4, 5, 6}, Axes("zyx"));
  z.paste(c, roi.start);
  CHECK(z.data<std::uint16_t>()[1 * 30 + 2 * 6 + 3] == 1 * 30 + 2 * 6 + 3);
  CHECK(z.data<std::uint16_t>()[0] == 0);
}
