// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/ilp_project.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/io/image_path.hpp"

namespace fs = std::filesystem;

namespace bioforest::workflows {

Roi parse_ilp_block_slice(const std::string& text, const std::string& ilp) {
  Roi r;
  const std::regex part(R"((\d+):(\d+))");
  for (std::sregex_iterator it(text.begin(), text.end(), part), end; it != end; ++it) {
    r.start.push_back(std::stoul((*it)[1]));
    r.stop.push_back(std::stoul((*it)[2]));
  }
  if (r.start.empty()) throw_input(ilp, "cannot parse label blockSlice '" + text + "'");
  return r;
}

std::string ilp_lane_path(const h5::File& f, const std::string& info, const std::string& ilp) {
  const std::string location =
      f.exists(info + "/location") ? f.read_string(info + "/location") : "FileSystem";
  if (location == "ProjectInternal")
    return ilp + "/Input Data/local_data/" + f.read_string(info + "/datasetId");
  if (!f.exists(info + "/filePath")) throw_input(ilp, "the lane names no file", info);
  std::string p = f.read_string(info + "/filePath");
  std::replace(p.begin(), p.end(), '\\', '/');
  const auto sep = p.find(':', 2);  // os.pathsep joins several files (stacks)
  if (sep != std::string::npos && p.find('/') != std::string::npos && p[1] != ':')
    p = p.substr(0, sep);
  const fs::path dir = fs::path(ilp).parent_path();
  if (!fs::path(p).is_absolute()) p = (dir / p).lexically_normal().string();
  const std::string file = io::parse_image_path(p).file;
  if (!fs::exists(file)) {
    const fs::path beside = dir / fs::path(file).filename();
    if (fs::exists(beside)) {
      logger().warn("{}: {} not found; using {} next to the project", ilp, file, beside.string());
      p = beside.string() + p.substr(file.size());
    }
  }
  return p;
}

io::ReadOptions ilp_lane_read_options(const std::string& path, const std::optional<Axes>& stored) {
  io::ReadOptions o;
  if (!stored) return o;
  const std::size_t rank = io::open_image(path)->info().shape.size();
  std::string keys = stored->str();
  if (rank + 1 == keys.size() && keys.back() == 'c') keys.pop_back();
  if (rank == keys.size()) o.axes = Axes(keys);
  return o;
}

}  // namespace bioforest::workflows
