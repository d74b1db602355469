// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/spec_file.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "bioforest/core/error.hpp"

namespace fs = std::filesystem;

namespace bioforest::spec {

namespace detail {
const std::map<std::string, std::string>& embedded_schemas();
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCategory::usage, "cannot open the spec (no such file?)", path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    std::string why = e.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5: ..." -> keep the tail.
    const auto pos = why.find("parse error");
    throw Error(ErrorCategory::usage,
                "not valid JSON: " + (pos == std::string::npos ? why : why.substr(pos)), path);
  }
}

const std::string& embedded_schema(const std::string& schema_name) {
  const auto& all = detail::embedded_schemas();
  const auto it = all.find(schema_name);
  if (it == all.end()) throw_internal("no embedded schema named " + schema_name);
  return it->second;
}

namespace {

// valijson's context ["<root>", "[classes]", "[0]"] -> "/classes/0".
std::string json_pointer(const std::vector<std::string>& context) {
  std::string p;
  for (const auto& c : context) {
    if (c == "<root>") continue;
    std::string part = c;
    if (part.size() >= 2 && part.front() == '[' && part.back() == ']')
      part = part.substr(1, part.size() - 2);
    if (part.size() >= 2 && part.front() == '"' && part.back() == '"')
      part = part.substr(1, part.size() - 2);
    p += "/" + part;
  }
  return p.empty() ? "/" : p;
}

const valijson::Schema& parsed_schema(const std::string& schema_name) {
  static std::map<std::string, std::unique_ptr<valijson::Schema>> cache;
  auto& slot = cache[schema_name];
  if (!slot) {
    const nlohmann::json doc = nlohmann::json::parse(embedded_schema(schema_name));
    slot = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    parser.populateSchema(adapter, *slot);
  }
  return *slot;
}

}  // namespace

std::vector<Violation> check_against_schema(const nlohmann::json& doc,
                                            const std::string& schema_name) {
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(doc);
  validator.validate(parsed_schema(schema_name), target, &results);
  std::vector<Violation> out;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
    Violation v{json_pointer(e.context), e.description};
    // valijson reports a failed allOf/anyOf parent after its children; keep the specific
    // ones and drop exact repeats.
    bool repeat = false;
    for (const auto& o : out)
      repeat |= o.pointer == v.pointer && o.reason == v.reason;
    if (!repeat) out.push_back(std::move(v));
  }
  return out;
}

void throw_if_invalid(const std::vector<Violation>& violations, const std::string& file) {
  if (violations.empty()) return;
  std::string msg = violations.size() == 1
                        ? "invalid spec: "
                        : "invalid spec (" + std::to_string(violations.size()) + " problems): ";
  for (std::size_t i = 0; i < violations.size(); ++i) {
    if (i) msg += "; ";
    msg += violations[i].pointer + ": " + violations[i].reason;
  }
  throw Error(ErrorCategory::usage, msg, file);
}

std::string resolve_path(const std::string& spec_file, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  const fs::path dir = fs::path(spec_file).parent_path();
  return dir.empty() ? path : (dir / path).lexically_normal().string();
}

}  // namespace bioforest::spec
