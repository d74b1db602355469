// SPDX-License-Identifier: BSD-3-Clause
// export_features: the written file equals features::compute_features of the whole image
// (blockwise, any memory budget, any thread count), carries ilastik's channel names and the
// selection, and refuses bad requests before writing anything.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "bioforest/core/error.hpp"
#include "bioforest/features/compute.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/reader.hpp"
#include "bioforest/io/writer.hpp"
#include "bioforest/workflows/pxfeatures.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

namespace {

// A deterministic textured volume (z, y, x) of uint16.
Image test_volume(std::size_t Z, std::size_t Y, std::size_t X) {
  Array<std::uint16_t> a = Array<std::uint16_t>::from_shape({Z, Y, X});
  std::uint32_t s = 12345;
  for (auto& v : a) {
    s = s * 1664525u + 1013904223u;
    v = std::uint16_t((s >> 20) & 0x3ff);
  }
  return Image(std::move(a), Axes("zyx"));
}

features::FeatureSelection small_selection() {
  features::FeatureSelection sel = features::FeatureSelection::empty_default();
  sel.select(features::FeatureFamily::GaussianSmoothing, 0.3);
  sel.select(features::FeatureFamily::DifferenceOfGaussians, 1.6);
  sel.select(features::FeatureFamily::StructureTensorEigenvalues, 1.0);
  sel.select(features::FeatureFamily::HessianOfGaussianEigenvalues, 3.5);
  return sel;
}

std::vector<float> read_all(const std::string& file, Shape& shape) {
  return h5::File::open_read(file).read<float>("exported_data", &shape);
}

ErrorCategory category_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.category();
  }
  FAIL("no error thrown");
  return ErrorCategory::internal;
}

}  // namespace

TEST_CASE("export_features writes compute_features blockwise with its metadata", "[pxfeatures]") {
  test::TempDir tmp;
  const Image vol = test_volume(20, 70, 50);
  const std::string input = tmp.file("vol.tif");
  io::write_image(input, vol);
  const auto sel = small_selection();
  RunContext whole;
  whole.threads = 2;
  const Image expected = features::compute_features(vol, sel, whole);

  for (const auto& [threads, ram] : {std::pair<int, std::size_t>{1, std::size_t(1) << 30},
                                     std::pair<int, std::size_t>{2, std::size_t(1) << 20}}) {
    RunContext ctx;
    ctx.threads = threads;
    ctx.ram_bytes = ram;
    const std::string out = tmp.file("f" + std::to_string(threads) + ".h5");
    const auto r = export_features(input, out, sel, PxFeaturesOptions{}, ctx);
    INFO("threads " << threads << ", ram " << ram);
    CHECK(r.axes.str() == "zyxc");
    CHECK(r.shape == expected.shape());
    if (ram < (std::size_t(1) << 30)) CHECK(r.blocks > 1);
    Shape shape;
    const std::vector<float> got = read_all(out, shape);
    REQUIRE(shape == expected.shape());
    const float* e = expected.data<float>();
    std::size_t differ = 0;
    for (std::size_t i = 0; i < got.size(); ++i)
      differ += got[i] != e[i];
    CHECK(differ == 0);

    const auto f = h5::File::open_read(out);
    const auto names =
        nlohmann::json::parse(f.read_string_attribute("exported_data", "channel_names"));
    CHECK(names.get<std::vector<std::string>>() == feature_channel_names(sel, 1, true));
    CHECK(f.read_string_attribute("exported_data", "feature_scheme") == "ilastik");
    const auto back = features::selection_from_json_text(
        f.read_string_attribute("exported_data", "feature_selection"));
    CHECK(back.matrix == sel.matrix);
    CHECK(back.scales == sel.scales);
  }
}

TEST_CASE("export_features honours the output axis order", "[pxfeatures]") {
  test::TempDir tmp;
  const std::string input = tmp.file("vol.h5");
  io::write_image(input, test_volume(16, 40, 30));
  PxFeaturesOptions o;
  o.output_axes = Axes("czyx");
  const auto r = export_features(input, tmp.file("c.h5"), small_selection(), o, RunContext{});
  CHECK(r.shape == Shape{8, 16, 40, 30});
  o.output_axes = Axes("cyx");  // drops z of length 16
  CHECK(category_of([&] {
          export_features(input, tmp.file("d.h5"), small_selection(), o, RunContext{});
        }) == ErrorCategory::usage);
  CHECK_FALSE(std::filesystem::exists(tmp.file("d.h5")));
}

TEST_CASE("export_features refuses bad requests without leaving output", "[pxfeatures]") {
  test::TempDir tmp;
  const std::string input = tmp.file("vol.tif");
  io::write_image(input, test_volume(10, 40, 40));
  const auto sel = small_selection();
  // sigma 3.5 needs 14 pixels along z
  CHECK(category_of([&] { export_features(input, tmp.file("a.h5"), sel, {}, RunContext{}); }) ==
        ErrorCategory::usage);
  auto in2d = sel;
  in2d.compute_in_2d.assign(in2d.scales.size(), true);
  CHECK_NOTHROW(export_features(input, tmp.file("b.h5"), in2d, {}, RunContext{}));
  // output exists
  CHECK(category_of([&] { export_features(input, tmp.file("b.h5"), in2d, {}, RunContext{}); }) ==
        ErrorCategory::usage);
  // unreadable input
  CHECK(category_of([&] {
          export_features(tmp.file("missing.tif"), tmp.file("c.h5"), in2d, {}, RunContext{});
        }) == ErrorCategory::input);
  CHECK_FALSE(std::filesystem::exists(tmp.file("a.h5")));
  CHECK_FALSE(std::filesystem::exists(tmp.file("c.h5")));
}

TEST_CASE("load_feature_spec reports every schema violation", "[pxfeatures]") {
  test::TempDir tmp;
  const std::string path = tmp.file("spec.json");
  std::ofstream(path) << R"({"features": {"Bogus": [1.0], "GaussianSmoothing": [0]}, "x": 1})";
  try {
    load_feature_spec(path);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::usage);
    const std::string what = e.what();
    CHECK(what.find("spec.json") != std::string::npos);
    CHECK(what.find("Bogus") != std::string::npos);
    CHECK(what.find("/features/GaussianSmoothing/0") != std::string::npos);
  }
  std::ofstream(path) << R"({"features": "default", "scheme": "exact"})";
  const auto sel = load_feature_spec(path);
  CHECK(sel.scheme == features::Scheme::exact);
  CHECK(feature_channel_count(sel, 1, false) == 49);
}
