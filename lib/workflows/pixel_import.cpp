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
#include "bioforest/workflows/ilp_project.hpp"

namespace fs = std::filesystem;

namespace bioforest::workflows {

namespace {}  // namespace

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
    lane.raw_path = ilp_lane_path(f, info, ilp);
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
      const Roi where = parse_ilp_block_slice(f.read_string_attribute(ds, "blockSlice"), ilp);
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
    p.raw = with_context("opening the raw data of " + ilp, [&] {
      return std::make_shared<CanonicalImage>(lane.raw_path,
                                              ilp_lane_read_options(lane.raw_path, lane.raw_axes));
    });
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
