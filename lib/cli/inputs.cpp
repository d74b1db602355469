// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/cli/inputs.hpp"

#include "bioforest/core/error.hpp"

namespace bioforest::cli {

io::ReadOptions InputOptions::read_options() const {
  io::ReadOptions r;
  if (!axes.empty()) {
    std::string keys;
    for (char c : axes)
      if (c != ',' && c != ' ') keys += char(std::tolower(static_cast<unsigned char>(c)));
    r.axes = Axes(keys);
  }
  if (stack_along.size() != 1 || std::string("ztc").find(stack_along) == std::string::npos)
    throw_usage("--stack-along must be z, t or c, not '" + stack_along + "'");
  r.stack_along = stack_along[0];
  return r;
}

void add_input_options(CLI::App& app, InputOptions& o) {
  app.add_option("--input-axes,--input_axes", o.axes,
                 "Axes of the input, slowest first, from t z y x c (e.g. zyx, tyx, yxc); "
                 "overrides the file's metadata")
      ->group("Input");
  app.add_option("--stack-along,--stack_along", o.stack_along,
                 "Axis along which a quoted glob of 2-D files is stacked: z, t or c [default: z]")
      ->group("Input");
}

}  // namespace bioforest::cli
