# SPDX-License-Identifier: BSD-3-Clause
"""pxfeatures on real files: ilastik's Features export as users read it (h5py, tifffile),
values against the vigra fixtures, blockwise/thread invariance, time series, and bad inputs
that must fail before (or without leaving) any output."""
import json
import os

import numpy as np

from clitest import DATA, EXAMPLES, expect_error, expect_ok, main, no_files_like, run

NUCLEI = os.path.join(EXAMPLES, "nuclei", "nuclei.tif")
NUCLEI3D = os.path.join(DATA, "images", "nuclei3d.tif")
FIXTURE2D = os.path.join(DATA, "features", "nuclei2d.h5")
SMALL = "GaussianSmoothing:0.3,1.6;StructureTensorEigenvalues:1.0;HessianOfGaussianEigenvalues:3.5"


def h5(path, ds="exported_data"):
    import h5py
    with h5py.File(path, "r") as f:
        return f[ds][...], dict(f[ds].attrs)


def tiff(path):
    import tifffile
    return tifffile.imread(path)


def write_spec(tmp, doc, name="features.json"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def test_2d_default_set_as_ilastik_exports_it(tmp):
    out = os.path.join(tmp, "feats.h5")
    expect_ok(run("pxfeatures", NUCLEI, "-o", out, "--features", "default"))
    a, attrs = h5(out)
    assert a.shape == (512, 512, 49) and a.dtype == np.float32
    names = json.loads(attrs["channel_names"])
    assert len(names) == 49
    assert names[0].startswith("Gaussian Smoothing (σ=0.3)")
    assert names[-1].startswith("Hessian of Gaussian Eigenvalues (σ=10.0)")
    assert attrs["feature_scheme"] == "ilastik"
    sel = json.loads(attrs["feature_selection"])
    assert sel["features"]["GaussianSmoothing"] == [0.3, 0.7, 1.0, 1.6, 3.5, 5.0, 10.0]
    tags = json.loads(attrs["axistags"])
    assert [x["key"] for x in tags["axes"]] == ["y", "x", "c"]
    assert np.isfinite(a).all()
    # Gaussian smoothing at 10 keeps the mean of the image (mirror borders).
    src = tiff(NUCLEI).astype(np.float64)
    assert abs(a[..., 6].mean() - src.mean()) < 0.02 * src.mean()


def test_values_equal_vigra_fixture(tmp):
    """Every default channel of the 48x48 fixture image against python3-vigra with ilastik's
    recipe (tests/data/features, the library's parity test uses the same numbers)."""
    import h5py
    out = os.path.join(tmp, "f.h5")
    # The fixture's own "axes" attribute is read as N5's reversed order: say yx explicitly.
    expect_ok(run("pxfeatures", FIXTURE2D + "/input", "-o", out, "--features", "default",
                  "--input-axes", "yx"))
    a, attrs = h5(out)
    names = json.loads(attrs["channel_names"])
    sel = json.loads(attrs["feature_selection"])["features"]
    q = 0
    with h5py.File(FIXTURE2D, "r") as f:
        for fam in ["GaussianSmoothing", "LaplacianOfGaussian", "GaussianGradientMagnitude",
                    "DifferenceOfGaussians", "StructureTensorEigenvalues",
                    "HessianOfGaussianEigenvalues"]:
            for s in sel[fam]:
                ref = f[f"features/{fam}/{s}"][...]
                for k in range(ref.shape[-1]):
                    r = ref[..., k].astype(np.float64)
                    err = np.abs(a[..., q].astype(np.float64) - r).max()
                    rng = max(r.max() - r.min(), 1e-12)
                    # DoG at large scales differs by float32 ulps of the smoothed image.
                    floor = 2e-3 if fam == "DifferenceOfGaussians" else 0
                    assert max(err - floor, 0) / rng < 1e-4, (names[q], err, rng)
                    q += 1
    assert q == a.shape[-1] == 49


def test_3d_volume_from_spec_with_2d_columns(tmp):
    spec = write_spec(tmp, {"features": {"GaussianSmoothing": [0.7, 3.5],
                                         "StructureTensorEigenvalues": [1.6],
                                         "HessianOfGaussianEigenvalues": [1.0, 10.0]},
                            "compute_in_2d": [10.0]})
    out = os.path.join(tmp, "vol.h5")
    expect_ok(run("pxfeatures", NUCLEI3D, "-o", out, "--spec", spec))
    a, attrs = h5(out)
    names = json.loads(attrs["channel_names"])
    # GS x2, ST 3 eigenvalues, HoG 3 (3-D at 1.0) + 2 (2-D at 10.0)
    assert a.shape == (31, 61, 57, 10) and a.dtype == np.float32
    assert len(names) == 10 and names[-1].endswith("in 2D [1]"), names
    assert np.isfinite(a).all()


def test_blocks_and_threads_are_bit_identical(tmp):
    ref = os.path.join(tmp, "ref.h5")
    expect_ok(run("pxfeatures", NUCLEI3D, "-o", ref, "--features", SMALL, "--threads", "1"))
    a, _ = h5(ref)
    for extra in (["--threads", "2"], ["--threads", "2", "--ram-mb", "1"],
                  ["--threads", "1", "--ram-mb", "1"]):
        out = os.path.join(tmp, "o.h5")
        r = expect_ok(run("pxfeatures", NUCLEI3D, "-o", out, "--features", SMALL, "--overwrite",
                          "--summary-json", os.path.join(tmp, "s.json"), *extra))
        b, _ = h5(out)
        assert np.array_equal(a, b), (extra, np.abs(a - b).max())
    s = json.load(open(os.path.join(tmp, "s.json")))
    assert s["shape"] == [31, 61, 57, 8] and len(s["channel_names"]) == 8


def test_2d_small_ram_budget_is_bit_identical(tmp):
    ref, small = os.path.join(tmp, "ref.h5"), os.path.join(tmp, "small.h5")
    feats = "GaussianSmoothing:1.0;HessianOfGaussianEigenvalues:5.0"
    expect_ok(run("pxfeatures", NUCLEI, "-o", ref, "--features", feats))
    expect_ok(run("pxfeatures", NUCLEI, "-o", small, "--features", feats, "--ram-mb", "1"))
    assert np.array_equal(h5(ref)[0], h5(small)[0])


def test_tiff_output_and_axis_order_with_ilastik_spellings(tmp):
    ref, out = os.path.join(tmp, "ref.h5"), os.path.join(tmp, "f.tif")
    feats = "GaussianSmoothing:1.0;LaplacianOfGaussian:1.6"
    expect_ok(run("pxfeatures", NUCLEI, "-o", ref, "--features", feats))
    expect_ok(run("pxfeatures", NUCLEI, "-o", out, "--features", feats, "--output_format",
                  "tiff", "--output_axis_order", "cyx", "--input_axes", "yx"))
    a = tiff(out)
    assert a.shape == (2, 512, 512) and a.dtype == np.float32
    np.testing.assert_array_equal(a, np.moveaxis(h5(ref)[0], -1, 0))


def test_inner_path_and_exact_scheme(tmp):
    out = os.path.join(tmp, "f.h5")
    expect_ok(run("pxfeatures", NUCLEI, "-o", out + "/feat/data", "--features",
                  "GaussianSmoothing:1.0", "--scheme", "exact", "--compression", "none"))
    a, attrs = h5(out, "feat/data")
    assert a.shape == (512, 512, 1) and attrs["feature_scheme"] == "exact"
    # exact: a single Gaussian at 1.0, not ilastik's double smoothing (about 1.41).
    ilastik = os.path.join(tmp, "i.h5")
    expect_ok(run("pxfeatures", NUCLEI, "-o", ilastik, "--features", "GaussianSmoothing:1.0"))
    b, _ = h5(ilastik)
    src = tiff(NUCLEI).astype(np.float64)
    assert a.std() > b.std() and a.std() < src.std()


def test_time_series_each_frame_independently(tmp):
    import tifffile
    frames = tiff(NUCLEI)[:96, :80]
    series = np.stack([frames, frames[::-1], frames * 2])
    path = os.path.join(tmp, "series.tif")
    tifffile.imwrite(path, series, photometric="minisblack")
    out = os.path.join(tmp, "s.h5")
    feats = "GaussianSmoothing:0.7;GaussianGradientMagnitude:1.6"
    expect_ok(run("pxfeatures", path, "-o", out, "--features", feats, "--input-axes", "tyx"))
    a, attrs = h5(out)
    assert a.shape == (3, 96, 80, 2)
    assert [x["key"] for x in json.loads(attrs["axistags"])["axes"]] == ["t", "y", "x", "c"]
    for t in range(3):
        one = os.path.join(tmp, f"frame{t}.tif")
        tifffile.imwrite(one, series[t], photometric="minisblack")
        fo = os.path.join(tmp, f"frame{t}.h5")
        expect_ok(run("pxfeatures", one, "-o", fo, "--features", feats))
        np.testing.assert_array_equal(a[t], h5(fo)[0])


# ---------------------------------------------------------------- bad inputs


def test_spec_violations_all_reported_exit_2(tmp):
    spec = write_spec(tmp, {"features": {"GaussianSmoothing": [-1.0], "Bogus": [1.0]},
                            "colour": True})
    out = os.path.join(tmp, "f.h5")
    r = expect_error(run("pxfeatures", NUCLEI, "-o", out, "--spec", spec), 2, "features.json")
    line = [l for l in r.err.splitlines() if "error" in l][0]
    assert "colour" in line and "Bogus" in line and "/features/GaussianSmoothing/0" in line, line
    no_files_like(tmp, "f.h5")


def test_spec_syntax_error_and_missing_spec_exit_2(tmp):
    out = os.path.join(tmp, "f.h5")
    bad = write_spec(tmp, '{"features": {"GaussianSmoothing": [1.0],}')
    expect_error(run("pxfeatures", NUCLEI, "-o", out, "--spec", bad), 2, "features.json")
    expect_error(run("pxfeatures", NUCLEI, "-o", out, "--spec", os.path.join(tmp, "nope.json")),
                 2, "nope.json")
    no_files_like(tmp, "f.h5")


def test_unknown_family_and_bad_minimum_scale_exit_2(tmp):
    out = os.path.join(tmp, "f.h5")
    expect_error(run("pxfeatures", NUCLEI, "-o", out, "--features", "Sharpness:1.0"), 2,
                 "Sharpness")
    # ilastik allows only Gaussian smoothing below 0.7.
    expect_error(run("pxfeatures", NUCLEI, "-o", out, "--features",
                     "LaplacianOfGaussian:0.3"), 2, "0.3")
    expect_error(run("pxfeatures", NUCLEI, "-o", out, "--features", "default", "--scheme",
                     "fancy"), 2, "fancy")
    no_files_like(tmp, "f.h5")


def test_spec_and_features_are_exclusive_exit_2(tmp):
    out = os.path.join(tmp, "f.h5")
    spec = write_spec(tmp, {"features": "default"})
    expect_error(run("pxfeatures", NUCLEI, "-o", out, "--spec", spec, "--features", "default"), 2,
                 "--spec")
    expect_error(run("pxfeatures", NUCLEI, "-o", out), 2, "--features")
    no_files_like(tmp, "f.h5")


def test_scale_too_large_exit_2_naming_the_image(tmp):
    out = os.path.join(tmp, "f.h5")
    r = expect_error(run("pxfeatures", NUCLEI3D, "-o", out, "--features", "default"), 2,
                     "nuclei3d.tif", "10.0")
    assert "too large" in r.err
    no_files_like(tmp, "f.h5")


def test_output_exists_exit_2_and_untouched(tmp):
    out = os.path.join(tmp, "f.h5")
    with open(out, "w") as f:
        f.write("keep me")
    expect_error(run("pxfeatures", NUCLEI, "-o", out, "--features", "GaussianSmoothing:1.0"), 2,
                 "f.h5", "--overwrite")
    assert open(out).read() == "keep me"
    assert os.listdir(tmp) == ["f.h5"]


def test_bad_output_format_exit_2(tmp):
    out = os.path.join(tmp, "f.xyz")
    expect_error(run("pxfeatures", NUCLEI, "-o", out, "--features", "default"), 2, "f.xyz")
    expect_error(run("pxfeatures", NUCLEI, "-o", os.path.join(tmp, "g.h5"), "--features",
                     "default", "--output-format", "bmp-ish"), 2, "bmp-ish")
    assert os.listdir(tmp) == []


def test_unreadable_input_exit_1_no_output(tmp):
    out = os.path.join(tmp, "f.h5")
    missing = os.path.join(tmp, "missing.tif")
    expect_error(run("pxfeatures", missing, "-o", out, "--features", "default"), 1, "missing.tif")
    corrupt = os.path.join(tmp, "corrupt.tif")
    with open(NUCLEI, "rb") as f:
        data = f.read()
    with open(corrupt, "wb") as f:
        f.write(data[: len(data) // 3])
    r = expect_error(run("pxfeatures", corrupt, "-o", out, "--features", "default"), 1,
                     "corrupt.tif")
    assert len([l for l in r.err.splitlines() if "error" in l]) == 1, r.err
    no_files_like(tmp, "f.h5")


if __name__ == "__main__":
    main()
