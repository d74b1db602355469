#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes tests/data/objects/fixtures.h5: connected components from scikit-image's `label`
and region properties from scikit-image's `regionprops` and vigra's region features (Debian's
python3-skimage and python3-vigra), on small real crops. Run from the repository root:
    /usr/bin/python3 scripts/make_object_fixtures.py
"""
import h5py
import numpy as np
import tifffile
import vigra
from scipy import ndimage
from skimage.measure import label, regionprops

OUT = "tests/data/objects/fixtures.h5"


def blobs(shape, seed):
    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), 1.5)
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
    # vigra (ilastik's engine), axes reversed to x, y(, z) as ilastik sees them.
    axes = "xy" if lab.ndim == 2 else "xyz"
    v = vigra.analysis.extractRegionFeatures(
        vigra.taggedView(np.ascontiguousarray(raw.astype(np.float32).T), axes),
        vigra.taggedView(np.ascontiguousarray(lab.astype(np.uint32).T), axes),
        features=["Count", "Mean", "Variance", "Skewness", "Kurtosis", "Minimum", "Maximum",
                  "Sum", "Quantiles", "Histogram", "RegionCenter", "RegionRadii",
                  "Weighted<RegionCenter>", "Weighted<RegionRadii>", "Coord<Minimum>",
                  "Coord<Maximum>", "Coord<ArgMinWeight>", "Coord<ArgMaxWeight>",
                  "Coord<Principal<Skewness>>", "Coord<Principal<Kurtosis>>"],
        histogramRange="globalminmax", binCount=64)
    vg = g.create_group("vigra")
    for k in v.keys():
        a = np.asarray(v[k])
        if a.ndim >= 1 and a.shape[0] == lab.max() + 1:
            vg[k] = a[1:].astype(np.float64)


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
    print("wrote", OUT)


if __name__ == "__main__":
    main()
