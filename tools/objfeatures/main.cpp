// SPDX-License-Identifier: BSD-3-Clause
// objfeatures: ilastik's object features of segmented objects, as a CSV or HDF5 table. The
// algorithm lives in workflows/objects/.
#include "bioforest/cli/inputs.hpp"
#include "bioforest/cli/tool.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/workflows/objects/object_extraction.hpp"
#include "bioforest/workflows/spec_file.hpp"

using namespace bioforest;

int main(int argc, char** argv) {
  cli::Tool tool("objfeatures",
                 "Measure objects: ilastik's standard object features (size, intensity "
                 "statistics, quantiles, histogram, centre, radii, axes, bounding box, ...) of "
                 "every object of a segmentation, per time frame, as a CSV or HDF5 table with "
                 "ilastik's column names.");
  auto& app = tool.app();
  workflows::MeasureRequest r;
  std::vector<std::string> features;
  std::string threshold_spec;
  cli::InputOptions input;
  app.add_option("raw", r.raw, "Raw images to measure");
  app.add_option("--raw-data,--raw_data", r.raw, "Raw images (ilastik's spelling)");
  app.add_option("--segmentation,--segmentation-image,--segmentation_image,--labels",
                 r.segmentation,
                 "Label image or mask per raw image (ids kept, relabelled consecutively; "
                 "or thresholded with --threshold-spec)");
  app.add_option("--threshold-spec", threshold_spec,
                 "Threshold settings (schemas/threshold.schema.json) to apply to the "
                 "segmentation inputs, e.g. when they are probability maps");
  app.add_option("--features", features,
                 "Feature names: vigra's (Count, Mean, Quantiles, RegionRadii, "
                 "Coord<ArgMaxWeight>, ...), neighbourhood variants ('Mean in neighborhood', "
                 "'Mean in object and neighborhood', ...), convex hull (HullVolume, Convexity, "
                 "DefectCount, ...), 2-D skeleton (Diameter, 'Hole Count', ...), or 'all' "
                 "[default: every standard vigra feature]");
  std::vector<std::size_t> margin;
  app.add_option("--margin", margin,
                 "Neighbourhood margin in pixels, x y [z] or one value for all axes "
                 "[default: 30 30 1, ilastik's]")
      ->expected(1, 3);
  std::string hull = "scikit-image";
  app.add_option("--hull-convention", hull,
                 "Convex-hull features as scikit-image's regionprops computes them "
                 "('scikit-image': convex image, solidity) or as ilastik stores them in its "
                 "projects ('ilastik': the bounding box as hull, sample moments of the defects)")
      ->check(CLI::IsMember({"scikit-image", "ilastik"}))
      ->capture_default_str();
  app.add_option("-o,--output,--table-filename,--table_filename", r.output,
                 "Table file (.csv, or .h5 for HDF5), one input");
  app.add_option("--output-filename-format,--output_filename_format", r.filename_format,
                 "Table path pattern with {dataset_dir}, {nickname} [default: "
                 "{dataset_dir}/{nickname}_features.csv]");
  cli::add_input_options(app, input);
  tool.add_example("objfeatures nuclei.tif --segmentation nuclei_seg.tif -o nuclei.csv",
                   "every feature of every object");
  tool.add_example(
      "objfeatures cells.tif --segmentation cells_seg.tif --features Convexity HullVolume "
      "DefectCount Diameter 'Mean in neighborhood' --margin 10 -o shape.csv",
      "convex hull, skeleton and neighbourhood features");
  tool.add_example(
      "objfeatures raw.h5/data --segmentation probs.h5 --threshold-spec t.json "
      "--features Count Mean -o t.h5",
      "threshold a probability map first, two features, HDF5 table");
  return tool.run(argc, argv, [&]() -> int {
    r.read = input.read_options();
    r.overwrite = tool.standard().overwrite;
    if (features.size() == 1 && features[0] == "all") {
      r.features = workflows::supported_object_features();
      r.options.skip_inapplicable = true;  // no skeleton features for 3-D inputs
    } else if (!features.empty()) {
      r.features = features;
    }
    if (margin.size() == 1) r.options.margin = {margin[0], margin[0], margin[0]};
    if (margin.size() >= 2)
      r.options.margin = {margin[0], margin[1], margin.size() == 3 ? margin[2] : 1};
    r.options.hull = workflows::hull_convention_from_name(hull);
    if (!threshold_spec.empty())
      r.settings = workflows::threshold_settings_from_json(spec::read_json_file(threshold_spec),
                                                           threshold_spec);
    const auto res = workflows::measure_objects(r, tool.context());
    for (std::size_t i = 0; i < res.outputs.size(); ++i)
      logger().info("wrote {} ({} objects)", res.outputs[i], res.objects[i]);
    tool.summary()["outputs"] = res.outputs;
    tool.summary()["objects"] = res.objects;
    return cli::finish_batch(tool, res.failures, r.raw.size());
  });
}
