// SPDX-License-Identifier: BSD-3-Clause
// The HDF5 layer: h5::File round trips and errors, the image backend (every dtype and rank,
// gzip and none, ROIs, block writes, atomic output), and interop with h5py and real files.

#include <omp.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>

#include "bioforest/core/error.hpp"
#include "bioforest/io/axistags.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/provenance.hpp"
#include "bioforest/io/reader.hpp"
#include "bioforest/io/writer.hpp"
#include "test_support.hpp"

using namespace bioforest;
namespace fs = std::filesystem;
using test::TempDir;

namespace {

// Runs f and returns the Error it throws (fails the test if it throws nothing).
template <class F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected a bioforest::Error");
  throw std::logic_error("unreachable");
}

// An image whose every element differs from its neighbours, within the dtype's range.
Image pattern_image(DType dt, const Shape& shape, const Axes& axes, unsigned seed = 1) {
  Image img(dt, shape, axes);
  std::mt19937 rng(seed);
  img.visit([&](auto& a) {
    using T = typename std::decay_t<decltype(a)>::value_type;
    for (auto& v : a) {
      if constexpr (std::is_floating_point_v<T>)
        v = T(std::uniform_real_distribution<double>(-1e3, 1e3)(rng));
      else
        v = T(rng());
    }
  });
  return img;
}

bool same_pixels(const Image& a, const Image& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.bytes()) == 0;
}

Shape shape_of_rank(std::size_t rank) {
  static const Shape dims{3, 5, 17, 19, 2};  // uneven, so edge chunks are partial
  return Shape(dims.end() - rank, dims.end());
}

Axes axes_of_rank(std::size_t rank) {
  static const std::string keys = "tzyxc";
  return Axes(keys.substr(5 - rank));
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  return out;
}

template <class T>
std::pair<std::int64_t, std::int64_t> checksum(const Array<T>& a) {
  std::int64_t sum = 0, weighted = 0, i = 0;
  for (auto v : a) {
    sum += std::int64_t(v);
    weighted += std::int64_t(v) * (i++ % 13 + 1);
  }
  return {sum, weighted};
}

std::string fixture() {
  return test::test_data("hdf5/h5py_fixture.h5");
}

std::string quote(const std::string& s) {
  return "'" + s + "'";
}

std::string csv(const Shape& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i)
    out += (i ? "," : "") + std::to_string(s[i]);
  return out;
}

// Runs tests/unit/io/check_h5_with_h5py.py; false + WARN if h5py is absent.
int check_with_h5py(const std::string& file, const std::string& dataset, const Image& expected,
                    const Shape& chunks, const std::string& compression, const TempDir& tmp) {
  const std::string raw = tmp.file("expected.raw");
  std::ofstream(raw, std::ios::binary)
      .write(static_cast<const char*>(expected.raw_data()), std::streamsize(expected.bytes()));
  const std::string script =
      std::string(BIOFOREST_SOURCE_DIR) + "/tests/unit/io/check_h5_with_h5py.py";
  const std::string cmd =
      "/usr/bin/python3 " + quote(script) + " " + quote(file) + " " + quote(dataset) + " --raw " +
      quote(raw) + " --shape " + csv(expected.shape()) + " --dtype " +
      std::string(dtype_name(expected.dtype())) + " --axes " + expected.axes().str() +
      " --chunks " + quote(csv(chunks)) + " --compression " + quote(compression);
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

// --- h5::File -----------------------------------------------------------------------------------

TEMPLATE_TEST_CASE("h5::File numeric vectors round trip", "[io][hdf5]", std::uint8_t, std::uint16_t,
                   std::uint32_t, std::int8_t, std::int16_t, std::int32_t, float, double,
                   std::int64_t, std::uint64_t) {
  TempDir tmp;
  const std::string path = tmp.file("v.h5");
  std::vector<TestType> v(60);
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = TestType(i * 3 + 1);
  {
    auto f = h5::File::create(path);
    f.write("/plain", v);
    f.write("/nested/deeper/shaped", v, {3, 4, 5}, 1);
    f.write("/empty", std::vector<TestType>{});
    f.close();
  }
  auto f = h5::File::open_read(path);
  Shape shape;
  CHECK(f.read<TestType>("/plain", &shape) == v);
  CHECK(shape == Shape{60});
  CHECK(f.read<TestType>("/nested/deeper/shaped", &shape) == v);
  CHECK(shape == Shape{3, 4, 5});
  CHECK(f.shape("/nested/deeper/shaped") == Shape{3, 4, 5});
  CHECK(f.read<TestType>("/empty").empty());
  // HDF5 converts between numeric types on reading.
  const auto d = f.read<double>("/plain");
  CHECK(d[59] == double(v[59]));
}

TEST_CASE("h5::File replaces datasets and reports dtypes", "[io][hdf5]") {
  TempDir tmp;
  auto f = h5::File::create(tmp.file("r.h5"));
  f.write("/a", std::vector<float>{1, 2, 3});
  f.write("/a", std::vector<std::int16_t>{4, 5});
  CHECK(f.dtype("/a") == DType::int16);
  CHECK(f.read<int>("/a") == std::vector<int>{4, 5});
  f.write("/big", std::vector<std::int64_t>{1});
  const Error e = error_of([&] { (void)f.dtype("/big"); });
  CHECK(e.category() == ErrorCategory::input);
  CHECK_THAT(e.reason(), Catch::Contains("unsupported HDF5 type int64"));
}

TEST_CASE("h5::File strings, attributes and groups", "[io][hdf5]") {
  TempDir tmp;
  const std::string path = tmp.file("s.h5");
  {
    auto f = h5::File::create(path);
    f.write_string("/meta/spec", "{\"classes\": [\"Grüße\"]}");
    f.write_strings("/meta/names", {"background", "", "nucleus"});
    f.create_group("/g1/g2");
    f.write("/g1/g2/data", std::vector<int>{1});
    f.write_string_attribute("/g1", "note", "hello");
    f.write_string_attribute("/g1", "note", "replaced");
    f.write_numeric_attribute("/g1/g2/data", "drange", {0.0, 1.0});
    f.write_string_attribute("/", "root_attr", "at the root");
    f.close();
  }
  auto f = h5::File::open_read(path);
  CHECK(f.read_string("/meta/spec") == "{\"classes\": [\"Grüße\"]}");
  CHECK(f.read_strings("/meta/names") == std::vector<std::string>{"background", "", "nucleus"});
  CHECK(f.read_string_attribute("/g1", "note") == "replaced");
  CHECK(f.read_string_attribute("/", "root_attr") == "at the root");
  CHECK(f.read_numeric_attribute("/g1/g2/data", "drange") == std::vector<double>{0.0, 1.0});
  CHECK(f.has_attribute("/g1", "note"));
  CHECK_FALSE(f.has_attribute("/g1", "other"));
  CHECK(f.exists("/g1/g2/data"));
  CHECK(f.exists("g1/g2"));
  CHECK_FALSE(f.exists("/nope/deeper/data"));
  CHECK(f.is_group("/g1/g2"));
  CHECK_FALSE(f.is_group("/g1/g2/data"));
  CHECK(f.is_dataset("/g1/g2/data"));
  CHECK(f.list("/") == std::vector<std::string>{"g1", "meta"});
  CHECK(f.list() == std::vector<std::string>{"g1", "meta"});
  CHECK(f.datasets() == std::vector<std::string>{"/g1/g2/data", "/meta/names", "/meta/spec"});
  CHECK(f.datasets("/meta") == std::vector<std::string>{"/meta/names", "/meta/spec"});
  const Error e = error_of([&] { (void)f.read_string_attribute("/g1", "missing"); });
  CHECK(e.category() == ErrorCategory::input);
  CHECK_THAT(e.what(), Catch::Contains("missing"));
  CHECK_THAT(error_of([&] { (void)f.read<int>("/meta/spec"); }).reason(),
             Catch::Contains("not numbers"));
  CHECK_THAT(error_of([&] { (void)f.read_string("/g1/g2/data"); }).reason(),
             Catch::Contains("not text"));
}

TEST_CASE("h5::File reads what h5py writes", "[io][hdf5]") {
  auto f = h5::File::open_read(fixture());
  CHECK(f.read_strings("/text/fixed") == std::vector<std::string>{"alpha", "be", "gamma_"});
  CHECK(f.read_strings("/text/variable") == std::vector<std::string>{"Grüße", "two"});
  CHECK(f.read_string("/text/scalar_bytes") == "Pixel Classification");
  CHECK(f.read_string("/text/scalar_str") == "Pixel Classification");
  CHECK(f.read_string_attribute("/", "fixed_attr") == "fixed value");
  CHECK(f.read_string_attribute("/", "variable_attr") == "variable value");
  CHECK(f.read_numeric_attribute("/", "numbers") == std::vector<double>{1.5, -2.0, 3.0});
  Shape shape;
  CHECK(f.read<std::uint8_t>("/table/bool", &shape) == std::vector<std::uint8_t>{1, 0, 1, 0, 1, 0});
  CHECK(shape == Shape{2, 3});
  const auto big = f.read<std::int64_t>("/table/int64");
  REQUIRE(big.size() == 10);
  CHECK(big[0] == -5'000'000'000'000);
  const Error e = error_of([&] { (void)f.dtype("/table/bool"); });
  CHECK(e.category() == ErrorCategory::input);
  CHECK_THAT(e.reason(), Catch::Contains("unsupported HDF5 type enum"));
}

TEST_CASE("h5::File reads ilastik projects", "[io][hdf5]") {
  BIOFOREST_REQUIRE_SHARED(dir, "data/ilastik_projects/api_projects");
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".ilp") continue;
    INFO(entry.path().string());
    auto f = h5::File::open_read(entry.path().string());
    CHECK(!f.read_string("/workflowName").empty());
    // ilastik leaves a placeholder float64 [garbage] as LabelNames in projects without data.
    if (f.is_dataset("/PixelClassification/LabelNames") &&
        entry.path().filename() != "PixelClassNoData.ilp")
      CHECK(!f.read_strings("/PixelClassification/LabelNames").empty());
    if (f.is_dataset("/FeatureSelections/FeatureIds")) {
      const auto ids = f.read_strings("/FeatureSelections/FeatureIds");
      CHECK(ids.at(0) == "GaussianSmoothing");
      Shape shape;
      const auto m = f.read<std::uint8_t>("/FeatureSelections/SelectionMatrix", &shape);
      CHECK(shape.at(0) == ids.size());
      CHECK(std::all_of(m.begin(), m.end(), [](auto v) { return v <= 1; }));
    }
    const std::string tags = "/Input Data/infos/lane0000/Raw Data/axistags";
    if (f.is_dataset(tags)) CHECK(io::parse_axistags(f.read_string(tags)).size() >= 2);
  }
  auto f = h5::File::open_read(dir + "/PixelClass.ilp");
  CHECK(f.read_string("/workflowName") == "Pixel Classification");
  CHECK(f.read_strings("/PixelClassification/LabelNames") ==
        std::vector<std::string>{"Label 1", "Label 2"});
  CHECK(io::parse_axistags(f.read_string("/Input Data/infos/lane0000/Raw Data/axistags")).str() ==
        "yxc");
  Shape shape;
  const auto m = f.read<std::uint8_t>("/FeatureSelections/SelectionMatrix", &shape);
  CHECK(shape == Shape{6, 7});
  CHECK(m[0] == 1);
  CHECK(m[1] == 0);
}

TEST_CASE("h5::File errors name the file and the dataset", "[io][hdf5]") {
  TempDir tmp;
  SECTION("missing file") {
    const Error e = error_of([&] { h5::File::open_read(tmp.file("absent.h5")); });
    CHECK(e.category() == ErrorCategory::input);
    CHECK(e.file() == tmp.file("absent.h5"));
    CHECK_THAT(e.reason(), Catch::Contains("no such file"));
  }
  SECTION("not HDF5") {
    std::ofstream(tmp.file("text.h5")) << "just text, no superblock\n";
    const Error e = error_of([&] { h5::File::open_read(tmp.file("text.h5")); });
    CHECK(e.category() == ErrorCategory::input);
    CHECK_THAT(e.reason(), Catch::Contains("not an HDF5 file"));
  }
  SECTION("missing dataset lists the ones there are") {
    auto f = h5::File::open_read(fixture());
    const Error e = error_of([&] { (void)f.read<int>("/volumes/absent"); });
    CHECK(e.category() == ErrorCategory::input);
    CHECK(e.file() == fixture());
    CHECK(e.dataset() == "/volumes/absent");
    CHECK_THAT(e.reason(), Catch::Contains("/volumes/gzip") && Catch::Contains("/text/fixed"));
    const Error g = error_of([&] { (void)f.read<int>("/volumes"); });
    CHECK_THAT(g.reason(), Catch::Contains("is a group"));
  }
  SECTION("unwritable destination") {
    const Error e = error_of([&] { h5::File::create(tmp.file("no/such/dir/x.h5")); });
    CHECK(e.category() == ErrorCategory::output);
    CHECK(e.file() == tmp.file("no/such/dir/x.h5"));
  }
  SECTION("disk full is not silent") {
    if (!fs::exists("/dev/full")) return;
    const Error e = error_of([&] {
      auto f = h5::File::create("/dev/full");
      f.write("/data", std::vector<double>(1 << 20, 1.0));
      f.close();
    });
    CHECK(e.category() == ErrorCategory::output);
  }
}

// --- the image backend --------------------------------------------------------------------------

TEST_CASE("HDF5 images round trip for every dtype, rank and compression", "[io][hdf5]") {
  TempDir tmp;
  for (const DType dt : kAllDTypes) {
    for (std::size_t rank = 1; rank <= 5; ++rank) {
      for (const std::string comp : {"gzip", "none"}) {
        INFO(dtype_name(dt) << " rank " << rank << " " << comp);
        const Image img =
            pattern_image(dt, shape_of_rank(rank), axes_of_rank(rank), unsigned(rank));
        const std::string path = tmp.file("img.h5/group/data");
        io::WriteOptions o;
        o.compression = comp;
        o.overwrite = true;
        o.chunks = Shape(rank, 4);  // several chunks, partial ones at the edges
        io::write_image(path, img, o);
        auto r = io::open_image(path);
        CHECK(r->info().format == "hdf5");
        CHECK(r->info().dataset == "/group/data");
        CHECK(r->info().axes == img.axes());
        CHECK(r->info().axes_from_metadata);
        CHECK(r->info().compression == comp);
        Shape chunks = img.shape();  // 4 per axis, clipped to the shape
        for (auto& c : chunks)
          c = std::min<std::size_t>(c, 4);
        CHECK(r->info().chunks == chunks);
        const Image back = r->read();
        CHECK(back.axes() == img.axes());
        CHECK(same_pixels(back, img));
      }
    }
  }
}

TEST_CASE("HDF5 image defaults: exported_data, 512 KiB chunks, gzip, provenance", "[io][hdf5]") {
  TempDir tmp;
  io::set_process_provenance({"pxclassify", "0.1.0", "pxclassify train spec.json", ""});
  const Image img = pattern_image(DType::float32, {2, 3, 40, 300, 200}, Axes("tczyx"));
  io::WriteOptions o;
  o.drange = std::make_pair(0.0, 1.0);
  o.attributes["channel_names"] = "[\"a\",\"b\",\"c\"]";
  io::write_image(tmp.file("out.h5"), img, o);
  auto f = h5::File::open_read(tmp.file("out.h5"));
  CHECK(f.datasets() == std::vector<std::string>{"/exported_data"});
  CHECK(f.read_numeric_attribute("/exported_data", "drange") == std::vector<double>{0, 1});
  CHECK(f.read_string_attribute("/exported_data", "channel_names") == "[\"a\",\"b\",\"c\"]");
  CHECK(f.read_string_attribute("/exported_data", "bioforest_tool") == "pxclassify");
  CHECK(f.read_string_attribute("/exported_data", "bioforest_command_line") ==
        "pxclassify train spec.json");
  CHECK_FALSE(f.has_attribute("/exported_data", "bioforest_spec_sha256"));
  CHECK(io::parse_axistags(f.read_string_attribute("/exported_data", "axistags")).str() == "tczyx");
  io::set_process_provenance({});
  auto r = io::open_image(tmp.file("out.h5"));
  const Shape& ch = r->info().chunks;
  REQUIRE(ch.size() == 5);
  CHECK(ch[0] == 1);
  CHECK(ch[1] == 1);
  const std::size_t bytes = ch[2] * ch[3] * ch[4] * 4;
  CHECK(bytes <= 512 * 1024);
  CHECK(bytes > 128 * 1024);
  CHECK(r->info().compression == "gzip");
  CHECK(same_pixels(r->read(), img));
}

TEST_CASE("HDF5 ROI reads equal crops", "[io][hdf5]") {
  TempDir tmp;
  const Image img = pattern_image(DType::uint16, {13, 37, 29}, Axes("zyx"));
  for (const std::string comp : {"gzip", "none"}) {
    io::WriteOptions o;
    o.compression = comp;
    o.chunks = {4, 8, 8};
    const std::string path = tmp.file(comp + ".h5");
    io::write_image(path, img, o);
    auto r = io::open_image(path);
    for (const Roi& roi :
         {Roi{{0, 0, 0}, {13, 37, 29}}, Roi{{1, 2, 3}, {2, 3, 4}}, Roi{{3, 7, 5}, {12, 30, 29}},
          Roi{{4, 8, 8}, {8, 16, 16}}, Roi{{0, 36, 0}, {13, 37, 29}}}) {
      INFO(comp << " " << roi.str());
      CHECK(same_pixels(r->read(roi), img.crop(roi)));
    }
    const Error e = error_of([&] { r->read(Roi{{0, 0, 0}, {14, 1, 1}}); });
    CHECK(e.category() == ErrorCategory::usage);
  }
}

TEST_CASE("HDF5 block writes in any order, aligned or not", "[io][hdf5]") {
  TempDir tmp;
  const Image img = pattern_image(DType::int16, {2, 21, 33, 3}, Axes("zyxc"));
  for (const bool aligned : {true, false}) {
    const Shape block = aligned ? Shape{1, 8, 16, 3} : Shape{2, 5, 7, 2};
    std::vector<Roi> rois;
    const Shape shape = img.shape();
    for (std::size_t z = 0; z < shape[0]; z += block[0])
      for (std::size_t y = 0; y < shape[1]; y += block[1])
        for (std::size_t x = 0; x < shape[2]; x += block[2])
          for (std::size_t c = 0; c < shape[3]; c += block[3])
            rois.push_back(
                Roi{{z, y, x, c},
                    {std::min(z + block[0], shape[0]), std::min(y + block[1], shape[1]),
                     std::min(x + block[2], shape[2]), std::min(c + block[3], shape[3])}});
    std::shuffle(rois.begin(), rois.end(), std::mt19937(7));
    io::WriteOptions o;
    o.chunks = {1, 8, 16, 3};
    o.overwrite = true;
    auto w = io::create_image(tmp.file("blocks.h5"), shape, img.dtype(), img.axes(), o);
    for (const Roi& roi : rois)
      w->write(img.crop(roi), roi.start);
    w->commit();
    INFO((aligned ? "aligned" : "unaligned"));
    CHECK(same_pixels(io::read_image(tmp.file("blocks.h5")), img));
  }
}

TEST_CASE("HDF5 blocks over stored chunks merge; unwritten chunks read as 0", "[io][hdf5]") {
  TempDir tmp;
  const Image img = pattern_image(DType::uint16, {12, 40, 50}, Axes("zyx"));
  const Image patch = pattern_image(DType::uint16, {3, 9, 20}, Axes("zyx"), 99);
  const Shape at{5, 6, 30};
  for (const std::string comp : {"gzip", "none"}) {
    INFO(comp);
    io::WriteOptions o;
    o.compression = comp;
    o.chunks = {4, 16, 16};
    o.overwrite = true;
    auto w = io::create_image(tmp.file("m.h5"), img.shape(), img.dtype(), img.axes(), o);
    w->write(img, {0, 0, 0});
    w->write(patch, at);  // its chunks are stored already: HDF5 merges
    w->commit();
    Image want = img;
    want.paste(patch, at);
    CHECK(same_pixels(io::read_image(tmp.file("m.h5")), want));

    auto partial = io::create_image(tmp.file("p.h5"), img.shape(), img.dtype(), img.axes(), o);
    partial->write(patch, at);  // partial chunks only: they wait, and are stored at commit
    partial->commit();
    Image zeros(DType::uint16, img.shape(), img.axes());
    zeros.paste(patch, at);
    CHECK(same_pixels(io::read_image(tmp.file("p.h5")), zeros));
  }
}

TEST_CASE("HDF5 output bytes do not depend on the thread count", "[io][hdf5]") {
  TempDir tmp;
  const Image img = pattern_image(DType::uint8, {9, 70, 90}, Axes("zyx"));
  io::WriteOptions o;
  o.chunks = {2, 16, 16};
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  io::write_image(tmp.file("one.h5"), img, o);
  omp_set_num_threads(3);
  io::write_image(tmp.file("three.h5"), img, o);
  omp_set_num_threads(saved);
  auto slurp = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(slurp(tmp.file("one.h5")) == slurp(tmp.file("three.h5")));
}

TEST_CASE("HDF5 writers leave no temporary file behind", "[io][hdf5]") {
  TempDir tmp;
  const Image img = pattern_image(DType::uint8, {10, 10}, Axes("yx"));
  {
    auto w = io::create_image(tmp.file("abandoned.h5"), img.shape(), img.dtype(), img.axes());
    w->write(img, {0, 0});
    CHECK(files_in(tmp.path()).size() == 1);  // the temporary file, under another name
  }
  CHECK(files_in(tmp.path()).empty());
  io::WriteOptions bad;
  bad.compression = "lzw";
  const Error e = error_of([&] { io::write_image(tmp.file("bad.h5"), img, bad); });
  CHECK(e.category() == ErrorCategory::usage);
  CHECK(files_in(tmp.path()).empty());
  auto w = io::create_image(tmp.file("x.h5"), img.shape(), img.dtype(), img.axes());
  CHECK_THROWS_AS(w->write(pattern_image(DType::uint16, {10, 10}, Axes("yx")), {0, 0}), Error);
  w.reset();
  CHECK(files_in(tmp.path()).empty());
  io::write_image(tmp.file("good.h5"), img);
  CHECK(files_in(tmp.path()) == std::vector<std::string>{"good.h5"});
  const Error exists = error_of([&] { io::write_image(tmp.file("good.h5"), img); });
  CHECK(exists.category() == ErrorCategory::usage);
}

TEST_CASE("HDF5 dataset choice and axes resolution", "[io][hdf5]") {
  SECTION("several datasets: the error lists them") {
    const Error e = error_of([&] { io::open_image(fixture()); });
    CHECK(e.category() == ErrorCategory::input);
    CHECK_THAT(e.reason(), Catch::Contains("has several datasets") &&
                               Catch::Contains("/volumes/gzip") && Catch::Contains("name one as"));
  }
  SECTION("a single dataset is used without naming it") {
    TempDir tmp;
    io::write_image(tmp.file("one.h5"), pattern_image(DType::uint8, {4, 4}, Axes("yx")));
    CHECK(io::open_image(tmp.file("one.h5"))->info().dataset == "/exported_data");
  }
  SECTION("axistags, N5 axes, guessed") {
    auto g = io::open_image(fixture() + "/volumes/gzip");
    CHECK(g->info().axes.str() == "zyx");
    CHECK(g->info().axes_from_metadata);
    CHECK(g->info().chunks == Shape{2, 3, 4});
    CHECK(g->info().compression == "gzip");
    auto n5 = io::open_image(fixture() + "/volumes/n5");
    CHECK(n5->info().axes.str() == "zyx");
    CHECK(n5->info().axes_from_metadata);
    auto c = io::open_image(fixture() + "/volumes/contiguous");
    CHECK(c->info().axes.str() == "zyx");
    CHECK_FALSE(c->info().axes_from_metadata);
    CHECK(c->info().chunks.empty());
    CHECK(c->info().compression == "none");
    CHECK(c->info().dtype == DType::float32);
  }
  SECTION("h5py's values come back, whole and by ROI") {
    auto g = io::open_image(fixture() + "/volumes/gzip");
    const Image all = g->read();
    const auto* p = all.data<std::uint16_t>();
    for (std::size_t i = 0; i < all.size(); ++i)
      REQUIRE(p[i] == std::uint16_t(i * 7 % 65521));
    const Roi roi{{1, 2, 3}, {5, 7, 8}};
    CHECK(same_pixels(g->read(roi), all.crop(roi)));
    auto sh = io::open_image(fixture() + "/volumes/shuffle");  // shuffle + gzip, int32
    const Image shuffled = sh->read();
    for (std::size_t i = 0; i < shuffled.size(); ++i)
      REQUIRE(shuffled.data<std::int32_t>()[i] == std::int32_t(i * 7 % 65521) - 1000);
    CHECK(same_pixels(sh->read(roi), shuffled.crop(roi)));
    auto c = io::open_image(fixture() + "/volumes/contiguous");
    const Image f = c->read(roi);
    CHECK(f.data<float>()[0] == Approx(float((1 * 56 + 2 * 8 + 3) * 7) / 3));
  }
  SECTION("unsupported types and missing filters are input errors") {
    const Error b = error_of([&] { io::open_image(fixture() + "/table/bool"); });
    CHECK(b.category() == ErrorCategory::input);
    CHECK_THAT(b.reason(), Catch::Contains("unsupported HDF5 type"));
    const Error s = error_of([&] { io::open_image(fixture() + "/text/fixed"); });
    CHECK(s.category() == ErrorCategory::input);
    auto lzf = io::open_image(fixture() + "/volumes/lzf");
    CHECK(lzf->info().compression == "lzf");
    try {
      const Image img = lzf->read();  // works where the lzf plugin is installed
      CHECK(img.data<std::uint16_t>()[1] == 7);
    } catch (const Error& e) {
      CHECK(e.category() == ErrorCategory::input);
      CHECK_THAT(e.what(), Catch::Contains("plugin"));
    }
    const Error m = error_of([&] { io::open_image(fixture() + "/volumes/absent"); });
    CHECK(m.category() == ErrorCategory::input);
    CHECK_THAT(m.reason(), Catch::Contains("/volumes/gzip"));
  }
}

TEST_CASE("HDF5 outputs open in h5py", "[io][hdf5]") {
  TempDir tmp;
  struct Case {
    DType dtype;
    Shape shape;
    const char* axes;
    const char* compression;
    Shape chunks;
  };
  const Case cases[] = {
      {DType::uint16, {7, 33, 65}, "zyx", "gzip", {4, 16, 16}},
      {DType::float32, {2, 20, 30, 3}, "tyxc", "none", {}},
      {DType::int8, {50}, "x", "gzip:9", {}},
  };
  for (const Case& c : cases) {
    INFO(dtype_name(c.dtype) << " " << c.axes);
    const Image img = pattern_image(c.dtype, c.shape, Axes(c.axes));
    io::WriteOptions o;
    o.compression = c.compression;
    o.chunks = c.chunks;
    o.overwrite = true;
    io::write_image(tmp.file("interop.h5/results/probabilities"), img, o);
    const Shape chunks = io::open_image(tmp.file("interop.h5"))->info().chunks;
    if (!c.chunks.empty()) CHECK(chunks == c.chunks);
    const std::string comp = std::string(c.compression) == "none" ? "none" : "gzip";
    const int rc =
        check_with_h5py(tmp.file("interop.h5"), "/results/probabilities", img, chunks, comp, tmp);
    if (rc == 77) {
      WARN("skipped: /usr/bin/python3 has no h5py");
      return;
    }
    CHECK(rc == 0);
  }
}

TEST_CASE("HDF5 real data: plantseg ovules", "[io][hdf5]") {
  BIOFOREST_REQUIRE_SHARED(dir, "data/plantseg_ovules_3d");
  {
    auto f = h5::File::open_read(dir + "/1135_mini.h5");
    CHECK(f.datasets() == std::vector<std::string>{"/label", "/raw"});
    CHECK(f.read_numeric_attribute("/raw", "element_size_um").size() == 3);
    auto r = io::open_image(dir + "/1135_mini.h5/raw");
    CHECK(r->info().shape == Shape{100, 100, 100});
    CHECK(r->info().chunks == Shape{25, 25, 25});
    CHECK(r->info().axes.str() == "zyx");
    const Image roi = r->read(Roi{{10, 20, 30}, {40, 70, 55}});
    // Reference values computed with h5py: raw[10:40, 20:70, 30:55].
    CHECK(checksum(roi.array<std::uint8_t>()) ==
          std::pair<std::int64_t, std::int64_t>{962415, 6743328});
  }
  auto label = io::open_image(dir + "/sample_ovule.h5/label");
  CHECK(label->info().dtype == DType::uint16);
  CHECK(checksum(label->read().array<std::uint16_t>()) ==
        std::pair<std::int64_t, std::int64_t>{270355318, 1892389713});
  auto raw = io::open_image(dir + "/sample_ovule.h5/raw");
  CHECK(checksum(raw->read(Roi{{3, 5, 60}, {17, 100, 128}}).array<std::uint8_t>()) ==
        std::pair<std::int64_t, std::int64_t>{11137002, 77958415});
}
