// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Project specs are JSON files validated against the JSON Schemas in schemas/ (compiled
/// into the library). Every violation is reported at once, each with its JSON pointer;
/// unknown keys are errors (the schemas say additionalProperties: false).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bioforest::spec {

/// Reads and parses a JSON file; Error{usage} naming the file (and the parser's position)
/// for a missing file or a syntax error.
nlohmann::json read_json_file(const std::string& path);

/// One violation: where (a JSON pointer such as "/classes/0/name") and why.
struct Violation {
  std::string pointer;
  std::string reason;
};

/// All violations of `doc` against the embedded schema `schema_name`
/// (e.g. "pixel_classification.schema.json"); empty if valid.
std::vector<Violation> check_against_schema(const nlohmann::json& doc,
                                            const std::string& schema_name);

/// Throws Error{usage} for `file` listing every violation ("/a/b: reason; /c: reason") if
/// there are any.
void throw_if_invalid(const std::vector<Violation>& violations, const std::string& file);

/// The embedded schema text; Error{internal} if there is none of that name.
const std::string& embedded_schema(const std::string& schema_name);

/// A path from a spec, resolved relative to the spec file's folder (absolute paths and
/// HDF5 internal paths are kept).
std::string resolve_path(const std::string& spec_file, const std::string& path);

}  // namespace bioforest::spec
