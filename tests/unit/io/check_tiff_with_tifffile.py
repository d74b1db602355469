#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Opens TIFF/PNG files the way users do (tifffile, PIL) and checks what they see.

Usage: check_tiff_with_tifffile.py MANIFEST. Each line of MANIFEST is
  kind|path|axes|shape|dtype|sum
kind: "imagej" (tifffile must see an ImageJ hyperstack), "ome" (an OME-TIFF) or "png" (PIL);
axes: tifffile's series axes (e.g. TZCYX) or PIL's mode for png; shape: comma-separated;
sum: float64 sum of all values, or "-" to skip decoding (codecs tifffile lacks without
imagecodecs). Prints every mismatch; exit code 0 only if all lines pass, 3 if tifffile is
missing (the C++ test then skips).
"""
import sys

try:
    import numpy as np
    import tifffile
    from PIL import Image
except ImportError as e:
    print(f"missing python module: {e}")
    sys.exit(3)


def check_line(kind, path, axes, shape, dtype, total):
    errors = []
    want_shape = tuple(int(s) for s in shape.split(",")) if shape else ()
    if kind == "png":
        im = Image.open(path)
        a = np.array(im)
        if im.mode != axes:
            errors.append(f"PIL mode {im.mode} != {axes}")
    else:
        with tifffile.TiffFile(path) as tf:
            if kind == "imagej" and not tf.is_imagej:
                errors.append("tifffile does not see ImageJ metadata")
            if kind == "ome" and not tf.is_ome:
                errors.append("tifffile does not see OME-XML")
            s = tf.series[0]
            if s.axes != axes:
                errors.append(f"axes {s.axes} != {axes}")
            if kind == "imagej":
                images = tf.imagej_metadata.get("images", 1)
                if images != int(np.prod(want_shape[:-2])):
                    errors.append(f"imagej images={images}")
            a = s.asarray() if total != "-" else None
            if s.dtype != np.dtype(dtype):
                errors.append(f"dtype {s.dtype} != {dtype}")
            if tuple(s.shape) != want_shape:
                errors.append(f"shape {tuple(s.shape)} != {want_shape}")
    if kind == "png" and tuple(a.shape) != want_shape:
        errors.append(f"shape {tuple(a.shape)} != {want_shape}")
    if a is not None and total != "-":
        got = float(a.astype(np.float64).sum())
        if abs(got - float(total)) > 1e-6 * max(1.0, abs(float(total))):
            errors.append(f"sum {got!r} != {total}")
    return errors


def main():
    failed = 0
    for line in open(sys.argv[1]):
        line = line.rstrip("\n")
        if not line:
            continue
        fields = line.split("|")
        try:
            errors = check_line(*fields)
        except Exception as e:  # a file tifffile cannot open is a failure, not a crash
            errors = [f"{type(e).__name__}: {e}"]
        if errors:
            failed += 1
            print(f"{fields[1]}: " + "; ".join(errors))
    sys.exit(1 if failed else 0)


main()
