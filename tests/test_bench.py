"""Smoke test of the benchmark harness (`python -m bench`): it runs end to end on the MLP with
tiny repetitions and produces the table and JSON rows with the expected columns. No timing
assertions: figures from a test run mean nothing."""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = ("model", "batch", "task", "mode", "ms/step", "vs torch", "peak MB", "mem", "warm@",
           "compiles", "1st ms")


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_bench_quick_mlp_runs_and_reports(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, "-m", "bench", "--quick", "--only", "mlp", "--batches", "2,4",
           "--rounds", "1", "--round-ms", "0.1", "--probe-steps", "2", "--compile-depth", "1",
           "--json", str(out), "--quiet"]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout
    header = next(line for line in text.splitlines() if line.startswith("model "))
    assert header.split() == [w for c in COLUMNS for w in c.split()]
    for section in ("framework overhead per op", "compile time vs op count", "targets",
                    "training step growth with the batch"):
        assert section in text

    res = json.loads(out.read_text())
    for key in ("cpu", "cores", "numpy", "torch", "onnxruntime", "blas"):
        assert key in res["machine"]
    rows = res["rows"]
    assert {(r["batch"], r["task"]) for r in rows} == {(b, t) for b in (2, 4)
                                                        for t in ("train", "infer")}
    modes = {r["mode"] for r in rows}
    expected = {"eager", "static", "implicit", "to_static"}
    expected |= {"pytorch"} if _has("torch") else set()
    expected_infer = expected | ({"onnxruntime"} if _has("onnxruntime") else set())
    assert modes == expected_infer
    for r in rows:
        assert r["model"] == "mlp"
        assert "error" not in r, r
        assert r["ms"] > 0 and r["first_ms"] > 0
        if r["mode"] in ("static", "implicit", "to_static"):
            assert r["compiles"] >= 1 and "warm_after" in r
        if "pytorch" in modes:
            assert r["vs_torch"] > 0
        if r["mode"] != "onnxruntime" and r["batch"] == 4:  # memory: at the largest batch
            assert r["peak_mb"] > 0 and r["mem_method"] in ("tracemalloc", "torch profiler")
    assert {r["mode"] for r in rows if r["task"] == "train"} == expected
    overhead = {(r["benchmark"], r["framework"]) for r in res["overhead"]}
    assert ("eager add", "dualnet eager") in overhead
    assert all("error" not in r for r in res["overhead"])
    assert len(res["compile"]) == 2 and res["compile"][1]["ops_ratio"] > 5
    growth = {r["mode"]: r for r in res["growth"]}
    assert set(growth) == {"static", "eager", "implicit", "to_static"}
    for r in growth.values():
        assert r["model"] == "mlp" and r["batches"] == [2, 4] and "error" not in r, r
        assert r["ratio"] > 0 and len(r["ms"]) == 2
    assert {t["target"] for t in res["targets"]} and \
        all(set(t) >= {"target", "measured", "limit", "met"} for t in res["targets"])

    sys.path.insert(0, ROOT)
    from bench.report import report  # the README's Markdown form of the same run

    md = report(res, markdown=True)
    md_header = next(line for line in md.splitlines() if line.startswith("| model "))
    assert [c.strip() for c in md_header.strip("|").split("|")] == list(COLUMNS)
