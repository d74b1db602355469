#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the evaluate fixtures: small label images + the numbers the reference scripts give.

Run with Debian's python (numpy, scipy, scikit-image, scikit-learn, tifffile, Pillow):
    /usr/bin/python3 scripts/make_eval_fixtures.py [--shared ../shared]

Writes tests/data/evaluate/ (< 1 MB): synthetic images only, and expected.json with the
values of ../shared/reference/eval/*.py (imported as modules) and of scikit-learn (pixel
metrics, for which the reference folder has no script). Cases on the shared real data (CTC
sequence, StarDist sample) store only numbers here; the tests read the data from ../shared,
because its conditions of use do not allow copying it into the repository.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import tifffile
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "evaluate")


def load_reference(shared):
    ev = os.path.join(shared, "reference", "eval")
    sys.path.insert(0, ev)
    sys.path.insert(0, os.path.join(ev, "tests"))
    import counting_mae, ctc_tra, instance_ap, vi_rand  # noqa: E401
    import test_ctc_tra
    return counting_mae, ctc_tra, instance_ap, vi_rand, test_ctc_tra


def write_tif(path, a):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tifffile.imwrite(path, a, compression="zlib")


def blobs(shape, n, rng, r=(3, 7)):
    """n random discs/balls with labels 1..n (later ones paint over earlier ones)."""
    img = np.zeros(shape, np.uint16)
    grids = np.ogrid[tuple(slice(0, s) for s in shape)]
    for lab in range(1, n + 1):
        c = [rng.integers(0, s) for s in shape]
        rad = rng.integers(r[0], r[1] + 1)
        d2 = sum((g - ci) ** 2 for g, ci in zip(grids, c))
        img[d2 <= rad * rad] = lab
    return img


def perturb_instances(gt, rng):
    """Shift, drop some objects, split one, merge two, add false positives."""
    pred = np.roll(gt, (1,) * gt.ndim, axis=tuple(range(gt.ndim))).astype(np.uint16)
    labels = [int(l) for l in np.unique(pred) if l]
    for l in labels[::6]:
        pred[pred == l] = 0
    if len(labels) > 4:
        a, b = labels[1], labels[2]
        pred[pred == b] = a                       # merge
        m = pred == labels[3]
        idx = np.argwhere(m)
        half = idx[:, -1] > np.median(idx[:, -1])
        pred[tuple(idx[half].T)] = 999            # split
    extra = blobs(gt.shape, 3, rng, (2, 4))
    pred[(extra > 0) & (pred == 0)] = extra[(extra > 0) & (pred == 0)] + 500
    return pred


# --- pixels (scikit-learn) -------------------------------------------------------------------
def sklearn_pixels(pred, gt, ignore=None):
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support, jaccard_score
    p, g = pred.ravel().astype(np.int64), gt.ravel().astype(np.int64)
    if ignore is not None:
        keep = g != ignore
        p, g = p[keep], g[keep]
    labels = sorted(set(np.unique(p).tolist()) | set(np.unique(g).tolist()))
    cm = confusion_matrix(g, p, labels=labels)
    pr, rc, f1, sup = precision_recall_fscore_support(g, p, labels=labels, zero_division=0)
    iou = jaccard_score(g, p, labels=labels, average=None, zero_division=0)
    return {"labels": labels, "confusion": cm.tolist(), "precision": pr.tolist(),
            "recall": rc.tolist(), "f1": f1.tolist(), "iou": iou.tolist(),
            "support": sup.tolist(), "accuracy": float(np.trace(cm) / cm.sum()),
            "mean_iou": float(iou.mean()), "mean_f1": float(f1.mean())}


def make_pixels(rng, expected):
    shape = (40, 50)
    gt = np.zeros(shape, np.uint8)
    gt[5:20, 5:25] = 1
    gt[22:38, 10:45] = 2
    gt[2:12, 30:48] = 3
    gt[::7, :] = 0                                   # unlabelled rows (sparse GT)
    pred = gt.copy()
    noise = rng.random(shape)
    pred[noise < 0.15] = rng.integers(1, 4, size=int((noise < 0.15).sum()))
    pred[gt == 0] = rng.integers(1, 4, size=int((gt == 0).sum()))
    write_tif(os.path.join(OUT, "pixels", "gt.tif"), gt)
    write_tif(os.path.join(OUT, "pixels", "pred.tif"), pred.astype(np.uint8))
    # A probability map of class 1 for the --threshold path.
    prob = np.clip(np.where(gt == 1, 0.8, 0.2) + rng.normal(0, 0.25, shape), 0, 1).astype(np.float32)
    write_tif(os.path.join(OUT, "pixels", "prob.tif"), prob)
    binary_gt = (gt == 1).astype(np.uint8)
    write_tif(os.path.join(OUT, "pixels", "gt_binary.tif"), binary_gt)
    expected["pixels"] = {
        "ignore0": sklearn_pixels(pred, gt, ignore=0),
        "all": sklearn_pixels(pred, gt),
        "threshold_0.5": sklearn_pixels((prob > 0.5).astype(np.uint8), binary_gt),
    }


# --- instances (instance_ap.py + vi_rand.py) ---------------------------------------------------
def make_instances(rng, expected, instance_ap, vi_rand, shared):
    cases = {}
    files = {}
    for name, shape, n in (("a", (64, 64), 14), ("b", (64, 64), 9), ("vol", (16, 40, 40), 12)):
        gt = blobs(shape, n, rng, (3, 7) if len(shape) == 2 else (3, 5))
        pred = perturb_instances(gt, rng)
        sub = "3d" if len(shape) == 3 else "2d"
        write_tif(os.path.join(OUT, "instances", sub, "gt", f"{name}.tif"), gt)
        write_tif(os.path.join(OUT, "instances", sub, "pred", f"{name}.tif"), pred)
        files[name] = (pred, gt)
    th = instance_ap.DSB_THRESHOLDS
    for key, names in (("2d", ["a", "b"]), ("3d", ["vol"])):
        res = instance_ap.evaluate_pairs([(f"{n}.tif", files[n][1], files[n][0]) for n in names], th)
        vis = [vi_rand.evaluate(files[n][0], files[n][1]) for n in names]
        res["vi_rand_per_image"] = vis
        cases[key] = res
    # strict (>) and a custom threshold list on the 2-D pair
    cases["2d_strict"] = instance_ap.evaluate_pairs(
        [(f"{n}.tif", files[n][1], files[n][0]) for n in ("a", "b")], (0.3, 0.5, 0.8), strict=True)
    cases["2d_low"] = instance_ap.evaluate_pairs(
        [(f"{n}.tif", files[n][1], files[n][0]) for n in ("a", "b")], (0.1, 0.2, 0.3))
    cases["vi_natural_no_ignore"] = vi_rand.evaluate(files["a"][0], files["a"][1], (), (), "e")
    # Real case: the StarDist DSB2018 sample, prediction = GT shifted by (3, 2), objects with
    # label % 7 == 0 removed (the C++ test does the same).
    p = os.path.join(shared, "data", "stardist_samples", "dsb2018_mask2d.tif")
    if os.path.exists(p):
        gt = tifffile.imread(p).astype(np.int64)
        pred = shift_and_drop(gt)
        r = instance_ap.evaluate_pairs([("dsb", gt, pred)], th)
        r["vi_rand"] = vi_rand.evaluate(pred, gt)
        cases["dsb2018_shift"] = r
    expected["instances"] = cases


def shift_and_drop(gt):
    pred = np.zeros_like(gt)
    pred[3:, 2:] = gt[:-3, :-2]
    pred[(pred % 7) == 0] = 0
    return pred


# --- counts (counting_mae.py) -----------------------------------------------------------------
def make_counts(rng, expected, counting_mae):
    d = os.path.join(OUT, "counts")
    dots_dir, dens_dir = os.path.join(d, "dots"), os.path.join(d, "density")
    os.makedirs(dots_dir, exist_ok=True)
    os.makedirs(dens_dir, exist_ok=True)
    rows = []
    for i in range(1, 5):
        img = np.zeros((32, 40, 3), np.uint8)
        n = int(rng.integers(5, 15))
        ys, xs = rng.integers(0, 32, n), rng.integers(0, 40, n)
        img[ys, xs, 0] = 255
        if i == 2:  # one dot drawn as a 2x2 blob: pixels and components modes differ
            img[10:12, 10:12, 0] = 255
        Image.fromarray(img).save(os.path.join(dots_dir, f"{i:03d}dots.png"))
        true = int((img[..., 0] > 0).sum())
        dens = rng.random((32, 40)).astype(np.float32)
        dens *= (true + rng.normal(0, 2)) / dens.sum()
        write_tif(os.path.join(dens_dir, f"{i:03d}.tif"), dens)
        rows.append((f"{i:03d}", float(dens.astype(np.float64).sum()) * 1.0 + (i % 2)))
    with open(os.path.join(d, "pred_counts.csv"), "w") as f:
        f.write("name,count\n" + "".join(f"{n},{c!r}\n" for n, c in rows))
    gt_pix = counting_mae.gt_counts(dots_dir, "dots", "pixels")
    gt_cc = counting_mae.gt_counts(dots_dir, "dots", "components")
    dens = {}
    for f in sorted(os.listdir(dens_dir)):
        dens[f[:-4]] = float(np.asarray(tifffile.imread(os.path.join(dens_dir, f)), np.float64).sum())
    table = counting_mae.read_counts_csv(os.path.join(d, "pred_counts.csv"))
    strip = lambda r: {k: v for k, v in r.items() if k != "per_image"}  # noqa: E731
    expected["counts"] = {
        "gt_pixels": gt_pix, "gt_components": gt_cc,
        "density_vs_dots": counting_mae.score(gt_pix, dens),
        "density_vs_dots_components": strip(counting_mae.score(gt_cc, dens)),
        "table_vs_dots": strip(counting_mae.score(gt_pix, table)),
        "density_scaled_0.5": strip(counting_mae.score(gt_pix, {k: v * 0.5 for k, v in dens.items()})),
    }


# --- tracking (ctc_tra.py, the reference's own hand-made cases) -------------------------------
def save_lzw(path, a):
    Image.fromarray(a.astype(np.uint16)).save(path, compression="tiff_lzw")


def make_tracking(expected, ctc_tra, tcase, shared):
    d = os.path.join(OUT, "ctc")
    shutil.rmtree(d, ignore_errors=True)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        gt = os.path.join(tmp, "GT")
        tcase.write_seq(os.path.join(gt, "TRA"), "man_track", tcase.GT_FRAMES, tcase.GT_TRACKS,
                        "man_track.txt")
        os.makedirs(os.path.join(gt, "SEG"))
        for t in (0, 2):
            shutil.copy(os.path.join(gt, "TRA", f"man_track{t:03d}.tif"),
                        os.path.join(gt, "SEG", f"man_seg{t:03d}.tif"))
        for name, (frames, tracks, _) in tcase.CASES.items():
            res = os.path.join(tmp, "RES_" + name)
            tcase.write_seq(res, "mask", frames, tracks, "res_track.txt")
            out[name] = ctc_tra.compute(gt, res)
        # Copy into the repo with LZW compression (as the challenge ships its files).
        for root, _, files in os.walk(tmp):
            rel = os.path.relpath(root, tmp)
            os.makedirs(os.path.join(d, rel), exist_ok=True)
            for f in files:
                s, t = os.path.join(root, f), os.path.join(d, rel, f)
                if f.endswith(".tif"):
                    save_lzw(t, tifffile.imread(s))
                else:
                    shutil.copy(s, t)
    expected["tracking"] = out
    # Real sequence: GT against itself, and a fixed perturbation the C++ test repeats.
    g = os.path.join(shared, "data", "ctc_Fluo-N2DH-SIM+", "01_GT")
    if os.path.isdir(g):
        with tempfile.TemporaryDirectory() as tmp:
            self_res = os.path.join(tmp, "self")
            os.makedirs(self_res)
            for f in os.listdir(os.path.join(g, "TRA")):
                dst = f.replace("man_track", "mask") if f.endswith(".tif") else "res_track.txt"
                os.symlink(os.path.join(g, "TRA", f), os.path.join(self_res, dst))
            expected["tracking_real_self"] = ctc_tra.compute(g, self_res)
            pert = os.path.join(tmp, "pert")
            perturb_ctc(g, pert, ctc_tra)
            expected["tracking_real_perturbed"] = ctc_tra.compute(g, pert)


def perturb_ctc(gt_dir, res_dir, ctc_tra):
    """The perturbation test_evaluate_ctc.cpp repeats in memory:
    frame 10: the smallest label present is deleted; frame 20: the second-smallest label is
    painted with the smallest; frame 30: a 6x6 square label 60000 at (0:6, 0:6) on background,
    track '60000 30 30 0'; the first track (by label) with a parent loses its parent."""
    os.makedirs(res_dir)
    tracks = ctc_tra.read_tracks(os.path.join(gt_dir, "TRA", "man_track.txt"))
    files = ctc_tra.frame_files(os.path.join(gt_dir, "TRA"), "man_track")
    for t, p in files.items():
        a = ctc_tra.read_tiff(p).astype(np.uint16)
        labs = [int(l) for l in np.unique(a) if l]
        if t == 10:
            a[a == labs[0]] = 0
        if t == 20:
            a[a == labs[1]] = labs[0]
        if t == 30:
            sq = a[0:6, 0:6]
            sq[sq == 0] = 60000
        tifffile.imwrite(os.path.join(res_dir, f"mask{t:03d}.tif"), a)
    orphan = min(l for l, (b, e, p) in tracks.items() if p > 0)
    b, e, _ = tracks[orphan]
    tracks[orphan] = (b, e, 0)
    tracks[60000] = (30, 30, 0)
    with open(os.path.join(res_dir, "res_track.txt"), "w") as f:
        for l, (b, e, p) in tracks.items():
            f.write(f"{l} {b} {e} {p}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(ROOT), "shared"))
    args = ap.parse_args()
    counting_mae, ctc_tra, instance_ap, vi_rand, tcase = load_reference(args.shared)
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    rng = np.random.default_rng(20240609)
    expected = {"generator": "scripts/make_eval_fixtures.py"}
    make_pixels(rng, expected)
    make_instances(rng, expected, instance_ap, vi_rand, args.shared)
    make_counts(rng, expected, counting_mae)
    make_tracking(expected, ctc_tra, tcase, args.shared)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, default=float)
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
