// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// The bioforest version and how this binary was built.

#include <string>

namespace bioforest {

/// "0.1.0"
const char* version();
/// Compiler, build type, OpenMP and SIMD dispatch targets, one "key: value" per line.
std::string build_info();

}  // namespace bioforest
