#!/usr/bin/env bash
# Sets up bioforest (packages + build) and runs the main job on the bundled example:
# pixel classification of examples/nuclei/nuclei.tif (a real 512x512 fluorescence image,
# BSD-3) from the scribbles in examples/nuclei/nuclei_scribbles.png.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
BIN=build/tools
OUT=${OUT:-out/demo}
mkdir -p "$OUT"

echo "== the example image"
"$BIN/imginfo" examples/nuclei/nuclei.tif

echo "== train a pixel classifier from the scribbles named in examples/nuclei/nuclei.json"
"$BIN/pxclassify" train examples/nuclei/nuclei.json -o "$OUT/nuclei.model.h5" --overwrite

echo "== predict: probabilities and a segmentation in one run"
"$BIN/pxclassify" predict --model "$OUT/nuclei.model.h5" --overwrite \
  --export-source Probabilities --export-source "Simple Segmentation" \
  --output-filename-format "$OUT/{nickname}_{result}" \
  examples/nuclei/nuclei.tif

echo "== an 8-bit TIFF of the nuclei probability for FIJI"
"$BIN/imgconvert" --overwrite "$OUT/nuclei_probabilities.h5" "$OUT/nuclei_probabilities.tif" \
  --dtype uint8 --drange 0,1

echo
echo "demo: results are in $OUT/:"
echo "  nuclei.model.h5                  the trained classifier (pxclassify info $OUT/nuclei.model.h5)"
echo "  nuclei_probabilities.h5          float32 probabilities, yxc, dataset exported_data"
echo "  nuclei_simple-segmentation.h5    uint8 labels: 1 = background, 2 = nuclei"
echo "  nuclei_probabilities.tif         the same probabilities as an 8-bit ImageJ hyperstack"
