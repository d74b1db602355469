#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Connected components + object features: bioforest (objfeatures with a binary-mask
# threshold spec: labelling and features in one run, timed end to end including reading the
# TIFFs and writing the CSV) vs scikit-image (label + regionprops_table) and vigra
# (labelImageWithBackground / labelVolumeWithBackground + extractRegionFeatures, ilastik's
# engine), timed in memory. Same features: count, centre, bounding box, mean, min, max,
# variance (not scikit-image), radii / axes (inertia eigenvalues for scikit-image).
# Data: 2048 x 2048 with ~2,000 discs, 160 x 256 x 256 with ~600 balls (synthetic, seed 0).
#
# usage: scripts/bench/objects.sh        env: BIN (default build-obj/tools), THREADS (2)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK="$HERE/work/objects"
PY=/usr/bin/python3
BIN=${BIN:-$ROOT/build-obj/tools}
THREADS=${THREADS:-2}
mkdir -p "$WORK"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg), threads $THREADS"
cat > "$WORK/binary.json" <<JSON
{"method": "binary", "min_size": 0, "max_size": 1000000000, "sigma": 0}
JSON
for case in 2d 3d; do
  [ -f "$WORK/raw_$case.tif" ] || $PY "$HERE/objects_peer.py" make "$WORK" "$case"
  peer=$(OMP_NUM_THREADS=$THREADS $PY "$HERE/objects_peer.py" peers "$WORK" "$case")
  start=$(date +%s.%N)
  OMP_NUM_THREADS=$THREADS /usr/bin/time -f "%U %S" -o "$WORK/ours_$case.cpu" \
    "$BIN/objfeatures" -q --overwrite "$WORK/raw_$case.tif" \
    --segmentation "$WORK/mask_$case.tif" --threshold-spec "$WORK/binary.json" \
    --features Count Mean Minimum Maximum Variance RegionRadii RegionAxes \
    -o "$WORK/ours_$case.csv"
  end=$(date +%s.%N)
  rows=$(($(wc -l < "$WORK/ours_$case.csv") - 1))
  cpu=$(awk '{print $1 + $2}' "$WORK/ours_$case.cpu")
  $PY - "$start" "$end" "$peer" "$case" "$rows" "$cpu" <<'PYEOF'
import json, sys
ours = float(sys.argv[2]) - float(sys.argv[1])
p = json.loads(sys.argv[3])
case, rows = sys.argv[4], int(sys.argv[5])
print(f"# {case}: {rows} objects ours, {p['objects']} scikit-image; CPU seconds: ours "
      f"{float(sys.argv[6]):.3f} (with file I/O), vigra {p['vigra_cpu']:.3f}, "
      f"scikit-image {p['skimage_cpu']:.3f}")
for name in ("vigra", "skimage"):
    print(f"objects_{case}_{name}: ours {ours:.3f} s, peer {p[name]:.3f} s, ratio {p[name] / ours:.2f}")
PYEOF
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
