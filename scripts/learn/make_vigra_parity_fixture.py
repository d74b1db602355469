#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes tests/data/learn/vigra_parity.h5: feature rows and the probabilities that vigra
(python3-vigra, the library ilastik trains with) predicts for them with the forests stored in
the api .ilp projects of ../shared (which are GPL fixtures and are never copied: only our
feature rows and vigra's outputs are stored).

For every project stage: 150 real feature rows (ilastik's feature recipe from
shared/reference/ilastik_parity.py on the project's input image, random pixels) and 150
random rows (uniform in each feature's observed range, widened by 10 %, plus a few exact
thresholds), and vigra's probabilities averaged over the stored forests weighted by tree
count, in LabelNames columns (as ilastik). Needs Debian's python3-vigra, -h5py, -numpy, -pil.
usage: /usr/bin/python3 scripts/learn/make_vigra_parity_fixture.py [OUT.h5]
"""
import os, sys
import numpy as np
import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.environ.get("BIOFOREST_SHARED", os.path.join(ROOT, "..", "shared"))
sys.path.insert(0, os.path.join(SHARED, "reference"))
import ilastik_parity as ip  # noqa: E402  (our shared reference script)

STAGES = [  # (project, stage suffix)
    ("PixelClass.ilp", ""),
    ("PixelClass3Channel.ilp", ""),
    ("PixelClass3D.ilp", ""),
    ("Autocontext_2D.ilp", ""),
    ("Autocontext_2D.ilp", "01"),
    ("Autocontext_3D.ilp", ""),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "data", "learn", "vigra_parity.h5")
    rng = np.random.default_rng(4)
    api = os.path.join(SHARED, "data", "ilastik_projects", "api_projects")
    with h5py.File(out, "w") as o:
        for proj, suffix in STAGES:
            ilp = os.path.join(api, proj)
            with h5py.File(ilp, "r") as h:
                st = ip.read_stage(h, suffix)
            raw = ip.load_raw(os.path.join(api, ip.PROJECTS[proj][0]))
            if suffix:  # autocontext stage 2 input: raw + uint8(floor(255 p_stage1))
                with h5py.File(ilp, "r") as h:
                    st1 = ip.read_stage(h, "")
                f1, _ = ip.compute_features(raw, st1)
                p1 = ip.predict(ilp, st1, f1)
                raw = np.concatenate([raw, ip.prob_to_raw_dtype(p1, raw.dtype)], axis=-1)
            feats, _ = ip.compute_features(raw, st)
            X = feats.reshape(-1, feats.shape[-1])
            real = X[rng.choice(len(X), 150, replace=False)]
            lo, hi = X.min(0), X.max(0)
            pad = 0.1 * (hi - lo) + 1e-3
            rand = rng.uniform(lo - pad, hi + pad, size=(150, X.shape[1])).astype(np.float32)
            Xs = np.ascontiguousarray(np.concatenate([real, rand]), np.float32)
            P = ip.predict(ilp, st, Xs)
            g = o.create_group(f"{proj}/PixelClassification{suffix}")
            g.create_dataset("features", data=Xs, compression="gzip", compression_opts=9, shuffle=True)
            g.create_dataset("probabilities", data=np.asarray(P, np.float32), compression="gzip")
            print(proj, suffix, Xs.shape, P.shape)


if __name__ == "__main__":
    main()
