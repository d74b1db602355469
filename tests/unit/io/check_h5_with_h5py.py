#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks that an HDF5 file bioforest wrote opens in h5py as intended (called by test_hdf5.cpp).

    check_h5_with_h5py.py FILE DATASET --raw RAW --shape 4,5 --dtype uint16 --axes yx
                          [--chunks 4,5] [--compression gzip|none]

RAW holds the expected values (C order, native byte order). Exit 0: all good; 1: a mismatch
(printed); 77: h5py is not installed (the test skips).
"""
import argparse
import json
import sys

try:
    import h5py
    import numpy as np
except ImportError:
    sys.exit(77)


def ints(text):
    return tuple(int(v) for v in text.split(",")) if text else ()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("dataset")
    p.add_argument("--raw", required=True)
    p.add_argument("--shape", required=True)
    p.add_argument("--dtype", required=True)
    p.add_argument("--axes", required=True)
    p.add_argument("--chunks", default="")
    p.add_argument("--compression", default="")
    a = p.parse_args()

    problems = []
    with h5py.File(a.file, "r") as f:
        d = f[a.dataset]
        want = np.fromfile(a.raw, dtype=a.dtype).reshape(ints(a.shape))
        if d.shape != want.shape:
            problems.append(f"shape {d.shape} != {want.shape}")
        if d.dtype != np.dtype(a.dtype):
            problems.append(f"dtype {d.dtype} != {a.dtype}")
        if not problems and not np.array_equal(d[()], want):
            problems.append("values differ")
        tags = json.loads(d.attrs["axistags"])
        keys = "".join(ax["key"] for ax in tags["axes"])
        if keys != a.axes:
            problems.append(f"axistags keys {keys} != {a.axes}")
        for ax in tags["axes"]:
            if set(ax) != {"key", "typeFlags", "resolution", "description"}:
                problems.append(f"axistags entry {ax} lacks vigra's keys")
        if a.chunks and d.chunks != ints(a.chunks):
            problems.append(f"chunks {d.chunks} != {ints(a.chunks)}")
        if a.compression:
            got = d.compression or "none"
            if got != a.compression:
                problems.append(f"compression {got} != {a.compression}")
    for msg in problems:
        print(f"{a.file}/{a.dataset}: {msg}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
