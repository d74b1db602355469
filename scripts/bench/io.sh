#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# I/O benchmark: bioforest's imgconvert/imginfo vs h5py and tifffile (Debian's python3) on a
# ~1 GB uint16 volume: HDF5 gzip and uncompressed, multi-page TIFF, read and write.
# Usage (from the repo root, after a build in build/):
#   bash scripts/bench/io.sh [--threads N] [--shape Z,Y,X] [--repeat N] [--workdir DIR]
# BUILD_DIR overrides the build folder. Needs ~5 GB of scratch space (TMPDIR or --workdir).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
for tool in imgconvert imginfo; do
  if [[ ! -x "$BUILD_DIR/tools/$tool" ]]; then
    echo "io.sh: $BUILD_DIR/tools/$tool not found; build first (cmake -B $BUILD_DIR && ninja -C $BUILD_DIR)" >&2
    exit 2
  fi
done
exec /usr/bin/python3 scripts/bench/io_bench.py --bin "$BUILD_DIR/tools" "$@"
