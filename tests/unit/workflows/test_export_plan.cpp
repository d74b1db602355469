// SPDX-License-Identifier: BSD-3-Clause
// Where exports go and what they hold: the output path of each input and source, the format
// and dtype they resolve to, the values after renormalisation, and the checks made before any
// work (existing outputs, collisions, -o with several results, --skip-existing).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "bioforest/core/error.hpp"
#include "bioforest/workflows/export.hpp"
#include "test_support.hpp"

using namespace bioforest;
using namespace bioforest::workflows;
namespace fs = std::filesystem;

namespace {
void touch(const fs::path& p) {
  std::ofstream(p) << "x";
}
}  // namespace

TEST_CASE("export_format: --output-format, else -o's extension, else hdf5", "[export]") {
  ExportOptions o;
  CHECK(export_format(o) == "hdf5");
  o.output = "out/result.tif";
  CHECK(export_format(o) == "tiff");
  o.output = "out/result.png";
  CHECK(export_format(o) == "png");
  o.format = "multipage tiff";  // ilastik's name for what our TIFF writer writes
  CHECK(export_format(o) == "tiff");
  o.format = "Tiff Sequence";
  CHECK(export_format(o) == "tiff sequence");
  o.format = "no such format";
  CHECK_THROWS_AS(export_format(o), Error);
}

TEST_CASE("export_path fills the pattern and sets the format's extension", "[export]") {
  ExportOptions o;
  CHECK(export_path(o, "/data/cells/img01.tif", "Probabilities") ==
        "/data/cells/img01_Probabilities.h5");
  o.format = "tiff";
  o.filename_format = "/out/{nickname}_{result}.h5";  // ilastik replaces the extension
  CHECK(export_path(o, "/data/img01.ome.tif", "Simple Segmentation") ==
        "/out/img01_simple-segmentation.tif");
  o.format = "png";
  o.filename_format = "{dataset_dir}/seg/{nickname}";
  CHECK(export_path(o, "stack/slice_*.png", "Labels") == "stack/seg/slice_.png");
  o.output = "/explicit/name.h5";  // -o wins over the pattern
  CHECK(export_path(o, "/data/img01.tif", "Probabilities") == "/explicit/name.h5");
}

TEST_CASE("export_write_options carry the dataset, compression and overwrite", "[export]") {
  ExportOptions o;
  o.internal_path = "volume/probs";
  o.compression = "gzip:4";
  o.skip_existing = true;  // an input whose outputs are incomplete is written again
  const io::WriteOptions w = export_write_options(o);
  CHECK(w.format == "hdf5");
  CHECK(w.dataset == "volume/probs");
  CHECK(w.compression == "gzip:4");
  CHECK(w.overwrite);
}

TEST_CASE("export_dtype: --export-dtype, else the result's own", "[export]") {
  ExportOptions o;
  CHECK(export_dtype(o, DType::float32) == DType::float32);
  CHECK(export_dtype(o, DType::uint8) == DType::uint8);
  o.dtype = DType::uint16;
  CHECK(export_dtype(o, DType::float32) == DType::uint16);
}

TEST_CASE("export_values renormalises probabilities instead of casting them to 0/1", "[export]") {
  const Image p = test::float_row({0.0f, 0.25f, 0.5f, 1.0f});
  ExportOptions o;
  SECTION("float32 stays as it is") {
    const Image same = export_values(p, o, DType::float32, io::Range{0, 1});
    CHECK(same.dtype() == DType::float32);
    CHECK(same.data<float>()[1] == 0.25f);
  }
  SECTION("uint8: 0..1 onto 0..255") {
    o.dtype = DType::uint8;
    const Image u = export_values(p, o, DType::float32, io::Range{0, 1});
    REQUIRE(u.dtype() == DType::uint8);
    const std::uint8_t* v = u.data<std::uint8_t>();
    CHECK(v[0] == 0);
    CHECK(std::abs(int(v[1]) - 64) <= 1);
    CHECK(std::abs(int(v[2]) - 128) <= 1);
    CHECK(v[3] == 255);
  }
  SECTION("--export-drange picks the target range") {
    o.dtype = DType::uint16;
    o.export_drange = io::Range{0, 1000};
    const Image u = export_values(p, o, DType::float32, io::Range{0, 1});
    const std::uint16_t* v = u.data<std::uint16_t>();
    CHECK(v[0] == 0);
    CHECK(v[2] == 500);
    CHECK(v[3] == 1000);
  }
  SECTION("--pipeline-result-drange maps that range instead of the natural one") {
    o.dtype = DType::uint8;
    o.pipeline_drange = io::Range{0, 0.5};
    const Image u = export_values(p, o, DType::float32, io::Range{0, 1});
    const std::uint8_t* v = u.data<std::uint8_t>();
    CHECK(v[2] == 255);
    CHECK(v[3] == 255);  // above the range: clamped
  }
  SECTION("values without a natural range (features) are rounded and clamped") {
    o.dtype = DType::uint8;
    const Image u =
        export_values(test::float_row({-3.0f, 2.4f, 2.6f, 300.0f}), o, DType::float32, {});
    const std::uint8_t* v = u.data<std::uint8_t>();
    CHECK(v[0] == 0);
    CHECK(v[1] == 2);
    CHECK(v[2] == 3);
    CHECK(v[3] == 255);
  }
}

TEST_CASE("plan_exports checks every output before any work", "[export]") {
  const test::TempDir tmp;
  const fs::path d = tmp.path();
  ExportOptions o;
  o.sources = {"Probabilities", "Simple Segmentation"};
  o.filename_format = (d / "{nickname}_{result}").string();
  const std::vector<std::string> inputs = {"/data/a.tif", "/data/b.tif"};

  SECTION("nothing exists: every input is planned") {
    CHECK(plan_exports(o, inputs) == std::vector<bool>{false, false});
  }
  SECTION("an existing output is refused without --overwrite, naming it") {
    touch(d / "b_simple-segmentation.h5");
    CHECK_THROWS_WITH(plan_exports(o, inputs), Catch::Contains("b_simple-segmentation.h5"));
    o.overwrite = true;
    CHECK(plan_exports(o, inputs) == std::vector<bool>{false, false});
  }
  SECTION("--skip-existing skips an input only when all its outputs exist") {
    o.skip_existing = true;
    touch(d / "a_probabilities.h5");
    touch(d / "a_simple-segmentation.h5");
    touch(d / "b_probabilities.h5");
    CHECK(plan_exports(o, inputs) == std::vector<bool>{true, false});
  }
  SECTION("two results in one file are refused") {
    o.filename_format = (d / "{nickname}").string();
    CHECK_THROWS_WITH(plan_exports(o, inputs), Catch::Contains("same file"));
  }
  SECTION("two inputs with one nickname are refused") {
    CHECK_THROWS_WITH(plan_exports(o, {"/data/a.tif", "/other/a.png"}),
                      Catch::Contains("same file"));
  }
  SECTION("-o names one file: one input and one source only") {
    o.output = (d / "out.h5").string();
    CHECK_THROWS_AS(plan_exports(o, inputs), Error);
    o.sources = {"Probabilities"};
    CHECK(plan_exports(o, {"/data/a.tif"}) == std::vector<bool>{false});
  }
  SECTION("no source is a usage error") {
    o.sources.clear();
    CHECK_THROWS_AS(plan_exports(o, inputs), Error);
  }
}
