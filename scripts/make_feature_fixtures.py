#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Reference pixel features for bioforest's tests, computed with Debian's python3-vigra using
ilastik 1.4's recipe (shared/reference/ilastik.md §1, ilastik-parity.md §2): pre-smoothing with
sqrt(s^2-1) (s > 1) or s (s <= 1) at window ratio 3.5, then the feature filter at 1.0 or s with
window ratio 2, DoG = G(sf) - G(0.66 sf), structure tensor gradient 0.5 sf / averaging sf
(fastfilters' swap), eigenvalues descending, float32.

Inputs (redistributable crops, stored with the fixtures):
  2d:  48x48 crop of stardist_samples/dsb2018_img2d.tif (BSD-3, stardist)
  rgb: 40x40x3, three different 40x40 crops of the same image stacked as channels (BSD-3)
  3d:  40x40x40 crop of plantseg_ovules_3d/1135_mini.h5 raw (MIT, plant-seg); only z slices
       0, 20, 39 of the features are stored, to stay small (borders are in them)
usage: /usr/bin/python3 scripts/make_feature_fixtures.py [--shared ../shared] [--out tests/data/features]
"""
import argparse, math, os
import numpy as np
import h5py
import vigra
from PIL import Image

F = vigra.filters
DEFAULT_SCALES = [0.3, 0.7, 1.0, 1.6, 3.5, 5.0, 10.0]
FAMILIES = ["GaussianSmoothing", "LaplacianOfGaussian", "GaussianGradientMagnitude",
            "DifferenceOfGaussians", "StructureTensorEigenvalues", "HessianOfGaussianEigenvalues"]
Z_SLICES = [0, 20, 39]


def tv(x, axes):
    return vigra.taggedView(np.ascontiguousarray(x, np.float32), axes)


def one_filter(x, fid, sf, axes):
    w = 2.0
    xv = tv(x, axes)
    if fid == "GaussianSmoothing":
        r = F.gaussianSmoothing(xv, sf, window_size=w)
    elif fid == "LaplacianOfGaussian":
        r = F.laplacianOfGaussian(xv, sf, window_size=w)
    elif fid == "GaussianGradientMagnitude":
        r = F.gaussianGradientMagnitude(xv, sf, window_size=w)
    elif fid == "DifferenceOfGaussians":
        r = np.asarray(F.gaussianSmoothing(xv, sf, window_size=w)) - \
            np.asarray(F.gaussianSmoothing(xv, 0.66 * sf, window_size=w))
    elif fid == "StructureTensorEigenvalues":
        r = F.structureTensorEigenvalues(xv, 0.5 * sf, sf, window_size=w)
    else:
        r = F.hessianOfGaussianEigenvalues(xv, sf, window_size=w)
    r = np.asarray(r, np.float32)
    return r[..., None] if r.ndim == x.ndim else r


def per_z(fn, x, in2d):
    if x.ndim == 2:
        return fn(x, "yx")
    if in2d:
        return np.stack([fn(x[k], "yx") for k in range(x.shape[0])], axis=0)
    return fn(x, "zyx")


def ilastik_feature(x, fid, s, in2d):
    """x: (y, x, c) or (z, y, x, c) float32 -> (..., n) in ilastik's channel order."""
    sf = 1.0 if s > 1.0 else s
    ps = math.sqrt(s * s - 1.0) if s > 1.0 else s
    out = []
    for c in range(x.shape[-1]):
        pre = per_z(lambda a, ax: np.asarray(F.gaussianSmoothing(tv(a, ax), ps, window_size=3.5)),
                    x[..., c], in2d)
        out.append(per_z(lambda a, ax: one_filter(a, fid, sf, ax), pre, in2d))
    return np.concatenate(out, axis=-1).astype(np.float32)


def write_case(path, raw, is3d, extra_2d_columns=()):
    x = raw.astype(np.float32)
    if x.ndim == (3 if is3d else 2):
        x = x[..., None]
    with h5py.File(path, "w") as h:
        h["input"] = raw
        h["input"].attrs["axes"] = ("zyx" if is3d else "yx") + ("c" if raw.ndim == (4 if is3d else 3) else "")
        if is3d:
            h.attrs["z_slices"] = np.array(Z_SLICES, np.int64)
        g = h.create_group("features")
        for fid in FAMILIES:
            for s in DEFAULT_SCALES:
                if s < 0.7 and fid != "GaussianSmoothing":
                    continue
                f = ilastik_feature(x, fid, s, in2d=not is3d)
                if is3d:
                    f = f[Z_SLICES]
                g.create_dataset(f"{fid}/{s!r}", data=f, compression="gzip", shuffle=True)
        for fid, s in extra_2d_columns:  # 3-D input, column computed slice by slice
            f = ilastik_feature(x, fid, s, in2d=True)[Z_SLICES]
            g.create_dataset(f"{fid}/{s!r} in 2D", data=f, compression="gzip", shuffle=True)


def write_kernels(path):
    with h5py.File(path, "w") as h:
        for sigma in [0.3, 0.5, 0.7, 1.0, 1.25, 1.6, 3.35, 9.95]:
            for order in [0, 1, 2]:
                for w in [0.0, 2.0, 3.5]:
                    k = F.gaussianDerivativeKernel(sigma, order, window_size=w) if order else \
                        F.gaussianKernel(sigma, window_size=w)
                    vals = np.array([k[i] for i in range(k.left(), k.right() + 1)], np.float64)
                    h[f"{sigma!r}/{order}/{w!r}"] = vals


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(here, "..", "..", "shared"))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "data", "features"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    img = np.asarray(Image.open(os.path.join(a.shared, "data/stardist_samples/dsb2018_img2d.tif")))
    write_case(os.path.join(a.out, "nuclei2d.h5"), img[200:248, 180:228].copy(), False)
    rgb = np.stack([img[100:140, 100:140], img[300:340, 260:300], img[40:80, 400:440]], axis=-1)
    write_case(os.path.join(a.out, "rgb2d.h5"), rgb.copy(), False)
    with h5py.File(os.path.join(a.shared, "data/plantseg_ovules_3d/1135_mini.h5"), "r") as h:
        vol = h["raw"][30:70, 30:70, 30:70]
    write_case(os.path.join(a.out, "ovule3d.h5"), vol.copy(), True,
               extra_2d_columns=[("HessianOfGaussianEigenvalues", 1.6), ("StructureTensorEigenvalues", 3.5),
                                 ("GaussianSmoothing", 0.3)])
    write_kernels(os.path.join(a.out, "kernels.h5"))
    total = sum(os.path.getsize(os.path.join(a.out, f)) for f in os.listdir(a.out))
    print(f"wrote {a.out}: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
