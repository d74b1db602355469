# SPDX-License-Identifier: BSD-3-Clause
"""imgconvert on real files: outputs as users read them (h5py, tifffile), dtype
renormalisation, axes, cutouts, and bad inputs that must leave no output behind."""
import json
import os

import numpy as np

from clitest import DATA, EXAMPLES, expect_error, expect_ok, main, no_files_like, run

NUCLEI = os.path.join(EXAMPLES, "nuclei", "nuclei.tif")
NUCLEI3D = os.path.join(DATA, "images", "nuclei3d.tif")


def tiff(path):
    import tifffile
    return tifffile.imread(path)


def test_tiff_to_hdf5_for_ilastik(tmp):
    import h5py
    out = os.path.join(tmp, "vol.h5")
    expect_ok(run("imgconvert", NUCLEI3D, out))
    with h5py.File(out, "r") as f:
        d = f["exported_data"]
        assert d.shape == (31, 61, 57) and d.dtype == np.uint16
        assert d.chunks is not None and d.compression == "gzip"
        tags = json.loads(d.attrs["axistags"])
        assert [a["key"] for a in tags["axes"]] == ["z", "y", "x"]
        assert d.attrs["bioforest_tool"] == "imgconvert"
        np.testing.assert_array_equal(d[...], tiff(NUCLEI3D))


def test_hdf5_back_to_tiff_round_trip(tmp):
    h5 = os.path.join(tmp, "vol.h5")
    back = os.path.join(tmp, "back.tif")
    expect_ok(run("imgconvert", NUCLEI3D, h5 + "/raw/data", "--compression", "none"))
    expect_ok(run("imgconvert", h5 + "/raw/data", back))
    np.testing.assert_array_equal(tiff(back), tiff(NUCLEI3D))


def test_renormalise_to_uint8(tmp):
    out = os.path.join(tmp, "u8.tif")
    expect_ok(run("imgconvert", NUCLEI, out, "--dtype", "uint8", "--drange", "0,470"))
    a = tiff(out)
    src = tiff(NUCLEI).astype(np.float64)
    assert a.dtype == np.uint8
    np.testing.assert_array_equal(a, np.rint(src * 255.0 / 470.0).astype(np.uint8))


def test_plain_cast_clamps_instead_of_wrapping(tmp):
    out = os.path.join(tmp, "i8.h5")
    expect_ok(run("imgconvert", NUCLEI, out, "--dtype", "int8"))
    import h5py
    with h5py.File(out, "r") as f:
        a = f["exported_data"][...]
    np.testing.assert_array_equal(a, np.clip(tiff(NUCLEI), -128, 127).astype(np.int8))


def test_output_axes_and_cutout(tmp):
    import h5py
    out = os.path.join(tmp, "cut.h5")
    expect_ok(run("imgconvert", NUCLEI3D, out, "--output-axes", "tzyxc",
                  "--cutout-subregion", "[(2,None,10),(5,20,None)]"))
    with h5py.File(out, "r") as f:
        a = f["exported_data"][...]
    assert a.shape == (1, 3, 20, 47, 1)
    np.testing.assert_array_equal(a[0, ..., 0], tiff(NUCLEI3D)[2:5, :20, 10:])


def test_small_ram_budget_gives_identical_output(tmp):
    import h5py
    out = os.path.join(tmp, "blocks.h5")
    expect_ok(run("imgconvert", NUCLEI3D, out, "--ram-mb", "1", "--chunks", "4,16,16"))
    with h5py.File(out, "r") as f:
        assert f["exported_data"].chunks == (4, 16, 16)
        np.testing.assert_array_equal(f["exported_data"][...], tiff(NUCLEI3D))


def test_tiff_sequence(tmp):
    out = os.path.join(tmp, "slice.tif")
    expect_ok(run("imgconvert", NUCLEI3D, out, "--output-format", "tiff sequence"))
    files = sorted(f for f in os.listdir(tmp) if f.startswith("slice_"))
    assert len(files) == 31
    np.testing.assert_array_equal(tiff(os.path.join(tmp, files[7])), tiff(NUCLEI3D)[7])


def test_existing_output_needs_overwrite(tmp):
    out = os.path.join(tmp, "x.h5")
    expect_ok(run("imgconvert", NUCLEI, out))
    before = os.path.getmtime(out)
    expect_error(run("imgconvert", NUCLEI, out), 2, "x.h5", "--overwrite")
    assert os.path.getmtime(out) == before
    expect_ok(run("imgconvert", NUCLEI, out, "--overwrite"))


def test_unwritable_folder_exits_1(tmp):
    out = os.path.join(tmp, "no", "such", "folder", "x.h5")
    expect_error(run("imgconvert", NUCLEI, out), 1, "x.h5", "does not exist")


def test_bad_inputs_leave_no_output(tmp):
    out = os.path.join(tmp, "out.h5")
    expect_error(run("imgconvert", os.path.join(tmp, "missing.tif"), out), 1, "missing.tif")
    expect_error(run("imgconvert", NUCLEI, out, "--dtype", "uint12"), 2, "uint12")
    expect_error(run("imgconvert", NUCLEI, out, "--output-axes", "x"), 2, "drop axis 'y'")
    expect_error(run("imgconvert", NUCLEI, out, "--output-axes", "yxq"), 2, "'q'")
    expect_error(run("imgconvert", NUCLEI, out, "--drange", "0;1", "--dtype", "uint8"), 2, "0;1")
    expect_error(run("imgconvert", NUCLEI, os.path.join(tmp, "out.xyz")), 2, "out.xyz")
    expect_error(run("imgconvert", NUCLEI, out, "--cutout-subregion", "[(0,0,0),(1,1,1)]"), 2)
    no_files_like(tmp, "out")


def test_png_output_rejects_float(tmp):
    src = os.path.join(tmp, "f.h5")
    import h5py
    with h5py.File(src, "w") as f:
        f["data"] = np.zeros((8, 8), np.float32)
    out = os.path.join(tmp, "f.png")
    expect_error(run("imgconvert", src, out), 2, "f.png")
    no_files_like(tmp, "f.png")


if __name__ == "__main__":
    main()
