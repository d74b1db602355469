// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/io/axistags.hpp"

#include <nlohmann/json.hpp>

#include "bioforest/core/error.hpp"

namespace bioforest::io {

namespace {
int type_flags(char key) {
  switch (key) {
    case 'c':
      return 1;  // Channels
    case 't':
      return 8;  // Time
    default:
      return 2;  // Space
  }
}
}  // namespace

std::string axistags_json(const Axes& axes) {
  nlohmann::ordered_json j;
  j["axes"] = nlohmann::ordered_json::array();
  for (char k : axes.str())
    j["axes"].push_back({{"key", std::string(1, k)},
                         {"typeFlags", type_flags(k)},
                         {"resolution", 0},
                         {"description", ""}});
  return j.dump(2);
}

Axes parse_axistags(const std::string& json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const std::exception& e) {
    throw Error(ErrorCategory::input, std::string("malformed axistags attribute: ") + e.what());
  }
  if (!j.is_object() || !j.contains("axes") || !j["axes"].is_array())
    throw Error(ErrorCategory::input, "axistags attribute has no \"axes\" list");
  std::string keys;
  for (const auto& a : j["axes"]) {
    if (!a.is_object() || !a.contains("key") || !a["key"].is_string())
      throw Error(ErrorCategory::input, "axistags entry without a \"key\"");
    const std::string k = a["key"].get<std::string>();
    if (k.size() != 1 || std::string_view("tzyxc").find(k[0]) == std::string_view::npos)
      throw Error(ErrorCategory::input, "axistags key '" + k + "' is not one of t, z, y, x, c");
    keys += k;
  }
  try {
    return Axes(keys);
  } catch (const Error& e) {
    throw Error(ErrorCategory::input, "axistags: " + e.reason());
  }
}

}  // namespace bioforest::io
