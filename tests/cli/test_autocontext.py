# SPDX-License-Identifier: BSD-3-Clause
"""autocontext: two stages trained from the bundled scribbles, per-stage exports, block
independence, bad specs, and parity with ilastik's stored Autocontext results."""
import json
import os
import shutil

import numpy as np

from clitest import EXAMPLES, Skip, expect_error, expect_ok, main, no_files_like, run, shared

NUCLEI_DIR = os.path.join(EXAMPLES, "nuclei")
NUCLEI = os.path.join(NUCLEI_DIR, "nuclei.tif")
API = "data/ilastik_projects/api_projects"


def h5(path):
    import h5py
    with h5py.File(path, "r") as f:
        return f["exported_data"][...]


def spec(tmp, **changes):
    for f in ("nuclei.tif", "nuclei_scribbles.png"):
        shutil.copy(os.path.join(NUCLEI_DIR, f), tmp)
    small = {"GaussianSmoothing": [0.7, 1.6], "HessianOfGaussianEigenvalues": [1.6, 3.5]}
    doc = {"classes": [{"name": "background"}, {"name": "nuclei"}],
           "stages": [{"features": {"features": small}, "forest": {"trees": 20, "seed": 1}},
                      {"features": {"features": small}, "forest": {"trees": 20, "seed": 2}}],
           "training": [{"image": "nuclei.tif", "labels": "nuclei_scribbles.png"}]}
    doc.update(changes)
    path = os.path.join(tmp, "ac.json")
    json.dump(doc, open(path, "w"))
    return path


def trained(tmp, **changes):
    model = os.path.join(tmp, "ac.h5")
    expect_ok(run("autocontext", "train", spec(tmp, **changes), "-o", model))
    return model


def test_train_and_export_every_stage(tmp):
    model = trained(tmp)
    r = expect_ok(run("autocontext", "info", model))
    assert "2 stages" in r.out and "stage input: out_of_bag" in r.out
    expect_ok(run("autocontext", "predict", "--model", model, "--export-source",
                  "Probabilities Stage 1", "--export-source", "Probabilities",
                  "--export-source", "Probabilities All Stages", "--export-source",
                  "Simple Segmentation Stage 2", "--output-filename-format",
                  os.path.join(tmp, "{nickname}_{result}"), NUCLEI))
    s1 = h5(os.path.join(tmp, "nuclei_probabilities-stage-1.h5"))
    s2 = h5(os.path.join(tmp, "nuclei_probabilities-stage-2.h5"))
    both = h5(os.path.join(tmp, "nuclei_probabilities-all-stages.h5"))
    seg = h5(os.path.join(tmp, "nuclei_simple-segmentation-stage-2.h5"))
    assert s1.shape == s2.shape == (512, 512, 2) and both.shape == (512, 512, 4)
    np.testing.assert_array_equal(both, np.concatenate([s1, s2], -1))
    np.testing.assert_array_equal(seg[..., 0], s2.argmax(-1) + 1)
    import tifffile
    gt = tifffile.imread(os.path.join(NUCLEI_DIR, "nuclei_groundtruth.tif")) > 0
    fg = seg[..., 0] == 2
    tp = (fg & gt).sum()
    assert 2 * tp / (2 * tp + (fg & ~gt).sum() + (~fg & gt).sum()) > 0.85


def test_blockwise_equals_whole_and_threads(tmp):
    model = trained(tmp)
    a, b, c = (os.path.join(tmp, n) for n in ("a.h5", "b.h5", "c.h5"))
    expect_ok(run("autocontext", "predict", "--model", model, "-o", a, NUCLEI))
    expect_ok(run("autocontext", "predict", "--model", model, "-o", b, "--ram-mb", "4", NUCLEI))
    expect_ok(run("autocontext", "predict", "--model", model, "-o", c, "--threads", "1", NUCLEI))
    np.testing.assert_array_equal(h5(a), h5(b))
    np.testing.assert_array_equal(h5(a), h5(c))


def test_in_sample_option_and_per_stage_labels(tmp):
    model = trained(tmp, stage_input="in_sample")
    r = expect_ok(run("autocontext", "info", model))
    assert "stage input: in_sample" in r.out
    doc = json.load(open(spec(tmp)))
    doc["training"][0]["labels"] = ["nuclei_scribbles.png", "nuclei_scribbles.png"]
    json.dump(doc, open(os.path.join(tmp, "two.json"), "w"))
    expect_ok(run("autocontext", "train", os.path.join(tmp, "two.json"), "-o",
                  os.path.join(tmp, "two.h5")))


def test_bad_specs_and_sources(tmp):
    doc = json.load(open(spec(tmp)))
    doc["training"][0]["labels"] = ["nuclei_scribbles.png"] * 3
    bad = os.path.join(tmp, "bad.json")
    json.dump(doc, open(bad, "w"))
    out = os.path.join(tmp, "m.h5")
    expect_error(run("autocontext", "train", bad, "-o", out), 2, "bad.json", "3 label images")
    doc = json.load(open(spec(tmp)))
    doc["stages"] = doc["stages"][:1]
    doc["stage_input"] = "sometimes"
    json.dump(doc, open(bad, "w"))
    r = expect_error(run("autocontext", "train", bad, "-o", out), 2, "bad.json")
    assert "/stages" in r.err and "/stage_input" in r.err
    no_files_like(tmp, "m.h5")
    model = trained(tmp)
    expect_error(run("autocontext", "predict", "--model", model, "--export-source",
                     "Probabilities Stage 3", "-o", out, NUCLEI), 2, "Stage 3")
    no_files_like(tmp, "m.h5")


def test_parity_with_ilastik_autocontext(tmp):
    api = shared(API)
    if not api:
        raise Skip("../shared/" + API + " is absent")
    cases = [("Autocontext_2D.ilp", "Data_1channel.png", "res-Data_1channel_ac2ds1.npy",
              "res-Data_1channel_ac2ds2.npy"),
             ("Autocontext_3D.ilp", "Data_3D.npy", "res-Data_3D_ac2ds1.npy",
              "res-Data_3D_ac2ds2.npy")]
    for ilp, data, ref1, ref2 in cases:
        fmt = os.path.join(tmp, ilp + "_{result}")
        expect_ok(run("autocontext", "predict", "--project", os.path.join(api, ilp),
                      "--export_source=Probabilities Stage 1", "--export_source",
                      "Probabilities Stage 2", "--output_filename_format", fmt,
                      os.path.join(api, data)))
        for stage, ref in ((1, ref1), (2, ref2)):
            ours = h5(os.path.join(tmp, f"{ilp}_probabilities-stage-{stage}.h5"))
            d = np.abs(ours.astype(np.float64) - np.load(os.path.join(api, ref)))
            assert (d >= 0.015).mean() <= 0.001 and d.max() < 0.15, (ilp, stage, d.max())
    imported = os.path.join(tmp, "imported.h5")
    expect_ok(run("autocontext", "import-ilp", os.path.join(api, "Autocontext_2D.ilp"), "-o",
                  imported))
    a, b = os.path.join(tmp, "a.h5"), os.path.join(tmp, "b.h5")
    png = os.path.join(api, "Data_1channel.png")
    expect_ok(run("autocontext", "predict", "--model", imported, "-o", a, png))
    expect_ok(run("autocontext", "predict", "--project", os.path.join(api, "Autocontext_2D.ilp"),
                  "-o", b, png))
    np.testing.assert_array_equal(h5(a), h5(b))


if __name__ == "__main__":
    main()
