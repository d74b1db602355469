#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helper of objects.sh: makes the data (TIFFs for the tool, raw little-endian arrays for
bench/objects_bench), and times the peers (scikit-image label + regionprops_table, vigra
labelImageWithBackground/labelVolumeWithBackground + extractRegionFeatures) on the same data
and the same features, in memory, best of REPEATS runs (env, default 3), as objects_bench
times ours."""
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
    mask.astype("<u1").tofile(f"{work}/mask_{case}.u8")
    raw.astype("<f4").tofile(f"{work}/raw_{case}.f32")


def best_of(fn, repeats):
    """Best wall and CPU seconds of `repeats` runs of fn, and its last result."""
    wall, cpu, res = float("inf"), float("inf"), None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        res = fn()
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, res


def peers(work, case):
    import os
    import vigra
    from skimage.measure import label, regionprops_table
    mask = tifffile.imread(f"{work}/mask_{case}.tif")
    raw = tifffile.imread(f"{work}/raw_{case}.tif")
    repeats = int(os.environ.get("REPEATS", "3"))
    out = {"shape": list(mask.shape)}
    def sk():
        lab = label(mask, connectivity=1)
        regionprops_table(lab, intensity_image=raw,
                          properties=["label", "area", "centroid", "bbox", "intensity_mean",
                                      "intensity_min", "intensity_max",
                                      "inertia_tensor_eigvals"])
        return int(lab.max())
    # regionprops has no intensity variance: computed from the same pixel lists is extra
    # work for it, so it is left out (it makes the comparison favour scikit-image).
    out["skimage"], out["skimage_cpu"], out["objects"] = best_of(sk, repeats)

    def vg():
        if mask.ndim == 2:
            vlab = vigra.analysis.labelImageWithBackground(mask)
        else:
            vlab = vigra.analysis.labelVolumeWithBackground(mask)
        vigra.analysis.extractRegionFeatures(
            raw, vlab, features=["Count", "RegionCenter", "Coord<Minimum>", "Coord<Maximum>",
                                 "Mean", "Minimum", "Maximum", "Variance", "RegionRadii",
                                 "RegionAxes"])
    out["vigra"], out["vigra_cpu"], _ = best_of(vg, repeats)
    print(json.dumps(out))


if __name__ == "__main__":
    {"make": make, "peers": peers}[sys.argv[1]](sys.argv[2], sys.argv[3])
