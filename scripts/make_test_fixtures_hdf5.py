#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes tests/data/hdf5/h5py_fixture.h5, the small h5py-made file the HDF5 unit tests read.

It holds what other tools write and bioforest must read: gzip-chunked and contiguous images,
an `axistags` attribute, an N5-style `axes` attribute, fixed- and variable-length strings
(h5py's `bytes` and `str`), a bool dataset, an int64 dataset, a shuffled gzip dataset and an lzf-compressed dataset
(lzf is built into h5py but is a plugin for plain HDF5). Run with Debian's python3-h5py:

    /usr/bin/python3 scripts/make_test_fixtures_hdf5.py
"""
import json
import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "hdf5", "h5py_fixture.h5")


def axistags(keys):
    flags = {"t": 8, "c": 1}
    return json.dumps({"axes": [{"key": k, "typeFlags": flags.get(k, 2), "resolution": 0,
                                 "description": ""} for k in keys]})


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with h5py.File(OUT, "w", track_order=False) as f:
        # values i*7 % 65521: every element differs from its neighbours
        vol = (np.arange(6 * 7 * 8, dtype=np.uint32) * 7 % 65521).astype(np.uint16).reshape(6, 7, 8)
        d = f.create_dataset("volumes/gzip", data=vol, chunks=(2, 3, 4), compression="gzip",
                             compression_opts=4)
        d.attrs["axistags"] = axistags("zyx")
        f.create_dataset("volumes/contiguous", data=vol.astype(np.float32) / 3)  # guessed zyx
        n5 = f.create_dataset("volumes/n5", data=vol[:, :, :3].astype(np.int16))
        n5.attrs["axes"] = json.dumps(["x", "y", "z"])  # N5 lists axes fastest first
        f.create_dataset("volumes/shuffle", data=vol.astype(np.int32) - 1000, chunks=(2, 3, 4),
                         compression="gzip", shuffle=True)
        f.create_dataset("volumes/lzf", data=vol, chunks=(2, 3, 4), compression="lzf")
        f.create_dataset("table/int64", data=np.arange(-5, 5, dtype=np.int64) * 10**12)
        f.create_dataset("table/bool", data=np.array([[True, False, True], [False, True, False]]))
        f.create_dataset("text/fixed", data=np.array([b"alpha", b"be", b"gamma_"], dtype="S6"))
        f.create_dataset("text/variable", data=["Grüße", "two"], dtype=h5py.string_dtype())
        f.create_dataset("text/scalar_bytes", data=b"Pixel Classification")
        f.create_dataset("text/scalar_str", data="Pixel Classification")
        f.attrs["fixed_attr"] = np.bytes_(b"fixed value")
        f.attrs["variable_attr"] = "variable value"
        f.attrs["numbers"] = np.array([1.5, -2.0, 3.0])
    print(OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
