#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The published counting protocol (Lempitsky & Zisserman 2010) on the VGG synthetic cells,
# within the shared images 001-100: each draw trains `density` on N images drawn from
# 001-050 and counts the 50 held-out images 051-100; five draws per N = 1, 2, 4, 8, 16, 32.
# Prints MAE +- std (over draws) per N with the mean training and counting time, then the
# 'ilastik' sampling at N = 32 for comparison. Counts are scored by `evaluate counts`
# against the red-dot counts of counts.csv.
#
#   scripts/bench/counting.sh [BIN_DIR] [DATA_DIR]
# A 'groups' row at N = 32 (GROUP_DRAWS, default 5; 0 = off) adds feature groups on the red and
# green channels (the cells' cytoplasm, values 0-10): Gaussian smoothing at 1.6, 3.5, 5, 10 and
# LoG at 3.5, 5 of each, after the blue channel's default set.
# With BOX_IMAGES=k (default 10; 0 = off) a last row adds box constraints at N = 32: the first
# k test images carry one whole-image box with their count instead of dots ("box_annotations",
# "refine": "linear" with the crowding scales BOX_SCALES, default []), and the row, with the
# 'all' row beside it, is scored on the other 50 - k test images.
#
#   env: NS="1 2 4 8 16 32", DRAWS=5, ILASTIK_DRAWS=5, THREADS (default: all), WORK folder,
#        SPLIT=forward (train on 001-050, count 051-100), reverse (the halves swapped), odd
#        (train on the odd-numbered images, count the even ones) or even,
#        BOX_IMAGES=10, BOX_SCALES='[]',
#        FEATURES (the blue channel's feature selection JSON of the 'all' and 'groups' rows;
#        default ilastik's default set),
#        SPEC_EXTRA (JSON object merged into the spec of the 'all' and 'groups' rows, e.g.
#        '{"refine": "stacked", "regressor": {"min_samples_leaf": 1}}')
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$ROOT/build/tools}
DATA=${2:-$ROOT/../shared/data/vgg_cells_counting}
NS=${NS:-"1 2 4 8 16 32"}
DRAWS=${DRAWS:-5}
ILASTIK_DRAWS=${ILASTIK_DRAWS:-5}
WORK=${WORK:-$ROOT/scripts/bench/work/counting}
PY=/usr/bin/python3
THREAD_ARGS=()
[ -n "${THREADS:-}" ] && THREAD_ARGS=(--threads "$THREADS")
[ -x "$BIN/density" ] || { echo "no $BIN/density (build it first)" >&2; exit 2; }
[ -f "$DATA/counts.csv" ] || { echo "no VGG cells in $DATA" >&2; exit 2; }
mkdir -p "$WORK"

# Ground truth as "name,count" (names are the nicknames the count CSV carries: 051cell).
awk -F, 'NR > 1 { sub(/\.png$/, "", $1); print $1 "," $3 }' "$DATA/counts.csv" >"$WORK/gt.csv"
TEST=()
# SPLIT=forward trains on draws from 001-050 and counts 051-100; reverse swaps the halves.
# SPLIT=odd trains on draws from the odd-numbered images and counts the even ones, two halves
# with the same count distribution (mean 180.0 and 180.9 cells; 001-050 hold 172.3, 051-100
# 188.6, the literature's test set 101-200 171.6); even swaps them.
SPLIT=${SPLIT:-forward}
case "$SPLIT" in
  forward) POOL_IDS=$(seq 1 50) TEST_IDS=$(seq 51 100) ;;
  reverse) POOL_IDS=$(seq 51 100) TEST_IDS=$(seq 1 50) ;;
  odd) POOL_IDS=$(seq 1 2 99) TEST_IDS=$(seq 2 2 100) ;;
  even) POOL_IDS=$(seq 2 2 100) TEST_IDS=$(seq 1 2 99) ;;
  *) echo "SPLIT must be forward, reverse, odd or even" >&2; exit 2 ;;
esac
POOL_IDS=$(echo $POOL_IDS) TEST_IDS=$(echo $TEST_IDS)
export POOL_IDS
for i in $TEST_IDS; do TEST+=("$DATA/images/$(printf %03d "$i")cell.png"); done
printf '%s\n' $(for i in $TEST_IDS; do printf '%03dcell\n' "$i"; done) >"$WORK/test_names.txt"
NAMES=$WORK/test_names.txt

# The spec of one draw: N training images from the pool (seeded), the blue channel (the
# cells' signal; red and green are noise below 10), ilastik's default features, dots at
# sigma 2.5, every pixel of the training images (a random quarter of them: neighbours are
# nearly redundant), ilastik's forest layout (4 forests x 10 trees, depth 50) with the spec's
# other defaults (background subtracted, leaves of at least 5 draws, trees of at most 30 000
# draws, features in 256 quantile bins, no refinement). The 'ilastik' row is ilastik's
# method: its sampling with background strokes (simulated: see below) and its forest (leaves
# of one, exact splits, no cap, no refinement) on the raw image. FEATURES (a JSON feature
# selection) replaces the blue channel's features of the 'all' and 'groups' rows, e.g. the
# context scales tried by counting_cv.py; SPEC_EXTRA is merged into their specs key by key
# (nested objects too).
make_spec() {  # out sampling n draw
  "$PY" - "$@" "$DATA/images" <<'PYEOF'
import json, os, random, sys
out, sampling, n, draw, images = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
pool = [f"{int(i):03d}" for i in os.environ["POOL_IDS"].split()]
train = sorted(random.Random(1000 * n + draw).sample(pool, n))
spec = {"description": f"VGG cells, N={n}, draw {draw}",
        "features": json.loads(os.environ.get("FEATURES") or '{"features": "default"}'),
        "channels": [2], "sigma": 2.5, "sampling": sampling, "pixel_fraction": 0.25,
        "training": [{"image": f"{images}/{t}cell.png", "dots": f"{images}/{t}dots.png"} for t in train],
        "regressor": {"trees": 10, "forests": 4, "max_depth": 50, "seed": draw}}
def merge(into, extra):  # nested: {"regressor": {"min_samples_leaf": 20}} keeps the seed
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            merge(into[k], v)
        else:
            into[k] = v
if sampling in ("all", "groups"):
    merge(spec, json.loads(os.environ.get("SPEC_EXTRA") or "{}"))
if sampling == "groups":  # the 'all' spec plus large-scale features of the red and green channels
    spec["sampling"] = "all"
    rg = {"features": {"GaussianSmoothing": [1.6, 3.5, 5.0, 10.0], "LaplacianOfGaussian": [3.5, 5.0]}}
    spec["feature_groups"] = [{"channels": [0], "features": rg}, {"channels": [1], "features": rg}]
if sampling == "boxes":  # the 'all' spec plus box counts of whole test images
    spec["sampling"] = "all"
    spec["refine"] = "linear"
    spec["linear_scales"] = json.loads(os.environ.get("BOX_SCALES") or "[]")
    work = os.path.dirname(out)
    spec["box_annotations"] = [{"image": f"{images}/{b}cell.png", "boxes": f"{work}/boxes/{b}.json"}
                               for b in os.environ["BOX_IDS"].split()]
if sampling == "ilastik":
    spec["features"] = {"features": "default"}
    spec["refine"] = "none"  # ilastik's method: one forest on the raw image
    spec["background"] = "none"
    spec["regressor"]["max_samples_per_tree"] = None
    spec["regressor"]["min_samples_leaf"] = 1  # ilastik's leaves and exact splits
    spec["regressor"]["max_bins"] = 0
    # ilastik needs background strokes: simulate a user's, lines every 16 rows over the darker
    # half of the image, at least 6 pixels (the dot kernel's radius + 1) from every dot.
    import os
    import numpy as np
    from PIL import Image
    for entry, t in zip(spec["training"], train):
        dots = np.array(Image.open(f"{images}/{t}dots.png")).max(axis=-1) > 0
        blue = np.array(Image.open(f"{images}/{t}cell.png"))[..., 2]
        near = np.zeros_like(dots)
        for y, x in zip(*np.nonzero(dots)):
            near[max(0, y - 6):y + 7, max(0, x - 6):x + 7] = True
        strokes = np.zeros_like(dots)
        strokes[8::16, :] = True
        bg = strokes & ~near & (blue <= np.percentile(blue, 50))
        path = os.path.join(os.path.dirname(out), f"{t}_background.png")
        Image.fromarray(bg.astype(np.uint8)).save(path)
        entry["background"] = path
json.dump(spec, open(out, "w"), indent=1)
PYEOF
}

now() { date +%s.%N; }
ids_range() { printf '%03d, %03d ... %03d' "$1" "$2" "${@: -1}"; }

run_draw() {  # sampling n draw -> prints "mae train_s count_s"
  local tag="$1_n$2_d$3"
  make_spec "$WORK/$tag.json" "$1" "$2" "$3"
  local t0 t1 t2
  t0=$(now)
  "$BIN/density" train "$WORK/$tag.json" -o "$WORK/$tag.h5" --overwrite -q "${THREAD_ARGS[@]}"
  t1=$(now)
  "$BIN/density" count --model "$WORK/$tag.h5" --csv "$WORK/$tag.counts.csv" --overwrite -q \
    "${THREAD_ARGS[@]}" "${TEST[@]}" >/dev/null
  t2=$(now)
  "$BIN/evaluate" counts "$WORK/$tag.counts.csv" "$WORK/gt.csv" --names "$NAMES" \
    --summary-json "$WORK/$tag.score.json" -q >/dev/null
  "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['mae'], $t1-$t0, $t2-$t1)" \
    "$WORK/$tag.score.json"
}

row() {  # label sampling n draws
  local results=()
  for d in $(seq 0 $(($4 - 1))); do results+=("$(run_draw "$2" "$3" "$d")"); done
  printf '%s\n' "${results[@]}" | "$PY" -c "
import sys, statistics as st
r = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
m = [x[0] for x in r]
sd = st.stdev(m) if len(m) > 1 else 0.0
print(f'{\"$1\":<10} N={$3:<3} MAE {st.mean(m):6.2f} +- {sd:4.2f}   per draw: ' +
      ' '.join(f'{x:.2f}' for x in m) +
      f'   train {st.mean(x[1] for x in r):6.1f} s  count 50 images {st.mean(x[2] for x in r):5.1f} s')
"
}

rescore() {  # label tag-prefix draws: the MAE of existing count CSVs on the images of $NAMES
  for d in $(seq 0 $(($3 - 1))); do
    "$BIN/evaluate" counts "$WORK/$2_d$d.counts.csv" "$WORK/gt.csv" --names "$NAMES" \
      --summary-json "$WORK/$2_d$d.rescore.json" -q >/dev/null
    "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['mae'])" \
      "$WORK/$2_d$d.rescore.json"
  done | "$PY" -c "
import sys, statistics as st
m = [float(l) for l in sys.stdin if l.strip()]
print(f'{\"$1\":<10} N=32  MAE {st.mean(m):6.2f} +- {st.stdev(m) if len(m) > 1 else 0:4.2f}   per draw: ' +
      ' '.join(f'{x:.2f}' for x in m))
"
}

echo "VGG cells ($SPLIT split): train on N of $(ids_range $POOL_IDS), count $(ids_range $TEST_IDS), $DRAWS draws; $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
for n in $NS; do row all all "$n" "$DRAWS"; done
[ "$ILASTIK_DRAWS" -gt 0 ] && row ilastik ilastik 32 "$ILASTIK_DRAWS"
[ "${GROUP_DRAWS:-5}" -gt 0 ] && [[ " $NS " == *" 32 "* ]] && row groups groups 32 "${GROUP_DRAWS:-5}"
BOX_IMAGES=${BOX_IMAGES:-10}
if [ "$BOX_IMAGES" -gt 0 ] && [[ " $NS " == *" 32 "* ]]; then
  mkdir -p "$WORK/boxes"
  BOX_IDS=$(for i in $(echo $TEST_IDS | cut -d' ' -f1-"$BOX_IMAGES"); do printf '%03d ' "$i"; done)
  export BOX_IDS
  for b in $BOX_IDS; do  # one box over the whole 256 x 256 image holding its count
    "$PY" -c "import json,sys; json.dump([{'name': 'image', 'start': [0, 0], 'stop': [256, 256],
'count': float(sys.argv[1])}], open(sys.argv[2], 'w'))" \
      "$(awk -F, -v n="${b}cell" '$1 == n { print $2 }' "$WORK/gt.csv")" "$WORK/boxes/$b.json"
  done
  TEST=()
  for i in $(echo $TEST_IDS | cut -d' ' -f$((BOX_IMAGES + 1))-); do
    TEST+=("$DATA/images/$(printf %03d "$i")cell.png")
  done
  NAMES=$WORK/test_names_boxes.txt
  printf '%s\n' "${TEST[@]##*/}" | sed 's/\.png$//' >"$NAMES"
  echo "box constraints: whole-image counts of ${BOX_IMAGES} test images ($BOX_IDS), both rows scored on the other $((50 - BOX_IMAGES)):"
  rescore all all_n32 "$DRAWS"
  row boxes boxes 32 "$DRAWS"
fi
true
