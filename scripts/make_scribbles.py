#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Turn a ground-truth mask into a few user-like scribbles per class (fixed seed).

Users of pixel classification paint a handful of thin strokes inside objects and in the
background; they do not label every pixel. This script imitates that: for each class it
erodes the class mask (so strokes stay clear of boundaries, as a careful user's do, but
never so far that thin structures such as membranes vanish), then draws a few smooth
random-walk strokes, one or two pixels wide, inside it.

    make_scribbles.py GT.tif OUT.tif [--foreground '>0'] [--strokes 6] [--length 80] [--seed 0]

Label values: 1 = background (not foreground), 2 = foreground; 0 = unlabelled. For 3-D ground
truth, strokes are drawn on a few z-slices. GT may be an instance mask (foreground '>0') or a
semantic mask (e.g. ISBI membranes: foreground '==0').
"""
import argparse
import sys

import numpy as np
from scipy import ndimage as ndi


def read(path):
    if path.lower().endswith((".tif", ".tiff")):
        import tifffile
        return tifffile.imread(path)
    if path.lower().endswith(".png"):
        from PIL import Image
        return np.asarray(Image.open(path))
    if ".h5" in path:
        import h5py
        f, _, ds = path.partition(".h5/")
        with h5py.File(f + ".h5", "r") as h:
            return h[ds or list(h.keys())[0]][...]
    return np.load(path)


def write(path, labels):
    if path.lower().endswith(".png"):
        from PIL import Image
        Image.fromarray(labels).save(path)
    else:
        import tifffile
        tifffile.imwrite(path, labels)


def foreground(gt, expr):
    ops = {">": np.greater, "==": np.equal, "<": np.less, "!=": np.not_equal}
    for sym in ("==", "!=", ">", "<"):
        if expr.startswith(sym):
            return ops[sym](gt, float(expr[len(sym):]))
    raise SystemExit(f"bad --foreground '{expr}' (use >0, ==0, ...)")


def safe_region(mask, want=3):
    """The mask eroded as far as it stays non-trivial (at most `want` pixels)."""
    for r in range(want, -1, -1):
        e = ndi.binary_erosion(mask, iterations=r) if r else mask
        if e.sum() >= max(50, 0.02 * mask.sum()):
            return e
    return mask


def stroke(region, rng, length, width):
    """A smooth random walk inside `region` (2-D bool), returned as a bool mask."""
    out = np.zeros_like(region)
    ys, xs = np.nonzero(region)
    if len(ys) == 0:
        return out
    i = rng.integers(len(ys))
    y, x = float(ys[i]), float(xs[i])
    angle = rng.uniform(0, 2 * np.pi)
    h, w = region.shape
    for _ in range(length):
        iy, ix = int(round(y)), int(round(x))
        out[max(0, iy - width // 2): iy + (width + 1) // 2,
            max(0, ix - width // 2): ix + (width + 1) // 2] = True
        for _try in range(8):
            a = angle + rng.normal(0, 0.35)
            ny, nx = y + np.sin(a), x + np.cos(a)
            if 0 <= ny < h - 0.5 and 0 <= nx < w - 0.5 and region[int(round(ny)), int(round(nx))]:
                y, x, angle = ny, nx, a
                break
            angle += np.pi / 2
        else:
            break
    return out & region


def scribble_plane(fg, rng, strokes, length, width):
    labels = np.zeros(fg.shape, np.uint8)
    for value, mask in ((1, ~fg), (2, fg)):
        region = safe_region(mask)
        for _ in range(strokes):
            labels[stroke(region, rng, length, width) & (labels == 0)] = value
    return labels


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gt")
    ap.add_argument("out")
    ap.add_argument("--foreground", default=">0", help="foreground test on GT values [>0]")
    ap.add_argument("--strokes", type=int, default=6, help="strokes per class and plane [6]")
    ap.add_argument("--length", type=int, default=80, help="steps per stroke [80]")
    ap.add_argument("--width", type=int, default=2, help="stroke width in pixels [2]")
    ap.add_argument("--planes", type=int, default=3, help="z-planes scribbled in 3-D GT [3]")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    gt = read(a.gt)
    fg = foreground(gt, a.foreground)
    if fg.ndim == 2:
        labels = scribble_plane(fg, rng, a.strokes, a.length, a.width)
    elif fg.ndim == 3:
        labels = np.zeros(fg.shape, np.uint8)
        for z in np.linspace(0, fg.shape[0] - 1, a.planes + 2)[1:-1].astype(int):
            labels[z] = scribble_plane(fg[z], rng, a.strokes, a.length, a.width)
    else:
        sys.exit(f"{a.gt}: expected a 2-D or 3-D mask, got shape {fg.shape}")
    write(a.out, labels)
    counts = {k: int((labels == k).sum()) for k in (1, 2)}
    print(f"{a.out}: background {counts[1]} px, foreground {counts[2]} px", file=sys.stderr)


if __name__ == "__main__":
    main()
