#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Object classification with ground truth (driver of objects_accuracy.sh): on the U2OS and
NIH-3T3 nuclei images (nuclei2d_coelho2009, dna-0..9), objects come from thresholding OUR
probability maps, as in ilastik's pixel -> object workflow: `pxclassify` trained on
user-like scribbles (make_scribbles.py, seed 0) drawn from the ground truth of dna-0 and
dna-1, 49 default features, 100 trees; `pxclassify predict` on all 10 images; the nucleus
probability thresholded by `objclassify` with ilastik's defaults (sigma 1, 0.5) and a
min size of 100 px. An object is a "clump" when it contains more than one ground-truth
nucleus (>= 20 of its pixels), else "single". 20 objects (10 per class, at random over the
10 images) are clicked; accuracy is scored on all other objects: bioforest (`objclassify`,
100 trees, every standard feature) vs scikit-learn's RandomForestClassifier (100 trees) on
the same feature columns (our table)."""
import csv
import json
import os
import subprocess
import sys
import time

import h5py
import numpy as np
import tifffile
from skimage import io as skio
from sklearn.ensemble import RandomForestClassifier

BIN, DATA, WORK, SET = sys.argv[1:5]
os.makedirs(WORK, exist_ok=True)
IMAGES = range(10)
SCRIBBLED = (0, 1)  # images whose ground truth gives the pixel classifier's scribbles
HERE = os.path.dirname(os.path.abspath(__file__))
THRESHOLD = {"method": "simple", "low_threshold": 0.5, "sigma": 1.0, "min_size": 100,
             "channel": 1}


def run(*args):
    subprocess.run([os.path.join(BIN, args[0]), "-q", "--overwrite", *map(str, args[1:])],
                   check=True)


def truth(lab, gt):
    cls = np.zeros(lab.max(), int)
    for o in range(1, lab.max() + 1):
        ids, counts = np.unique(gt[lab == o], return_counts=True)
        cls[o - 1] = 2 if ((ids > 0) & (counts >= 20)).sum() > 1 else 1
    return cls


def probability_maps(raws):
    """Our pixel classifier: scribbles from the ground truth of SCRIBBLED, nucleus
    probabilities of every image (channel 1)."""
    training = []
    for i in SCRIBBLED:
        out = os.path.join(WORK, f"{SET}_scribbles_{i}.png")
        subprocess.run(["/usr/bin/python3", os.path.join(HERE, "..", "make_scribbles.py"),
                        os.path.join(DATA, SET, "labels", f"dna-{i}.png"), out, "--seed", "0"],
                       check=True)
        training.append({"image": raws[i], "labels": out})
    spec = os.path.join(WORK, f"{SET}_pixels.json")
    json.dump({"classes": [{"name": "background"}, {"name": "nucleus"}],
               "features": {"features": "default"}, "training": training,
               "forest": {"trees": 100, "seed": 0}}, open(spec, "w"))
    model = os.path.join(WORK, f"{SET}_pixels.h5")
    t0 = time.perf_counter()
    run("pxclassify", "train", spec, "-o", model)
    run("pxclassify", "predict", "--model", model, *[raws[i] for i in IMAGES],
        "--export-source", "Probabilities", "--output-filename-format",
        os.path.join(WORK, SET + "_{nickname}_probabilities.h5"))
    t = time.perf_counter() - t0
    return {i: os.path.join(WORK, f"{SET}_dna-{i}_probabilities.h5") for i in IMAGES}, t


def objects_of(raw, probs, out):
    """The objects objclassify sees: the model's threshold settings applied by `threshold`."""
    spec = os.path.join(WORK, f"{SET}_threshold.json")
    json.dump(THRESHOLD, open(spec, "w"))
    run("threshold", probs, "--spec", spec, "-o", out)
    return tifffile.imread(out)


def main():
    rng = np.random.default_rng(0)
    objs, truths = {}, {}
    raws = {i: os.path.join(DATA, SET, "images", f"dna-{i}.png") for i in IMAGES}
    probs, t_pixels = probability_maps(raws)
    for i in IMAGES:
        gt = skio.imread(os.path.join(DATA, SET, "labels", f"dna-{i}.png"))
        lab = objects_of(raws[i], probs[i], os.path.join(WORK, f"{SET}_objects_{i}.tif"))
        objs[i], truths[i] = lab, truth(lab, gt)
    # Click 10 objects per class from the first images.
    picks = {i: [] for i in IMAGES}
    for k in (1, 2):
        pool = [(i, o) for i in IMAGES for o in np.nonzero(truths[i] == k)[0]]
        for j in rng.permutation(len(pool))[:10]:
            i, o = pool[j]
            picks[i].append(o)
    training = []
    for i in IMAGES:
        if not picks[i]:
            continue
        clicks = os.path.join(WORK, f"{SET}_clicks_{i}.csv")
        with open(clicks, "w") as f:
            f.write("x,y,class\n")
            for o in picks[i]:
                ys, xs = np.nonzero(objs[i] == o + 1)
                m = len(ys) // 2
                f.write(f"{xs[m]},{ys[m]},{'single' if truths[i][o] == 1 else 'clump'}\n")
        training.append({"raw": raws[i], "probabilities": probs[i], "labels": clicks})
    spec = os.path.join(WORK, f"{SET}_spec.json")
    json.dump({"classes": [{"name": "single"}, {"name": "clump"}], "features": "default",
               "threshold": THRESHOLD, "training": training,
               "forest": {"trees": 100, "seed": 0}}, open(spec, "w"))
    model = os.path.join(WORK, f"{SET}_model.h5")
    t0 = time.perf_counter()
    run("objclassify", "train", spec, "-o", model)
    t_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    args = ["objclassify", "predict", "--model", model]
    for i in IMAGES:
        args += ["--raw-data", raws[i]]
    for i in IMAGES:
        args += ["--probabilities", probs[i]]
    run(*args, "--table-filename", os.path.join(WORK, SET + "_{nickname}_table.csv"))
    t_pred = time.perf_counter() - t0
    columns = [c.decode() for c in h5py.File(model, "r")["columns"][...]]
    X, y, ours, train_mask = [], [], [], []
    for i in IMAGES:
        rows = list(csv.DictReader(open(os.path.join(WORK, f"{SET}_dna-{i}_table.csv"))))
        for r in rows:
            o = int(float(r["labelimage_oid"])) - 1
            X.append([float(r[c]) if r[c] != "nan" else 0.0 for c in columns])
            y.append(truths[i][o])
            ours.append(1 if r["Predicted Class"] == "single" else 2)
            train_mask.append(o in picks[i])
    X, y, ours, train_mask = map(np.array, (X, y, ours, train_mask))
    test = ~train_mask
    t0 = time.perf_counter()
    sk = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=2)
    sk.fit(X[train_mask], y[train_mask])
    sk_pred = sk.predict(X[test])
    t_sk = time.perf_counter() - t0
    acc_ours = (ours[test] == y[test]).mean()
    acc_sk = (sk_pred == y[test]).mean()
    majority = max((y[test] == 1).mean(), (y[test] == 2).mean())

    def balanced(p):
        if not all((y[test] == k).any() for k in (1, 2)):
            return float("nan")  # a class absent from the scored objects
        return np.mean([(p[y[test] == k] == k).mean() for k in (1, 2)])
    print(f"# {SET}: {len(y)} objects ({(y == 2).sum()} clumps), {train_mask.sum()} clicked, "
          f"{test.sum()} scored; {len(columns)} feature columns; majority-class accuracy "
          f"{majority:.3f}")
    print(f"# {SET}: pixel classifier (train on scribbles of dna-{SCRIBBLED}, predict 10 "
          f"images) {t_pixels:.2f} s")
    print(f"# {SET}: ours train {t_train:.2f} s + predict 10 images {t_pred:.2f} s (tools, end "
          f"to end); scikit-learn fit + predict {t_sk:.2f} s (features given)")
    print(f"objects_accuracy_{SET}: ours {acc_ours:.3f}, scikit-learn {acc_sk:.3f} "
          f"(balanced: ours {balanced(ours[test]):.3f}, scikit-learn {balanced(sk_pred):.3f})")


main()
