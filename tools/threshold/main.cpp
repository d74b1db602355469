// SPDX-License-Identifier: BSD-3-Clause
// threshold: probability maps (or masks, label images) to uint32 object label images, as
// ilastik's Threshold and Size Filter applet. The algorithm lives in workflows/threshold.hpp.
#include <optional>

#include "bioforest/cli/inputs.hpp"
#include "bioforest/cli/tool.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/io/convert.hpp"
#include "bioforest/workflows/spec_file.hpp"
#include "bioforest/workflows/threshold.hpp"

using namespace bioforest;

namespace {

struct Flags {
  std::vector<std::string> inputs;
  std::string spec, method, sigma, input_range, output, filename_format, format, internal_path,
      compression;
  std::optional<double> low, high;
  std::optional<std::size_t> channel, core_channel;
  std::optional<std::uint64_t> min_size, max_size;
  std::optional<int> connectivity;
  bool skip_existing = false;
  cli::InputOptions input;
};

void add_options(CLI::App& app, Flags& f) {
  app.add_option("inputs", f.inputs,
                 "Probability maps, intensity images, masks or label images to turn into "
                 "objects");
  app.add_option("--raw-data,--raw_data", f.inputs, "Inputs (ilastik's spelling)");
  app.add_option("--spec", f.spec, "Threshold settings (schemas/threshold.schema.json)");
  const char* g = "Thresholding (override the spec; defaults are ilastik's)";
  app.add_option("--method", f.method, "simple, hysteresis, binary or labels [default: simple]")
      ->group(g);
  app.add_option("--low,--low-threshold,--threshold", f.low,
                 "Threshold of the simple method and the hysteresis candidates [default: 0.5]")
      ->group(g);
  app.add_option("--high,--high-threshold", f.high, "Core threshold (hysteresis) [default: 0.8]")
      ->group(g);
  app.add_option("--channel", f.channel, "Channel to threshold [default: 0]")->group(g);
  app.add_option("--core-channel", f.core_channel, "Channel of the cores [default: 0]")->group(g);
  app.add_option("--sigma", f.sigma,
                 "Gaussian smoothing: one sigma, or z,y,x; 0 = none [default: 1.0]")
      ->group(g);
  app.add_option("--input-range", f.input_range,
                 "LOW,HIGH: map this data range onto [0, 1] first (e.g. 0,255 for uint8 "
                 "probabilities) [default: values as stored]")
      ->group(g);
  app.add_option("--min-size", f.min_size, "Smallest object kept, pixels [default: 10]")->group(g);
  app.add_option("--max-size", f.max_size, "Largest object kept, pixels [default: 1000000]")
      ->group(g);
  app.add_option("--connectivity", f.connectivity, "4 or 8 (2-D), 6 or 26 (3-D) [default: 4/6]")
      ->group(g);
  const char* e = "Export";
  app.add_option("-o,--output", f.output, "Output file (one input)")->group(e);
  app.add_option("--output-filename-format,--output_filename_format", f.filename_format,
                 "Output path pattern with {dataset_dir}, {nickname}, {result_type} [default: "
                 "{dataset_dir}/{nickname}_{result_type}]")
      ->group(e);
  app.add_option("--output-format,--output_format", f.format,
                 "hdf5, tiff, ... [default: from -o, else hdf5]")
      ->group(e);
  app.add_option("--output-internal-path,--output_internal_path", f.internal_path,
                 "HDF5 dataset [default: exported_data]")
      ->group(e);
  app.add_option("--compression", f.compression, "HDF5: gzip, gzip:N, none; TIFF: none, lzw, ...")
      ->group(e);
  app.add_flag("--skip-existing", f.skip_existing, "Skip inputs whose output exists")->group(e);
  cli::add_input_options(app, f.input);
}

workflows::ThresholdSettings settings_from(const Flags& f) {
  nlohmann::json j = f.spec.empty() ? nlohmann::json::object() : spec::read_json_file(f.spec);
  const std::string where = f.spec.empty() ? "command line" : f.spec;
  if (!f.method.empty()) j["method"] = f.method;
  if (f.low) j["low_threshold"] = *f.low;
  if (f.high) j["high_threshold"] = *f.high;
  if (f.channel) j["channel"] = *f.channel;
  if (f.core_channel) j["core_channel"] = *f.core_channel;
  if (f.min_size) j["min_size"] = *f.min_size;
  if (f.max_size) j["max_size"] = *f.max_size;
  if (f.connectivity) j["connectivity"] = *f.connectivity;
  if (!f.input_range.empty()) {
    const auto r = io::parse_range(f.input_range);
    j["input_range"] = {r.first, r.second};
  }
  if (!f.sigma.empty()) {
    std::vector<double> v;
    std::size_t pos = 0;
    const std::string& s = f.sigma;
    while (pos <= s.size()) {
      const std::size_t end = std::min(s.find(',', pos), s.size());
      try {
        v.push_back(std::stod(s.substr(pos, end - pos)));
      } catch (const std::exception&) {
        throw_usage("--sigma: '" + s + "' is not a number or a comma-separated list");
      }
      pos = end + 1;
    }
    if (v.size() == 1)
      j["sigma"] = v[0];
    else
      j["sigma"] = v;
  }
  return workflows::threshold_settings_from_json(j, where);
}

}  // namespace

int main(int argc, char** argv) {
  cli::Tool tool("threshold",
                 "Objects from probability maps: Gaussian smoothing, simple or hysteresis "
                 "threshold, connected components and a size filter (ilastik's Threshold and "
                 "Size Filter applet), or relabel an existing mask or label image. Writes "
                 "uint32 label images with consecutive ids.");
  Flags f;
  add_options(tool.app(), f);
  tool.add_example("threshold probs.h5 --channel 1 --low 0.5 -o objects.tif",
                   "objects where class 2's smoothed probability is >= 0.5");
  tool.add_example("threshold --spec thresh.json \"probs/*.h5\"",
                   "hysteresis settings from a spec, one label image per input");
  return tool.run(argc, argv, [&]() -> int {
    workflows::ThresholdRequest r;
    r.inputs = f.inputs;
    if (r.inputs.empty()) throw_usage("no input images given");
    r.read = f.input.read_options();
    r.settings = settings_from(f);
    auto& e = r.exports;
    e.sources = {"Object Identities"};
    e.output = f.output;
    e.format = f.format;
    if (!f.filename_format.empty()) e.filename_format = f.filename_format;
    if (!f.internal_path.empty()) e.internal_path = f.internal_path;
    e.compression = f.compression;
    e.overwrite = tool.standard().overwrite;
    e.skip_existing = f.skip_existing;
    const auto res = workflows::threshold_images(r, tool.context());
    for (std::size_t i = 0; i < res.outputs.size(); ++i)
      logger().info("wrote {} ({} objects)", res.outputs[i], res.objects[i]);
    tool.summary()["outputs"] = res.outputs;
    tool.summary()["objects"] = res.objects;
    tool.summary()["skipped"] = res.skipped;
    tool.summary()["settings"] = workflows::threshold_settings_json(r.settings);
    return cli::finish_batch(tool, res.failures, r.inputs.size());
  });
}
