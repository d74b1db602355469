# SPDX-License-Identifier: BSD-3-Clause
"""density on real and synthetic data: train from dots, predict density maps and counts,
count in boxes, batch behaviour, bad inputs (exit codes, one error line naming the file,
no output left behind)."""
import csv
import io
import json
import os

import numpy as np

from clitest import Skip, expect_error, expect_ok, main, no_files_like, run, shared

FEATURES = {"GaussianSmoothing": [0.7, 1.6, 3.5], "LaplacianOfGaussian": [1.6, 3.5],
            "HessianOfGaussianEigenvalues": [1.6]}
REGRESSOR = {"trees": 8, "forests": 2, "seed": 1}


def synthetic_cells(path, n, seed, shape=(96, 96)):
    """Gaussian blobs (sigma 2) at random centres; writes path.tif and path.csv (x,y)."""
    import tifffile
    rng = np.random.default_rng(seed)
    ys = rng.integers(3, shape[0] - 3, n)
    xs = rng.integers(3, shape[1] - 3, n)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    img = 10 + rng.normal(0, 3, shape)
    for y, x in zip(ys, xs):
        img += 150 * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / 8.0)
    tifffile.imwrite(path + ".tif", np.clip(img, 0, 255).astype(np.uint8))
    with open(path + ".csv", "w") as f:
        f.write("x,y\n")
        for y, x in zip(ys, xs):
            f.write(f"{x},{y}\n")
    return n


def synthetic_set(tmp):
    """Two training images and two test images with known counts; returns the spec path."""
    synthetic_cells(os.path.join(tmp, "a"), 25, 1)
    synthetic_cells(os.path.join(tmp, "b"), 40, 2)
    truth = {"t1": synthetic_cells(os.path.join(tmp, "t1"), 30, 3),
             "t2": synthetic_cells(os.path.join(tmp, "t2"), 45, 4)}
    spec = {"features": {"features": FEATURES},
            "training": [{"image": "a.tif", "dots": "a.csv"}, {"image": "b.tif", "dots": "b.csv"}],
            "regressor": REGRESSOR}
    path = os.path.join(tmp, "spec.json")
    json.dump(spec, open(path, "w"))
    return path, truth


def read_counts(text):
    return list(csv.DictReader(io.StringIO(text)))


def trained(tmp):
    spec, truth = synthetic_set(tmp)
    model = os.path.join(tmp, "m.h5")
    expect_ok(run("density", "train", spec, "-o", model))
    return model, truth


def test_synthetic_train_predict_count(tmp):
    model, truth = trained(tmp)
    r = expect_ok(run("density", "info", model))
    assert "regression trees" in r.out
    assert "background subtracted (opening radius 17, smoothing 8)" in r.out, r.out
    inputs = [os.path.join(tmp, n + ".tif") for n in ("t1", "t2")]
    summary = os.path.join(tmp, "s.json")
    r = expect_ok(run("density", "predict", "--model", model, "--csv",
                      os.path.join(tmp, "counts.csv"), "--summary-json", summary, *inputs))
    rows = read_counts(r.out)
    assert [row["name"] for row in rows] == ["t1", "t2"]
    for row in rows:
        assert abs(float(row["count"]) - truth[row["name"]]) <= 0.12 * truth[row["name"]], rows
    assert open(os.path.join(tmp, "counts.csv")).read() == r.out
    import h5py
    with h5py.File(os.path.join(tmp, "t1_Density.h5"), "r") as f:
        d = f["exported_data"][...]
        assert d.dtype == np.float32 and d.shape == (96, 96, 1)
        assert abs(float(d.sum(dtype=np.float64)) - float(rows[0]["count"])) < 1e-3
    s = json.load(open(summary))
    assert [c["name"] for c in s["counts"]] == ["t1", "t2"]
    # count: boxes add up, nothing written but the CSV on stdout
    boxes = os.path.join(tmp, "boxes.json")
    json.dump({"boxes": [{"name": "top", "start": [0, 0], "stop": [48, 96]},
                         {"name": "bottom", "start": [48, 0], "stop": [96, 96]}]},
              open(boxes, "w"))
    before = set(os.listdir(tmp))
    r = expect_ok(run("density", "count", "--model", model, "--boxes", boxes, inputs[0]))
    assert set(os.listdir(tmp)) == before
    rows = read_counts(r.out)
    total = float(rows[0]["count"])
    parts = {row["box"]: float(row["count"]) for row in rows[1:]}
    assert set(parts) == {"top", "bottom"}
    assert abs(parts["top"] + parts["bottom"] - total) < 1e-6


def test_threads_and_tiff_export_agree(tmp):
    model, _ = trained(tmp)
    img = os.path.join(tmp, "t1.tif")
    a = expect_ok(run("density", "predict", "--model", model, "-o", os.path.join(tmp, "out1.tif"),
                      img, env={"OMP_NUM_THREADS": "1"}))
    b = expect_ok(run("density", "predict", "--model", model, "-o", os.path.join(tmp, "out2.tif"),
                      img, "--threads", "2"))
    assert a.out == b.out
    import tifffile
    assert np.array_equal(tifffile.imread(os.path.join(tmp, "out1.tif")),
                          tifffile.imread(os.path.join(tmp, "out2.tif")))


def check_refined(tmp, refine, info_has):
    """A refined model trains, says so in info, predicts a density that integrates to the
    count, counts boxes that add up, and gives the same map with 1 or 2 threads."""
    for name, n, seed in (("a", 15, 11), ("b", 40, 12), ("c", 25, 13)):
        synthetic_cells(os.path.join(tmp, name), n, seed)
    truth = synthetic_cells(os.path.join(tmp, "t"), 60, 14, shape=(160, 160))
    spec = {"features": {"features": FEATURES}, **refine,
            "training": [{"image": f"{n}.tif", "dots": f"{n}.csv"} for n in "abc"],
            "regressor": REGRESSOR}
    json.dump(spec, open(os.path.join(tmp, "s.json"), "w"))
    model = os.path.join(tmp, "s.h5")
    expect_ok(run("density", "train", os.path.join(tmp, "s.json"), "-o", model))
    r = expect_ok(run("density", "info", model))
    for text in info_has:
        assert text in r.out, r.out
    img = os.path.join(tmp, "t.tif")
    a = expect_ok(run("density", "predict", "--model", model, "-o", os.path.join(tmp, "d1.h5"),
                      img, env={"OMP_NUM_THREADS": "1"}))
    b = expect_ok(run("density", "predict", "--model", model, "-o", os.path.join(tmp, "d2.h5"),
                      img, "--threads", "2"))
    assert a.out == b.out
    count = float(read_counts(a.out)[0]["count"])
    assert abs(count - truth) <= 0.15 * truth, (count, truth)
    import h5py
    with h5py.File(os.path.join(tmp, "d1.h5"), "r") as f1, h5py.File(os.path.join(tmp, "d2.h5"), "r") as f2:
        d = f1["exported_data"][...]
        assert np.array_equal(d, f2["exported_data"][...])
        assert d.shape == (160, 160, 1) and (d >= 0).all()
        assert abs(float(d.sum(dtype=np.float64)) - count) < 1e-3
    boxes = os.path.join(tmp, "boxes.json")
    json.dump([{"name": "l", "start": [0, 0], "stop": [160, 70]},
               {"name": "r", "start": [0, 70], "stop": [160, 160]}], open(boxes, "w"))
    r = expect_ok(run("density", "count", "--model", model, "--boxes", boxes, img))
    rows = read_counts(r.out)
    assert abs(float(rows[0]["count"]) - count) < 1e-6
    assert abs(float(rows[1]["count"]) + float(rows[2]["count"]) - count) < 1e-6
    assert abs(float(rows[1]["count"]) - float(d[:, :70].sum(dtype=np.float64))) < 1e-3
    return model


def test_stacked_refine(tmp):
    """stage 2 on the out-of-fold stage-1 density smoothed at large scales"""
    check_refined(tmp, {"refine": "stacked", "refine_scales": [0, 4, 16]},
                  ["stacked refinement", "sigma 16"])


def test_linear_refine(tmp):
    """the linear density on the out-of-fold forest density (and its crowding at 12);
    its weights are in info's summary"""
    model = check_refined(tmp, {"refine": "linear", "linear_scales": [12], "linear_tile": 24},
                          ["linear density", "sigma 12"])
    summary = os.path.join(tmp, "info.json")
    expect_ok(run("density", "info", model, "--summary-json", summary))
    info = json.load(open(summary))["density_model"]
    assert info["refine"] == "linear" and info["refine_scales"] == [12], info
    assert info["background"] == {"radius": 17, "smoothing": 8.0, "presmoothing": 1.0}, info
    assert len(info["refine_weights"]) == 2 and 0.5 < info["refine_weights"][0] < 1.5, info


def test_box_annotations(tmp):
    """box constraints: a crowded image whose halves carry counts instead of dots trains the
    linear density with the dotted images; info names the boxes; a box without a count, a
    box outside its image and boxes without the linear stage are refused, with no model"""
    spec, truth = synthetic_set(tmp)
    truth_c = synthetic_cells(os.path.join(tmp, "crowded"), 80, 7)
    ys = [int(l.split(",")[1]) for l in open(os.path.join(tmp, "crowded.csv")).read().split()[1:]]
    top = sum(y < 48 for y in ys)
    boxes = os.path.join(tmp, "crowded_boxes.json")
    json.dump({"boxes": [{"name": "top", "start": [0, 0], "stop": [48, 96], "count": top},
                         {"name": "bottom", "start": [48, 0], "stop": [96, 96],
                          "count": truth_c - top}]}, open(boxes, "w"))
    doc = json.load(open(spec))
    doc.update({"refine": "linear", "linear_tile": 24,
                "box_annotations": [{"image": "crowded.tif", "boxes": "crowded_boxes.json"}]})
    json.dump(doc, open(spec, "w"))
    model = os.path.join(tmp, "boxed.h5")
    expect_ok(run("density", "train", spec, "-o", model))
    r = expect_ok(run("density", "info", model))
    assert "2 annotated boxes" in r.out, r.out
    r = expect_ok(run("density", "count", "--model", model, os.path.join(tmp, "t2.tif")))
    count = float(read_counts(r.out)[0]["count"])
    assert abs(count - truth["t2"]) <= 0.15 * truth["t2"], r.out
    bad_model = os.path.join(tmp, "bad.h5")
    json.dump([{"start": [0, 0], "stop": [48, 96]}], open(boxes, "w"))
    expect_error(run("density", "train", spec, "-o", bad_model), 2, "crowded_boxes.json",
                 "no \"count\"")
    json.dump([{"start": [0, 0], "stop": [48, 200], "count": 3}], open(boxes, "w"))
    expect_error(run("density", "train", spec, "-o", bad_model), 1, "crowded.tif", "outside")
    doc["refine"] = "none"
    json.dump(doc, open(spec, "w"))
    expect_error(run("density", "train", spec, "-o", bad_model), 2, "spec.json",
                 "/box_annotations")
    assert not os.path.exists(bad_model)


def test_feature_groups(tmp):
    """extra features on their own channels: trained, shown by info; a group on a channel
    the image lacks (exit 1, naming the image) or without features (exit 2, the pointer)
    leaves no model"""
    spec, truth = synthetic_set(tmp)
    doc = json.load(open(spec))
    doc["feature_groups"] = [{"channels": [0],
                              "features": {"features": {"GaussianSmoothing": [5.0, 10.0]}}}]
    json.dump(doc, open(spec, "w"))
    model = os.path.join(tmp, "groups.h5")
    expect_ok(run("density", "train", spec, "-o", model))
    r = expect_ok(run("density", "info", model))
    assert "a feature group on channel(s) 0" in r.out and "[channels 0]" in r.out, r.out
    r = expect_ok(run("density", "count", "--model", model, os.path.join(tmp, "t2.tif")))
    assert abs(float(read_counts(r.out)[0]["count"]) - truth["t2"]) <= 0.15 * truth["t2"], r.out
    bad_model = os.path.join(tmp, "bad.h5")
    doc["feature_groups"][0]["channels"] = [4]
    json.dump(doc, open(spec, "w"))
    expect_error(run("density", "train", spec, "-o", bad_model), 1, "a.tif", "channel 4")
    del doc["feature_groups"][0]["features"]
    json.dump(doc, open(spec, "w"))
    expect_error(run("density", "train", spec, "-o", bad_model), 2, "spec.json",
                 "/feature_groups/0")
    assert not os.path.exists(bad_model)


def test_3d_and_time_series(tmp):
    import tifffile
    rng = np.random.default_rng(5)
    vol = (10 + rng.normal(0, 2, (12, 40, 40))).astype(np.float32)
    pts = [(3, 10, 10), (6, 20, 30), (9, 30, 12)]
    zz, yy, xx = np.mgrid[:12, :40, :40]
    for z, y, x in pts:
        vol += 150 * np.exp(-((zz - z) ** 2 + (yy - y) ** 2 + (xx - x) ** 2) / 8.0)
    tifffile.imwrite(os.path.join(tmp, "vol.tif"), vol, imagej=True, metadata={"axes": "ZYX"})
    with open(os.path.join(tmp, "vol.csv"), "w") as f:
        f.write("x,y,z\n" + "".join(f"{x},{y},{z}\n" for z, y, x in pts))
    spec = {"features": {"features": {"GaussianSmoothing": [1.0, 2.0],
                                      "LaplacianOfGaussian": [2.0]}},
            "sigma": 2.0, "training": [{"image": "vol.tif", "dots": "vol.csv"}],
            "regressor": REGRESSOR}
    json.dump(spec, open(os.path.join(tmp, "v.json"), "w"))
    expect_ok(run("density", "train", os.path.join(tmp, "v.json"), "-o",
                  os.path.join(tmp, "v.h5")))
    r = expect_ok(run("density", "count", "--model", os.path.join(tmp, "v.h5"),
                      os.path.join(tmp, "vol.tif")))
    assert abs(float(read_counts(r.out)[0]["count"]) - 3) < 0.5, r.out
    # a time series of 2-D frames: dots with a t column, counts per time point
    frames = np.stack([np.zeros((48, 48)), np.zeros((48, 48))]).astype(np.float32) + 10
    yy, xx = np.mgrid[:48, :48]
    tpts = [(0, 10, 10), (1, 30, 30), (1, 12, 36)]
    for t, y, x in tpts:
        frames[t] += 150 * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / 8.0)
    tifffile.imwrite(os.path.join(tmp, "ts.tif"), frames, imagej=True, metadata={"axes": "TYX"})
    with open(os.path.join(tmp, "ts.csv"), "w") as f:
        f.write("".join(f"{x},{y},{t}\n" for t, y, x in tpts))
    spec = {"features": {"features": {"GaussianSmoothing": [1.0, 2.0],
                                      "LaplacianOfGaussian": [2.0]}},
            "training": [{"image": "ts.tif", "dots": "ts.csv"}], "regressor": REGRESSOR}
    json.dump(spec, open(os.path.join(tmp, "t.json"), "w"))
    expect_ok(run("density", "train", os.path.join(tmp, "t.json"), "-o",
                  os.path.join(tmp, "t.h5")))
    r = expect_ok(run("density", "count", "--model", os.path.join(tmp, "t.h5"),
                      os.path.join(tmp, "ts.tif")))
    rows = read_counts(r.out)
    assert [row["t"] for row in rows] == ["", "0", "1"], r.out
    assert abs(float(rows[1]["count"]) - 1) < 0.4 and abs(float(rows[2]["count"]) - 2) < 0.6, r.out


def test_vgg_cells(tmp):
    d = shared("data/vgg_cells_counting/images")
    if not d:
        raise Skip("../shared/data/vgg_cells_counting is absent")
    train = ["001", "002", "003", "004"]
    spec = {"features": {"features": {"GaussianSmoothing": [0.7, 1.6, 3.5, 5.0],
                                      "LaplacianOfGaussian": [1.6, 3.5],
                                      "HessianOfGaussianEigenvalues": [1.6, 3.5]}},
            "channels": [2], "pixel_fraction": 0.25,
            "training": [{"image": f"{d}/{n}cell.png", "dots": f"{d}/{n}dots.png"} for n in train],
            "regressor": {"trees": 10, "forests": 2}}
    json.dump(spec, open(os.path.join(tmp, "vgg.json"), "w"))
    model = os.path.join(tmp, "vgg.h5")
    expect_ok(run("density", "train", os.path.join(tmp, "vgg.json"), "-o", model))
    test = ["051", "052", "053"]
    r = expect_ok(run("density", "count", "--model", model, *[f"{d}/{n}cell.png" for n in test]))
    gt = {row["image"][:3]: int(row["count_red_pixels"])
          for row in csv.DictReader(open(shared("data/vgg_cells_counting/counts.csv")))}
    for row in read_counts(r.out):
        n = row["name"][:3]
        assert abs(float(row["count"]) - gt[n]) < 0.1 * gt[n], r.out


def test_bad_inputs(tmp):
    spec, _ = synthetic_set(tmp)
    model = os.path.join(tmp, "m.h5")
    # a spec that does not validate: exit 2, the pointer named, no model
    bad = json.load(open(spec))
    bad["sampling"] = "sometimes"
    json.dump(bad, open(os.path.join(tmp, "bad.json"), "w"))
    expect_error(run("density", "train", os.path.join(tmp, "bad.json"), "-o", model), 2,
                 "bad.json", "/sampling")
    no_files_like(tmp, "m.h5")
    # a background box of radius 0: exit 2, the pointer named, no model
    bad = json.load(open(spec))
    bad["background"] = {"radius": 0}
    json.dump(bad, open(os.path.join(tmp, "bad.json"), "w"))
    expect_error(run("density", "train", os.path.join(tmp, "bad.json"), "-o", model), 2,
                 "bad.json", "/background")
    no_files_like(tmp, "m.h5")
    # linear tiles below 4 pixels: exit 2, the pointer named
    bad = json.load(open(spec))
    bad["refine"], bad["linear_tile"] = "linear", 2
    json.dump(bad, open(os.path.join(tmp, "bad.json"), "w"))
    expect_error(run("density", "train", os.path.join(tmp, "bad.json"), "-o", model), 2,
                 "bad.json", "/linear_tile")
    no_files_like(tmp, "m.h5")
    # a missing training image: exit 1, named
    miss = json.load(open(spec))
    miss["training"][0]["image"] = "nothere.tif"
    json.dump(miss, open(os.path.join(tmp, "miss.json"), "w"))
    expect_error(run("density", "train", os.path.join(tmp, "miss.json"), "-o", model), 1,
                 "nothere.tif")
    no_files_like(tmp, "m.h5")
    # a dot outside the image: exit 1, the dot file and the line named
    with open(os.path.join(tmp, "a.csv"), "a") as f:
        f.write("500,3\n")
    expect_error(run("density", "train", spec, "-o", model), 1, "a.csv", "outside")
    no_files_like(tmp, "m.h5")
    # dots on another grid (wrong shape): exit 1, both files named
    import tifffile
    tifffile.imwrite(os.path.join(tmp, "small_dots.tif"), np.zeros((50, 50), np.uint8))
    wrong = json.load(open(spec))
    wrong["training"][0]["dots"] = "small_dots.tif"
    json.dump(wrong, open(os.path.join(tmp, "wrong.json"), "w"))
    expect_error(run("density", "train", os.path.join(tmp, "wrong.json"), "-o", model), 1,
                 "small_dots.tif")
    no_files_like(tmp, "m.h5")
    # a missing spec: exit 2
    expect_error(run("density", "train", os.path.join(tmp, "none.json"), "-o", model), 2,
                 "none.json")
    # a model that is not a density model
    open(os.path.join(tmp, "x.h5"), "w").write("not hdf5")
    expect_error(run("density", "count", "--model", os.path.join(tmp, "x.h5"),
                     os.path.join(tmp, "t1.tif")), 1, "x.h5")


def test_batch_with_failures(tmp):
    model, _ = trained(tmp)
    good = os.path.join(tmp, "t1.tif")
    missing = os.path.join(tmp, "gone.tif")
    import tifffile
    tifffile.imwrite(os.path.join(tmp, "rgb.tif"), np.zeros((96, 96, 3), np.uint8))
    r = run("density", "predict", "--model", model, good, missing, os.path.join(tmp, "rgb.tif"))
    expect_error(r, 3, "gone.tif")
    assert any("rgb.tif" in l and "channel" in l for l in r.err.splitlines()), r.err
    assert os.path.exists(os.path.join(tmp, "t1_Density.h5"))
    no_files_like(tmp, "gone_")
    no_files_like(tmp, "rgb_")
    # existing outputs are refused before any work (exit 2) unless --overwrite
    expect_error(run("density", "predict", "--model", model, good), 2, "exists")
    expect_ok(run("density", "predict", "--model", model, good, "--overwrite"))
    # a box outside the image, a bad box file
    json.dump([{"start": [0, 0], "stop": [200, 10]}], open(os.path.join(tmp, "b.json"), "w"))
    expect_error(run("density", "count", "--model", model, "--boxes",
                     os.path.join(tmp, "b.json"), good), 1, "t1.tif", "outside")
    json.dump([{"start": [5, 5], "stop": [1, 10]}], open(os.path.join(tmp, "bb.json"), "w"))
    expect_error(run("density", "count", "--model", model, "--boxes",
                     os.path.join(tmp, "bb.json"), good), 2, "bb.json")
    # unknown export source
    expect_error(run("density", "predict", "--model", model, "--export-source=Foo", good), 2,
                 "Foo")


def test_ilastik_spellings(tmp):
    model, _ = trained(tmp)
    r = expect_ok(run("density", "predict", "--project=" + model, "--export_source=Probabilities",
                      "--output_format=tiff", "--headless",
                      "--raw_data=" + os.path.join(tmp, "t2.tif")))
    assert os.path.exists(os.path.join(tmp, "t2_Probabilities.tif")), os.listdir(tmp)
    assert read_counts(r.out)[0]["name"] == "t2"


if __name__ == "__main__":
    main()
