#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Times python3-vigra computing ilastik's feature recipe (pre-smoothing + filter, as in
scripts/make_feature_fixtures.py) per family over the default scales, and the full set.
usage: features_vigra.py RAW.f32 SHAPE -> lines "name seconds channels"."""
import math, sys, time
import numpy as np
import vigra

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), ".."))
from make_feature_fixtures import FAMILIES, DEFAULT_SCALES, one_filter  # noqa: E402

F = vigra.filters


def run(x, fams):
    axes = "zyx" if x.ndim == 3 else "yx"
    n = 0
    for s in DEFAULT_SCALES:
        sel = [f for f in fams if s >= 0.7 or f == "GaussianSmoothing"]
        if not sel:
            continue
        sf = 1.0 if s > 1.0 else s
        ps = math.sqrt(s * s - 1.0) if s > 1.0 else s
        pre = np.asarray(F.gaussianSmoothing(vigra.taggedView(x, axes), ps, window_size=3.5))
        for f in sel:
            n += one_filter(pre, f, sf, axes).shape[-1]
    return n


def main():
    shape = tuple(int(v) for v in sys.argv[2].split("x"))
    x = np.fromfile(sys.argv[1], np.float32).reshape(shape)
    for name in FAMILIES + ["full"]:
        fams = FAMILIES if name == "full" else [name]
        t0 = time.perf_counter()
        n = run(x, fams)
        print(f"{name} {time.perf_counter() - t0:.4f} {n}", flush=True)


if __name__ == "__main__":
    main()
