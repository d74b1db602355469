// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// \file
/// Logging: spdlog with a stderr sink (spdlog's default logger writes to stdout, which must
/// carry only results), colour only on a terminal and never with NO_COLOR.

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

namespace bioforest {

/// The project logger (stderr). Created on first use with level info and no colour;
/// configure_logging() sets it up for a tool.
spdlog::logger& logger();

/// Parses "trace|debug|info|warn|warning|error|off"; throws Error{usage}.
spdlog::level::level_enum parse_log_level(std::string_view name);

/// Sets the tool name shown in each line, the level, and colour (on only when stderr is a
/// terminal, NO_COLOR is unset or empty, and TERM is not "dumb").
void configure_logging(std::string_view tool, spdlog::level::level_enum level);

/// Whether stderr is a terminal that may show colour (see configure_logging).
bool stderr_wants_colour();
bool stderr_is_terminal();

}  // namespace bioforest
