# SPDX-License-Identifier: BSD-3-Clause
"""threshold on real files: equal to scikit-image's label of vigra-smoothed data, hysteresis,
relabelling, batch, and bad inputs (exit codes, one stderr line, no output)."""
import json
import os

import numpy as np

from clitest import DATA, EXAMPLES, expect_error, expect_ok, main, no_files_like, run

NUCLEI = os.path.join(EXAMPLES, "nuclei", "nuclei.tif")
GT = os.path.join(EXAMPLES, "nuclei", "nuclei_groundtruth.tif")
VOL = os.path.join(DATA, "images", "nuclei3d.tif")


def tiff(p):
    import tifffile
    return tifffile.imread(p)


def reference(img, low, sigma=1.0, min_size=10, max_size=1000000, connectivity=1):
    import vigra
    from skimage.measure import label
    from skimage.segmentation import relabel_sequential
    x = img.astype(np.float32)
    if sigma:
        x = vigra.filters.gaussianSmoothing(x, sigma, window_size=2.0)
    lab = label(x >= low, connectivity=connectivity)
    sizes = np.bincount(lab.ravel())
    keep = (sizes >= min_size) & (sizes <= max_size)
    keep[0] = False
    return relabel_sequential(np.where(keep[lab], lab, 0))[0]


def test_simple_matches_skimage(tmp):
    out = os.path.join(tmp, "obj.tif")
    r = expect_ok(run("threshold", NUCLEI, "--input-range", "0,255", "--low", "0.3", "-o", out))
    assert "objects" in r.err
    got = tiff(out)
    assert got.dtype == np.uint32
    ref = reference(tiff(NUCLEI) / 255.0, 0.3)
    assert got.max() == ref.max() and (got == ref).all()


def test_3d_connectivity_and_spec(tmp):
    spec = os.path.join(tmp, "t.json")
    json.dump({"low_threshold": 60, "sigma": 0, "connectivity": 26, "min_size": 5}, open(spec, "w"))
    out = os.path.join(tmp, "vol.h5")
    expect_ok(run("threshold", VOL, "--spec", spec, "-o", out, "--ram-mb", "1"))
    import h5py
    got = h5py.File(out, "r")["exported_data"][...]
    ref = reference(tiff(VOL), 60, sigma=0, min_size=5, connectivity=3)
    assert (got == ref).all()


def test_labels_relabelled(tmp):
    out = os.path.join(tmp, "gt.tif")
    expect_ok(run("threshold", GT, "--method", "labels", "--min-size", "0", "-o", out))
    got, gt = tiff(out), tiff(GT)
    assert got.max() == len(np.unique(gt)) - 1
    assert ((got > 0) == (gt > 0)).all()


def test_batch_with_missing_input_exits_3(tmp):
    import shutil
    a = os.path.join(tmp, "a.tif")
    shutil.copy(NUCLEI, a)
    r = run("threshold", a, os.path.join(tmp, "missing.tif"), "--low", "50")
    expect_error(r, 3, "missing.tif")
    assert os.path.exists(os.path.join(tmp, "a_Object Identities.h5"))


def test_bad_inputs(tmp):
    expect_error(run("threshold", os.path.join(tmp, "nope.tif"), "-o", os.path.join(tmp, "o.tif")),
                 1, "nope.tif")
    spec = os.path.join(tmp, "bad.json")
    json.dump({"method": "otsu"}, open(spec, "w"))
    expect_error(run("threshold", NUCLEI, "--spec", spec, "-o", os.path.join(tmp, "o.tif")), 2,
                 "bad.json")
    expect_error(run("threshold", NUCLEI, "--channel", "3", "-o", os.path.join(tmp, "o.tif")), 1,
                 "channel")
    expect_error(run("threshold", NUCLEI, "--connectivity", "26", "-o",
                     os.path.join(tmp, "o.tif")), 2, "connectivity")
    no_files_like(tmp, "o.tif")
    out = os.path.join(tmp, "x.tif")
    open(out, "w").write("x")
    expect_error(run("threshold", NUCLEI, "-o", out), 2, "x.tif")


if __name__ == "__main__":
    main()
