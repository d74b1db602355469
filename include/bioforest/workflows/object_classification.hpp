// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik's Object Classification: objects from a segmentation (or a thresholded
/// probability map), ilastik's object features, a random forest trained on a few labelled
/// objects, and the exports Object Predictions, Object Probabilities, Object Identities and
/// the object table.

#include <array>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bioforest/core/batch.hpp"
#include "bioforest/learn/classification_forest.hpp"
#include "bioforest/workflows/export.hpp"
#include "bioforest/workflows/objects/convex_hull.hpp"
#include "bioforest/workflows/objects/object_extraction.hpp"

namespace bioforest::workflows {

struct ObjectTrainingImage {
  std::string raw;
  std::string segmentation;   ///< objects as they are, or
  std::string probabilities;  ///< objects from the spec's threshold settings
  std::string labels;         ///< CSV of clicked points or a label image
};

struct ObjectClassificationSpec {
  std::string file;
  nlohmann::json doc;
  std::vector<std::string> class_names;
  std::vector<std::string> features;  ///< vigra names
  ThresholdSettings threshold;
  Margin margin{30, 30, 1};  ///< of neighbourhood features, x, y, z
  std::vector<ObjectTrainingImage> training;
  learn::ForestOptions forest;
};

/// Reads and validates (object_classification.schema.json) a spec; paths resolved.
ObjectClassificationSpec load_object_spec(const std::string& path);

struct ObjectModel {
  std::vector<std::string> class_names;
  std::vector<std::array<std::uint8_t, 3>> class_colors;  ///< one per class
  std::vector<std::string> features;                      ///< vigra names selected
  std::vector<std::string> columns;  ///< classifier columns (table names), in order
  Margin margin{30, 30, 1};          ///< of neighbourhood features, x, y, z
  /// Convex-hull features as scikit-image's regionprops (models trained here) or as ilastik
  /// stores them (imported ilastik forests were trained on those; convex_hull.hpp).
  HullConvention hull = HullConvention::scikit_image;
  /// How probability maps become objects (--probabilities). A segmentation (--segmentation)
  /// is taken as a label image, unless this says "binary" (connected components of a mask).
  ThresholdSettings threshold;
  std::string spec_json;
  std::string source = "bioforest";  ///< or "ilastik <version>, <project>" for imports
  std::string training_digest;       ///< SHA-256 of the training rows and classes ("" for imports)
  std::vector<std::size_t> label_counts;  ///< labelled objects per class
  learn::ClassificationForest forest;
};

/// The labelled objects of one image: per frame, object id -> class (1..K). `labels` is a
/// CSV (x,y[,z][,t],class with an optional header; class by name or number) or a label
/// image on the same grid where a clicked object carries its class (majority of its pixels).
/// Error{input} for points outside the image or an object given two classes.
std::vector<std::map<std::uint32_t, int>> read_object_labels(
    const std::string& labels, const CanonicalImage& raw, const std::vector<FrameObjects>& frames,
    const std::vector<std::string>& class_names, const io::ReadOptions& read);

/// Each frame's object ids, band by band (whole frames: one band). `read` returns the ids of
/// a region inside one band (or a single pixel), in `scratch` or in memory it already holds.
struct ObjectIds {
  std::size_t frames = 0;
  std::function<const std::vector<Roi>&(std::size_t t)> bands;
  std::function<const std::vector<std::uint32_t>&(std::size_t t, const Roi& roi,
                                                  std::vector<std::uint32_t>& scratch)>
      read;
};
/// The ids `frames` hold (which must outlive the result).
ObjectIds object_ids_of(const std::vector<FrameObjects>& frames, const Shape& spatial);
/// The same as above from ids read band by band (frames measured within a memory budget).
std::vector<std::map<std::uint32_t, int>> read_object_labels(
    const std::string& labels, const CanonicalImage& raw, const ObjectIds& objects,
    const std::vector<std::string>& class_names, const io::ReadOptions& read);

/// Classifier input rows (objects 1..n) of one frame: `columns` of the table, NaN/inf -> 0.
std::vector<float> object_feature_matrix(const ObjectFeatures& f,
                                         const std::vector<std::string>& columns);

/// The classifier columns of `selected` features, in the order given, as the table names them
/// (a feature's columns stay together, in the order objfeatures writes them).
std::vector<std::string> classifier_columns(const ObjectFeatures& f,
                                            const std::vector<std::string>& selected);

/// Per frame, the segmentation settings a model applies to --segmentation inputs: a label
/// image as it is, or (for models imported from ilastik's "from binary image" workflow)
/// connected components of a mask.
ThresholdSettings segmentation_settings(const ObjectModel& m);

/// Appends the feature rows and classes of the labelled objects of `frames` to (x, y) and
/// counts them per class; fixes m.columns from the first labelled frame.
void gather_labelled_objects(const std::vector<FrameObjects>& frames,
                             const std::vector<std::map<std::uint32_t, int>>& labels,
                             ObjectModel& m, std::vector<float>& x, std::vector<std::int32_t>& y);
/// Trains m.forest on (x, y) with classes 1..K (K = m.class_names.size()); records the
/// digest of (x, y).
void fit_object_forest(ObjectModel& m, const std::vector<float>& x,
                       const std::vector<std::int32_t>& y, const learn::ForestOptions& options,
                       const RunContext& ctx);

/// Trains on the labelled objects of the spec's images. Frames larger than ctx.ram_bytes are
/// measured band by band (object_classification_blockwise.hpp), as in predict_objects.
ObjectModel train_object_classifier(const ObjectClassificationSpec& spec, const RunContext& ctx);
/// Model files carry the standard root attributes (write_model_header, kind
/// "object_classification"); Error{input} naming the file for another kind of model.
void save_object_model(const ObjectModel& m, const std::string& path, bool overwrite);
/// A bioforest object model, or an ilastik Object Classification project with a trained
/// forest (import_ilp_object_model).
ObjectModel load_object_model(const std::string& path);
std::string describe_object_model(const ObjectModel& m);
nlohmann::ordered_json object_model_json(const ObjectModel& m);

/// ilastik's export sources for object classification.
const std::vector<std::string>& object_export_sources();
std::string match_object_export_source(const std::string& text);

struct ObjectPredictRequest {
  std::vector<std::string> raw;
  std::vector<std::string> segmentation;   ///< one per raw, or
  std::vector<std::string> probabilities;  ///< one per raw (thresholded with the model's settings)
  std::vector<std::string> labels;         ///< optional, one per raw: fills "User Label"
  io::ReadOptions read;
  ExportOptions exports;       ///< sources: Object Predictions / Probabilities / Identities
  std::string table_filename;  ///< with {dataset_dir}, {nickname}; .csv or .h5; empty: none
};

struct ObjectPredictResult {
  std::vector<std::string> outputs;
  std::vector<std::uint64_t> objects;
  std::vector<BatchFailure> failures;
};

/// Classifies the objects of every image; a failing image is recorded and the batch goes on.
/// Frames larger than ctx.ram_bytes are labelled blockwise, measured band by band and
/// exported band by band, with the same results as whole frames.
ObjectPredictResult predict_objects(const ObjectModel& model, const ObjectPredictRequest& request,
                                    const RunContext& ctx);

}  // namespace bioforest::workflows
