#!/usr/bin/env bash
# From nothing to all tests: installs dependencies, builds with tests, runs ctest (unit tests
# of every layer, CLI tests of every tool, the formatting check). Non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
CMAKE_ARGS="-DBIOFOREST_TESTS=ON ${CMAKE_ARGS:-}" bash scripts/setup.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" --timeout 900
