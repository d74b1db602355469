# SPDX-License-Identifier: BSD-3-Clause
"""evaluate on real files: tables, summary JSON values, CSV, and bad inputs.

Expected numbers come from tests/data/evaluate/expected.json (the reference scripts'
values, scripts/make_eval_fixtures.py); the CTC perturbation case runs the reference
ctc_tra.py itself on a randomly perturbed copy of the shared sequence.
"""
import csv
import json
import os
import sys

import numpy as np

from clitest import DATA, Skip, expect_error, expect_ok, no_files_like, main, run, shared

EV = os.path.join(DATA, "evaluate")
EXP = json.load(open(os.path.join(EV, "expected.json")))


SCHEMA = json.load(open(os.path.join(os.path.dirname(DATA), "..", "schemas",
                                   "evaluate_summary.schema.json")))
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
         "integer": int, "number": (int, float)}


def conforms(value, schema, path="$"):
    """The subset of draft-07 the summary schema uses ($ref, type, required, properties,
    additionalProperties, items, allOf, const, enum, minimum, maximum); Debian has no jsonschema."""
    if "$ref" in schema:
        schema = SCHEMA["definitions"][schema["$ref"].split("/")[-1]]
    for sub in schema.get("allOf", []):
        conforms(value, sub, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any(isinstance(value, TYPES[t]) and not (t in ("integer", "number") and isinstance(value, bool))
                 for t in types)
        assert ok, f"{path}: {value!r} is not {types}"
    if "const" in schema:
        assert value == schema["const"], path
    if "enum" in schema:
        assert value in schema["enum"], path
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        assert value >= schema.get("minimum", -float("inf")) - 1e-12, path
        assert value <= schema.get("maximum", float("inf")) + 1e-12, path
    if isinstance(value, dict):
        for k in schema.get("required", []):
            assert k in value, f"{path}: '{k}' missing"
        for k, v in value.items():
            if k in schema.get("properties", {}):
                conforms(v, schema["properties"][k], f"{path}.{k}")
            elif isinstance(schema.get("additionalProperties"), dict):
                conforms(v, schema["additionalProperties"], f"{path}.{k}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            conforms(v, schema["items"], f"{path}[{i}]")


def close(a, b, tol=1e-9):
    return abs(a - b) <= tol * max(1.0, abs(b))


def test_pixels_summary_and_csv(tmp):
    s, c = os.path.join(tmp, "s.json"), os.path.join(tmp, "rows.csv")
    r = expect_ok(run("evaluate", "pixels", os.path.join(EV, "pixels", "pred.tif"),
                      os.path.join(EV, "pixels", "gt.tif"), "--ignore-label", "0",
                      "--summary-json", s, "--csv", c))
    assert "pixel accuracy:" in r.out and "confusion matrix" in r.out
    ref = EXP["pixels"]["ignore0"]
    j = json.load(open(s))
    conforms(j, SCHEMA)
    assert j["tool"] == "evaluate" and j["command"] == "pixels" and j["exit_code"] == 0
    d = j["pixels"]["dataset"]
    assert close(d["accuracy"], ref["accuracy"]) and close(d["mean_iou"], ref["mean_iou"])
    assert d["confusion"]["rows_gt_cols_pred"] == ref["confusion"]
    rows = list(csv.DictReader(open(c)))
    assert len(rows) == 1 and rows[0]["name"] == "gt.tif"
    assert close(float(rows[0]["accuracy"]), ref["accuracy"])


def test_pixels_probability_threshold(tmp):
    s = os.path.join(tmp, "s.json")
    expect_ok(run("evaluate", "pixels", os.path.join(EV, "pixels", "prob.tif"),
                  os.path.join(EV, "pixels", "gt_binary.tif"), "--threshold", "0.5",
                  "--summary-json", s))
    d = json.load(open(s))["pixels"]["dataset"]
    assert close(d["accuracy"], EXP["pixels"]["threshold_0.5"]["accuracy"])


def test_pixels_probability_without_threshold_exits_1(tmp):
    expect_error(run("evaluate", "pixels", os.path.join(EV, "pixels", "prob.tif"),
                     os.path.join(EV, "pixels", "gt_binary.tif")), 1, "prob.tif", "--threshold")


def test_instances_folders_summary_and_csv(tmp):
    s, c = os.path.join(tmp, "s.json"), os.path.join(tmp, "rows.csv")
    r = expect_ok(run("evaluate", "instances", os.path.join(EV, "instances", "2d", "pred"),
                      os.path.join(EV, "instances", "2d", "gt"), "--summary-json", s, "--csv", c))
    assert "DSB2018 score" in r.out
    ref = EXP["instances"]["2d"]
    conforms(json.load(open(s)), SCHEMA)
    j = json.load(open(s))["instances"]
    for tau in ("0.50", "0.75", "0.95"):
        for k in ("ap", "f1", "panoptic_quality", "precision", "recall"):
            assert close(j["summary"][tau]["dataset"][k], ref["summary"][tau]["dataset"][k]), (tau, k)
            assert close(j["summary"][tau]["by_image"][k], ref["summary"][tau]["by_image"][k]), (tau, k)
    assert close(j["dsb2018_score"], ref["dsb2018_score"])
    vi = np.mean([v["vi_split"] for v in ref["vi_rand_per_image"]])
    assert close(j["vi_rand"]["vi_split"], vi)
    rows = list(csv.DictReader(open(c)))
    assert [r["name"] for r in rows] == ["a.tif", "b.tif"]
    assert close(float(rows[0]["ap_0.50"]), ref["per_image"][0]["by_tau"]["0.50"]["ap"])


def test_instances_3d_pairs_list_and_thresholds(tmp):
    lst = os.path.join(tmp, "pairs.txt")
    with open(lst, "w") as f:
        f.write("# pred gt\n%s %s\n" % (os.path.join(EV, "instances", "3d", "pred", "vol.tif"),
                                        os.path.join(EV, "instances", "3d", "gt", "vol.tif")))
    s = os.path.join(tmp, "s.json")
    expect_ok(run("evaluate", "instances", "--pairs", lst, "--iou-thresholds", "0.5,0.7",
                  "--summary-json", s))
    j = json.load(open(s))["instances"]
    ref = EXP["instances"]["3d"]["summary"]
    assert list(j["summary"]) == ["0.50", "0.70"] and "dsb2018_score" not in j
    assert close(j["summary"]["0.70"]["dataset"]["ap"], ref["0.70"]["dataset"]["ap"])


def test_shape_mismatch_exits_1_and_writes_no_csv(tmp):
    c = os.path.join(tmp, "rows.csv")
    r = run("evaluate", "instances", os.path.join(EV, "instances", "3d", "pred", "vol.tif"),
            os.path.join(EV, "instances", "2d", "gt", "a.tif"), "--csv", c)
    expect_error(r, 1, "vol.tif", "a.tif", "16x40x40", "64x64")
    assert len([l for l in r.err.splitlines() if "error" in l]) == 1
    no_files_like(tmp, "rows")


def test_missing_prediction_in_folder_exits_1(tmp):
    pred = os.path.join(tmp, "pred")
    os.makedirs(pred)
    os.symlink(os.path.join(EV, "instances", "2d", "pred", "a.tif"), os.path.join(pred, "a.tif"))
    expect_error(run("evaluate", "instances", pred, os.path.join(EV, "instances", "2d", "gt")),
                 1, "b.tif")


def test_float_labels_with_fractions_exit_1(tmp):
    import tifffile
    bad = os.path.join(tmp, "frac.tif")
    tifffile.imwrite(bad, np.full((64, 64), 0.5, np.float32))
    expect_error(run("evaluate", "instances", bad, os.path.join(EV, "instances", "2d", "gt", "a.tif")),
                 1, "frac.tif", "not a label image")


def test_usage_errors_exit_2(tmp):
    expect_error(run("evaluate"), 2)
    expect_error(run("evaluate", "instances", "a.tif", "b.tif", "--iou-thresholds", "0,2"), 2,
                 "--iou-thresholds")
    expect_error(run("evaluate", "pixels", "a.tif", "b.tif", "--nonsense"), 2)
    existing = os.path.join(tmp, "rows.csv")
    open(existing, "w").write("keep\n")
    expect_error(run("evaluate", "pixels", os.path.join(EV, "pixels", "pred.tif"),
                     os.path.join(EV, "pixels", "gt.tif"), "--csv", existing), 2, "rows.csv")
    assert open(existing).read() == "keep\n"


def test_counts_density_vs_dots(tmp):
    s, c = os.path.join(tmp, "s.json"), os.path.join(tmp, "rows.csv")
    r = expect_ok(run("evaluate", "counts", os.path.join(EV, "counts", "density"),
                      os.path.join(EV, "counts", "dots"), "--summary-json", s, "--csv", c))
    assert "MAE" in r.out
    ref = EXP["counts"]["density_vs_dots"]
    conforms(json.load(open(s)), SCHEMA)
    j = json.load(open(s))["counts"]
    for k in ("mae", "rmse", "mean_signed_error", "mean_relative_abs_error"):
        assert close(j[k], ref[k]), k
    rows = list(csv.DictReader(open(c)))
    assert [r["name"] for r in rows] == ["001", "002", "003", "004"]
    assert float(rows[1]["gt"]) == EXP["counts"]["gt_pixels"]["002"]


def test_counts_table_and_components(tmp):
    s = os.path.join(tmp, "s.json")
    expect_ok(run("evaluate", "counts", os.path.join(EV, "counts", "density"),
                  os.path.join(EV, "counts", "dots"), "--dot-mode", "components",
                  "--summary-json", s))
    assert close(json.load(open(s))["counts"]["mae"],
                 EXP["counts"]["density_vs_dots_components"]["mae"])
    expect_ok(run("evaluate", "counts", os.path.join(EV, "counts", "pred_counts.csv"),
                  os.path.join(EV, "counts", "dots"), "--summary-json", s, "--overwrite"))
    assert close(json.load(open(s))["counts"]["mae"], EXP["counts"]["table_vs_dots"]["mae"])


def test_counts_missing_prediction_exits_1(tmp):
    p = os.path.join(tmp, "few.csv")
    open(p, "w").write("name,count\n001,3\n")
    expect_error(run("evaluate", "counts", p, os.path.join(EV, "counts", "dots")), 1, "few.csv")


def test_tracking_hand_cases(tmp):
    for name, ref in EXP["tracking"].items():
        s = os.path.join(tmp, name + ".json")
        expect_ok(run("evaluate", "tracking", os.path.join(EV, "ctc", "RES_" + name),
                      os.path.join(EV, "ctc", "GT"), "--summary-json", s))
        conforms(json.load(open(s)), SCHEMA)
        j = json.load(open(s))["tracking"]
        for k in ("NS", "FN", "FP", "ED", "EA", "EC"):
            assert j[k] == ref[k], (name, k)
        for k in ("TRA", "DET", "LNK", "SEG"):
            assert close(j[k], ref[k]), (name, k)


def test_tracking_missing_frame_exits_1(tmp):
    res = os.path.join(tmp, "RES")
    os.makedirs(res)
    src = os.path.join(EV, "ctc", "RES_perfect")
    for f in os.listdir(src):
        if f != "mask002.tif":
            os.symlink(os.path.join(src, f), os.path.join(res, f))
    expect_error(run("evaluate", "tracking", res, os.path.join(EV, "ctc", "GT")), 1, "mask002",
                 "missing")
    expect_ok(run("evaluate", "tracking", res, os.path.join(EV, "ctc", "GT"),
                  "--allow-missing-frames"))


def test_tracking_real_sequence_matches_reference(tmp):
    gt = shared("data/ctc_Fluo-N2DH-SIM+/01_GT")
    ref_dir = shared("reference/eval")
    if not gt or not ref_dir:
        raise Skip("../shared is absent")
    import tifffile
    sys.path.insert(0, ref_dir)
    import ctc_tra
    rng = np.random.default_rng(7)
    res = os.path.join(tmp, "RES")
    os.makedirs(res)
    tracks = ctc_tra.read_tracks(os.path.join(gt, "TRA", "man_track.txt"))
    for t, p in ctc_tra.frame_files(os.path.join(gt, "TRA"), "man_track").items():
        a = ctc_tra.read_tiff(p).astype(np.uint16)
        labs = [int(l) for l in np.unique(a) if l]
        for l in rng.choice(labs, 2, replace=False):
            if rng.random() < 0.3:
                a[a == l] = 0                                   # missed
            elif rng.random() < 0.3:
                a[a == l] = labs[0]                             # merged
            elif rng.random() < 0.3:                            # eroded below 50 %
                ys, xs = np.nonzero(a == l)
                a[ys[: 2 * len(ys) // 3], xs[: 2 * len(ys) // 3]] = 0
        tifffile.imwrite(os.path.join(res, f"mask{t:03d}.tif"), a)
    with open(os.path.join(res, "res_track.txt"), "w") as f:
        for l, (b, e, p) in tracks.items():
            f.write(f"{l} {b} {e} {p if rng.random() > 0.2 else 0}\n")
    ref = ctc_tra.compute(gt, res)
    s = os.path.join(tmp, "s.json")
    expect_ok(run("evaluate", "tracking", res, gt, "--summary-json", s))
    j = json.load(open(s))["tracking"]
    for k in ("NS", "FN", "FP", "ED", "EA", "EC", "gt_edges", "gt_markers_in_images"):
        assert j[k] == ref[k], (k, j[k], ref[k])
    for k in ("TRA", "DET", "LNK", "SEG", "AOGM"):
        assert close(j[k], ref[k]), (k, j[k], ref[k])
    assert j["TRA"] < 1


if __name__ == "__main__":
    main()
