#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Random forest benchmark: bioforest vs scikit-learn, vigra (python3-vigra) and ranger (R),
# same data, same run. 49 ilastik pixel features of a real 2048 x 2048 image, 100 trees,
# mtry = round(sqrt(49)) = 7, bootstrap, grown to purity; 20k and 200k training samples,
# 2 and 4 classes; prediction of all 4.2 million pixels (ours reads the channel-planar
# feature image, declared as rows of 2048 pixels as pxclassify declares its blocks, and walks
# it in 2-D tiles; the peers get sample-major rows, prepared outside their timing).
#
# usage: scripts/bench/forest.sh [--ours-only] [--quick]
#   --ours-only  reuse the peers' results of the last run (work/peers.jsonl)
#   --quick      only the 20k, 2-class case
# env: THREADS (default 2), BUILD_DIR (default build-bench), PEERS="sklearn vigra ranger"
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK="$HERE/work"
PY=/usr/bin/python3
THREADS=${THREADS:-2}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
PEERS=${PEERS:-"sklearn vigra ranger"}
OURS_ONLY=0
CASES="20000:2 20000:4 200000:2 200000:4"
for a in "$@"; do
  case $a in
    --ours-only) OURS_ONLY=1 ;;
    --quick) CASES="20000:2" ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done

if [ -f "$BUILD_DIR/CMakeCache.txt" ]; then  # an existing build keeps its other options
  cmake -S "$ROOT" -B "$BUILD_DIR" -DBIOFOREST_BENCH=ON >/dev/null
else
  cmake -G Ninja -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DBIOFOREST_BENCH=ON \
    -DBIOFOREST_TESTS=OFF >/dev/null
fi
ninja -C "$BUILD_DIR" forest_bench forest_predict_bench >/dev/null
mkdir -p "$WORK"
[ -f "$WORK/meta.json" ] || $PY "$HERE/forest_bench.py" prepare

command -v Rscript >/dev/null && Rscript -e 'library(ranger)' >/dev/null 2>&1 || {
  echo "ranger: not available (apt-get install r-cran-ranger); skipped" >&2
  PEERS=$(echo "$PEERS" | sed 's/ranger//')
}

echo "machine: $(nproc) CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
OURS="$WORK/ours.jsonl"
: >"$OURS"
[ $OURS_ONLY = 1 ] || : >"$WORK/peers.jsonl"
for c in $CASES; do
  n=${c%:*}
  k=${c#*:}
  r=$("$BUILD_DIR/bench/forest_bench" "$WORK/train_x_$n.f32" "$WORK/train_y_${n}_$k.i32" "$n" \
    "$WORK/pred_x_planar.f32" "$WORK/eval_y_${n}_$k.i32" $((2048 * 2048)) 49 "$THREADS" 100 3 2048)
  echo "{\"peer\": \"bioforest\", \"n\": $n, \"k\": $k, \"threads\": $THREADS, ${r#\{}" >>"$OURS"
  if [ $OURS_ONLY = 0 ]; then
    for p in $PEERS; do
      $PY "$HERE/forest_bench.py" "$p" "$n" "$k" "$THREADS" >>"$WORK/peers.jsonl" ||
        echo "$p failed on $n/$k" >&2
    done
  fi
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$OURS" "$WORK/peers.jsonl" >"$WORK/results.jsonl"
$PY "$HERE/forest_bench.py" table "$WORK/results.jsonl"
# The block walk alone, 1 thread, first 1 Mpx (20k/2-class forest; the image's first 512
# rows, declared as rows of 2048 pixels as pxclassify does): CPU seconds, ns per split visit, bit-identity against the reference of the first run, and the labels-only
# early exit (predict_labels) against the argmax of the probabilities.
echo "walk (1 thread, 1 Mpx): $("$BUILD_DIR/bench/forest_predict_bench" "$WORK/train_x_20000.f32" \
  "$WORK/train_y_20000_2.i32" 20000 "$WORK/pred_x_planar.f32" $((2048 * 2048)) 1048576 49 1 3 \
  "$WORK/walk_reference_1048576.f32" 2048)"
