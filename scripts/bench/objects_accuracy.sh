#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Object classification accuracy, single nucleus vs clump, on nuclei2d_coelho2009 (see
# objects_accuracy.py): bioforest's threshold + objclassify vs scikit-learn on the same
# features, objects from thresholding our own probability maps (pxclassify on scribbles).
# usage: scripts/bench/objects_accuracy.sh    env: BIN (default build/tools), THREADS (2)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${BIN:-$ROOT/build/tools}
DATA=${BIOFOREST_SHARED:-$ROOT/../shared}/data/nuclei2d_coelho2009
if [ ! -d "$DATA" ]; then
  echo "# $DATA is absent: skipped"
  exit 0
fi
for set in u2os_gnf nih3t3_ic100; do
  OMP_NUM_THREADS=${THREADS:-2} /usr/bin/python3 "$HERE/objects_accuracy.py" "$BIN" "$DATA" \
    "$HERE/work/objects_accuracy" "$set"
done
