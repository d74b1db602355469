#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Connected components + object features: bioforest vs scikit-image (label +
# regionprops_table) and vigra (labelImageWithBackground / labelVolumeWithBackground +
# extractRegionFeatures, ilastik's engine). Fair comparison: all three timed in memory on the
# same arrays (ours by bench/objects_bench, the library calls label_components +
# compute_object_features), best of REPEATS runs; the whole objfeatures tool (reading the
# TIFFs, thresholding, writing the CSV) is timed too, as a separate line.
# Same features: count, centre, bounding box, mean, min, max, variance (not scikit-image),
# radii / axes (inertia eigenvalues for scikit-image).
# Data: 2048 x 2048 with ~2,000 discs, 160 x 256 x 256 with ~600 balls (synthetic, seed 0).
#
# usage: scripts/bench/objects.sh
# env: BUILD (default build; needs -DBIOFOREST_BENCH=ON), THREADS (2), REPEATS (3)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK="$HERE/work/objects"
PY=/usr/bin/python3
BUILD=${BUILD:-$ROOT/build}
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-3}
export REPEATS
FEATURES="Count Mean Minimum Maximum Variance RegionRadii RegionAxes"
mkdir -p "$WORK"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg), threads $THREADS, best of $REPEATS"
cat > "$WORK/binary.json" <<JSON
{"method": "binary", "min_size": 0, "max_size": 1000000000, "sigma": 0}
JSON
for case in 2d 3d; do
  [ -f "$WORK/raw_$case.f32" ] || $PY "$HERE/objects_peer.py" make "$WORK" "$case"
  peer=$(OMP_NUM_THREADS=$THREADS $PY "$HERE/objects_peer.py" peers "$WORK" "$case")
  shape=$(echo "$peer" | $PY -c 'import json,sys; s=json.load(sys.stdin)["shape"]; print(*([1]*(3-len(s))+s))')
  # shellcheck disable=SC2086
  ours=$("$BUILD/bench/objects_bench" "$WORK/mask_$case.u8" "$WORK/raw_$case.f32" $shape \
    "$THREADS" "$REPEATS" $FEATURES)
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=$THREADS "$BUILD/tools/objfeatures" -q --overwrite --threads "$THREADS" \
    "$WORK/raw_$case.tif" --segmentation "$WORK/mask_$case.tif" \
    --threshold-spec "$WORK/binary.json" --features $FEATURES -o "$WORK/ours_$case.csv"
  end=$(date +%s.%N)
  $PY - "$ours" "$peer" "$case" "$start" "$end" <<'PYEOF'
import json, sys
o, p, case = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
tool = float(sys.argv[5]) - float(sys.argv[4])
print(f"# {case}: {o['objects']} objects ours, {p['objects']} scikit-image; in memory, best "
      f"of runs: ours label {o['label']:.4f} s + features {o['features']:.4f} s "
      f"(CPU {o['cpu']:.3f} s), vigra CPU {p['vigra_cpu']:.3f} s, scikit-image CPU "
      f"{p['skimage_cpu']:.3f} s; whole objfeatures tool (TIFF in, CSV out) {tool:.3f} s")
for name in ("vigra", "skimage"):
    print(f"objects_{case}_{name}: ours {o['total']:.4f} s, peer {p[name]:.4f} s, "
          f"ratio {p[name] / o['total']:.2f}")
PYEOF
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
