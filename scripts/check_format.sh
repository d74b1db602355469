#!/usr/bin/env bash
# Fails if any C++ source differs from .clang-format's style (clang-format 14).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find include lib tools tests bench -name '*.[ch]pp')
[ ${#files[@]} -gt 0 ] || exit 0
clang-format --dry-run -Werror "${files[@]}"
echo "format: ${#files[@]} files formatted"
