"""The report of a run: the issue's targets computed from its figures, and the printed tables
(plain text, or Markdown for the README), from the run's JSON form."""
from __future__ import annotations

import numpy as np

from .common import table
from .harness import MODEL_NAMES, TASKS
from .modes import MODES


# ---------------------------------------------------------------- targets

def _find(rows, **key):
    for r in rows:
        if all(r.get(k) == v for k, v in key.items()) and "error" not in r:
            return r
    return None


def targets(rows: list[dict], overhead: list[dict], compile_rows: list[dict],
            growth: list[dict] = ()) -> list[dict]:
    """The issue's targets against this run's figures: [{target, measured, limit, met}]."""
    out = []

    def add(name, value, limit, unit="x", detail=""):
        out.append({"target": name, "measured": value, "limit": limit, "unit": unit,
                    "met": None if value is None else value <= limit, "detail": detail})

    for mode, model, limit in (("static", "mlp", 1.0), ("static", "lenet", 1.5),
                               ("eager", "mlp", 1.5), ("eager", "lenet", 2.0)):
        r = _find(rows, model=model, batch=64, task="train", mode=mode)
        add(f"{mode} {model} train step b64 / pytorch", r and r.get("vs_torch"), limit)
    for model in ("mlp", "lenet"):
        ort = _find(rows, model=model, batch=64, task="infer", mode="onnxruntime")
        for mode in ("static", "to_static"):
            r = _find(rows, model=model, batch=64, task="infer", mode=mode)
            value = None
            if r and ort and "ms" in r and "ms" in ort:
                value = r.get("vs_onnxruntime", r["ms"] / ort["ms"])  # paired (harness)
            add(f"{mode} {model} inference b64 / onnxruntime", value, 1.3)
    explicit = _find(rows, model="mlp", batch=64, task="train", mode="static")
    implicit = _find(rows, model="mlp", batch=64, task="train", mode="implicit")
    add("implicit mlp train step b64 / static explicit", implicit and explicit and
        implicit.get("vs_static", implicit["ms"] / explicit["ms"]), 1.2,
        detail="implicit mode's own target")
    static = [r for r in overhead if r.get("framework") == "dualnet static"
              and "default passes" in r.get("benchmark", "") and "us_per_op" in r]
    add("static Executor per-op overhead", static[0]["us_per_op"] if static else None, 2.0,
        "us", "slope of a chain of tiny add/mul")
    for grad in (False, True):
        name = f"eager add{' (requires_grad)' if grad else ''}"
        eager = _find(overhead, benchmark=name, framework="dualnet eager")
        add(f"eager per-op overhead ({name})", eager and eager["us_per_op"], 10.0, "us")
    torch_mem = _find(rows, model="lenet", batch=256, task="train", mode="pytorch")
    for mode in ("static", "eager", "implicit", "to_static"):
        r = _find(rows, model="lenet", batch=256, task="train", mode=mode)
        value = None
        if r and torch_mem and r.get("peak_mb") and torch_mem.get("peak_mb"):
            value = r["peak_mb"] / torch_mem["peak_mb"]
        add(f"{mode} lenet b256 peak training memory / pytorch", value, 1.5,
            detail=f"{r['peak_mb']:.1f} MB vs {torch_mem['peak_mb']:.1f} MB"
            if value is not None else "")
    for mode in ("static", "eager", "implicit", "to_static"):
        worst = None
        for model in MODEL_NAMES:
            # the growth section's paired figure; else the table's (groups timed apart)
            g = _find(growth, model=model, mode=mode, batches=[64, 256])
            if g is not None and "ratio" in g:
                ratio = g["ratio"]
            else:
                r64 = _find(rows, model=model, batch=64, task="train", mode=mode)
                r256 = _find(rows, model=model, batch=256, task="train", mode=mode)
                if not (r64 and r256 and "ms" in r64 and "ms" in r256):
                    continue
                ratio = r256["ms"] / r64["ms"]
            if worst is None or ratio > worst[0]:
                worst = (ratio, model)
        add(f"{mode} train step b256 / b64 (worst model)", worst and worst[0], 4.5,
            detail=worst[1] if worst else "")
    large = compile_rows[1] if len(compile_rows) == 2 else None
    add("compile time, program with 10x the ops / small", large and large["time_ratio"], 12.0,
        detail=f"{large['ops_ratio']:.1f}x the ops" if large else "")
    return out


# ---------------------------------------------------------------- printing

def _num(v, digits: int = 3) -> str:
    """A figure with about `digits` significant digits; "" for None."""
    if v is None:
        return ""
    if isinstance(v, int):
        return str(v)
    if v == 0:
        return "0"
    decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(v)))))
    return f"{v:.{decimals}f}"


def _ratio(v) -> str:
    return "" if v is None else f"{_num(v)}x"


MODE_ORDER = {m: i for i, m in enumerate(MODES)}
MEM_SHORT = {"tracemalloc": "tm", "torch profiler": "prof"}


def step_table(rows: list[dict], markdown: bool = False) -> str:
    order = sorted(rows, key=lambda r: (MODEL_NAMES.index(r["model"])
                                        if r["model"] in MODEL_NAMES else 99,
                                        TASKS.index(r["task"]), r["batch"],
                                        MODE_ORDER.get(r["mode"], 99)))
    out = []
    for r in order:
        warm = ""
        if "compiles" in r:
            warm = f">={r['probe_steps']}" if r["warm_after"] is None else str(r["warm_after"])
        out.append({
            "model": r["model"], "batch": r["batch"], "task": r["task"], "mode": r["mode"],
            "ms/step": _num(r.get("ms")) if "error" not in r else "error",
            "vs torch": _ratio(r.get("vs_torch")),
            "peak MB": _num(r.get("peak_mb")),
            "mem": MEM_SHORT.get(r.get("mem_method"), "-" if r.get("mem_method") else ""),
            "warm@": warm, "compiles": r.get("compiles", ""),
            "1st ms": _num(r.get("first_ms")),
            "note": r.get("error", ""),
        })
    cols = ["model", "batch", "task", "mode", "ms/step", "vs torch", "peak MB", "mem", "warm@",
            "compiles", "1st ms"]
    if any(r["note"] for r in out):
        cols.append("note")
    return table(out, cols, markdown=markdown)


def report(data: dict, markdown: bool = False) -> str:
    """The printed report of a run's JSON form (`Results.to_json()`, or a file written by
    `--json`); markdown=True gives Markdown tables (for the README)."""
    def tab(rows, cols):
        return table(rows, cols, markdown=markdown)

    m = data["machine"]
    lines = [
        f"machine: {m.get('cpu')}, {m.get('cores')} cores; {m.get('platform')}; "
        f"BLAS {m.get('blas')}",
        f"versions: python {m.get('python')}, numpy {m.get('numpy')}, torch {m.get('torch')}, "
        f"onnxruntime {m.get('onnxruntime')}, onnx {m.get('onnx')}, dualnet {m.get('dualnet')}"
        + (f" @ {m['commit']}" if m.get("commit") else ""),
        f"threads: pytorch and onnxruntime {m.get('threads (pytorch, onnxruntime)')}; "
        f"glibc malloc tuning {'on' if m.get('glibc malloc tuning') else 'off'}; "
        f"{m.get('date')}",
        "",
    ]
    if markdown:
        lines = [line + "  " if line else line for line in lines]  # Markdown line breaks
    if data["rows"]:
        lines += [step_table(data["rows"], markdown), "",
                  "ms/step: median over interleaved rounds; vs torch: ratio to PyTorch eager in "
                  "the same group (same model, batch, task): the median of the rounds' "
                  "quotients.",
                  "peak MB: bytes alive at the peak of a steady step, counted from before the "
                  "model was built (parameters, optimizer state, gradients, plan buffers, "
                  "temporaries; not the input batch); tm = tracemalloc (NumPy data + Python "
                  "objects), prof = PyTorch profiler allocator events; onnxruntime not "
                  "measured.",
                  "warm@: steps from a cold plan cache until no more plans compile (static "
                  "modes); compiles: plans compiled in those steps; 1st ms: the cold first step "
                  "(trace + compile).", ""]
    if data.get("skipped"):
        lines += ["skipped: " + "; ".join(f"{k} ({len(v)} groups)"
                                          for k, v in data["skipped"].items()), ""]
    if data.get("growth"):
        lines += ["training step growth with the batch (the two batches in alternating rounds; "
                  "the median of the rounds' quotients)", "",
                  tab([{"model": r["model"], "mode": r["mode"],
                        "batches": " -> ".join(map(str, r["batches"])),
                        "ms": " -> ".join(_num(v) for v in r["ms"]) if "ms" in r else "",
                        "growth": _ratio(r.get("ratio")) if "ratio" in r
                        else r.get("error", "")} for r in data["growth"]],
                      ["model", "mode", "batches", "ms", "growth"]), ""]
    if data.get("overhead"):
        lines += ["framework overhead per op (tiny tensors)", "",
                  tab([{"benchmark": r["benchmark"], "framework": r["framework"],
                        "us/op": _num(r.get("us_per_op")),
                        "note": r.get("error", r.get("note", ""))} for r in data["overhead"]],
                      ["benchmark", "framework", "us/op", "note"]), ""]
    if data.get("compile"):
        lines += ["compile time vs op count (Executor plan from a cleared cache)", "",
                  tab([{"program": r["model"], "ops": r.get("ops", ""),
                        "compile ms": _num(r.get("compile_ms")),
                        "us/op": _num(r.get("us_per_op")),
                        "1st-run extra ms": _num(r.get("first_run_extra_ms")),
                        "vs small": (f"{r['time_ratio']:.2f}x time for "
                                     f"{r['ops_ratio']:.1f}x ops") if "time_ratio" in r
                        else r.get("error", "")} for r in data["compile"]],
                      ["program", "ops", "compile ms", "us/op", "1st-run extra ms",
                       "vs small"]), ""]
    if data.get("targets"):
        lines += ["targets (issue 7; ratios from this run, reported, not asserted)", "",
                  tab([{"target": t["target"],
                        "measured": "n/a" if t["measured"] is None else
                        (f"{t['measured']:.2f}x" if t["unit"] == "x"
                         else f"{t['measured']:.2f} us"),
                        "limit": f"<= {t['limit']}{'x' if t['unit'] == 'x' else ' us'}",
                        "met": {True: "met", False: "NOT met", None: "n/a"}[t["met"]],
                        "detail": t["detail"]} for t in data["targets"]],
                      ["target", "measured", "limit", "met", "detail"]), ""]
    lines.append(f"total {data.get('seconds', 0):.0f} s")
    return "\n".join(lines)
