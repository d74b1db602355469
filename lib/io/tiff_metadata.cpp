// SPDX-License-Identifier: BSD-3-Clause
#include "tiff_metadata.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <sstream>

#include <pugixml.hpp>

#include "bioforest/core/error.hpp"
#include "bioforest/core/log.hpp"
#include "bioforest/core/text.hpp"
#include "bioforest/core/version.hpp"

namespace bioforest::io::detail {

namespace {

constexpr std::string_view kAxesKey = "bioforest_axes";

// Blanks, and the NUL that ends some writers' descriptions.
constexpr std::string_view kBlanksOrNul{" \t\r\0", 4};

// ImageJ's description is a Java properties list: one "key=value" per line.
std::map<std::string, std::string, std::less<>> parse_key_values(std::string_view text) {
  std::map<std::string, std::string, std::less<>> kv;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl), kBlanksOrNul);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    kv.emplace(std::string(trim(line.substr(0, eq), kBlanksOrNul)),
               std::string(trim(line.substr(eq + 1), kBlanksOrNul)));
  }
  return kv;
}

std::size_t count_or(const std::map<std::string, std::string, std::less<>>& kv,
                     std::string_view key, std::size_t fallback) {
  const auto it = kv.find(key);
  if (it == kv.end()) return fallback;
  std::size_t v = 0;
  const auto& s = it->second;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && v > 0 ? v : fallback;
}

std::vector<std::size_t> identity(std::size_t n) {
  std::vector<std::size_t> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = i;
  return v;
}

const char* ome_pixel_type(DType t) {
  // OME's names are numpy's, except for the two float types.
  if (t == DType::float32) return "float";
  if (t == DType::float64) return "double";
  return dtype_name(t).data();  // a string literal: NUL-terminated
}

std::size_t attr_count(const pugi::xml_node& n, const char* name, std::size_t fallback) {
  const pugi::xml_attribute a = n.attribute(name);
  return a ? static_cast<std::size_t>(a.as_ullong(fallback)) : fallback;
}

// Position of plane (z, c, t) in an OME DimensionOrder such as "XYZCT" (fastest first).
struct OmePlaneOrder {
  char order[3];        // the three non-XY letters, fastest first
  std::size_t size[3];  // their extents
  std::size_t index(std::size_t z, std::size_t c, std::size_t t) const {
    std::size_t idx[3];
    for (int i = 0; i < 3; ++i)
      idx[i] = order[i] == 'Z' ? z : order[i] == 'C' ? c : t;
    return idx[0] + size[0] * (idx[1] + size[1] * idx[2]);
  }
};

OmePlaneOrder plane_order(const std::string& dim_order, std::size_t z, std::size_t c, std::size_t t,
                          const std::string& file) {
  if (dim_order.size() != 5 || !dim_order.starts_with("XY"))
    throw_input(file, "OME-XML DimensionOrder '" + dim_order + "' is not one of XY[ZCT]");
  OmePlaneOrder o{};
  for (int i = 0; i < 3; ++i) {
    o.order[i] = dim_order[2 + i];
    o.size[i] = o.order[i] == 'Z' ? z : o.order[i] == 'C' ? c : o.order[i] == 'T' ? t : 0;
    if (o.size[i] == 0 || std::count(dim_order.begin(), dim_order.end(), o.order[i]) != 1)
      throw_input(file, "OME-XML DimensionOrder '" + dim_order + "' is not one of XY[ZCT]");
  }
  return o;
}

// TiffData elements must all point into this one file: multi-file OME data sets name other
// files in UUID@FileName.
void check_single_file(const pugi::xml_node& pixels, const std::string& file) {
  std::string first;
  for (const auto& td : pixels.children("TiffData")) {
    const std::string name = td.child("UUID").attribute("FileName").as_string();
    if (name.empty()) continue;
    if (first.empty()) first = name;
    if (name != first)
      throw_input(file, "multi-file OME-TIFF (TiffData names " + first + " and " + name +
                            ") is not supported; open the companion files as a sequence");
  }
}

}  // namespace

// ---- ImageJ --------------------------------------------------------------------------

bool is_imagej_description(std::string_view description) {
  return description.substr(0, 7) == "ImageJ=";
}

StackLayout parse_imagej_description(std::string_view description) {
  const auto kv = parse_key_values(description);
  StackLayout l;
  const std::size_t images = count_or(kv, "images", 1);
  l.c = count_or(kv, "channels", 1);
  l.z = count_or(kv, "slices", 1);
  l.t = count_or(kv, "frames", 1);
  if (l.c * l.z * l.t != images) {
    // ImageJ itself opens such a file as a plain stack of `images` slices.
    if (kv.count("channels") || kv.count("slices") || kv.count("frames"))
      logger().debug("ImageJ description: channels*slices*frames != images={}; reading slices",
                     images);
    l.c = l.t = 1;
    l.z = images;
  }
  l.plane_ifd = identity(images);
  // Validated by the reader, which knows the samples per pixel as well.
  if (const auto it = kv.find(kAxesKey); it != kv.end()) l.axes = it->second;
  return l;
}

std::string make_imagej_description(std::size_t c, std::size_t z, std::size_t t, const Axes& axes,
                                    const std::optional<std::pair<double, double>>& range) {
  // ImageJ's own writer spells a 1.11a version for files written by other programs' libraries
  // (tifffile does the same); FIJI only checks the "ImageJ=" prefix.
  std::ostringstream d;
  d << "ImageJ=1.11a\n";
  const std::size_t images = c * z * t;
  if (images > 1) {
    d << "images=" << images << "\n";
    if (c > 1) d << "channels=" << c << "\n";
    if (z > 1) d << "slices=" << z << "\n";
    if (t > 1) d << "frames=" << t << "\n";
    if (c > 1 || t > 1) d << "hyperstack=true\n";
    if (c > 1) d << "mode=grayscale\n";
  }
  if (range) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "min=%.17g\nmax=%.17g\n", range->first, range->second);
    d << buf;
  }
  d << kAxesKey << "=" << axes.str() << "\n";
  return d.str();
}

// ---- OME-XML -------------------------------------------------------------------------

bool is_ome_description(std::string_view description) {
  const std::string_view head = description.substr(0, 1024);
  return (head.find("<?xml") != std::string_view::npos ||
          head.find("<OME") != std::string_view::npos) &&
         description.find("<OME") != std::string_view::npos;
}

StackLayout parse_ome_xml(std::string_view xml, std::size_t samples_per_pixel,
                          const std::string& file) {
  pugi::xml_document doc;
  const pugi::xml_parse_result ok = doc.load_buffer(xml.data(), xml.size());
  if (!ok)
    throw_input(file, std::string("malformed OME-XML in the ImageDescription: ") +
                          ok.description() + " at offset " + std::to_string(ok.offset));
  const pugi::xml_node pixels = doc.child("OME").child("Image").child("Pixels");
  if (!pixels) throw_input(file, "OME-XML has no OME/Image/Pixels element");

  StackLayout l;
  l.z = attr_count(pixels, "SizeZ", 1);
  l.t = attr_count(pixels, "SizeT", 1);
  const std::size_t size_c = attr_count(pixels, "SizeC", 1);
  // RGB planes hold SizeC samples in one IFD: count planes of "effective" channels.
  l.c = samples_per_pixel > 1 && size_c % samples_per_pixel == 0 ? size_c / samples_per_pixel
                                                                 : size_c;
  if (l.z == 0 || l.t == 0 || l.c == 0) throw_input(file, "OME-XML has a zero Size");
  const OmePlaneOrder order =
      plane_order(pixels.attribute("DimensionOrder").as_string("XYZCT"), l.z, l.c, l.t, file);
  check_single_file(pixels, file);

  // IFD of each plane in DimensionOrder numbering.
  const std::size_t n = l.z * l.c * l.t;
  constexpr std::size_t kUnmapped = static_cast<std::size_t>(-1);
  std::vector<std::size_t> ifd_of(n, kUnmapped);
  const auto tiff_data = pixels.children("TiffData");
  const std::size_t n_td =
      static_cast<std::size_t>(std::distance(tiff_data.begin(), tiff_data.end()));
  if (n_td == 0) ifd_of = identity(n);
  for (const auto& td : tiff_data) {
    const std::size_t ifd = attr_count(td, "IFD", 0);
    const std::size_t first = order.index(attr_count(td, "FirstZ", 0), attr_count(td, "FirstC", 0),
                                          attr_count(td, "FirstT", 0));
    // A lone TiffData without PlaneCount covers every plane (the OME-TIFF specification);
    // among several, each maps one plane.
    const bool lone_default = n_td == 1 && !td.attribute("PlaneCount");
    const std::size_t count =
        lone_default ? n - std::min(first, n) : attr_count(td, "PlaneCount", 1);
    for (std::size_t k = 0; k < count && first + k < n; ++k)
      ifd_of[first + k] = ifd + k;
  }

  l.plane_ifd.resize(n);
  for (std::size_t t = 0; t < l.t; ++t)
    for (std::size_t z = 0; z < l.z; ++z)
      for (std::size_t c = 0; c < l.c; ++c) {
        const std::size_t ifd = ifd_of[order.index(z, c, t)];
        if (ifd == kUnmapped)
          throw_input(file, "OME-XML maps no IFD to plane t=" + std::to_string(t) +
                                " z=" + std::to_string(z) + " c=" + std::to_string(c));
        l.plane_ifd[(t * l.z + z) * l.c + c] = ifd;
      }
  return l;
}

std::string make_ome_xml(std::size_t x, std::size_t y, std::size_t z, std::size_t c, std::size_t t,
                         DType dtype, const std::string& name) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto ome = doc.append_child("OME");
  ome.append_attribute("xmlns") = "http://www.openmicroscopy.org/Schemas/OME/2016-06";
  ome.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
  ome.append_attribute("xsi:schemaLocation") =
      "http://www.openmicroscopy.org/Schemas/OME/2016-06 "
      "http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd";
  ome.append_attribute("Creator") = (std::string("bioforest ") + version()).c_str();
  auto image = ome.append_child("Image");
  image.append_attribute("ID") = "Image:0";
  image.append_attribute("Name") = name.c_str();
  auto px = image.append_child("Pixels");
  px.append_attribute("ID") = "Pixels:0";
  px.append_attribute("DimensionOrder") = "XYCZT";
  px.append_attribute("Type") = ome_pixel_type(dtype);
  px.append_attribute("SizeX") = static_cast<unsigned long long>(x);
  px.append_attribute("SizeY") = static_cast<unsigned long long>(y);
  px.append_attribute("SizeZ") = static_cast<unsigned long long>(z);
  px.append_attribute("SizeC") = static_cast<unsigned long long>(c);
  px.append_attribute("SizeT") = static_cast<unsigned long long>(t);
  px.append_attribute("BigEndian") = "false";
  px.append_attribute("Interleaved") = "false";
  for (std::size_t i = 0; i < c; ++i) {
    auto ch = px.append_child("Channel");
    ch.append_attribute("ID") = ("Channel:0:" + std::to_string(i)).c_str();
    ch.append_attribute("SamplesPerPixel") = 1;
  }
  auto td = px.append_child("TiffData");
  td.append_attribute("IFD") = 0;
  td.append_attribute("PlaneCount") = static_cast<unsigned long long>(z * c * t);
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace bioforest::io::detail
