// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Pieces of an ilastik project (.ilp, HDF5) that every importer reads the same way:
// a lane's data file and axes, and the blockSlice attribute of stored label blocks.

#include <optional>
#include <string>

#include "bioforest/core/axes.hpp"
#include "bioforest/core/roi.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/reader.hpp"

namespace bioforest::workflows {

/// "[0:1,10:57,3:80,0:1]" -> start and stop per axis; Error{input} naming `ilp` otherwise.
Roi parse_ilp_block_slice(const std::string& text, const std::string& ilp);

/// The file of the lane role at `info` ("Input Data/infos/lane0000/Raw Data") as a path we
/// can open: project-internal data, paths relative to the project's folder, Windows
/// separators, the first of several stacked files, and (like ilastik's "locate the file"
/// dialog) a file of the same name next to the project when the stored folder is gone.
std::string ilp_lane_path(const h5::File& f, const std::string& info, const std::string& ilp);

/// Read options for a lane's file: ilastik stores every lane's axes with a channel axis
/// ("yxc"), also for files whose own shape has none, so the stored axes are used only when
/// they fit the file (without their trailing c if need be); otherwise the file's own.
io::ReadOptions ilp_lane_read_options(const std::string& path, const std::optional<Axes>& stored);

}  // namespace bioforest::workflows
