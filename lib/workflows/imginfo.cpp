// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/imginfo.hpp"

#include <sstream>

namespace bioforest::workflows {

ImgInfoResult imginfo(const std::vector<std::string>& inputs, const io::ReadOptions& read,
                      bool stats, const RunContext& ctx) {
  ImgInfoResult result;
  for (const auto& path : inputs) {
    auto failure = try_input(path, [&] {
      auto reader = io::open_image(path, read);
      ImageReport r{path, reader->info(), std::nullopt};
      if (stats) r.stats = io::compute_stats(*reader, ctx);
      result.images.push_back(std::move(r));
    });
    if (failure) result.failures.push_back(std::move(*failure));
  }
  return result;
}

std::string format_imginfo(const ImgInfoResult& result) {
  std::ostringstream out;
  for (const auto& r : result.images) {
    const auto& i = r.info;
    out << r.path << "\n";
    out << "  format:      " << i.format;
    if (!i.dataset.empty()) out << " (dataset " << i.dataset << ")";
    out << "\n";
    out << "  shape:       " << shape_str(i.shape) << "\n";
    out << "  axes:        " << i.axes.str()
        << (i.axes_from_metadata ? "" : " (guessed from the shape; override with --input-axes)")
        << "\n";
    out << "  dtype:       " << dtype_name(i.dtype) << "\n";
    out << "  chunks:      " << (i.chunks.empty() ? "none" : shape_str(i.chunks)) << "\n";
    out << "  compression: " << (i.compression.empty() ? "none" : i.compression) << "\n";
    if (r.stats) {
      out << "  min/max:     " << r.stats->min << " / " << r.stats->max << "\n";
      out << "  mean:        " << r.stats->mean << "\n";
      if (r.stats->non_finite) out << "  non-finite:  " << r.stats->non_finite << "\n";
    }
  }
  return out.str();
}

nlohmann::ordered_json imginfo_json(const ImgInfoResult& result) {
  auto list = nlohmann::ordered_json::array();
  for (const auto& r : result.images) {
    const auto& i = r.info;
    nlohmann::ordered_json j;
    j["path"] = r.path;
    j["format"] = i.format;
    if (!i.dataset.empty()) j["dataset"] = i.dataset;
    j["shape"] = i.shape;
    j["axes"] = i.axes.str();
    j["axes_from_metadata"] = i.axes_from_metadata;
    j["dtype"] = std::string(dtype_name(i.dtype));
    j["chunks"] = i.chunks;
    j["compression"] = i.compression.empty() ? "none" : i.compression;
    if (r.stats) {
      j["min"] = r.stats->min;
      j["max"] = r.stats->max;
      j["mean"] = r.stats->mean;
      j["non_finite"] = r.stats->non_finite;
    }
    list.push_back(std::move(j));
  }
  return list;
}

}  // namespace bioforest::workflows
