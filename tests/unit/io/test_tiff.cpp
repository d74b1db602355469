// SPDX-License-Identifier: BSD-3-Clause
// TIFF backend: round trips, region reads, strips/tiles/planar/BigTIFF, ImageJ and OME
// metadata, what tifffile sees in our outputs, bad input, and real files.

#include <tiffio.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../../../lib/io/tiff_metadata.hpp"
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

// tifffile's axes and shape for an ImageJ file of canonical axes/shape (planes TZC, then YX).
std::pair<std::string, std::string> tifffile_view(const Axes& axes, const Shape& shape) {
  std::string ax, sh;
  for (char k : std::string("tzcyx")) {
    if (!axes.has(k) || (shape[axes.index(k)] == 1 && k != 'y' && k != 'x')) continue;
    ax += static_cast<char>(std::toupper(k));
    sh += (sh.empty() ? "" : ",") + std::to_string(shape[axes.index(k)]);
  }
  return {ax, sh};
}

std::string manifest_line(const std::string& kind, const std::string& path, const Image& img,
                          bool decodable) {
  auto [ax, sh] = tifffile_view(img.axes(), img.shape());
  std::ostringstream line;
  line.precision(17);
  line << kind << "|" << path << "|" << ax << "|" << sh << "|" << dtype_name(img.dtype()) << "|";
  if (decodable)
    line << test::sum_of(img);
  else
    line << "-";
  return line.str();
}

ErrorCategory category_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.category();
  }
  FAIL("no bioforest::Error thrown");
  return ErrorCategory::internal;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

// Value formulas of tests/data/io/make_fixtures.py.
std::uint64_t grid(std::initializer_list<std::size_t> idx, std::initializer_list<std::size_t> w,
                   std::uint64_t mod) {
  std::uint64_t s = 0;
  auto wi = w.begin();
  for (std::size_t i : idx)
    s += i * *wi++;
  return s % mod;
}

void truncate_file(const std::string& path, double fraction) {
  const auto size = fs::file_size(path);
  fs::resize_file(path, static_cast<std::uintmax_t>(size * fraction));
}

std::vector<Roi> some_rois(const Shape& shape) {
  std::vector<Roi> rois;
  Roi r = Roi::whole(shape);
  rois.push_back(r);
  // Interior boxes, single planes, and an edge box.
  Roi inner = r;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    inner.start[i] = shape[i] / 3;
    inner.stop[i] = std::max(inner.start[i] + 1, shape[i] - shape[i] / 4);
  }
  rois.push_back(inner);
  Roi plane = r;
  plane.start[0] = shape[0] - 1;
  rois.push_back(plane);
  Roi edge = r;
  for (std::size_t i = 0; i < shape.size(); ++i)
    edge.start[i] = shape[i] - 1;
  rois.push_back(edge);
  return rois;
}

void check_rois(io::ImageReader& reader) {
  const Image whole = reader.read();
  for (const Roi& roi : some_rois(reader.info().shape)) {
    INFO("roi " << roi.str());
    CHECK(test::identical(reader.read(roi), whole.crop(roi)));
  }
}

}  // namespace

TEST_CASE("TIFF round trip: every dtype x axes x compression, bit-exact", "[io][tiff]") {
  TempDir dir;
  const std::vector<std::pair<std::string, Shape>> layouts = {{"yx", {13, 17}},
                                                              {"zyx", {3, 13, 17}},
                                                              {"yxc", {13, 17, 3}},
                                                              {"zyxc", {3, 13, 17, 2}},
                                                              {"tzyxc", {2, 3, 13, 17, 2}}};
  std::ofstream manifest(dir.file("manifest.txt"));
  int n = 0;
  for (DType dtype : kAllDTypes)
    for (const auto& [axes, shape] : layouts)
      for (const char* compression : {"none", "lzw", "deflate", "packbits"}) {
        INFO(dtype_name(dtype) << " " << axes << " " << compression);
        const Image img = test::pattern_image(dtype, shape, Axes(axes), ++n);
        const std::string path = dir.file("rt_" + std::to_string(n) + ".tif");
        io::WriteOptions o;
        o.compression = compression;
        io::write_image(path, img, o);
        auto reader = io::open_image(path);
        const auto& info = reader->info();
        CHECK(info.format == "tiff");
        CHECK(info.axes.str() == axes);
        CHECK(info.shape == shape);
        CHECK(info.dtype == dtype);
        CHECK(info.axes_from_metadata);
        CHECK(info.compression == compression);
        CHECK(info.chunks.empty());
        CHECK(test::identical(reader->read(), img));
        const bool decodable =
            std::string(compression) == "none" || std::string(compression) == "deflate";
        manifest << manifest_line("imagej", path, img, decodable) << "\n";
      }
  manifest.close();
  if (!test::have_python_tifffile()) {
    WARN("skipped the tifffile check: /usr/bin/python3 lacks tifffile/numpy/PIL");
    return;
  }
  CHECK(test::run_python_check(dir.file("manifest.txt")) == 0);
}

TEST_CASE("TIFF region reads equal crops of whole reads", "[io][tiff]") {
  TempDir dir;
  const Image img = test::pattern_image(DType::uint16, {2, 3, 70, 45, 2}, Axes("tzyxc"));
  SECTION("strips, LZW") {
    io::WriteOptions o;
    o.compression = "lzw";
    io::write_image(dir.file("s.tif"), img, o);
    auto r = io::open_image(dir.file("s.tif"));
    check_rois(*r);
  }
  SECTION("tiles from options.chunks, deflate") {
    io::WriteOptions o;
    o.compression = "deflate";
    o.chunks = {1, 1, 32, 20, 1};  // x rounds up to 32: TIFF tiles are multiples of 16
    io::write_image(dir.file("t.tif"), img, o);
    auto r = io::open_image(dir.file("t.tif"));
    CHECK(r->info().chunks == Shape{1, 1, 32, 32, 1});
    CHECK(test::identical(r->read(), img));
    check_rois(*r);
  }
}

TEST_CASE("TIFF reading touches only the strips a region needs", "[io][tiff]") {
  TempDir dir;
  const std::string path = dir.file("d.tif");
  const Image img = test::pattern_image(DType::uint8, {64, 40}, Axes("yx"));
  io::WriteOptions o;
  o.compression = "deflate";
  o.chunks = {16, 16};
  io::write_image(path, img, o);
  // Overwrite the compressed bytes of the last tile with garbage.
  std::uint64_t offset = 0, count = 0;
  {
    TIFF* tif = TIFFOpen(path.c_str(), "r");
    REQUIRE(tif);
    std::uint64_t *offsets = nullptr, *counts = nullptr;
    TIFFGetField(tif, TIFFTAG_TILEOFFSETS, &offsets);
    TIFFGetField(tif, TIFFTAG_TILEBYTECOUNTS, &counts);
    const auto last = TIFFNumberOfTiles(tif) - 1;
    offset = offsets[last];
    count = counts[last];
    TIFFClose(tif);
  }
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    const std::string junk(count, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto r = io::open_image(path);
  const Roi top{{0, 0}, {16, 40}};
  CHECK(test::identical(r->read(top), img.crop(top)));
  CHECK(category_of([&] { r->read(); }) == ErrorCategory::input);
  CHECK_THAT(message_of([&] { r->read(); }), Catch::Contains("d.tif"));
  // The reader recovers after a failed read.
  CHECK(test::identical(r->read(top), img.crop(top)));
}

TEST_CASE("TIFF fixtures: tiles, planar and contiguous RGB, BigTIFF", "[io][tiff]") {
  SECTION("tiled zyx uint16, deflate (plain multi-page: pages are z)") {
    auto r = io::open_image(test_data("io/tiled_zyx_u16_deflate.tif"));
    const auto& info = r->info();
    CHECK(info.axes.str() == "zyx");
    CHECK_FALSE(info.axes_from_metadata);
    CHECK(info.shape == Shape{3, 40, 50});
    CHECK(info.chunks == Shape{1, 16, 16});
    CHECK(info.compression == "deflate");
    const Image img = r->read();
    const auto& a = img.array<std::uint16_t>();
    bool ok = true;
    for (std::size_t z = 0; z < 3; ++z)
      for (std::size_t y = 0; y < 40; ++y)
        for (std::size_t x = 0; x < 50; ++x)
          ok = ok && a(z, y, x) == grid({z, y, x}, {1000, 50, 1}, 65536);
    CHECK(ok);
    check_rois(*r);
  }
  for (const char* name : {"io/rgb_planar_u8.tif", "io/rgb_contig_tiled_u8.tif"}) {
    SECTION(name) {
      auto r = io::open_image(test_data(name));
      CHECK(r->info().axes.str() == "yxc");
      CHECK(r->info().shape == Shape{30, 40, 3});
      const Image img = r->read();
      const auto& a = img.array<std::uint8_t>();
      bool ok = true;
      for (std::size_t y = 0; y < 30; ++y)
        for (std::size_t x = 0; x < 40; ++x)
          for (std::size_t c = 0; c < 3; ++c)
            ok = ok && a(y, x, c) == grid({c, y, x}, {60, 2, 1}, 256);
      CHECK(ok);
      check_rois(*r);
      const Roi green{{3, 5, 1}, {20, 33, 2}};
      CHECK(test::identical(r->read(green), img.crop(green)));
    }
  }
  SECTION("BigTIFF float32 in strips of 7 rows") {
    auto r = io::open_image(test_data("io/bigtiff_f32.tif"));
    CHECK(r->info().axes.str() == "zyx");
    CHECK(r->info().dtype == DType::float32);
    const Image img = r->read();
    const auto& a = img.array<float>();
    bool ok = true;
    for (std::size_t z = 0; z < 2; ++z)
      for (std::size_t y = 0; y < 20; ++y)
        for (std::size_t x = 0; x < 30; ++x)
          ok = ok && a(z, y, x) ==
                         static_cast<float>(grid({z, y, x}, {600, 30, 1}, 100000)) * 0.25f - 10.0f;
    CHECK(ok);
    check_rois(*r);
  }
}

TEST_CASE("TIFF BigTIFF writing", "[io][tiff]") {
  TempDir dir;
  const Image img = test::pattern_image(DType::float64, {3, 20, 30}, Axes("zyx"));
  io::WriteOptions o;
  o.bigtiff = true;
  o.compression = "deflate";
  io::write_image(dir.file("big.tif"), img, o);
  std::ifstream f(dir.file("big.tif"), std::ios::binary);
  char head[4] = {};
  f.read(head, 4);
  CHECK(head[2] == 43);  // BigTIFF's version number (classic TIFF has 42)
  CHECK(test::identical(io::read_image(dir.file("big.tif")), img));
}

TEST_CASE("TIFF ImageJ hyperstack metadata", "[io][tiff]") {
  SECTION("tifffile's TZCYX hyperstack reads as tzyxc") {
    auto r = io::open_image(test_data("io/imagej_tzcyx_u8.tif"));
    const auto& info = r->info();
    CHECK(info.axes.str() == "tzyxc");
    CHECK(info.axes_from_metadata);
    CHECK(info.shape == Shape{2, 3, 20, 30, 2});
    const Image img = r->read();
    const auto& a = img.array<std::uint8_t>();
    bool ok = true;
    for (std::size_t t = 0; t < 2; ++t)
      for (std::size_t z = 0; z < 3; ++z)
        for (std::size_t c = 0; c < 2; ++c)
          for (std::size_t y = 0; y < 20; ++y)
            for (std::size_t x = 0; x < 30; ++x)
              ok = ok && a(t, z, y, x, c) == grid({t, z, c, y, x}, {100, 30, 7, 3, 1}, 256);
    CHECK(ok);
    check_rois(*r);
  }
  SECTION("singleton axes and non-canonical axes survive a round trip") {
    TempDir dir;
    const Image img = test::pattern_image(DType::uint16, {1, 1, 9, 11, 2}, Axes("tzyxc"));
    io::write_image(dir.file("s.tif"), img);
    const Image back = io::read_image(dir.file("s.tif"));
    CHECK(test::identical(back, img));
    const Image cyx = test::pattern_image(DType::float32, {3, 9, 11}, Axes("cyx"));
    io::write_image(dir.file("cyx.tif"), cyx);
    CHECK(test::identical(io::read_image(dir.file("cyx.tif")), cyx.transposed(Axes("yxc"))));
  }
  SECTION("description parsing") {
    using io::detail::parse_imagej_description;
    auto l = parse_imagej_description(
        "ImageJ=1.53t\nimages=24\nchannels=2\nslices=4\nframes=3\n"
        "hyperstack=true\nmode=composite\n");
    CHECK((l.t == 3 && l.z == 4 && l.c == 2 && l.plane_ifd.size() == 24));
    CHECK(l.plane_ifd[5] == 5);
    // Inconsistent counts: ImageJ opens the images as slices.
    l = parse_imagej_description("ImageJ=1.53t\nimages=10\nchannels=3\n");
    CHECK((l.z == 10 && l.c == 1 && l.t == 1));
    l = parse_imagej_description("ImageJ=1.47b\r\ninfo=null\r\n");
    CHECK((l.z == 1 && l.c == 1 && l.t == 1 && l.plane_ifd.size() == 1));
    const std::string d =
        io::detail::make_imagej_description(2, 3, 4, Axes("tzyxc"), std::make_pair(0.0, 255.0));
    CHECK_THAT(d, Catch::StartsWith("ImageJ=1.11a\nimages=24\nchannels=2\nslices=3\nframes=4\n"
                                    "hyperstack=true\n"));
    CHECK_THAT(d, Catch::Contains("min=0\nmax=255\n"));
    l = parse_imagej_description(d);
    CHECK((l.t == 4 && l.z == 3 && l.c == 2 && l.axes == "tzyxc"));
  }
}

TEST_CASE("OME-TIFF reading and writing", "[io][tiff]") {
  SECTION("tifffile's XYZCT file reads as tzyxc") {
    auto r = io::open_image(test_data("io/ome_tczyx_u16.ome.tif"));
    const auto& info = r->info();
    CHECK(info.axes.str() == "tzyxc");
    CHECK(info.axes_from_metadata);
    CHECK(info.shape == Shape{2, 3, 20, 30, 2});
    const Image img = r->read();
    const auto& a = img.array<std::uint16_t>();
    bool ok = true;
    for (std::size_t t = 0; t < 2; ++t)
      for (std::size_t z = 0; z < 3; ++z)
        for (std::size_t c = 0; c < 2; ++c)
          for (std::size_t y = 0; y < 20; ++y)
            for (std::size_t x = 0; x < 30; ++x)
              ok = ok && a(t, z, y, x, c) == grid({t, c, z, y, x}, {1000, 500, 100, 40, 1}, 65536);
    CHECK(ok);
    check_rois(*r);
  }
  SECTION("TiffData mapping") {
    using io::detail::parse_ome_xml;
    const char* xml = R"(<?xml version="1.0"?><OME><Image><Pixels DimensionOrder="XYCTZ"
        SizeX="4" SizeY="4" SizeZ="2" SizeC="2" SizeT="1" Type="uint8">
        <TiffData IFD="3" FirstC="0" FirstZ="0" PlaneCount="2"/>
        <TiffData IFD="0" FirstZ="1" PlaneCount="2"/></Pixels></Image></OME>)";
    const auto l = parse_ome_xml(xml, 1, "x.ome.tif");
    // Canonical (z, c) order: z0c0, z0c1, z1c0, z1c1.
    CHECK(l.plane_ifd == std::vector<std::size_t>{3, 4, 0, 1});
    const char* gap = R"(<OME><Image><Pixels DimensionOrder="XYZCT" SizeZ="3" SizeC="1"
        SizeT="1"><TiffData IFD="0" PlaneCount="1"/><TiffData IFD="1" FirstZ="2"/>
        </Pixels></Image></OME>)";
    CHECK(category_of([&] { parse_ome_xml(gap, 1, "x.ome.tif"); }) == ErrorCategory::input);
    const char* multi = R"(<OME><Image><Pixels DimensionOrder="XYZCT" SizeZ="2" SizeC="1"
        SizeT="1"><TiffData FirstZ="0"><UUID FileName="a.ome.tif">u</UUID></TiffData>
        <TiffData FirstZ="1"><UUID FileName="b.ome.tif">v</UUID></TiffData></Pixels></Image></OME>)";
    CHECK_THAT(message_of([&] { parse_ome_xml(multi, 1, "x.ome.tif"); }),
               Catch::Contains("multi-file"));
    CHECK(category_of([&] { parse_ome_xml("<OME><Image", 1, "x.ome.tif"); }) ==
          ErrorCategory::input);
  }
  SECTION("our OME-TIFF reads back and opens in tifffile") {
    TempDir dir;
    std::ofstream manifest(dir.file("m.txt"));
    for (DType dtype : {DType::uint8, DType::int16, DType::float32, DType::float64}) {
      const Image img = test::pattern_image(dtype, {2, 3, 10, 12, 2}, Axes("tzyxc"));
      const std::string path = dir.file(std::string(dtype_name(dtype)) + ".ome.tif");
      io::WriteOptions o;
      o.compression = "deflate";
      io::write_image(path, img, o);
      CHECK(test::identical(io::read_image(path), img));
      std::ostringstream line;
      line.precision(17);
      line << "ome|" << path << "|TZCYX|2,3,2,10,12|" << dtype_name(dtype) << "|"
           << test::sum_of(img) << "\n";
      manifest << line.str();
    }
    manifest.close();
    if (!test::have_python_tifffile()) {
      WARN("skipped the tifffile check: /usr/bin/python3 lacks tifffile");
      return;
    }
    CHECK(test::run_python_check(dir.file("m.txt")) == 0);
  }
}

TEST_CASE("TIFF bad input is Error{input} naming the file", "[io][tiff]") {
  TempDir dir;
  auto expect_input = [](const std::string& path) {
    INFO(path);
    CHECK(category_of([&] { io::read_image(path); }) == ErrorCategory::input);
    CHECK_THAT(message_of([&] { io::read_image(path); }),
               Catch::Contains(fs::path(path).filename().string()));
  };
  SECTION("missing file") {
    expect_input(dir.file("missing.tif"));
  }
  SECTION("not a TIFF") {
    std::ofstream(dir.file("text.tif")) << "this is not a TIFF file at all\n";
    expect_input(dir.file("text.tif"));
  }
  SECTION("unsupported sample format (float16)") {
    expect_input(test_data("io/float16.tif"));
    CHECK_THAT(message_of([&] { io::read_image(test_data("io/float16.tif")); }),
               Catch::Contains("16-bit floating-point"));
  }
  SECTION("truncated pixel data (IFD first)") {
    expect_input(test_data("io/truncated_u8.tif"));
  }
  SECTION("truncated multi-page file of ours (IFDs after the pixels)") {
    const Image img = test::pattern_image(DType::uint16, {5, 30, 30}, Axes("zyx"));
    for (double fraction : {0.7, 0.3, 0.001}) {
      const std::string path = dir.file("cut" + std::to_string(fraction) + ".tif");
      io::write_image(path, img);
      truncate_file(path, fraction);
      expect_input(path);
    }
  }
  SECTION("empty file") {
    std::ofstream(dir.file("empty.tif")).close();
    expect_input(dir.file("empty.tif"));
  }
}

TEST_CASE("TIFF writer errors and atomicity", "[io][tiff]") {
  TempDir dir;
  const Image img = test::pattern_image(DType::uint8, {4, 5}, Axes("yx"));
  SECTION("missing output folder is Error{output}") {
    CHECK(category_of([&] { io::write_image(dir.file("no/such/dir/a.tif"), img); }) ==
          ErrorCategory::output);
  }
  SECTION("read-only output folder is Error{output}") {
    if (geteuid() == 0) {
      WARN("skipped: running as root, every folder is writable");
      return;
    }
    fs::create_directory(dir.file("ro"));
    fs::permissions(dir.file("ro"), fs::perms::owner_read | fs::perms::owner_exec);
    CHECK(category_of([&] { io::write_image(dir.file("ro/a.tif"), img); }) ==
          ErrorCategory::output);
    fs::permissions(dir.file("ro"), fs::perms::owner_all);
  }
  SECTION("existing output without overwrite is Error{usage}, with overwrite replaced") {
    io::write_image(dir.file("a.tif"), img);
    CHECK(category_of([&] { io::write_image(dir.file("a.tif"), img); }) == ErrorCategory::usage);
    io::WriteOptions o;
    o.overwrite = true;
    const Image other = test::pattern_image(DType::uint8, {4, 5}, Axes("yx"), 7);
    io::write_image(dir.file("a.tif"), other, o);
    CHECK(test::identical(io::read_image(dir.file("a.tif")), other));
  }
  SECTION("unknown compression is Error{usage}") {
    io::WriteOptions o;
    o.compression = "brotli";
    CHECK(category_of([&] { io::write_image(dir.file("b.tif"), img, o); }) == ErrorCategory::usage);
  }
  SECTION("no temporary files are left behind") {
    {
      auto w = io::create_image(dir.file("never.tif"), img.shape(), img.dtype(), img.axes());
      w->write(img, {0, 0});
      // destroyed without commit()
    }
    {
      auto w = io::create_image(dir.file("done.tif"), img.shape(), img.dtype(), img.axes());
      w->write(img, {0, 0});
      w->commit();
    }
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.path()))
      names.push_back(e.path().filename().string());
    CHECK(names == std::vector<std::string>{"done.tif"});
  }
  SECTION("blocks written separately assemble the image") {
    const Image big = test::pattern_image(DType::int32, {3, 20, 16}, Axes("zyx"));
    auto w = io::create_image(dir.file("blocks.tif"), big.shape(), big.dtype(), big.axes());
    for (std::size_t y0 = 0; y0 < 20; y0 += 8) {
      const Roi r{{0, y0, 0}, {3, std::min<std::size_t>(y0 + 8, 20), 16}};
      w->write(big.crop(r), r.start);
    }
    w->commit();
    CHECK(test::identical(io::read_image(dir.file("blocks.tif")), big));
  }
}

TEST_CASE("TIFF real files match tifffile/PIL", "[io][tiff]") {
  SECTION("stardist dsb2018 2-D uint16") {
    BIOFOREST_REQUIRE_SHARED(p, "data/stardist_samples/dsb2018_img2d.tif");
    const Image img = io::read_image(p);
    CHECK(img.axes().str() == "yx");
    CHECK(img.shape() == Shape{512, 512});
    CHECK(img.dtype() == DType::uint16);
    CHECK(test::sum_of(img) == 8331268.0);
  }
  SECTION("stardist synthetic 3-D uint16, deflate") {
    BIOFOREST_REQUIRE_SHARED(p, "data/stardist_samples/synthetic_img3d.tif");
    auto r = io::open_image(p);
    CHECK(r->info().axes.str() == "zyx");
    CHECK(r->info().shape == Shape{31, 61, 57});
    CHECK(r->info().compression == "deflate");
    CHECK(test::sum_of(r->read()) == 21342435.0);
    CHECK(test::sum_of(r->read(Roi{{5, 10, 20}, {9, 30, 40}})) == 288683.0);
  }
  SECTION("Cell Tracking Challenge LZW uint16") {
    BIOFOREST_REQUIRE_SHARED(p, "data/ctc_Fluo-N2DH-SIM+/01/t000.tif");
    auto r = io::open_image(p);
    CHECK(r->info().compression == "lzw");
    const Image img = r->read();
    CHECK(img.shape() == Shape{690, 628});
    CHECK(test::sum_of(img) == 43931672.0);
    const auto& a = img.array<std::uint16_t>();
    CHECK(*std::min_element(a.begin(), a.end()) == 73);
    CHECK(*std::max_element(a.begin(), a.end()) == 314);
  }
  SECTION("drosophila raw uint8 with a short ImageJ description") {
    BIOFOREST_REQUIRE_SHARED(p0, "data/drosophila_vnc_sstem/stack1/raw/00.tif");
    BIOFOREST_REQUIRE_SHARED(p3, "data/drosophila_vnc_sstem/stack1/raw/03.tif");
    const Image a = io::read_image(p0);
    CHECK(a.axes().str() == "yx");
    CHECK(a.shape() == Shape{1024, 1024});
    CHECK(test::sum_of(a) == 134930314.0);
    CHECK(test::sum_of(io::read_image(p3)) == 135065576.0);
  }
}

TEST_CASE("TIFF with JPEG compression (YCbCr) reads as RGB", "[io][tiff]") {
  if (!TIFFIsCODECConfigured(COMPRESSION_JPEG)) {
    WARN("skipped: this libtiff has no JPEG codec");
    return;
  }
  TempDir dir;
  const std::string path = dir.file("jpeg.tif");
  const std::uint32_t w = 48, h = 40;
  // A smooth image, so JPEG's loss stays small.
  Image rgb(DType::uint8, {h, w, 3}, Axes("yxc"));
  auto& a = rgb.array<std::uint8_t>();
  for (std::size_t y = 0; y < h; ++y)
    for (std::size_t x = 0; x < w; ++x) {
      a(y, x, 0) = static_cast<std::uint8_t>(40 + 3 * x);
      a(y, x, 1) = static_cast<std::uint8_t>(60 + 2 * y);
      a(y, x, 2) = static_cast<std::uint8_t>(100 + x + y);
    }
  {
    TIFF* tif = TIFFOpen(path.c_str(), "w");
    REQUIRE(tif);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 3);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_JPEG);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR);
    TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);  // libtiff converts
    TIFFSetField(tif, TIFFTAG_JPEGQUALITY, 95);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 16);
    for (std::uint32_t s = 0; s * 16 < h; ++s) {
      const std::uint32_t rows = std::min<std::uint32_t>(16, h - s * 16);
      REQUIRE(TIFFWriteEncodedStrip(tif, s, rgb.data<std::uint8_t>() + s * 16 * w * 3,
                                    rows * w * 3) >= 0);
    }
    TIFFClose(tif);
  }
  auto r = io::open_image(path);
  CHECK(r->info().axes.str() == "yxc");
  CHECK(r->info().shape == Shape{h, w, 3});
  CHECK(r->info().compression == "jpeg");
  const Image back = r->read();
  const auto& b = back.array<std::uint8_t>();
  int worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(int(a.data()[i]) - int(b.data()[i])));
  CHECK(worst <= 12);
  check_rois(*r);
}
