#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes tests/data/objects/fixtures.h5: connected components from scikit-image's `label`
and region properties from scikit-image's `regionprops` and vigra's region features (Debian's
python3-skimage and python3-vigra), on small real crops; shape features (groups shape2d,
shape3d): scikit-image's convex image (`area_convex`, `solidity`, the hull centroid), the
convexity defects as connected components of convex image minus object (count, areas,
displacement, computed here with numpy), holes from `euler_number`, and vigra's skeleton
features (ilastik's engine) for reference. Run from the repository root:
    /usr/bin/python3 scripts/make_object_fixtures.py
"""
import h5py
import numpy as np
import tifffile
import vigra
from scipy import ndimage
from skimage.measure import label, regionprops

OUT = "tests/data/objects/fixtures.h5"


def blobs(shape, seed, sigma=1.5):
    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    return (noise > 0.05).astype(np.uint8)


def props(f, group, lab, raw):
    g = f.create_group(group)
    g["labels"] = lab.astype(np.uint32)
    g["raw"] = raw.astype(np.float32)
    rp = regionprops(lab, intensity_image=raw.astype(np.float64))
    g["area"] = np.array([r.area for r in rp], np.float64)
    g["centroid"] = np.array([r.centroid for r in rp], np.float64)
    g["bbox"] = np.array([r.bbox for r in rp], np.float64)
    g["intensity_mean"] = np.array([r.intensity_mean for r in rp], np.float64)
    g["intensity_min"] = np.array([r.intensity_min for r in rp], np.float64)
    g["intensity_max"] = np.array([r.intensity_max for r in rp], np.float64)
    g["inertia_tensor_eigvals"] = np.array([r.inertia_tensor_eigvals for r in rp], np.float64)
    if lab.ndim == 2:
        g["eccentricity"] = np.array([r.eccentricity for r in rp], np.float64)
        g["major_axis_length"] = np.array([r.major_axis_length for r in rp], np.float64)
        g["minor_axis_length"] = np.array([r.minor_axis_length for r in rp], np.float64)
    # vigra (ilastik's engine), axes reversed to x, y(, z) as ilastik sees them, called as
    # ilastik calls it: ignoreLabel=0, so the histogram's "globalminmax" range is that of the
    # object pixels.
    axes = "xy" if lab.ndim == 2 else "xyz"
    v = vigra.analysis.extractRegionFeatures(
        vigra.taggedView(np.ascontiguousarray(raw.astype(np.float32).T), axes),
        vigra.taggedView(np.ascontiguousarray(lab.astype(np.uint32).T), axes),
        features=["Count", "Mean", "Variance", "Skewness", "Kurtosis", "Minimum", "Maximum",
                  "Sum", "Quantiles", "Histogram", "RegionCenter", "RegionRadii", "RegionAxes",
                  "Weighted<RegionCenter>", "Weighted<RegionRadii>", "Coord<Minimum>",
                  "Coord<Maximum>", "Coord<ArgMinWeight>", "Coord<ArgMaxWeight>",
                  "Coord<Principal<Skewness>>", "Coord<Principal<Kurtosis>>"],
        histogramRange="globalminmax", binCount=64, ignoreLabel=0)
    vg = g.create_group("vigra")
    for k in v.keys():
        a = np.asarray(v[k])
        if a.ndim >= 1 and a.shape[0] == lab.max() + 1:
            vg[k] = a[1:].astype(np.float64)


def shape_props(f, group, lab):
    """Convex-hull features by scikit-image's convex image and numpy, per object."""
    from skimage.measure import euler_number
    g = f.create_group(group)
    g["labels"] = lab.astype(np.uint32)
    rp = regionprops(lab)
    cols = {k: [] for k in ["area", "area_convex", "solidity", "hull_centroid", "defect_count",
                            "defect_mean", "defect_variance", "defect_displacement",
                            "defect_centroid", "holes"]}
    for r in rp:
        img, hull = r.image, r.image_convex
        off = np.array([s.start for s in r.slice], np.float64)
        cols["area"].append(r.area)
        cols["area_convex"].append(r.area_convex)
        cols["solidity"].append(r.solidity)
        cols["hull_centroid"].append((np.argwhere(hull).mean(0) + off)[::-1])  # x, y(, z)
        dl = label(hull & ~img, connectivity=1)
        vols = np.array([(dl == k).sum() for k in range(1, dl.max() + 1)], np.float64)
        c_obj = np.argwhere(img).mean(0)
        cols["defect_count"].append(len(vols))
        cols["defect_mean"].append(vols.mean() if len(vols) else 0.0)
        cols["defect_variance"].append(vols.var() if len(vols) else 0.0)
        disp = sum(v * np.linalg.norm(np.argwhere(dl == k + 1).mean(0) - c_obj)
                   for k, v in enumerate(vols))
        cols["defect_displacement"].append(disp / vols.sum() if len(vols) else 0.0)
        cols["defect_centroid"].append(
            ((np.argwhere(dl > 0).mean(0) if len(vols) else c_obj) + off)[::-1])
        if lab.ndim == 2:
            # 4-connected object, 8-connected background: holes = components - Euler number.
            cols["holes"].append(label(img, connectivity=1).max() -
                                 euler_number(np.pad(img, 1), connectivity=1))
    for k, v in cols.items():
        if v:
            g[k] = np.array(v, np.float64)
    if lab.ndim == 2:
        sk = vigra.analysis.extractSkeletonFeatures(np.ascontiguousarray(lab.astype(np.uint32).T))
        vg = g.create_group("vigra")
        for k in sk.keys():
            vg[k] = np.asarray(sk[k])[1:].astype(np.float64)


def main():
    with h5py.File(OUT, "w") as f:
        m2 = blobs((64, 80), 1)
        m3 = blobs((20, 24, 28), 2)
        f["cc2d/mask"] = m2
        f["cc2d/direct"] = label(m2, connectivity=1).astype(np.uint32)
        f["cc2d/indirect"] = label(m2, connectivity=2).astype(np.uint32)
        f["cc3d/mask"] = m3
        f["cc3d/direct"] = label(m3, connectivity=1).astype(np.uint32)
        f["cc3d/indirect"] = label(m3, connectivity=3).astype(np.uint32)
        raw2 = tifffile.imread("examples/nuclei/nuclei.tif")[:160, :160]
        gt2 = tifffile.imread("examples/nuclei/nuclei_groundtruth.tif")[:160, :160]
        lab2 = label(gt2 > 0, connectivity=1)
        props(f, "rp2d", lab2, raw2)
        raw3 = tifffile.imread("tests/data/images/nuclei3d.tif")
        gt3 = tifffile.imread("tests/data/images/nuclei3d_mask.tif")
        lab3 = label(gt3 > 0, connectivity=1)
        props(f, "rp3d", lab3, raw3)
        shape_props(f, "shape2d", label(blobs((96, 120), 3), connectivity=1))
        # Smoother blobs: scikit-image's 3-D hull fails on flat objects (skipped in the tests).
        shape_props(f, "shape3d", label(blobs((28, 32, 36), 4, 2.5), connectivity=1))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
