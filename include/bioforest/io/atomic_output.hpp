// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Outputs that appear complete or not at all: write to a temporary name beside the target,
/// rename on commit, remove on failure or cancellation.

#include <string>

namespace bioforest::io {

/// Throws Error{usage} "... exists; use --overwrite" if `path` exists and !overwrite, and
/// Error{output} if its folder does not exist or is not writable. Call it before any work.
void check_output_path(const std::string& path, bool overwrite);

/// Writes `text` to `path` through an AtomicOutput (summaries, CSV tables); Error{output}
/// if the write fails (disk full).
void write_text_file(const std::string& path, const std::string& text, bool overwrite);

class AtomicOutput {
 public:
  /// Checks the target (check_output_path) and picks the temporary name
  /// "<dir>/.<name>.tmp-<pid>-<n>".
  AtomicOutput(std::string final_path, bool overwrite);
  ~AtomicOutput();  ///< removes the temporary file if not committed
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& temp_path() const noexcept { return temp_; }
  const std::string& final_path() const noexcept { return final_; }
  /// Renames the temporary file onto the target; throws Error{output} on failure.
  void commit();
  bool committed() const noexcept { return committed_; }

 private:
  std::string final_, temp_;
  bool overwrite_;
  bool committed_ = false;
};

}  // namespace bioforest::io
