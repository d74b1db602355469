#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The peer of scripts/bench/pixel_accuracy.sh: an ilastik-equivalent pixel classifier in Python.

Reads the same project spec as `pxclassify train` (classes, feature selection, training images
with their scribbles, trees), computes the pixel features with ilastik's recipe as reproduced by
shared/reference/ilastik_parity.py (python3-vigra filters, pre-smoothing, window ratios, channel
scheme), trains scikit-learn's RandomForestClassifier (n_estimators = trees, max_features =
round(sqrt F) as ilastik's vigra forest, n_jobs = threads), predicts every image and writes its
Simple Segmentation (uint8 classes 1..K, TIFF) into --out-dir as <stem>.tif.

    pixel_accuracy_peer.py SPEC.json --out-dir DIR [--threads 2] [--extra-seeds 1,2] IMAGE...

Features of one image are computed with `threads` worker threads, one scale column per task
(vigra releases the GIL), as ilastik's lazyflow spreads feature requests over its threads.
Prints one JSON line: {"train_s": ..., "predict_s": ..., "n_features": ..., "label_counts": ...}.
Timing covers file reading and writing; interpreter start-up and imports are not counted.
--extra-seeds: also forests with these random_state values, on the same features, their
segmentations in DIR_seed<k>/ (outside the timing; for the seed-to-seed spread of F1).
Needs Debian's /usr/bin/python3 (numpy, vigra, sklearn, tifffile, PIL, h5py).
"""
import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

REFERENCE = os.environ.get("BIOFOREST_REFERENCE",
                           os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "..", "..", "..", "shared", "reference"))
sys.path.insert(0, REFERENCE)
import ilastik_parity  # noqa: E402  (shared/reference: ilastik's feature recipe on vigra)

IDS = ["GaussianSmoothing", "LaplacianOfGaussian", "GaussianGradientMagnitude",
       "DifferenceOfGaussians", "StructureTensorEigenvalues", "HessianOfGaussianEigenvalues"]
SCALES = [0.3, 0.7, 1.0, 1.6, 3.5, 5.0, 10.0]


def selection(features):
    """Our spec's "features" entry -> ilastik's (ids, scales, selection matrix)."""
    if features == "default":
        sel = np.ones((len(IDS), len(SCALES)), bool)
        sel[1:, 0] = False  # sigma 0.3: Gaussian smoothing only (ilastik's default set, 49 channels)
        return dict(ids=IDS, scales=SCALES, sel=sel, in2d=[])
    scales = sorted(set(SCALES) | {float(s) for v in features.values() for s in v})
    scales = SCALES + [s for s in scales if s not in SCALES]
    sel = np.zeros((len(IDS), len(scales)), bool)
    for fid, ss in features.items():
        for s in ss:
            sel[IDS.index(fid), scales.index(float(s))] = True
    return dict(ids=IDS, scales=scales, sel=sel, in2d=[])


def read_image(path):
    if path.lower().endswith((".tif", ".tiff")):
        import tifffile
        a = tifffile.imread(path)
    else:
        from PIL import Image
        a = np.asarray(Image.open(path))
    return a


def features_of(img, st, pool):
    """img (y, x) or (y, x, c) -> (y, x, F) float32 in ilastik's channel order (feature, then
    scale, then channel and eigenvalue); one task per scale column on the pool."""
    raw = img[..., None] if img.ndim == 2 else img
    raw = raw[None]  # (z=1, y, x, c)
    cols = [j for j in range(len(st["scales"])) if st["sel"][:, j].any()]

    def column(j):
        sub = dict(st, sel=np.zeros_like(st["sel"]))
        sub["sel"][:, j] = st["sel"][:, j]
        f, names = ilastik_parity.compute_features(raw, sub)
        return f[0], names

    # large scales first: they take longest (pre-smoothing window grows with sigma)
    order = sorted(cols, key=lambda j: -st["scales"][j])
    done = dict(zip(order, pool.map(column, order)))
    # the columns come scale-major; ilastik's order is feature-major
    titles = [ilastik_parity.FEATURE_TITLE[fid] for fid in st["ids"]]
    keys = [(next(i for i, t in enumerate(titles) if name.startswith(t + " ")), j, k)
            for j in cols for k, name in enumerate(done[j][1])]
    perm = sorted(range(len(keys)), key=keys.__getitem__)
    return np.concatenate([done[j][0] for j in cols], axis=-1)[..., perm]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("spec")
    ap.add_argument("images", nargs="+")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--extra-seeds", default="")
    a = ap.parse_args()
    from sklearn.ensemble import RandomForestClassifier
    import tifffile

    spec = json.load(open(a.spec))
    base = os.path.dirname(os.path.abspath(a.spec))
    st = selection(spec["features"]["features"])
    trees = spec.get("forest", {}).get("trees", 100)
    seed = spec.get("forest", {}).get("seed", 0)
    os.makedirs(a.out_dir, exist_ok=True)
    pool = ThreadPoolExecutor(a.threads)

    t0 = time.perf_counter()
    xs, ys = [], []
    for t in spec["training"]:
        img = read_image(os.path.join(base, t["image"]))
        lab = read_image(os.path.join(base, t["labels"]))
        f = features_of(img, st, pool)
        m = lab > 0
        xs.append(f[m])
        ys.append(lab[m])
    X, y = np.concatenate(xs), np.concatenate(ys)
    F = X.shape[1]
    rf = RandomForestClassifier(n_estimators=trees, max_features=int(round(math.sqrt(F))),
                                n_jobs=a.threads, random_state=seed)
    rf.fit(X, y)
    t1 = time.perf_counter()
    extra = {}  # not timed
    for k in [int(v) for v in a.extra_seeds.split(",") if v]:
        extra[k] = RandomForestClassifier(n_estimators=trees, max_features=int(round(math.sqrt(F))),
                                          n_jobs=a.threads, random_state=k).fit(X, y)
        os.makedirs(f"{a.out_dir}_seed{k}", exist_ok=True)
    untimed = 0.0
    t2 = time.perf_counter()

    def segment(forest, f):
        p = forest.predict_proba(f.reshape(-1, F))
        return forest.classes_[p.argmax(1)].astype(np.uint8).reshape(f.shape[:2])

    for path in a.images:
        img = read_image(path)
        f = features_of(img, st, pool)
        stem = os.path.splitext(os.path.basename(path))[0]
        tifffile.imwrite(os.path.join(a.out_dir, stem + ".tif"), segment(rf, f))
        u = time.perf_counter()
        for k, forest in extra.items():
            tifffile.imwrite(os.path.join(f"{a.out_dir}_seed{k}", stem + ".tif"), segment(forest, f))
        untimed += time.perf_counter() - u
    t3 = time.perf_counter()
    print(json.dumps({"train_s": t1 - t0, "predict_s": t3 - t2 - untimed, "n_features": F,
                      "label_counts": {int(k): int((y == k).sum()) for k in np.unique(y)}}))


if __name__ == "__main__":
    main()
