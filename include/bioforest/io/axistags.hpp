// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// ilastik's `axistags` attribute (vigra's JSON, axes listed slowest first).

#include <string>

#include "bioforest/core/axes.hpp"

namespace bioforest::io {

/// {"axes": [{"key": "y", "typeFlags": 2, "resolution": 0, "description": ""}, ...]}
/// typeFlags: Channels=1, Space=2, Time=8.
std::string axistags_json(const Axes& axes);
/// Parses the attribute; throws Error{input} for malformed JSON or unknown keys.
Axes parse_axistags(const std::string& json);

}  // namespace bioforest::io
