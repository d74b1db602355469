// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/io/image_path.hpp"

#include <glob.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "bioforest/core/error.hpp"
#include "bioforest/core/text.hpp"

namespace fs = std::filesystem;

namespace bioforest::io {

namespace {

bool is_hdf5_name(const std::string& name) {
  const std::string l = to_lower(name);
  for (const char* ext : {".h5", ".hdf5", ".hdf", ".he5", ".ilp"})
    if (l.ends_with(ext)) return true;
  return false;
}

// Natural order: digit runs compare by value, so slice_2 < slice_10.
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit((unsigned char)a[i]) && std::isdigit((unsigned char)b[j])) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit((unsigned char)a[i2]))
        ++i2;
      while (j2 < b.size() && std::isdigit((unsigned char)b[j2]))
        ++j2;
      std::string na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size() - 1));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size() - 1));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

}  // namespace

ImagePath parse_image_path(const std::string& text) {
  ImagePath p;
  p.text = text;
  p.file = text;
  p.is_glob = text.find_first_of("*?[") != std::string::npos;
  // Find a path component that names an HDF5 file followed by an internal path.
  std::size_t pos = 0;
  std::string by_extension;
  while ((pos = text.find('/', pos + 1)) != std::string::npos) {
    const std::string head = text.substr(0, pos);
    if (!is_hdf5_name(head)) continue;
    if (fs::is_regular_file(head)) {
      p.file = head;
      p.dataset = text.substr(pos);
      p.is_glob = false;
      return p;
    }
    if (by_extension.empty()) by_extension = head;
  }
  if (!by_extension.empty() && !fs::exists(text)) {
    p.file = by_extension;
    p.dataset = text.substr(by_extension.size());
    p.is_glob = false;
  }
  return p;
}

FileFormat format_from_extension(const std::string& file) {
  const std::string l = to_lower(fs::path(file).filename().string());
  for (const char* ext : {".tif", ".tiff", ".btf", ".tf2", ".tf8"})
    if (l.ends_with(ext)) return FileFormat::tiff;
  if (is_hdf5_name(l)) return FileFormat::hdf5;
  if (l.ends_with(".png")) return FileFormat::png;
  if (l.ends_with(".jpg") || l.ends_with(".jpeg")) return FileFormat::jpeg;
  if (l.ends_with(".npy")) return FileFormat::npy;
  return FileFormat::unknown;
}

const char* format_name(FileFormat f) {
  switch (f) {
    case FileFormat::tiff:
      return "tiff";
    case FileFormat::hdf5:
      return "hdf5";
    case FileFormat::png:
      return "png";
    case FileFormat::jpeg:
      return "jpeg";
    case FileFormat::npy:
      return "npy";
    case FileFormat::unknown:
      break;
  }
  return "unknown";
}

std::vector<std::string> expand_glob(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> files;
  if (rc == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i)
      files.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  if (files.empty()) throw_input(pattern, "no files match this pattern");
  std::sort(files.begin(), files.end(), natural_less);
  return files;
}

}  // namespace bioforest::io
