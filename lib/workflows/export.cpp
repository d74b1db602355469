// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/export.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <set>

#include "bioforest/core/error.hpp"
#include "bioforest/io/atomic_output.hpp"
#include "bioforest/io/image_path.hpp"

namespace fs = std::filesystem;

namespace bioforest::workflows {

std::string result_slug(const std::string& display_name) {
  std::string s;
  for (char c : display_name)
    s += c == ' ' ? '-' : char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string loose_name(const std::string& text) {
  std::string n;
  for (char c : text)
    if (std::isalnum(static_cast<unsigned char>(c)))
      n += char(std::tolower(static_cast<unsigned char>(c)));
  return n;
}

std::string export_format(const ExportOptions& o) {
  if (!o.format.empty()) {
    io::WriteOptions w;
    w.format = o.format;
    return io::resolve_output_format("x", w);
  }
  if (!o.output.empty()) return io::resolve_output_format(o.output, {});
  return "hdf5";
}

io::WriteOptions export_write_options(const ExportOptions& o) {
  io::WriteOptions w;
  w.format = export_format(o);
  w.overwrite = o.overwrite || o.skip_existing;
  w.compression = o.compression;
  w.dataset = o.internal_path;
  return w;
}

namespace {

std::string extension_for(const std::string& format) {
  if (format == "hdf5") return ".h5";
  if (format == "png" || format == "png sequence") return ".png";
  if (format == "ome-tiff") return ".ome.tif";
  return ".tif";
}

void replace_all(std::string& s, const std::string& key, const std::string& value) {
  for (std::size_t pos = 0; (pos = s.find(key, pos)) != std::string::npos; pos += value.size())
    s.replace(pos, key.size(), value);
}

// ilastik's nickname: the file name without extension(s) and without glob characters.
std::string nickname(const std::string& input) {
  const io::ImagePath p = io::parse_image_path(input);
  std::string name = fs::path(p.file).filename().string();
  for (const char* ext : {".ome.tiff", ".ome.tif"})
    if (name.size() > std::strlen(ext) && name.substr(name.size() - std::strlen(ext)) == ext)
      name = name.substr(0, name.size() - std::strlen(ext));
  name = fs::path(name).stem().string();
  name.erase(std::remove_if(name.begin(), name.end(),
                            [](char c) { return c == '*' || c == '?' || c == '[' || c == ']'; }),
             name.end());
  return name;
}

std::string dataset_dir(const std::string& input) {
  const std::string dir = fs::path(io::parse_image_path(input).file).parent_path().string();
  return dir.empty() ? "." : dir;
}

}  // namespace

std::string fill_filename_placeholders(const std::string& pattern, const std::string& input,
                                       const std::string& source) {
  std::string p = pattern;
  replace_all(p, "{dataset_dir}", dataset_dir(input));
  replace_all(p, "{nickname}", nickname(input));
  replace_all(p, "{result_type}", source);
  replace_all(p, "{result}", result_slug(source));
  return p;
}

std::string export_path(const ExportOptions& o, const std::string& input,
                        const std::string& source) {
  if (!o.output.empty()) return o.output;
  std::string p = fill_filename_placeholders(o.filename_format, input, source);
  const std::string format = export_format(o);
  // ilastik replaces whatever extension the pattern has by the format's.
  const fs::path fp(p);
  const std::string ext = fp.extension().string();
  if (ext == ".h5" || ext == ".hdf5" || ext == ".tif" || ext == ".tiff" || ext == ".png")
    p = (fp.parent_path() / fp.stem()).string();
  return p + extension_for(format);
}

std::vector<bool> plan_exports(const ExportOptions& o, const std::vector<std::string>& inputs) {
  if (o.sources.empty()) throw_usage("no export source given");
  if (!o.output.empty() && (inputs.size() != 1 || o.sources.size() != 1))
    throw_usage(
        "-o/--output names one file: use it with one input and one export source, or "
        "use --output-filename-format with {nickname} and {result_type}");
  export_format(o);  // validates --output-format
  std::set<std::string> seen;
  std::vector<bool> skip(inputs.size(), false);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    bool all_exist = true;
    std::vector<std::string> paths;
    for (const auto& s : o.sources) {
      const std::string p = export_path(o, inputs[i], s);
      if (!seen.insert(p).second)
        throw_usage("two results would be written to the same file " + p +
                    " (add {nickname} and {result_type} to --output-filename-format)");
      all_exist &= fs::exists(io::parse_image_path(p).file);
      paths.push_back(p);
    }
    if (o.skip_existing && all_exist) {
      skip[i] = true;
      continue;
    }
    for (const auto& p : paths)
      io::check_output_path(io::parse_image_path(p).file, o.overwrite || o.skip_existing);
  }
  return skip;
}

DType export_dtype(const ExportOptions& o, DType natural) {
  return o.dtype ? *o.dtype : natural;
}

Image export_values(const Image& block, const ExportOptions& o, DType natural_dtype,
                    std::optional<io::Range> natural) {
  const DType target = export_dtype(o, natural_dtype);
  if (target == block.dtype() && !o.pipeline_drange) return block;
  io::DtypeMapping m;
  m.dtype = target;
  m.input = o.pipeline_drange;
  m.output = o.export_drange;
  if (!m.input && !dtype_is_float(target) && natural) m.input = natural;
  if (m.output && !m.input) m.input = natural;
  return io::convert_dtype(block, m);
}

}  // namespace bioforest::workflows
