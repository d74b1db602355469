# SPDX-License-Identifier: BSD-3-Clause
"""objfeatures on real files: the table equals scikit-image's regionprops where they
coincide, CSV and HDF5, 3-D, and bad inputs (exit codes, one stderr line, no output)."""
import csv
import os

import numpy as np

from clitest import DATA, EXAMPLES, expect_error, expect_ok, main, no_files_like, run

NUCLEI = os.path.join(EXAMPLES, "nuclei", "nuclei.tif")
GT = os.path.join(EXAMPLES, "nuclei", "nuclei_groundtruth.tif")
VOL = os.path.join(DATA, "images", "nuclei3d.tif")
VOL_MASK = os.path.join(DATA, "images", "nuclei3d_mask.tif")


def tiff(p):
    import tifffile
    return tifffile.imread(p)


def read_csv(p):
    rows = list(csv.reader(open(p)))
    return rows[0], np.array([[float(v) for v in r] for r in rows[1:]])


def regionprops(lab, raw):
    """regionprops with ids renumbered in raster order of first appearance (as objfeatures)."""
    from skimage.measure import regionprops as rp
    values, first = np.unique(lab.ravel(), return_index=True)
    order = values[np.argsort(first)]
    order = order[order != 0]
    lut = np.zeros(lab.max() + 1, np.int64)
    lut[order] = np.arange(1, len(order) + 1)
    return rp(lut[lab], intensity_image=raw.astype(np.float64))


def test_2d_table_matches_regionprops(tmp):
    out = os.path.join(tmp, "t.csv")
    expect_ok(run("objfeatures", NUCLEI, "--segmentation", GT, "-o", out))
    head, v = read_csv(out)
    c = {n: i for i, n in enumerate(head)}
    props = regionprops(tiff(GT), tiff(NUCLEI))
    assert v.shape[0] == len(props)
    for i, p in enumerate(props):
        assert v[i, c["Size in pixels"]] == p.area
        assert abs(v[i, c["Center of the object_0"]] - p.centroid[1]) < 1e-9
        assert abs(v[i, c["Center of the object_1"]] - p.centroid[0]) < 1e-9
        assert v[i, c["Bounding Box Minimum_0"]] == p.bbox[1]
        assert v[i, c["Bounding Box Maximum_1"]] == p.bbox[2]
        assert abs(v[i, c["Mean Intensity"]] - p.intensity_mean) < 1e-9
        assert v[i, c["Maximum intensity"]] == p.intensity_max
        assert abs(4 * v[i, c["Radii of the object_0"]] - p.major_axis_length) < 1e-9
    assert head[:3] == ["object_id", "timestep", "labelimage_oid"]


def test_3d_hdf5_table(tmp):
    out = os.path.join(tmp, "t.h5")
    expect_ok(run("objfeatures", VOL, "--segmentation", VOL_MASK, "--features", "Count", "Mean",
                  "-o", out))
    import h5py
    f = h5py.File(out, "r")
    cols = [c.decode() if isinstance(c, bytes) else c for c in f["table_columns"][...]]
    assert "Center of the object_2" in cols and "Mean Intensity" in cols
    props = regionprops(tiff(VOL_MASK), tiff(VOL))
    size = f["table/Size in pixels"][...]
    assert list(size) == [p.area for p in props]
    z = f["table/Center of the object_2"][...]
    assert np.allclose(z, [p.centroid[0] for p in props])


def hull_and_skeleton_reference(lab):
    """scikit-image's convex image and Euler number per object (ids in raster order)."""
    from skimage.measure import euler_number, label, regionprops
    out = []
    for p in regionprops(lab):
        holes = label(p.image, connectivity=1).max() - euler_number(np.pad(p.image, 1),
                                                                   connectivity=1)
        out.append((p.area, p.area_convex, p.solidity, holes))
    return out


def test_shape_features_match_scikit_image(tmp):
    """Convex hull and skeleton features in the CSV: hull area = scikit-image's area_convex,
    convexity = solidity, hole count from the Euler number; ilastik's display names."""
    out = os.path.join(tmp, "shape.csv")
    expect_ok(run("objfeatures", NUCLEI, "--segmentation", GT, "--features", "HullVolume",
                  "Convexity", "DefectCount", "Mean Defect Displacement", "Hole Count",
                  "Diameter", "Total Length", "Branch Count", "Terminal 1", "-o", out))
    head, v = read_csv(out)
    c = {n: i for i, n in enumerate(head)}
    for name in ("Convex Hull Area", "Convexity", "Number of Defects",
                 "Mean Defect Displacement", "Hole Count", "Diameter", "Total Length",
                 "Branch Count", "Terminal 1_0", "Terminal 1_1"):
        assert name in c, name
    ref = hull_and_skeleton_reference(_raster_relabel(tiff(GT)))
    assert v.shape[0] == len(ref)
    for i, (area, convex, solidity, holes) in enumerate(ref):
        assert v[i, c["Size in pixels"]] == area
        assert v[i, c["Convex Hull Area"]] == convex
        assert abs(v[i, c["Convexity"]] - solidity) < 1e-12
        assert v[i, c["Hole Count"]] == holes
        assert v[i, c["Total Length"]] >= v[i, c["Diameter"]] - 1e-9


def test_hull_convention_ilastik(tmp):
    """--hull-convention ilastik: the hull features as ilastik stores them (the bounding box
    as hull, so HullVolume = box area and HullCenter = box centre); the default stays
    scikit-image's; an unknown convention is a usage error."""
    out = os.path.join(tmp, "ilastik.csv")
    feats = ["HullVolume", "Convexity", "HullCenter", "DefectCount"]
    expect_ok(run("objfeatures", NUCLEI, "--segmentation", GT, "--features", *feats,
                  "--hull-convention", "ilastik", "-o", out))
    head, v = read_csv(out)
    c = {n: i for i, n in enumerate(head)}
    lo = v[:, [c["Bounding Box Minimum_0"], c["Bounding Box Minimum_1"]]]
    hi = v[:, [c["Bounding Box Maximum_0"], c["Bounding Box Maximum_1"]]]
    assert (v[:, c["Convex Hull Area"]] == np.prod(hi - lo, axis=1)).all()
    assert np.allclose(v[:, [c["Convex Hull Center_0"], c["Convex Hull Center_1"]]],
                       (lo + hi - 1) / 2)
    assert np.allclose(v[:, c["Convexity"]], v[:, c["Size in pixels"]] / v[:, c["Convex Hull Area"]])
    default = os.path.join(tmp, "default.csv")
    expect_ok(run("objfeatures", NUCLEI, "--segmentation", GT, "--features", *feats, "-o",
                  default))
    _, d = read_csv(default)
    assert (d[:, c["Convex Hull Area"]] <= v[:, c["Convex Hull Area"]]).all()
    assert (d[:, c["Convex Hull Area"]] < v[:, c["Convex Hull Area"]]).any()
    expect_error(run("objfeatures", NUCLEI, "--segmentation", GT, "--hull-convention", "vigra",
                     "-o", os.path.join(tmp, "bad.csv")), 2, "--hull-convention")
    no_files_like(tmp, "bad.csv")


def _raster_relabel(lab):
    values, first = np.unique(lab.ravel(), return_index=True)
    order = values[np.argsort(first)]
    order = order[order != 0]
    lut = np.zeros(lab.max() + 1, np.int64)
    lut[order] = np.arange(1, len(order) + 1)
    return lut[lab]


def test_neighbourhood_features_and_margin(tmp):
    """'in neighborhood' columns: a wider margin takes in more pixels (its Total Intensity
    grows on non-negative raw data); the object's own statistics do not change."""
    a, b = os.path.join(tmp, "m2.csv"), os.path.join(tmp, "m6.csv")
    feats = ["Sum in neighborhood", "Mean in object and neighborhood", "Mean"]
    expect_ok(run("objfeatures", NUCLEI, "--segmentation", GT, "--features", *feats,
                  "--margin", "2", "2", "-o", a))
    expect_ok(run("objfeatures", NUCLEI, "--segmentation", GT, "--features", *feats,
                  "--margin", "6", "-o", b))
    ha, va = read_csv(a)
    hb, vb = read_csv(b)
    assert ha == hb
    c = {n: i for i, n in enumerate(ha)}
    assert "Total Intensity in neighborhood" in c
    assert "Mean Intensity in object and neighborhood" in c
    assert np.all(vb[:, c["Total Intensity in neighborhood"]] >=
                  va[:, c["Total Intensity in neighborhood"]])
    assert np.any(vb[:, c["Total Intensity in neighborhood"]] >
                  va[:, c["Total Intensity in neighborhood"]])
    assert np.array_equal(va[:, c["Mean Intensity"]], vb[:, c["Mean Intensity"]])


def test_all_features_3d(tmp):
    """'--features all' on a volume: every feature defined in 3-D (no skeleton columns),
    3-D hull centres."""
    out = os.path.join(tmp, "all.csv")
    expect_ok(run("objfeatures", VOL, "--segmentation", VOL_MASK, "--features", "all",
                  "--margin", "3", "3", "1", "-o", out))
    head, v = read_csv(out)
    assert "Convex Hull Center_2" in head and "Diameter" not in head
    assert "Mean Intensity in neighborhood" in head
    c = {n: i for i, n in enumerate(head)}
    assert np.all(v[:, c["Convexity"]] <= 1) and np.all(v[:, c["Convexity"]] > 0)


def test_bad_inputs(tmp):
    out = os.path.join(tmp, "o.csv")
    expect_error(run("objfeatures", NUCLEI, "--segmentation", os.path.join(tmp, "no.tif"), "-o",
                     out), 1, "no.tif")
    expect_error(run("objfeatures", NUCLEI, "--segmentation", VOL_MASK, "-o", out), 1,
                 "nuclei3d_mask.tif")
    import tifffile
    frac = os.path.join(tmp, "frac.tif")
    tifffile.imwrite(frac, (tiff(GT) * 0.5).astype(np.float32))
    expect_error(run("objfeatures", NUCLEI, "--segmentation", frac, "-o", out), 1, "frac.tif")
    expect_error(run("objfeatures", NUCLEI, "--segmentation", GT, "--features", "Texture", "-o",
                     out), 2, "Texture")
    expect_error(run("objfeatures", VOL, "--segmentation", VOL_MASK, "--features", "Diameter",
                     "-o", out), 2, "2-D")
    expect_error(run("objfeatures", NUCLEI, "--segmentation", GT, "--margin", "1", "2", "3", "4",
                     "-o", out), 2)
    no_files_like(tmp, "o.csv")


if __name__ == "__main__":
    main()
