// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: the two ways a TIFF says how its pages form a t/z/c stack. ImageJ hyperstacks keep
// "key=value" lines in the first ImageDescription; OME-TIFF keeps OME-XML there. Both are
// reduced to a StackLayout: the extents of t, z and c-as-pages, and the IFD of every plane.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bioforest/core/axes.hpp"
#include "bioforest/core/dtype.hpp"

namespace bioforest::io::detail {

/// How the pages of a TIFF map to the t, z and c axes. Channels stored as samples inside a
/// page (RGB) are not counted in `c`: the reader multiplies them in.
struct StackLayout {
  std::size_t t = 1, z = 1, c = 1;
  /// IFD number of plane (t, z, c), at index (t * z_size + z) * c_size + c (c fastest).
  std::vector<std::size_t> plane_ifd;
  /// The exact axes a writer recorded (bioforest's own key), or empty: then singleton axes
  /// other than y and x are dropped.
  std::string axes;
};

// ---- ImageJ --------------------------------------------------------------------------

/// Whether an ImageDescription is ImageJ's ("ImageJ=1.53t\n...").
bool is_imagej_description(std::string_view description);

/// The layout an ImageJ description declares (planes in ImageJ's XYCZT order: c fastest,
/// then z, then t; plane i is IFD i). Inconsistent counts fall back to "images are slices".
StackLayout parse_imagej_description(std::string_view description);

/// An ImageJ hyperstack description for c x z x t planes, with the display range if given and
/// the exact axes under bioforest's own key (ImageJ ignores keys it does not know).
std::string make_imagej_description(std::size_t c, std::size_t z, std::size_t t, const Axes& axes,
                                    const std::optional<std::pair<double, double>>& range);

// ---- OME-XML -------------------------------------------------------------------------

/// Whether an ImageDescription holds OME-XML.
bool is_ome_description(std::string_view description);

/// The layout of the first Image of an OME-XML document, honouring DimensionOrder and the
/// TiffData IFD mapping. `samples_per_pixel` is the TIFF's SamplesPerPixel (an RGB plane counts
/// as one plane of SizeC = 3). Throws Error{input} naming `file` for malformed XML, planes no
/// TiffData maps, or a multi-file data set.
StackLayout parse_ome_xml(std::string_view xml, std::size_t samples_per_pixel,
                          const std::string& file);

/// An OME-XML document for an image of t x z x c planes of y x x pixels stored as one plane
/// per IFD in XYCZT order, starting at IFD 0.
std::string make_ome_xml(std::size_t x, std::size_t y, std::size_t z, std::size_t c, std::size_t t,
                         DType dtype, const std::string& name);

}  // namespace bioforest::io::detail
