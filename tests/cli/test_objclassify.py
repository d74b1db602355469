# SPDX-License-Identifier: BSD-3-Clause
"""objclassify on real files: single nuclei vs clumps on the bundled nuclei image (objects by
thresholding, labels as clicked points or a label image), exports and table, batch, bad
inputs (exit codes, one stderr line, no output)."""
import csv
import json
import os
import shutil

import numpy as np

from clitest import DATA, EXAMPLES, expect_error, expect_ok, main, no_files_like, run

NUCLEI = os.path.join(EXAMPLES, "nuclei", "nuclei.tif")
GT = os.path.join(EXAMPLES, "nuclei", "nuclei_groundtruth.tif")
THRESH = {"low_threshold": 0.2, "input_range": [0, 255], "sigma": 1.0, "min_size": 20}


def tiff(p):
    import tifffile
    return tifffile.imread(p)


def objects(tmp):
    out = os.path.join(tmp, "objects.tif")
    spec = os.path.join(tmp, "t.json")
    json.dump(THRESH, open(spec, "w"))
    expect_ok(run("threshold", NUCLEI, "--spec", spec, "-o", out))
    return tiff(out)


def truth(lab, gt):
    """Per object 1..n: 2 (clump) if it overlaps more than one ground-truth nucleus, else 1."""
    cls = []
    for o in range(1, lab.max() + 1):
        ids = np.unique(gt[(lab == o) & (gt > 0)])
        cls.append(2 if len(ids) > 1 else 1)
    return np.array(cls)


def write_points(path, lab, cls, picks):
    with open(path, "w") as f:
        f.write("x,y,class\n")
        for o in picks:
            ys, xs = np.nonzero(lab == o + 1)
            i = len(ys) // 2
            f.write(f"{xs[i]},{ys[i]},{'single' if cls[o] == 1 else 'clump'}\n")


def setup(tmp, labels="points"):
    shutil.copy(NUCLEI, tmp)
    lab = objects(tmp)
    cls = truth(lab, tiff(GT))
    picks = list(np.nonzero(cls == 1)[0][:10]) + list(np.nonzero(cls == 2)[0][:10])
    if labels == "points":
        lpath = os.path.join(tmp, "clicks.csv")
        write_points(lpath, lab, cls, picks)
    else:
        import tifffile
        img = np.zeros_like(lab, dtype=np.uint8)
        for o in picks:
            img[lab == o + 1] = cls[o]
        lpath = os.path.join(tmp, "clicks.tif")
        tifffile.imwrite(lpath, img)
    spec = {"classes": [{"name": "single"}, {"name": "clump"}],
            "features": ["Count", "Mean", "Variance", "RegionRadii", "Quantiles",
                         "Coord<Principal<Kurtosis > >"],
            "threshold": THRESH,
            "training": [{"raw": "nuclei.tif", "probabilities": "nuclei.tif",
                          "labels": os.path.basename(lpath)}],
            "forest": {"trees": 50, "seed": 1}}
    sp = os.path.join(tmp, "spec.json")
    json.dump(spec, open(sp, "w"))
    return sp, lab, cls, picks


def test_train_predict_table_and_exports(tmp):
    sp, lab, cls, picks = setup(tmp)
    model = os.path.join(tmp, "m.h5")
    r = expect_ok(run("objclassify", "train", sp, "-o", model))
    assert "10 labelled objects" in r.err
    info = expect_ok(run("objclassify", "info", model))
    assert "2 classes" in info.out
    table = os.path.join(tmp, "{nickname}_table.csv")
    expect_ok(run("objclassify", "predict", "--model", model, os.path.join(tmp, "nuclei.tif"),
                  "--probabilities", os.path.join(tmp, "nuclei.tif"),
                  "--export-source", "Object Predictions", "--export-source",
                  "Object Probabilities", "--export-source", "Object Identities",
                  "--table-filename", table, "--output-format", "tiff"))
    rows = list(csv.DictReader(open(os.path.join(tmp, "nuclei_table.csv"))))
    assert list(rows[0].keys())[:7] == ["object_id", "timestep", "labelimage_oid", "User Label",
                                        "Predicted Class", "Probability of single",
                                        "Probability of clump"]
    assert len(rows) == lab.max()
    pred = np.array([1 if r["Predicted Class"] == "single" else 2 for r in rows])
    others = np.setdiff1d(np.arange(len(cls)), picks)
    acc = (pred[others] == cls[others]).mean()
    assert acc > 0.7, acc
    ids = tiff(os.path.join(tmp, "nuclei_Object Identities.tif"))
    assert (ids == lab).all()
    classes = tiff(os.path.join(tmp, "nuclei_Object Predictions.tif"))
    assert (classes[lab > 0] == pred[lab[lab > 0] - 1]).all()
    prob = tiff(os.path.join(tmp, "nuclei_Object Probabilities.tif"))
    assert prob.size == lab.size * 2 and prob.dtype == np.float32


def test_label_image_and_segmentation_input(tmp):
    sp, lab, cls, picks = setup(tmp, labels="image")
    model = os.path.join(tmp, "m.h5")
    expect_ok(run("objclassify", "train", sp, "-o", model))
    import tifffile
    seg = os.path.join(tmp, "seg.tif")
    tifffile.imwrite(seg, lab)
    out = os.path.join(tmp, "t.h5")
    expect_ok(run("objclassify", "predict", "--model", model, NUCLEI, "--segmentation", seg,
                  "--table-filename", out))
    import h5py
    assert h5py.File(out, "r")["table/Predicted Class"].shape[0] == lab.max()


def test_batch_and_bad_inputs(tmp):
    sp, lab, cls, picks = setup(tmp)
    model = os.path.join(tmp, "m.h5")
    expect_ok(run("objclassify", "train", sp, "-o", model))
    n = os.path.join(tmp, "nuclei.tif")
    r = run("objclassify", "predict", "--model", model, n, os.path.join(tmp, "gone.tif"),
            "--probabilities", n, os.path.join(tmp, "gone.tif"))
    expect_error(r, 3, "gone.tif")
    # wrong shape
    vol = os.path.join(DATA, "images", "nuclei3d_mask.tif")
    expect_error(run("objclassify", "predict", "--model", model, NUCLEI, "--segmentation", vol,
                     "-o", os.path.join(tmp, "o.h5")), 1, "nuclei3d_mask.tif")
    # a spec that does not validate, a missing model
    bad = os.path.join(tmp, "bad.json")
    json.dump({"classes": [{"name": "a"}], "training": []}, open(bad, "w"))
    expect_error(run("objclassify", "train", bad, "-o", os.path.join(tmp, "o.h5")), 2, "bad.json")
    expect_error(run("objclassify", "predict", "--model", os.path.join(tmp, "no.h5"), NUCLEI,
                     "--segmentation", NUCLEI, "-o", os.path.join(tmp, "o.h5")), 1, "no.h5")
    # wrong dtype: fractional label image
    import tifffile
    frac = os.path.join(tmp, "frac.tif")
    tifffile.imwrite(frac, np.full(lab.shape, 0.5, np.float32))
    expect_error(run("objclassify", "predict", "--model", model, NUCLEI, "--segmentation", frac,
                     "-o", os.path.join(tmp, "o.h5")), 1, "frac.tif")
    no_files_like(tmp, "o.h5")


if __name__ == "__main__":
    main()
