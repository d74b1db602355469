// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/io/atomic_output.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "bioforest/core/error.hpp"

namespace fs = std::filesystem;

namespace bioforest::io {

void check_output_path(const std::string& path, bool overwrite) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw_usage("is a folder, not an output file name", path);
  if (fs::exists(path, ec) && !overwrite)
    throw Error(ErrorCategory::usage, "output exists; use --overwrite to replace it", path);
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec))
    throw_output(path, "output folder " + dir.string() + " does not exist");
  if (access(dir.c_str(), W_OK) != 0)
    throw_output(path, "output folder " + dir.string() + " is not writable");
}

AtomicOutput::AtomicOutput(std::string final_path, bool overwrite)
    : final_(std::move(final_path)), overwrite_(overwrite) {
  check_output_path(final_, overwrite_);
  static std::atomic<int> counter{0};
  const fs::path p(final_);
  temp_ = (p.parent_path() / ("." + p.filename().string() + ".tmp-" + std::to_string(getpid()) +
                              "-" + std::to_string(counter++)))
              .string();
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicOutput::commit() {
  if (committed_) return;
  // Re-check: another process may have created the target while we computed.
  if (!overwrite_ && fs::exists(final_))
    throw Error(ErrorCategory::usage, "output appeared while writing; use --overwrite", final_);
  if (std::rename(temp_.c_str(), final_.c_str()) != 0)
    throw_output(final_, std::string("cannot rename the finished temporary file into place: ") +
                             std::strerror(errno));
  committed_ = true;
}

void write_text_file(const std::string& path, const std::string& text, bool overwrite) {
  AtomicOutput out(path, overwrite);
  {
    std::ofstream f(out.temp_path());
    f << text;
    f.flush();
    if (!f) throw_output(path, "cannot write the file (disk full?)");
  }
  out.commit();
}

}  // namespace bioforest::io
