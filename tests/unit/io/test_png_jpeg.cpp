// SPDX-License-Identifier: BSD-3-Clause
// PNG and JPEG backends: round trips, every PNG kind libpng expands, region reads, writer
// refusals, corrupt files, and real files checked against PIL's values.

#include <png.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bioforest/core/error.hpp"
#include "bioforest/io/reader.hpp"
#include "bioforest/io/writer.hpp"
#include "image_checks.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace bioforest;
using bioforest::test::TempDir;
using bioforest::test::test_data;

namespace {

Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no bioforest::Error thrown");
  return Error(ErrorCategory::internal, "");
}

void check_rois(io::ImageReader& r) {
  const Image whole = r.read();
  const Shape s = r.info().shape;
  std::vector<Roi> rois = {Roi::whole(s)};
  Roi inner = Roi::whole(s);
  inner.start[0] = s[0] / 3;
  inner.stop[0] = s[0] - s[0] / 4;
  inner.start[1] = s[1] / 2;
  rois.push_back(inner);
  Roi last_row = Roi::whole(s);
  last_row.start[0] = s[0] - 1;
  rois.push_back(last_row);
  if (s.size() == 3) {
    Roi one_channel = inner;
    one_channel.start[2] = 1;
    one_channel.stop[2] = 2;
    rois.push_back(one_channel);
  }
  for (const Roi& roi : rois) {
    INFO("roi " << roi.str());
    CHECK(test::identical(r.read(roi), whole.crop(roi)));
  }
}

// An Adam7-interlaced RGB PNG written with libpng directly (PIL cannot write one).
void write_interlaced_png(const std::string& path, const Image& rgb) {
  std::FILE* fp = std::fopen(path.c_str(), "wb");
  REQUIRE(fp);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  const auto h = static_cast<png_uint_32>(rgb.shape()[0]);
  const auto w = static_cast<png_uint_32>(rgb.shape()[1]);
  png_init_io(png, fp);
  png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  std::vector<png_bytep> rows(h);
  auto* base = const_cast<png_bytep>(static_cast<const png_byte*>(rgb.raw_data()));
  for (png_uint_32 y = 0; y < h; ++y)
    rows[y] = base + y * w * 3;
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(fp);
}

}  // namespace

TEST_CASE("PNG round trip of every kind we write", "[io][png]") {
  TempDir dir;
  std::ofstream manifest(dir.file("m.txt"));
  int n = 0;
  for (DType dtype : {DType::uint8, DType::uint16})
    for (std::size_t c : {0, 2, 3, 4}) {
      INFO(dtype_name(dtype) << " c=" << c);
      const Shape shape = c ? Shape{23, 31, c} : Shape{23, 31};
      const Axes axes(c ? "yxc" : "yx");
      const Image img = test::pattern_image(dtype, shape, axes, ++n);
      const std::string path = dir.file("p" + std::to_string(n) + ".png");
      io::write_image(path, img);
      auto r = io::open_image(path);
      CHECK(r->info().format == "png");
      CHECK(r->info().axes == axes);
      CHECK(r->info().shape == shape);
      CHECK(r->info().dtype == dtype);
      CHECK(test::identical(r->read(), img));
      check_rois(*r);
      // PIL opens 16-bit gray as mode "I" and 16-bit colour only as 8-bit: check 8-bit colour.
      const char* mode = c == 0   ? (dtype == DType::uint8 ? "L" : "I")
                         : c == 2 ? "LA"
                         : c == 3 ? "RGB"
                                  : "RGBA";
      if (dtype == DType::uint8 || c == 0) {
        std::string dims;
        for (std::size_t d : shape)
          dims += (dims.empty() ? "" : ",") + std::to_string(d);
        std::ostringstream line;
        line << "png|" << path << "|" << mode << "|" << dims << "|-|"
             << (c == 0 ? std::to_string(static_cast<long long>(test::sum_of(img))) : "-");
        const std::string l = line.str();
        manifest << l << "\n";
      }
    }
  manifest.close();
  if (!test::have_python_tifffile()) {
    WARN("skipped the PIL check: /usr/bin/python3 lacks PIL");
    return;
  }
  CHECK(test::run_python_check(dir.file("m.txt")) == 0);
}

TEST_CASE("PNG kinds libpng expands", "[io][png]") {
  struct Case {
    const char* name;
    Shape shape;
    DType dtype;
    double sum;
    long long checksum;
  };
  // Sums and checksums of what PIL decodes (tests/data/io/make_fixtures.py); a 1-bit image
  // expands to 0/255, a palette to RGB, a palette with tRNS to RGBA.
  const std::vector<Case> cases = {
      {"io/palette.png", {20, 30, 3}, DType::uint8, 77352, 4132},
      {"io/palette_trns.png", {20, 30, 4}, DType::uint8, 220152, 5794},
      {"io/bilevel.png", {20, 30}, DType::uint8, 82875, 983},
      {"io/rgb.png", {20, 30, 3}, DType::uint8, 165750, 4598},
      {"io/gray16.png", {20, 30}, DType::uint16, 5760900, 1564},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = io::open_image(test_data(c.name));
    CHECK(r->info().shape == c.shape);
    CHECK(r->info().dtype == c.dtype);
    const Image img = r->read();
    CHECK(test::sum_of(img) == c.sum);
    CHECK(test::mod7_checksum(img) == c.checksum);
    check_rois(*r);
  }
}

TEST_CASE("PNG interlaced (Adam7) reads whole and by region", "[io][png]") {
  TempDir dir;
  const Image rgb = test::pattern_image(DType::uint8, {19, 27, 3}, Axes("yxc"));
  write_interlaced_png(dir.file("i.png"), rgb);
  auto r = io::open_image(dir.file("i.png"));
  CHECK(test::identical(r->read(), rgb));
  check_rois(*r);
}

TEST_CASE("PNG writer refuses what PNG cannot hold", "[io][png]") {
  TempDir dir;
  auto refuse = [&](DType dtype, const Shape& shape, const char* axes, const char* why) {
    INFO(dtype_name(dtype) << " " << axes);
    const Error e =
        error_of([&] { io::create_image(dir.file("x.png"), shape, dtype, Axes(axes)); });
    CHECK(e.category() == ErrorCategory::usage);
    CHECK_THAT(std::string(e.what()), Catch::Contains(why));
  };
  refuse(DType::float32, {8, 8}, "yx",
         "PNG holds uint8 or uint16 2-D images; use .tif or .h5 "
         "for float32");
  refuse(DType::int16, {8, 8}, "yx", "int16");
  refuse(DType::uint8, {3, 8, 8}, "zyx", "axes yx or yxc");
  refuse(DType::uint8, {8, 8, 5}, "yxc", "c <= 4");
  CHECK(fs::is_empty(dir.path()));
  // Singleton t/z are fine: a 2-D image with extra axes of length 1.
  const Image img = test::pattern_image(DType::uint8, {1, 8, 9, 3}, Axes("zyxc"));
  io::write_image(dir.file("ok.png"), img);
  CHECK(test::identical(io::read_image(dir.file("ok.png")), img.transposed(Axes("yxc"))));
}

TEST_CASE("PNG and JPEG corrupt input is Error{input} naming the file", "[io][png][jpeg]") {
  TempDir dir;
  auto expect_input = [](const std::string& path) {
    INFO(path);
    const Error e = error_of([&] { io::read_image(path); });
    CHECK(e.category() == ErrorCategory::input);
    CHECK_THAT(std::string(e.what()), Catch::Contains(fs::path(path).filename().string()));
  };
  const Image img = test::pattern_image(DType::uint16, {40, 50, 3}, Axes("yxc"));
  for (double fraction : {0.9, 0.5, 0.05}) {
    const std::string path = dir.file("cut" + std::to_string(fraction) + ".png");
    io::write_image(path, img);
    fs::resize_file(path, static_cast<std::uintmax_t>(fs::file_size(path) * fraction));
    expect_input(path);
  }
  std::ofstream(dir.file("fake.png")) << "not a png";
  expect_input(dir.file("fake.png"));
  std::ofstream(dir.file("fake.jpg")) << "not a jpeg";
  expect_input(dir.file("fake.jpg"));
  expect_input(test_data("io/truncated.jpg"));
  expect_input(dir.file("missing.png"));
}

TEST_CASE("JPEG gray and colour match PIL", "[io][jpeg]") {
  auto gray = io::open_image(test_data("io/gray.jpg"));
  CHECK(gray->info().format == "jpeg");
  CHECK(gray->info().axes.str() == "yx");
  CHECK(gray->info().shape == Shape{20, 30});
  CHECK(gray->info().compression == "jpeg");
  CHECK(test::sum_of(gray->read()) == 25796);
  CHECK(test::mod7_checksum(gray->read()) == 1552);
  check_rois(*gray);
  auto rgb = io::open_image(test_data("io/rgb.jpg"));
  CHECK(rgb->info().axes.str() == "yxc");
  CHECK(rgb->info().shape == Shape{20, 30, 3});
  CHECK(rgb->info().dtype == DType::uint8);
  CHECK(test::sum_of(rgb->read()) == 165833);
  CHECK(test::mod7_checksum(rgb->read()) == 4541);
  check_rois(*rgb);
}

TEST_CASE("PNG real files match PIL", "[io][png]") {
  SECTION("ISBI 2012 EM slice and labels") {
    BIOFOREST_REQUIRE_SHARED(img, "data/isbi2012_em/images/slice_00.png");
    BIOFOREST_REQUIRE_SHARED(lab, "data/isbi2012_em/labels/slice_08.png");
    const Image a = io::read_image(img);
    CHECK(a.shape() == Shape{512, 512});
    CHECK(a.dtype() == DType::uint8);
    CHECK(test::sum_of(a) == 35971420.0);
    CHECK(test::sum_of(io::read_image(lab)) == 50966850.0);
  }
  SECTION("drosophila 1-bit membranes expand to 0/255") {
    BIOFOREST_REQUIRE_SHARED(p, "data/drosophila_vnc_sstem/stack1/membranes/00.png");
    const Image a = io::read_image(p);
    CHECK(a.shape() == Shape{1024, 1024});
    CHECK(test::sum_of(a) == 201073.0 * 255);
  }
  SECTION("VGG cells RGB and Coelho nuclei gray") {
    BIOFOREST_REQUIRE_SHARED(cell, "data/vgg_cells_counting/images/001cell.png");
    BIOFOREST_REQUIRE_SHARED(dna, "data/nuclei2d_coelho2009/nih3t3_ic100/images/dna-0.png");
    const Image c = io::read_image(cell);
    CHECK(c.axes().str() == "yxc");
    CHECK(c.shape() == Shape{256, 256, 3});
    CHECK(test::sum_of(c) == 5160031.0);
    const Image d = io::read_image(dna);
    CHECK(d.shape() == Shape{1024, 1344});
    CHECK(test::sum_of(d) == 33272914.0);
  }
}
