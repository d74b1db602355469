# SPDX-License-Identifier: BSD-3-Clause
"""imginfo on real files: what it prints, its summary JSON, and bad inputs."""
import json
import os

from clitest import DATA, EXAMPLES, expect_error, expect_ok, main, run

NUCLEI = os.path.join(EXAMPLES, "nuclei", "nuclei.tif")
NUCLEI3D = os.path.join(DATA, "images", "nuclei3d.tif")


def test_reports_shape_axes_dtype_and_range(tmp):
    r = expect_ok(run("imginfo", NUCLEI))
    assert "shape:       512x512" in r.out
    assert "dtype:       uint16" in r.out
    assert "min/max:     0 / 235" in r.out


def test_summary_json(tmp):
    summary = os.path.join(tmp, "info.json")
    expect_ok(run("imginfo", "--summary-json", summary, NUCLEI, NUCLEI3D))
    j = json.load(open(summary))
    assert j["tool"] == "imginfo" and j["exit_code"] == 0
    a, b = j["files"]
    assert a["shape"] == [512, 512] and a["axes"] == "yx" and a["dtype"] == "uint16"
    assert b["shape"] == [31, 61, 57] and b["axes"] == "zyx"
    assert b["min"] == 104 and b["max"] == 375


def test_input_axes_override(tmp):
    r = expect_ok(run("imginfo", "--no-stats", "--input-axes", "tyx", NUCLEI3D))
    assert "axes:        tyx" in r.out


def test_axes_that_do_not_fit_exit_2(tmp):
    expect_error(run("imginfo", "--input-axes", "zyx", NUCLEI), 2, "nuclei.tif", "zyx")


def test_bad_axis_letter_exits_2(tmp):
    expect_error(run("imginfo", "--input-axes", "qyx", NUCLEI), 2, "'q'")


def test_missing_file_exits_1(tmp):
    missing = os.path.join(tmp, "nope.tif")
    expect_error(run("imginfo", missing), 1, "nope.tif", "no such file")


def test_batch_with_one_bad_input_exits_3(tmp):
    missing = os.path.join(tmp, "nope.tif")
    summary = os.path.join(tmp, "s.json")
    r = run("imginfo", "--summary-json", summary, NUCLEI, missing)
    expect_error(r, 3, "nope.tif")
    assert "shape:       512x512" in r.out
    j = json.load(open(summary))
    assert j["exit_code"] == 3 and len(j["failures"]) == 1


def test_truncated_tiff_exits_1(tmp):
    bad = os.path.join(tmp, "truncated.tif")
    with open(NUCLEI, "rb") as f:
        data = f.read()
    with open(bad, "wb") as f:
        f.write(data[: len(data) // 3])
    expect_error(run("imginfo", bad), 1, "truncated.tif")


def test_not_an_image_exits_1(tmp):
    bad = os.path.join(tmp, "notes.tif")
    with open(bad, "w") as f:
        f.write("this is text\n")
    expect_error(run("imginfo", bad), 1, "notes.tif")


def test_glob_stacks_along_z(tmp):
    import numpy as np
    import tifffile
    for i in range(3):
        tifffile.imwrite(os.path.join(tmp, f"s_{i}.tif"), np.full((4, 5), i, np.uint8))
    r = expect_ok(run("imginfo", os.path.join(tmp, "s_*.tif")))
    assert "shape:       3x4x5" in r.out and "axes:        zyx" in r.out
    r = expect_ok(run("imginfo", "--stack-along", "t", os.path.join(tmp, "s_*.tif")))
    assert "axes:        tyx" in r.out


def test_hdf5_missing_dataset_exits_1(tmp):
    import h5py
    import numpy as np
    p = os.path.join(tmp, "a.h5")
    with h5py.File(p, "w") as f:
        f["data"] = np.zeros((3, 4), np.float32)
    expect_error(run("imginfo", p + "/nothere"), 1, "a.h5", "nothere")
    r = expect_ok(run("imginfo", p + "/data"))
    assert "float32" in r.out


if __name__ == "__main__":
    main()
