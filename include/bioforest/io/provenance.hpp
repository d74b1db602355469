// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Where an output came from: recorded as attributes in every HDF5 output (like samtools @PG).

#include <string>

namespace bioforest::io {

struct Provenance {
  std::string tool;          ///< "pxclassify"
  std::string version;       ///< bioforest version
  std::string command_line;  ///< the argv, shell-quoted
  std::string spec_sha256;   ///< digest of the spec/model used, if any
};

/// The provenance of this process (set once by the tool's run_main).
const Provenance& process_provenance();
void set_process_provenance(Provenance p);
void set_spec_digest(std::string sha256);

}  // namespace bioforest::io
