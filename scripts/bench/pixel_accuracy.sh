#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Pixel classification from scribbles, bioforest vs an ilastik-equivalent Python pipeline
# (python3-vigra features with ilastik's recipe + scikit-learn forest), same scribbles, same run.
# Sets (../shared/data): nuclei2d_coelho2009 u2os_gnf and nih3t3_ic100 (scribbles on dna-0,
# scored on dna-1..9), stardist dsb2018 (one image: trained and scored on it), isbi2012_em
# (scribbles on slices 00-01, membranes = foreground, scored on 02-19). ilastik's default 49
# features, 100 trees, 2 threads on both sides. Prints per set
#   pixel_accuracy <set>: ours F1 X acc Y, peer F1 X' acc Y', dF1 (pp) D
#   pixel_time <set>: ours X s, peer Y s, ratio Z          (train + predict all images)
# and the interactive loop (changed scribbles -> probabilities of a 1024 x 1024 section):
#   interactive_loop_1024: ours X s (target 0.5 s)
# usage: scripts/bench/pixel_accuracy.sh        (after scripts/setup.sh or a build in build/)
# env: BIN (default build/tools), SETS="u2os_gnf nih3t3_ic100 dsb2018 isbi2012_em interactive",
#      THREADS (2), TREES (100), FOREST_SEEDS (5: F1 averaged over forest seeds), DATA. Work files: scripts/bench/work/.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-build/tools}
DATA=${DATA:-../shared/data}
if [[ ! -d "$DATA/nuclei2d_coelho2009" || ! -d "$DATA/isbi2012_em" ]]; then
  echo "pixel_accuracy.sh: benchmark data not found in $DATA; skipped" >&2
  exit 0
fi
for tool in pxclassify evaluate; do
  if [[ ! -x "$BIN/$tool" ]]; then
    echo "pixel_accuracy.sh: $BIN/$tool not found; build first (scripts/setup.sh, or BIN=...)" >&2
    exit 2
  fi
done
if ! /usr/bin/python3 -c 'import vigra, sklearn, tifffile, scipy, PIL' 2>/dev/null; then
  echo "pixel_accuracy.sh: the peer needs python3-vigra python3-sklearn python3-tifffile" \
    "python3-scipy python3-pil (apt-get install); skipped" >&2
  exit 0
fi
export BIN DATA
exec /usr/bin/python3 scripts/bench/pixel_accuracy.py
