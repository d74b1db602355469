// SPDX-License-Identifier: BSD-3-Clause
// pxfeatures: ilastik's pixel features of an image (its "Features" export) without a
// classifier. The work is workflows::export_features.
#include "bioforest/cli/inputs.hpp"
#include "bioforest/cli/tool.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/workflows/pxfeatures.hpp"

using namespace bioforest;

namespace {

struct Flags {
  std::string input, output, spec, features, scheme, format, axes, compression, dataset;
  cli::InputOptions in;
};

// Exactly one of --spec / --features; --scheme overrides the spec's own.
features::FeatureSelection selection_from_flags(const Flags& f) {
  if (f.spec.empty() == f.features.empty())
    throw_usage("give the features with either --spec FILE or --features SHORTHAND (one of them)");
  features::FeatureSelection sel = f.spec.empty() ? features::parse_feature_shorthand(f.features)
                                                  : workflows::load_feature_spec(f.spec);
  if (!f.scheme.empty()) sel.scheme = features::parse_scheme(f.scheme);
  features::validate(sel);
  return sel;
}

}  // namespace

int main(int argc, char** argv) {
  cli::Tool tool("pxfeatures",
                 "Compute ilastik's pixel features (Gaussian smoothing, LoG, gradient magnitude, "
                 "DoG, structure tensor and Hessian eigenvalues) of an image and write them as "
                 "float32 channels, block by block within --ram-mb.");
  Flags f;
  auto& app = tool.app();
  app.add_option("input", f.input, "Input image (img.tif, vol.h5/data, \"slices/*.png\")")
      ->required();
  app.add_option("-o,--output", f.output,
                 "Output (.h5 -> dataset exported_data, or file.h5/inner/path; .tif)")
      ->required();
  app.add_option("--spec", f.spec,
                 "Feature selection JSON (schemas/feature_selection.schema.json)");
  app.add_option("--features", f.features,
                 "'default' (every family at every default scale) or "
                 "\"Family:s1,s2;Family:s3\", e.g. \"GaussianSmoothing:1.0,3.5\"");
  app.add_option("--scheme", f.scheme,
                 "ilastik (as ilastik 1.4 computes, default) or exact (every filter at exactly "
                 "sigma)");
  app.add_option("--output-format,--output_format", f.format,
                 "hdf5, compressed hdf5, tiff, multipage tiff, tiff sequence, ome-tiff "
                 "[default: from the extension]");
  app.add_option("--output-axis-order,--output_axis_order", f.axes,
                 "Axis order of the output [default: (t)(z)yxc]");
  app.add_option("--compression", f.compression,
                 "HDF5: gzip (level 1, default), gzip:N, none; TIFF: none (default), lzw, "
                 "deflate, packbits");
  app.add_option("--output-internal-path,--output_internal_path", f.dataset,
                 "HDF5 dataset when OUTPUT names none [default: exported_data]");
  cli::add_input_options(app, f.in);
  tool.add_example("pxfeatures nuclei.tif -o nuclei_features.h5 --features default",
                   "all 49 default features of a 2-D image (61 for a volume)");
  tool.add_example("pxfeatures vol.h5/raw -o feats.h5 --spec features.json --ram-mb 4000",
                   "a volume larger than RAM, written block by block");

  return tool.run(argc, argv, [&] {
    const features::FeatureSelection sel = selection_from_flags(f);
    workflows::PxFeaturesOptions o;
    o.read = f.in.read_options();
    o.write.format = f.format;
    o.write.compression = f.compression;
    o.write.overwrite = tool.standard().overwrite;
    if (!f.dataset.empty()) o.write.dataset = f.dataset;
    if (!f.axes.empty()) o.output_axes = Axes(f.axes);
    const auto r = workflows::export_features(f.input, f.output, sel, o, tool.context());
    logger().info("wrote {} ({} float32, axes {}, {} feature channels)", r.output,
                  shape_str(r.shape), r.axes.str(), r.channel_names.size());
    tool.summary()["input"] = f.input;
    tool.summary()["output"] = r.output;
    tool.summary()["shape"] = r.shape;
    tool.summary()["axes"] = r.axes.str();
    tool.summary()["channel_names"] = r.channel_names;
    return 0;
  });
}
