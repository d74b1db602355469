#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helper of objects.sh: makes the data, and times the peers (scikit-image label +
regionprops_table, vigra labelImageWithBackground/labelVolumeWithBackground +
extractRegionFeatures) on the same data and the same features, in memory (reading the
files is outside their timing; ours is timed end to end, reading and writing included)."""
import json
import sys
import time

import numpy as np
import tifffile


def make(work, case):
    rng = np.random.default_rng(0)
    if case == "2d":
        shape, n, rmin, rmax = (2048, 2048), 2600, 5, 14
    else:
        shape, n, rmin, rmax = (160, 256, 256), 600, 4, 9
    mask = np.zeros(shape, np.uint8)
    for _ in range(n):
        c = [rng.integers(0, s) for s in shape]
        r = rng.integers(rmin, rmax)
        sl = tuple(slice(max(0, ci - r), min(s, ci + r + 1)) for ci, s in zip(c, shape))
        sub = sum((g - ci) ** 2 for g, ci in zip(np.ogrid[sl], c)) <= r * r
        mask[sl] |= sub.astype(np.uint8)
    raw = (rng.normal(100, 20, shape) + 200 * mask).astype(np.float32)
    tifffile.imwrite(f"{work}/mask_{case}.tif", mask)
    tifffile.imwrite(f"{work}/raw_{case}.tif", raw)


def peers(work, case):
    import vigra
    from skimage.measure import label, regionprops_table
    mask = tifffile.imread(f"{work}/mask_{case}.tif")
    raw = tifffile.imread(f"{work}/raw_{case}.tif")
    out = {}
    t0, c0 = time.perf_counter(), time.process_time()
    lab = label(mask, connectivity=1)
    regionprops_table(lab, intensity_image=raw,
                      properties=["label", "area", "centroid", "bbox", "intensity_mean",
                                  "intensity_min", "intensity_max", "inertia_tensor_eigvals"])
    # regionprops has no intensity variance: computed from the same pixel lists is extra
    # work for it, so it is left out (it makes the comparison favour scikit-image).
    out["skimage"] = time.perf_counter() - t0
    out["skimage_cpu"] = time.process_time() - c0
    out["objects"] = int(lab.max())
    t0, c0 = time.perf_counter(), time.process_time()
    if mask.ndim == 2:
        vlab = vigra.analysis.labelImageWithBackground(mask)
    else:
        vlab = vigra.analysis.labelVolumeWithBackground(mask)
    vigra.analysis.extractRegionFeatures(
        raw, vlab, features=["Count", "RegionCenter", "Coord<Minimum>", "Coord<Maximum>", "Mean",
                             "Minimum", "Maximum", "Variance", "RegionRadii", "RegionAxes"])
    out["vigra"] = time.perf_counter() - t0
    out["vigra_cpu"] = time.process_time() - c0
    print(json.dumps(out))


if __name__ == "__main__":
    {"make": make, "peers": peers}[sys.argv[1]](sys.argv[2], sys.argv[3])
