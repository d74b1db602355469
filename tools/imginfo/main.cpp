// SPDX-License-Identifier: BSD-3-Clause
// imginfo: shape, axes, dtype, storage and value statistics of images.
#include <iostream>

#include "bioforest/cli/inputs.hpp"
#include "bioforest/cli/tool.hpp"
#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/workflows/imginfo.hpp"

int main(int argc, char** argv) {
  using namespace bioforest;
  cli::Tool tool("imginfo",
                 "Print shape, axes, dtype, chunking/compression and min/max/mean of "
                 "images (TIFF, HDF5, PNG, JPEG, globs of 2-D files).");
  std::vector<std::string> files;
  bool no_stats = false;
  cli::InputOptions input;
  tool.app()
      .add_option("files", files, "Images: img.tif, stack.h5/group/data, \"slices/*.png\"")
      ->required();
  tool.app().add_flag("--no-stats", no_stats, "Skip the min/max/mean pass over the data");
  cli::add_input_options(tool.app(), input);
  tool.add_example("imginfo cells.tif", "shape, axes, dtype and value range of one image");
  tool.add_example("imginfo --summary-json info.json stack.h5/data \"slices/*.png\"",
                   "several inputs, machine-readable result");

  return tool.run(argc, argv, [&] {
    const auto result = workflows::imginfo(files, input.read_options(), !no_stats, tool.context());
    std::cout << workflows::format_imginfo(result);
    tool.summary()["files"] = workflows::imginfo_json(result);
    return cli::finish_batch(tool, result.failures, files.size());
  });
}
