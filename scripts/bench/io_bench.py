#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Side-by-side I/O benchmark: bioforest's imgconvert/imginfo against h5py and tifffile.

Makes a ~1 GB uint16 volume (smooth background, blobs and shot noise, so gzip has real work),
then times each job as a whole process (start-up, read, write) for both sides on the same
files in the same run, and prints `name: ours X s, peer Y s, ratio Z` (ratio = peer / ours,
> 1 means bioforest is faster). Best of --repeat runs. Run through scripts/bench/io.sh.

Same work on both sides: each job reads its input from the file (the peer's TIFF and HDF5
writes include reading src.h5, as imgconvert's do), writes the same layout (our chunk shape,
gzip level 1, ImageJ hyperstack TIFF), and neither side fsyncs its output (bioforest checks
write() and close() and renames atomically; h5py and tifffile just close). Whole processes
are timed, so the peer's interpreter start-up and imports count, as our process start does.
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np


def make_volume(shape, seed=0):
    """Smooth low-frequency background + Gaussian blobs + noise, as uint16."""
    rng = np.random.default_rng(seed)
    z, y, x = shape
    # Background: coarse random field upsampled by linear interpolation along each axis.
    coarse = rng.normal(300.0, 60.0, size=(z // 32 + 2, y // 64 + 2, x // 64 + 2))
    field = coarse
    for axis, (n, step) in enumerate(((z, 32), (y, 64), (x, 64))):
        pos = np.arange(n) / step
        i0 = np.floor(pos).astype(int)
        w = (pos - i0).astype(np.float32)
        a = np.take(field, i0, axis=axis)
        b = np.take(field, i0 + 1, axis=axis)
        wshape = [1, 1, 1]
        wshape[axis] = n
        field = (a * (1 - w.reshape(wshape)) + b * w.reshape(wshape)).astype(np.float32)
    vol = field
    # Blobs ("nuclei"): a few hundred Gaussian spheres.
    r = max(1, min(6, min(shape) // 8))  # small test shapes get small blobs
    g = np.arange(-3 * r, 3 * r + 1, dtype=np.float32)
    blob = np.exp(-(g[:, None, None] ** 2 + g[None, :, None] ** 2 + g[None, None, :] ** 2)
                  / (2 * r * r)) * 1500
    n = 6 * r + 1
    for _ in range(400):
        cz, cy, cx = (rng.integers(0, s - n) for s in shape)
        vol[cz:cz + n, cy:cy + n, cx:cx + n] += blob
    # Shot-like noise, added slab by slab to bound the temporary memory.
    out = np.empty(shape, dtype=np.uint16)
    for s in range(0, z, 16):
        slab = vol[s:s + 16]
        noisy = slab + rng.normal(0.0, 1.0, size=slab.shape).astype(np.float32) * np.sqrt(slab)
        out[s:s + 16] = np.clip(noisy, 0, 65535).astype(np.uint16)
    return out


PEER_PRELUDE = "import sys, h5py, numpy as np, tifffile\n"


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd, env):
    """(wall seconds, CPU seconds) of one run of cmd."""
    cpu = children_cpu()
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return dt, children_cpu() - cpu


def best(cmd, env, repeat, cleanup):
    """The fastest of `repeat` runs, as (wall, CPU)."""
    runs = []
    for _ in range(repeat):
        cleanup()
        runs.append(run(cmd, env))
    return min(runs)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin", required=True, help="folder with imgconvert and imginfo")
    ap.add_argument("--workdir", default=None, help="scratch folder (default: a temp dir)")
    ap.add_argument("--shape", default="256,2048,1024", help="z,y,x of the uint16 volume")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()

    shape = tuple(int(v) for v in a.shape.split(","))
    work = a.workdir or tempfile.mkdtemp(prefix="bioforest-io-bench-")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    imgconvert = os.path.join(a.bin, "imgconvert")
    imginfo = os.path.join(a.bin, "imginfo")
    threads = ["--threads", str(a.threads), "-q"]
    py = "/usr/bin/python3"

    def path(name):
        return os.path.join(work, name)

    def rm(*names):
        def f():
            for n in names:
                if os.path.exists(path(n)):
                    os.remove(path(n))
        return f

    try:
        t = time.perf_counter()
        vol = make_volume(shape)
        with h5py.File(path("src.h5"), "w") as f:  # contiguous, the common h5py default
            f.create_dataset("data", data=vol)
        print(f"volume {shape} uint16, {vol.nbytes / 2**30:.2f} GiB, made in "
              f"{time.perf_counter() - t:.0f} s; {a.threads} threads; best of {a.repeat}; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
              flush=True)
        del vol

        # Reference outputs, so that both sides read identical files and use our chunking.
        run([imgconvert, path("src.h5/data"), path("gzip.h5"), "--compression", "gzip"]
            + threads, env)
        run([imgconvert, path("src.h5/data"), path("none.h5"), "--compression", "none"]
            + threads, env)
        run([imgconvert, path("src.h5/data"), path("ref.tif")] + threads, env)
        with h5py.File(path("gzip.h5"), "r") as f:
            chunks = f["exported_data"].chunks
        print(f"gzip level 1, chunks {chunks}; compressed size "
              f"{os.path.getsize(path('gzip.h5')) / 2**20:.0f} MiB", flush=True)

        def peer_write_h5(src, dataset, out, compression):
            comp = "compression='gzip', compression_opts=1" if compression else ""
            return [py, "-c", PEER_PRELUDE +
                    f"a = h5py.File({src!r}, 'r')[{dataset!r}][()]\n"
                    f"f = h5py.File({out!r}, 'w')\n"
                    f"f.create_dataset('exported_data', data=a, chunks={chunks}, {comp})\n"
                    "f.close()\n"]

        def peer_stats(read):
            return [py, "-c", PEER_PRELUDE + f"a = {read}\n"
                    "print(a.min(), a.max(), a.mean())\n"]

        jobs = [
            ("write hdf5 gzip (h5 -> h5 gzip)",
             [imgconvert, path("src.h5/data"), path("o.h5"), "--compression", "gzip"] + threads,
             peer_write_h5(path("src.h5"), "data", path("o.h5"), True), rm("o.h5")),
            ("read hdf5 gzip (h5 gzip -> h5)",
             [imgconvert, path("gzip.h5"), path("o.h5"), "--compression", "none"] + threads,
             peer_write_h5(path("gzip.h5"), "exported_data", path("o.h5"), False), rm("o.h5")),
            ("write+read hdf5 uncompressed (h5 -> h5)",
             [imgconvert, path("src.h5/data"), path("o.h5"), "--compression", "none"] + threads,
             peer_write_h5(path("src.h5"), "data", path("o.h5"), False), rm("o.h5")),
            ("read hdf5 gzip + min/max/mean",
             [imginfo, path("gzip.h5")] + threads,
             peer_stats(f"h5py.File({path('gzip.h5')!r}, 'r')['exported_data'][()]"), rm()),
            ("read hdf5 uncompressed + min/max/mean",
             [imginfo, path("none.h5")] + threads,
             peer_stats(f"h5py.File({path('none.h5')!r}, 'r')['exported_data'][()]"), rm()),
            ("write multi-page tiff (h5 -> tif)",
             [imgconvert, path("src.h5/data"), path("o.tif")] + threads,
             [py, "-c", PEER_PRELUDE +
              f"a = h5py.File({path('src.h5')!r}, 'r')['data'][()]\n"
              f"tifffile.imwrite({path('o.tif')!r}, a, imagej=True, metadata={{'axes': 'ZYX'}})\n"],
             rm("o.tif")),
            ("read multi-page tiff (tif -> h5)",
             [imgconvert, path("ref.tif"), path("o.h5"), "--compression", "none"] + threads,
             [py, "-c", PEER_PRELUDE +
              f"a = tifffile.imread({path('ref.tif')!r})\n"
              f"f = h5py.File({path('o.h5')!r}, 'w')\n"
              f"f.create_dataset('exported_data', data=a, chunks={chunks})\n"
              "f.close()\n"],
             rm("o.h5")),
            ("read multi-page tiff + min/max/mean",
             [imginfo, path("ref.tif")] + threads,
             peer_stats(f"tifffile.imread({path('ref.tif')!r})"), rm()),
        ]
        for name, ours_cmd, peer_cmd, cleanup in jobs:
            ours, ours_cpu = best(ours_cmd, env, a.repeat, cleanup)
            peer, peer_cpu = best(peer_cmd, env, a.repeat, cleanup)
            # CPU seconds too: on a busy node wall time mostly measures the scheduler.
            print(f"{name}: ours {ours:.2f} s, peer {peer:.2f} s, ratio {peer / ours:.2f}"
                  f" (CPU: ours {ours_cpu:.2f} s, peer {peer_cpu:.2f} s)", flush=True)
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    finally:
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
