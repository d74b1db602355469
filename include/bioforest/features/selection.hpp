// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Which pixel features to compute: ilastik's six filter families x a list of scales
/// (the selection matrix), per-scale "compute in 2D", and the numerical scheme.
/// Validation follows ilastik (shared/reference/ilastik.md §1.1, §1.3), channel names and
/// order follow §1.4.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "bioforest/core/axes.hpp"

namespace bioforest::features {

/// The six families, in ilastik's default row order (getFeatureIdOrder()).
enum class FeatureFamily : int {
  GaussianSmoothing,
  LaplacianOfGaussian,
  GaussianGradientMagnitude,
  DifferenceOfGaussians,
  StructureTensorEigenvalues,
  HessianOfGaussianEigenvalues,
};
inline constexpr int kFamilyCount = 6;

/// ilastik's FeatureIds ("GaussianSmoothing", ...).
std::string_view family_id(FeatureFamily f);
/// ilastik's display title ("Gaussian Smoothing", ...), used in channel names.
std::string_view family_title(FeatureFamily f);
/// Parses a FeatureId; throws Error{usage} listing the valid ids.
FeatureFamily parse_family(std::string_view id);
/// ilastik's minimum_scale: 0.3 for Gaussian smoothing, 0.7 for every other filter.
double family_min_scale(FeatureFamily f);
/// Eigenvalue families give one channel per spatial axis, the others one.
bool family_is_eigen(FeatureFamily f);

/// "ilastik": ilastik 1.4 as shipped (pre-smoothing, window ratios 3.5/2, fastfilters'
/// structure-tensor swap). "exact": no pre-smoothing, every filter at exactly sigma with a
/// 3.5 sigma window (otherwise the same definitions: DoG = G(s) - G(0.66 s), structure
/// tensor with gradient at s/2 and averaging at s, eigenvalues descending).
enum class Scheme { ilastik, exact };
std::string_view scheme_name(Scheme s);
Scheme parse_scheme(std::string_view name);  ///< throws Error{usage}

/// ilastik's default scale columns: 0.3, 0.7, 1.0, 1.6, 3.5, 5.0, 10.0.
const std::vector<double>& default_scales();

struct FeatureSelection {
  /// Rows of the matrix (ilastik's stored FeatureIds order; all six in default order).
  std::vector<FeatureFamily> families;
  /// Columns of the matrix.
  std::vector<double> scales;
  /// matrix[row][col]: compute family `row` at scale `col`.
  std::vector<std::vector<bool>> matrix;
  /// One flag per scale column: filter slice by slice along z. Empty = ilastik's default
  /// (all true when the image has z == 1, else all false).
  std::vector<bool> compute_in_2d;
  Scheme scheme = Scheme::ilastik;

  /// Six rows in default order, the default scales, nothing selected.
  static FeatureSelection empty_default();
  /// ilastik's "select all": every family at every default scale except non-smoothing
  /// features at 0.3 (49 channels in 2D, 61 in 3D for one input channel).
  static FeatureSelection full_default();

  bool selected(std::size_t row, std::size_t col) const { return matrix[row][col]; }
  /// Selects `family` at `scale`, adding the row or the column (appended) if missing.
  void select(FeatureFamily family, double scale);
  /// Whether any cell is selected.
  bool any() const;
  /// The column's 2D flag after applying ilastik's default for an empty compute_in_2d.
  bool column_in_2d(std::size_t col, bool image_is_3d) const;
};

/// Checks the matrix against itself: shape, scales positive and distinct, families distinct,
/// ilastik's minimum-scale rule (only Gaussian smoothing below 0.7), at least one cell.
/// Throws Error{usage} naming the offending feature and scale.
void validate(const FeatureSelection& sel);

/// validate() plus ilastik's "scale too large for this image" rule: a selected column with
/// ceil(3.5 s) + 1 > extent along x or y (or z, unless the column is computed in 2D) is an
/// error. `spatial_shape` is (z, y, x) or (y, x).
void validate_for_shape(const FeatureSelection& sel, const Shape& spatial_shape);

/// Channel names exactly as ilastik stores them as feature_names, e.g.
/// "Gaussian Smoothing (σ=1.0)", "... (σ=1.6) in 2D", "Hessian of Gaussian Eigenvalues
/// (σ=3.5) [2]". Order: rows -> columns -> input channel -> eigenvalue index.
/// `in_3d`: the image has a z axis longer than 1.
std::vector<std::string> feature_channel_names(const FeatureSelection& sel,
                                               std::size_t n_input_channels, bool in_3d);
/// Number of output channels (== feature_channel_names(...).size()).
std::size_t feature_channel_count(const FeatureSelection& sel, std::size_t n_input_channels,
                                  bool in_3d);

/// Python's repr of a float as ilastik prints scales: "1.0", "0.3", "10.0", "2.25".
std::string python_float_repr(double v);

/// Halo per spatial axis ((z, y, x) if in_3d else (y, x)) that blockwise computation needs
/// so that results equal whole-image results: max over selected columns of the
/// pre-smoothing radius plus the feature filters' radii. z gets 0 when every selected
/// column is computed in 2D.
Shape feature_halo(const FeatureSelection& sel, bool in_3d);

/// JSON spec (schemas/feature_selection.schema.json):
/// {"scheme": "ilastik", "scales": [...], "features": {"GaussianSmoothing": [0.3, 1.0], ...},
///  "compute_in_2d": true | false | [scales...]}. Every key is optional except "features"
/// ("features": "default" selects the full default set). Unknown keys are errors.
/// Throws Error{usage}; `source` names the file in messages.
FeatureSelection selection_from_json(const nlohmann::json& j, const std::string& source = {});
FeatureSelection selection_from_json_text(const std::string& text, const std::string& source = {});
nlohmann::json selection_to_json(const FeatureSelection& sel);
std::string selection_to_json_text(const FeatureSelection& sel);

/// The --features shorthand: "default", or "Family:s1,s2;Family:s3" (scales appended to the
/// default columns when new). Throws Error{usage}.
FeatureSelection parse_feature_shorthand(std::string_view text);

}  // namespace bioforest::features
