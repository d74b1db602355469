// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/pixel_import.hpp"

#include <filesystem>
#include <regex>

#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/io/axistags.hpp"
#include "bioforest/io/hdf5.hpp"
#include "bioforest/io/image_path.hpp"
#include "bioforest/io/memory_image.hpp"

namespace fs = std::filesystem;

namespace bioforest::workflows {

namespace {

// "[0:1,10:57,3:80,0:1]" -> ROI.
Roi parse_block_slice(const std::string& text, const std::string& ilp) {
  Roi r;
  const std::regex part(R"((\d+):(\d+))");
  for (std::sregex_iterator it(text.begin(), text.end(), part), end; it != end; ++it) {
    r.start.push_back(std::stoul((*it)[1]));
    r.stop.push_back(std::stoul((*it)[2]));
  }
  if (r.start.empty()) throw_input(ilp, "cannot parse label blockSlice '" + text + "'");
  return r;
}

// The lane's raw data as a path we can open.
std::string lane_raw_path(const h5::File& f, const std::string& info, const std::string& ilp) {
  const std::string location =
      f.exists(info + "/location") ? f.read_string(info + "/location") : "FileSystem";
  if (location == "ProjectInternal") {
    const std::string id = f.read_string(info + "/datasetId");
    return ilp + "/Input Data/local_data/" + id;
  }
  std::string p = f.read_string(info + "/filePath");
  std::replace(p.begin(), p.end(), '\\', '/');
  const auto sep = p.find(':', 2);  // os.pathsep joins several files (stacks)
  if (sep != std::string::npos && p.find('/') != std::string::npos && p[1] != ':')
    p = p.substr(0, sep);
  const fs::path dir = fs::path(ilp).parent_path();
  if (!fs::path(p).is_absolute()) p = (dir / p).lexically_normal().string();
  // Projects often travel without their original folders: like ilastik's "locate the
  // file" dialog, fall back to a file of the same name next to the project.
  const std::string file = io::parse_image_path(p).file;
  if (!fs::exists(file)) {
    const fs::path beside = dir / fs::path(file).filename();
    if (fs::exists(beside)) {
      logger().warn("{}: raw data {} not found; using {} next to the project", ilp, file,
                    beside.string());
      p = beside.string() + p.substr(file.size());
    }
  }
  return p;
}

// ilastik stores every lane's axes with a channel axis ("yxc"), also for single-channel
// files whose own shape has none: use the stored axes only when they fit.
std::shared_ptr<CanonicalImage> open_lane_raw(const std::string& path, const Axes& stored) {
  const std::size_t rank = io::open_image(path)->info().shape.size();
  io::ReadOptions o;
  std::string keys = stored.str();
  if (rank + 1 == keys.size() && keys.back() == 'c') keys.pop_back();
  if (rank == keys.size()) o.axes = Axes(keys);
  return std::make_shared<CanonicalImage>(path, o);
}

}  // namespace

std::vector<IlpLane> read_ilp_lanes(const std::string& ilp, const std::string& stage) {
  h5::File f = h5::File::open_read(ilp);
  const std::string sets = "PixelClassification" + stage + "/LabelSets";
  if (!f.exists(sets)) throw_input(ilp, "the project stores no labels", sets);
  std::vector<IlpLane> lanes;
  const auto lane_groups = f.list(sets);
  for (std::size_t i = 0; i < lane_groups.size(); ++i) {
    const std::string lg = sets + "/" + lane_groups[i];
    const auto blocks = f.list(lg);
    if (blocks.empty()) continue;
    char lane_name[32];
    std::snprintf(lane_name, sizeof lane_name, "lane%04zu", i);
    const std::string info = std::string("Input Data/infos/") + lane_name + "/Raw Data";
    if (!f.exists(info))
      throw_input(ilp, "labels for " + std::string(lane_name) + " but no raw data", info);
    IlpLane lane;
    lane.raw_path = lane_raw_path(f, info, ilp);
    const std::string tags =
        f.is_dataset(info + "/axistags") ? f.read_string(info + "/axistags") : std::string();
    Shape lane_shape;
    if (f.exists(info + "/shape")) {
      for (auto v : f.read<std::int64_t>(info + "/shape"))
        lane_shape.push_back(std::size_t(v));
    }
    // Label blocks are stored in the lane's axis order, which always ends in c.
    Axes axes = tags.empty() ? guess_axes(lane_shape) : io::parse_axistags(tags);
    lane.raw_axes = axes;
    if (lane_shape.size() != axes.size())
      throw_input(ilp, "lane shape " + shape_str(lane_shape) + " does not fit axes " + axes.str(),
                  info);
    Image labels(DType::uint8, lane_shape, axes);
    for (const auto& b : blocks) {
      const std::string ds = lg + "/" + b;
      const Roi where = parse_block_slice(f.read_string_attribute(ds, "blockSlice"), ilp);
      Image block = f.read_image(ds, Roi::whole(f.shape(ds)), axes).astype(DType::uint8);
      // Zeros inside a block mean "unlabelled": paste only the labelled values.
      Image existing = labels.crop(where);
      auto* dst = existing.data<std::uint8_t>();
      const auto* src = block.data<std::uint8_t>();
      for (std::size_t k = 0; k < existing.size(); ++k)
        if (src[k]) dst[k] = src[k];
      labels.paste(existing, where.start);
    }
    std::string no_c;
    for (char k : axes.str())
      if (k != 'c') no_c += k;
    lane.labels = labels.transposed(Axes(no_c));
    lanes.push_back(std::move(lane));
  }
  return lanes;
}

PixelModel retrain_ilp_pixel_model(const std::string& ilp, const RunContext& ctx) {
  const PixelModel settings = ilp_pixel_settings(ilp);
  PixelClassificationSpec spec;
  spec.file = ilp;
  spec.classes = settings.classes;
  spec.features = settings.features;
  std::vector<TrainingPair> pairs;
  for (auto& lane : read_ilp_lanes(ilp)) {
    TrainingPair p;
    p.raw = with_context("opening the raw data of " + ilp,
                         [&] { return open_lane_raw(lane.raw_path, lane.raw_axes); });
    p.labels =
        std::make_shared<CanonicalImage>(io::memory_image(std::move(lane.labels), ilp + " labels"));
    pairs.push_back(std::move(p));
  }
  const TrainingSet set = gather_training_pairs(pairs, spec.features, spec.classes.size(), ctx);
  if (set.y.empty()) throw_input(ilp, "the project's label blocks hold no labelled pixels");
  spec.document = nlohmann::json::object();
  PixelModel m = train_on_set(set, spec, ctx);
  m.source = "bioforest, retrained on the labels of " + ilp;
  m.spec_json.clear();
  return m;
}

}  // namespace bioforest::workflows
