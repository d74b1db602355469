// SPDX-License-Identifier: BSD-3-Clause
// Per-pixel results written block by block into one export file: what each result is
// (channels, dtype, range), how segmentations and uncertainties derive from the
// probabilities (ties to the lower class, 0 where masked), and blocks landing in place.
#include <catch2/catch.hpp>

#include "bioforest/io/memory_image.hpp"
#include "bioforest/io/reader.hpp"
#include "bioforest/workflows/pixel_prediction.hpp"
#include "bioforest/workflows/result_writer.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

namespace {
const std::vector<std::string> kClasses = {"background", "nuclei"};

/// Writes `kind` of a 2 x 4 image of two classes as two blocks (columns 0-1 and 2-3), with
/// pixel (1, 3) masked out, and reads the file back as (y, x, c).
Image write_and_read(PixelResult kind, const std::string& source, const std::string& path,
                     const ExportOptions& options = {}) {
  const CanonicalImage input(io::memory_image(Image(DType::uint8, {2, 4}, Axes("yx")), "raw"));
  // p(nuclei) per pixel in raster order; p(background) = 1 - p(nuclei).
  const std::vector<float> p1 = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 0.4f, 0.6f, 0.9f};
  ResultWriter w(pixel_result_layout(kind, source, kClasses, {}), input, 0, 1,
                 Roi::whole(Shape{2, 4}), options, path);
  std::vector<float> scratch;
  for (std::size_t half = 0; half < 2; ++half) {
    const std::size_t x0 = 2 * half;
    const Roi core{{0, x0}, {2, x0 + 2}};
    std::vector<float> planes(2 * 4);  // class-planar: 4 pixels per class
    std::vector<std::uint32_t> mask(4, 1);
    for (std::size_t y = 0; y < 2; ++y)
      for (std::size_t x = 0; x < 2; ++x) {
        const float p = p1[y * 4 + x0 + x];
        planes[y * 2 + x] = 1.0f - p;
        planes[4 + y * 2 + x] = p;
        if (y == 1 && x0 + x == 3) mask[y * 2 + x] = 0;
      }
    PixelBlock b;
    b.core = core;
    b.probabilities = planes.data();
    b.n_classes = 2;
    b.mask = mask.data();
    write_pixel_result(kind, b, w, scratch);
  }
  w.commit();
  return io::read_image(path);
}
}  // namespace

TEST_CASE("pixel_result_layout: channels, dtype and range of each result", "[result_writer]") {
  const std::vector<std::string> features = {"f0", "f1", "f2"};
  const ResultLayout p =
      pixel_result_layout(PixelResult::probabilities, "Probabilities", kClasses, features);
  CHECK(p.channels == 2);
  CHECK(p.channel_names == kClasses);
  CHECK(p.range == io::Range{0, 1});
  const ResultLayout s =
      pixel_result_layout(PixelResult::segmentation, "Simple Segmentation", kClasses, features);
  CHECK((s.channels == 1 && s.natural == DType::uint8 && !s.range));
  const ResultLayout u =
      pixel_result_layout(PixelResult::uncertainty, "Uncertainty", kClasses, features);
  CHECK((u.channels == 1 && u.natural == DType::float32 && u.range == io::Range{0, 1}));
  const ResultLayout f = pixel_result_layout(PixelResult::features, "Features", kClasses, features);
  CHECK((f.channels == 3 && f.channel_names == features && !f.range));
}

TEST_CASE("write_pixel_result: blocks in place, derived results, masked pixels",
          "[result_writer]") {
  const test::TempDir dir;
  SECTION("probabilities: both planes, channels last") {
    const Image img = write_and_read(PixelResult::probabilities, "Probabilities", dir.file("p.h5"));
    REQUIRE(img.shape() == Shape{2, 4, 2});
    const float* v = img.data<float>();
    CHECK(v[2 * 3 + 1] == 0.75f);         // (0, 3), nuclei
    CHECK(v[2 * 5 + 0] == Approx(0.6f));  // (1, 1), background
  }
  SECTION("segmentation: label of the larger class, ties to the lower, 0 where masked") {
    const Image img =
        write_and_read(PixelResult::segmentation, "Simple Segmentation", dir.file("s.h5"));
    REQUIRE(img.dtype() == DType::uint8);
    const std::uint8_t* v = img.data<std::uint8_t>();
    CHECK(std::vector<std::uint8_t>(v, v + 8) == std::vector<std::uint8_t>{1, 1, 1, 2, 2, 1, 2, 0});
  }
  SECTION("uncertainty: 1 - (p_max - p_second)") {
    const Image img = write_and_read(PixelResult::uncertainty, "Uncertainty", dir.file("u.h5"));
    const float* v = img.data<float>();
    CHECK(v[0] == Approx(0.0f));
    CHECK(v[1] == Approx(0.5f));
    CHECK(v[2] == Approx(1.0f));
    CHECK(v[5] == Approx(0.8f));
    CHECK(v[7] == 0.0f);  // masked
  }
  SECTION("an integer export renormalises the probabilities") {
    ExportOptions o;
    o.dtype = DType::uint8;
    const Image img =
        write_and_read(PixelResult::probabilities, "Probabilities", dir.file("p8.h5"), o);
    REQUIRE(img.dtype() == DType::uint8);
    CHECK(img.data<std::uint8_t>()[2 * 4 + 1] == 255);  // (1, 0), nuclei: p = 1
  }
}
