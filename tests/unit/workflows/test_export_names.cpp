// SPDX-License-Identifier: BSD-3-Clause
// How export sources and output names are spelled: users write ilastik's names in any case,
// with spaces, underscores or dashes; output names get slugs and filled placeholders.
#include <catch2/catch.hpp>

#include "bioforest/core/error.hpp"
#include "bioforest/workflows/autocontext.hpp"
#include "bioforest/workflows/export.hpp"
#include "bioforest/workflows/object_classification.hpp"
#include "bioforest/workflows/pixel_prediction.hpp"

using namespace bioforest;
using namespace bioforest::workflows;

TEST_CASE("loose_name keeps letters and digits, lower case", "[export]") {
  CHECK(loose_name("Simple Segmentation") == "simplesegmentation");
  CHECK(loose_name("simple_segmentation") == "simplesegmentation");
  CHECK(loose_name("Probabilities Stage 2") == "probabilitiesstage2");
  CHECK(loose_name(" -_ ") == "");
}

TEST_CASE("result_slug and filename placeholders", "[export]") {
  CHECK(result_slug("Simple Segmentation") == "simple-segmentation");
  CHECK(fill_filename_placeholders("{dataset_dir}/{nickname}_{result}", "/data/run1/cell.tif",
                                   "Simple Segmentation") == "/data/run1/cell_simple-segmentation");
  CHECK(fill_filename_placeholders("out/{nickname}-{result_type}", "/x/img.ome.tif",
                                   "Probabilities") == "out/img-Probabilities");
}

TEST_CASE("export sources match in any spelling and are refused by name", "[export]") {
  CHECK(match_pixel_export_source("simple-segmentation") == "Simple Segmentation");
  CHECK(match_pixel_export_source("PROBABILITIES") == "Probabilities");
  CHECK_THROWS_AS(match_pixel_export_source("Objects"), Error);
  CHECK(match_object_export_source("object_predictions") == "Object Predictions");
  CHECK(match_autocontext_export_source("probabilities stage 2", 2) == "Probabilities Stage 2");
}
