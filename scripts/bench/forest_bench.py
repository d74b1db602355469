#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helper of scripts/bench/forest.sh: builds the forest benchmark data from real images and
runs the peers (scikit-learn, vigra, ranger via Rscript) on it.

Data: a 2048 x 2048 mosaic of four U2OS nuclei images (shared/data/nuclei2d_coelho2009),
ilastik's default 49 pixel features (every feature at every scale, sigma 0.3 only Gaussian
smoothing; the recipe of shared/reference/ilastik_parity.py), labels from the ground truth:
2 classes (background, nucleus) or 4 (far background, background ring, nucleus border,
nucleus interior). Training sets are random pixels; held-out accuracy is over every other
pixel. Files (raw little-endian) go to scripts/bench/work/ (git-ignored).

usage: forest_bench.py prepare
       forest_bench.py sklearn|vigra|ranger N_TRAIN N_CLASSES THREADS
       forest_bench.py table RESULTS.jsonl
"""
import json, os, subprocess, sys, tempfile, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("BIOFOREST_SHARED", os.path.join(ROOT, "..", "shared"))
WORK = os.path.join(HERE, "work")
SIZES = (20000, 200000)
SIDE = 2048
NF = 49


def path(name):
    return os.path.join(WORK, name)


def prepare():
    sys.path.insert(0, os.path.join(SHARED, "reference"))
    import ilastik_parity as ip
    from PIL import Image
    from scipy import ndimage as ndi
    os.makedirs(WORK, exist_ok=True)
    src = os.path.join(SHARED, "data", "nuclei2d_coelho2009", "u2os_gnf")
    raw = np.zeros((SIDE, SIDE), np.uint8)
    gt = np.zeros((SIDE, SIDE), np.int32)
    h = SIDE // 2
    for k in range(4):
        img = np.asarray(Image.open(os.path.join(src, "images", f"dna-{k}.png")))
        lab = np.asarray(Image.open(os.path.join(src, "labels", f"dna-{k}.png")))
        y0, x0 = (k // 2) * h, (k % 2) * h
        raw[y0:y0 + h, x0:x0 + h] = img[:h, :h]
        gt[y0:y0 + h, x0:x0 + h] = lab[:h, :h].astype(np.int32) + (k * 1000) * (lab[:h, :h] > 0)
    fg = gt > 0
    two = np.where(fg, 2, 1).astype(np.int32)
    eroded = ndi.binary_erosion(fg, iterations=3)
    ring = ndi.binary_dilation(fg, iterations=6) & ~fg
    four = np.select([eroded, fg, ring], [4, 3, 2], 1).astype(np.int32)
    scales = [0.3, 0.7, 1.0, 1.6, 3.5, 5.0, 10.0]
    ids = ["GaussianSmoothing", "LaplacianOfGaussian", "GaussianGradientMagnitude",
           "DifferenceOfGaussians", "StructureTensorEigenvalues", "HessianOfGaussianEigenvalues"]
    sel = np.ones((len(ids), len(scales)), bool)
    sel[1:, 0] = False  # ilastik: only smoothing at sigma 0.3
    st = dict(ids=ids, scales=scales, sel=sel, in2d=[True] * len(scales))
    t0 = time.time()
    feats, names = ip.compute_features(raw[None, ..., None], st)
    feats = feats.reshape(SIDE * SIDE, -1)
    assert feats.shape[1] == NF, feats.shape
    print(f"features: {feats.shape} in {time.time() - t0:.1f} s", file=sys.stderr)
    np.ascontiguousarray(feats.T).tofile(path("pred_x_planar.f32"))  # [feature][pixel]
    rng = np.random.default_rng(0)
    order = rng.permutation(SIDE * SIDE)
    for n in SIZES:
        idx = np.sort(order[:n])
        feats[idx].astype(np.float32).tofile(path(f"train_x_{n}.f32"))
        for k, lab in ((2, two), (4, four)):
            flat = lab.reshape(-1)
            flat[idx].astype(np.int32).tofile(path(f"train_y_{n}_{k}.i32"))
            ev = flat.copy()
            ev[idx] = 0  # held out = never trained on
            ev.astype(np.int32).tofile(path(f"eval_y_{n}_{k}.i32"))
    with open(path("meta.json"), "w") as f:
        json.dump(dict(side=SIDE, n_features=NF, names=names, sizes=SIZES), f)


def load(n, k):
    X = np.fromfile(path(f"train_x_{n}.f32"), np.float32).reshape(n, NF)
    y = np.fromfile(path(f"train_y_{n}_{k}.i32"), np.int32)
    ev = np.fromfile(path(f"eval_y_{n}_{k}.i32"), np.int32)
    return X, y, ev


def planar_to_rows(every=1):
    P = np.fromfile(path("pred_x_planar.f32"), np.float32).reshape(NF, -1)
    return np.ascontiguousarray(P[:, ::every].T)  # the peers need sample-major rows


def accuracy(pred, ev):
    m = ev > 0
    return float((pred[m] == ev[m]).mean())


def run_sklearn(n, k, threads):
    from sklearn.ensemble import RandomForestClassifier
    X, y, ev = load(n, k)
    rf = RandomForestClassifier(n_estimators=100, max_features=int(round(np.sqrt(NF))), bootstrap=True,
                                n_jobs=threads, random_state=0)
    t0, c0 = time.time(), time.process_time(); rf.fit(X, y)
    train, train_cpu = time.time() - t0, time.process_time() - c0
    rows = planar_to_rows()
    t0, c0 = time.time(), time.process_time(); p = rf.predict_proba(rows)
    pred_s, pred_cpu = time.time() - t0, time.process_time() - c0
    pred = rf.classes_[p.argmax(1)]
    return dict(train_s=train, predict_s=pred_s, train_cpu_s=train_cpu, predict_cpu_s=pred_cpu,
                accuracy=accuracy(pred, ev), n_pred=len(rows))


def run_vigra(n, k, threads):
    import vigra
    X, y, ev = load(n, k)
    rf = vigra.learning.RandomForest(treeCount=100)
    t0, c0 = time.time(), time.process_time(); rf.learnRF(X, y.astype(np.uint32)[:, None])
    train, train_cpu = time.time() - t0, time.process_time() - c0
    rows = planar_to_rows()
    t0, c0 = time.time(), time.process_time(); p = rf.predictProbabilities(rows)
    pred_s, pred_cpu = time.time() - t0, time.process_time() - c0
    classes = np.unique(y)
    pred = classes[np.asarray(p).argmax(1)]
    return dict(train_s=train, predict_s=pred_s, train_cpu_s=train_cpu, predict_cpu_s=pred_cpu,
                accuracy=accuracy(pred, ev), n_pred=len(rows), threads=1)


R_SCRIPT = r"""
suppressMessages(library(ranger))
a <- commandArgs(trailingOnly = TRUE)
n <- as.integer(a[3]); nf <- as.integer(a[4]); thr <- as.integer(a[5]); npred <- as.integer(a[7])
X <- matrix(readBin(a[1], "numeric", n * nf, size = 4), ncol = nf, byrow = TRUE)
colnames(X) <- paste0("f", seq_len(nf))
y <- factor(readBin(a[2], "integer", n, size = 4))
t <- system.time(rf <- ranger(x = X, y = y, num.trees = 100, mtry = round(sqrt(nf)), replace = TRUE,
                              sample.fraction = 1, min.node.size = 1, probability = TRUE,
                              num.threads = thr, seed = 1, verbose = FALSE))
P <- matrix(readBin(a[6], "numeric", npred * nf, size = 4), ncol = nf, byrow = TRUE)
colnames(P) <- colnames(X)
tp <- system.time(p <- predict(rf, P, num.threads = thr, verbose = FALSE)$predictions)
cls <- as.integer(colnames(p))[max.col(p, ties.method = "first")]
writeBin(as.integer(cls), a[8], size = 4)
cpu <- function(s) s[["user.self"]] + s[["sys.self"]]
cat(sprintf("%.4f %.4f %.4f %.4f\n", t[["elapsed"]], tp[["elapsed"]], cpu(t), cpu(tp)))
"""


def run_ranger(n, k, threads, every=64):
    X, y, ev = load(n, k)
    rows = planar_to_rows(every)  # ranger predicts slowly: every 64th pixel, rate scaled
    with tempfile.TemporaryDirectory(dir=WORK) as td:
        rs, px, out = os.path.join(td, "rf.R"), os.path.join(td, "p.f32"), os.path.join(td, "cls.i32")
        open(rs, "w").write(R_SCRIPT)
        rows.tofile(px)
        r = subprocess.run(["Rscript", rs, path(f"train_x_{n}.f32"), path(f"train_y_{n}_{k}.i32"), str(n),
                            str(NF), str(threads), px, str(len(rows)), out],
                           capture_output=True, text=True, check=True)
        train, pred_s, train_cpu, pred_cpu = map(float, r.stdout.strip().splitlines()[-1].split())
        pred = np.fromfile(out, np.int32)
    return dict(train_s=train, predict_s=pred_s * every, train_cpu_s=train_cpu, predict_cpu_s=pred_cpu * every,
                accuracy=accuracy(pred, ev[::every]),
                n_pred=len(rows) * every, note=f"predict timed on every {every}th pixel, scaled")


def table(results):
    rows = [json.loads(l) for l in open(results) if l.strip()]
    by = {}
    for r in rows:
        by.setdefault((r["n"], r["k"]), {})[r["peer"]] = r
    print("wall = elapsed seconds (what the user waits); cpu = CPU seconds of all threads (robust")
    print("to a busy machine); ratio = peer / ours. Accuracy: held-out pixels (all not trained on).")
    print(f"{'case':<13} {'what':<8} {'peer':<16} {'ours wall':>9} {'peer wall':>9} {'ratio':>6}"
          f" {'ours cpu':>9} {'peer cpu':>9} {'ratio':>6}   acc ours / peer")
    for (n, k), d in sorted(by.items()):
        ours = d.get("bioforest")
        if not ours:
            continue
        case = f"{n // 1000}k, {k} cl"
        for peer in ("sklearn", "vigra", "ranger"):
            p = d.get(peer)
            if not p:
                continue
            label = f"{peer} ({p.get('threads')} thr)"
            for what in ("train", "predict"):
                w, c = what + "_s", what + "_cpu_s"
                rw = p[w] / ours[w] if ours[w] > 0 else float("nan")
                rc = p.get(c, float("nan")) / ours[c] if ours.get(c) else float("nan")
                print(f"{case:<13} {what:<8} {label:<16} {ours[w]:8.2f}s {p[w]:8.2f}s {rw:5.1f}x"
                      f" {ours[c]:8.2f}s {p.get(c, float('nan')):8.2f}s {rc:5.1f}x"
                      f"   {ours['accuracy']:.4f} / {p['accuracy']:.4f}")
        mpx = ours["n_pred"] / ours["predict_s"] / 1e6
        mpx_cpu = ours["n_pred"] / ours["predict_cpu_s"] / 1e6
        print(f"{case:<13} {'ours':<8} {mpx:.2f} Mpx/s predict ({mpx_cpu:.2f} Mpx per CPU-second), "
              f"{ours.get('nodes_per_tree', 0):.0f} nodes/tree, OOB error {ours.get('oob_error', 0):.4f}")


def main():
    cmd = sys.argv[1]
    if cmd == "prepare":
        prepare()
    elif cmd == "table":
        table(sys.argv[2])
    else:
        n, k, threads = map(int, sys.argv[2:5])
        fn = dict(sklearn=run_sklearn, vigra=run_vigra, ranger=run_ranger)[cmd]
        r = fn(n, k, threads)
        r.setdefault("threads", threads)
        print(json.dumps(dict(peer=cmd, n=n, k=k, **r)))


if __name__ == "__main__":
    main()
