#!/usr/bin/env bash
# Sets up bioforest (packages + build) and runs the main job on the bundled example:
# examples/nuclei/nuclei.tif (a real 512x512 fluorescence nuclei image, BSD-3).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BIN=build/tools
OUT=${OUT:-out/demo}
mkdir -p "$OUT"

echo "== imginfo: what the example image is"
"$BIN/imginfo" examples/nuclei/nuclei.tif

echo "== imgconvert: TIFF to chunked HDF5 (ilastik's preferred input), then to 8-bit TIFF"
"$BIN/imgconvert" --overwrite examples/nuclei/nuclei.tif "$OUT/nuclei.h5"
"$BIN/imgconvert" --overwrite "$OUT/nuclei.h5" "$OUT/nuclei_8bit.tif" --dtype uint8 --drange 0,235
"$BIN/imginfo" --no-stats "$OUT/nuclei.h5" "$OUT/nuclei_8bit.tif"

echo
echo "demo: results are in $OUT/ (nuclei.h5, nuclei_8bit.tif)"
