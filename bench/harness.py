"""The benchmark harness behind `python -m bench` (issue 7).

Step benchmarks. For every (model, batch, task) - a *group* - each mode of bench/modes.py builds
its closure; then
1. warm-up and plan-cache probe: from a cleared plan cache (static modes), `probe_steps` single
   steps run and `paddle.static.plan_cache_info().compiles` is read after each. "warm@" is the
   step after which no more plans were compiled (">=N" if the last probed step still compiled),
   "compiles" how many were compiled; "1st ms" is the cold first step (trace + compile for the
   static modes).
2. timing: the modes run interleaved, `rounds` rounds of a block of steps each (as many as take
   about `round_ms`, at least one), with a short sleep after each block (OpenBLAS's and
   PyTorch's OpenMP threads keep spinning after a call and would slow whatever runs next on the
   same cores). "ms/step" is the median over the rounds of the block's mean step time, "vs
   torch" the median over the rounds of its ratio to PyTorch's block time in the same round
   (so is the ratio to onnxruntime): a slow spell of the machine weighs on both sides of
   each quotient. Python's garbage collector stays on: its cost is part of a framework's
   cost.
4. step growth (batch_growth): per model and mode, the training steps at batch 64 and 256
   timed in alternating rounds; the figure is the median of the rounds' quotients.
3. peak memory, in a separate pass (tracing slows everything down): the closure is built again
   from a cleared plan cache while allocations are traced, runs `mem_warmup` steps, then the
   peak of the bytes alive during `mem_steps` more steps is read, counted from before the build.
   So it includes parameters, optimizer state, gradients, the plan's cached buffers and the
   step's temporaries, not the input batch (made before). dualnet modes: `tracemalloc` (NumPy
   reports its array data to it; Python objects count too). PyTorch: the profiler's CPU
   allocator events (`profile_memory=True`), summed in time order. onnxruntime: not measured
   (its arena is seen by neither).

micro.py: the per-op overhead and compile time against op count; report.py: the issue's targets
from the figures of the same run (reported, not asserted) and the tables. modes.py: one step per
mode; models.py: the models; __main__.py: the command line.
"""
from __future__ import annotations

import gc
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass, field

import numpy as np

from . import common
from .common import try_import_torch
from .modes import MODES, STATIC_MODES, Unavailable, _data

MODEL_NAMES = ("mlp", "lenet", "resnet", "transformer")
TASKS = ("train", "infer")


@dataclass
class Config:
    models: tuple = MODEL_NAMES
    batches: tuple = (1, 64, 256)
    tasks: tuple = TASKS
    modes: tuple = tuple(MODES)
    rounds: int = 7  # interleaved timing rounds; the figure is their median
    round_ms: float = 40.0  # steps per round and mode: as many as take about this long
    probe_steps: int = 4  # single steps watched for plan compiles, from a cold plan cache
    memory: str = "all"  # "all" groups, "largest" batch only, or "none"
    mem_warmup: int = 2  # steps run before the one(s) whose peak memory is taken
    mem_steps: int = 1  # steps whose peak memory is taken
    settle_s: float = 0.015  # sleep after each mode's block of steps
    group_budget_s: float = 10.0  # no new timing round (after 3) once a group took this
    growth: bool = True  # the step-growth section (batch_growth)
    overhead: bool = True  # the per-op overhead section
    overhead_ops: int = 2000  # tiny ops per timed loop (eager); long chain length (static)
    overhead_repeats: int = 7
    compile: bool = True  # the compile-time section
    compile_depth: int = 3  # hidden layers of the small model; the large one has 10x its ops
    compile_repeats: int = 5
    progress: bool = True  # progress lines on stderr

    @classmethod
    def quick(cls, **overrides) -> "Config":
        base = dict(batches=(64, 256), rounds=3, round_ms=15.0, probe_steps=3, memory="largest",
                    overhead_ops=500, overhead_repeats=3, compile_repeats=3)
        base.update(overrides)
        return cls(**base)


# ---------------------------------------------------------------- plan cache

def plan_compiles() -> int:
    from dualnet_static.static import plan_cache_info

    return plan_cache_info().compiles


def clear_plans() -> None:
    from dualnet_static.static import clear_plan_cache

    clear_plan_cache()


# ---------------------------------------------------------------- step benchmarks

def _log(cfg: Config, msg: str) -> None:
    if cfg.progress:
        print(f"[bench] {msg}", file=sys.stderr, flush=True)


def error_text(e: Exception) -> str:
    text = f"{type(e).__name__}: {e}".splitlines()[0]
    return text if len(text) <= 200 else text[:197] + "..."


def _build_and_probe(mode: str, model: str, batch: int, task: str, cfg: Config, row: dict):
    """Build the mode's step from a cold plan cache and run the probe steps."""
    static = mode in STATIC_MODES
    _data(model, batch)
    if static:
        clear_plans()
    gc.collect()
    t0 = time.perf_counter()
    step = MODES[mode](model, batch, task)
    row["build_ms"] = (time.perf_counter() - t0) * 1e3
    compiles = start = plan_compiles() if static else 0
    last_compiling, times = 0, []
    for i in range(max(1, cfg.probe_steps)):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
        if static:
            now = plan_compiles()
            if now > compiles:
                last_compiling, compiles = i + 1, now
    row["first_ms"] = times[0]
    row["probe_steps"] = len(times)
    if static:
        row["compiles"] = compiles - start
        still_compiling = len(times) > 1 and last_compiling == len(times)
        row["warm_after"] = None if still_compiling else last_compiling
    row["_calibration"] = min(times[1:]) if len(times) > 1 else times[0]
    return step


def _time_interleaved(runners: list, cfg: Config) -> None:
    """Set row["ms"], the median over rounds of the mean step time of the round's block, for
    each (row, step). A block is as many steps as took about `round_ms` in the last round; after
    3 rounds, no new round starts once the group has used `group_budget_s`. A step that raises
    marks its row and leaves the rounds."""
    numbers = [max(1, round(cfg.round_ms / max(row["_calibration"], 1e-3))) for row, _ in runners]
    samples: list[list[float]] = [[] for _ in runners]
    start = time.perf_counter()
    for i in range(max(1, cfg.rounds)):
        if i >= 3 and time.perf_counter() - start > cfg.group_budget_s:
            break
        for k, ((row, step), out) in enumerate(zip(runners, samples)):
            if "error" in row:
                continue
            try:
                t0 = time.perf_counter()
                for _ in range(numbers[k]):
                    step()
                out.append((time.perf_counter() - t0) / numbers[k] * 1e3)
            except Exception as e:  # noqa: BLE001 - a failing mode is a row, not the end
                row["error"] = f"timing: {error_text(e)}"
                continue
            numbers[k] = max(1, round(cfg.round_ms / max(out[-1], 1e-3)))
            if cfg.settle_s:  # let spinning BLAS / OpenMP threads go idle
                time.sleep(cfg.settle_s)
    for (row, _), out in zip(runners, samples):
        if out and "error" not in row:
            row["ms"] = statistics.median(out)
            row["rounds"] = len(out)
            row["_samples"] = out


def peak_memory(mode: str, model: str, batch: int, task: str, cfg: Config):
    """(peak MB, method) or (None, reason): see the module docstring."""
    if mode == "onnxruntime":
        return None, "not measured"
    _data(model, batch)  # the batch exists before counting starts
    if mode == "pytorch":
        return _torch_peak(model, batch, task, cfg)
    if mode in STATIC_MODES:
        clear_plans()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        step = MODES[mode](model, batch, task)
        for _ in range(max(1, cfg.mem_warmup)):
            step()
        tracemalloc.reset_peak()
        for _ in range(max(1, cfg.mem_steps)):
            step()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak / 2**20, "tracemalloc"


def _torch_peak(model: str, batch: int, task: str, cfg: Config):
    from torch.profiler import ProfilerActivity, profile, record_function

    gc.collect()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step = MODES["pytorch"](model, batch, task)
        for _ in range(max(1, cfg.mem_warmup)):
            step()
        with record_function("bench.measured"):
            for _ in range(max(1, cfg.mem_steps)):
                step()
    try:
        events = prof.profiler.kineto_results.events()
        marker = min(e.start_ns() for e in events if e.name() == "bench.measured")
        allocs = sorted((e.start_ns(), e.nbytes()) for e in events if e.name() == "[memory]")
    except (AttributeError, ValueError) as e:
        return None, f"torch profiler: {error_text(e)}"
    live = peak = 0
    for t, nbytes in allocs:
        if t >= marker:
            peak = max(peak, live)  # alive when the measured steps started
        live += nbytes
        if t >= marker:
            peak = max(peak, live)
    return peak / 2**20, "torch profiler"


def _paired(row: dict, ref: dict) -> float:
    """row's time over ref's: the median of the rounds' quotients when both ran every round
    (the machine's speed, which moves during a group, then weighs on both), else the
    quotient of their medians."""
    a, b = row.get("_samples"), ref.get("_samples")
    if a and b and len(a) == len(b):
        return statistics.median(x / y for x, y in zip(a, b))
    return row["ms"] / ref["ms"]


def run_group(model: str, batch: int, task: str, cfg: Config, skipped: dict) -> list[dict]:
    """The rows of one (model, batch, task): every available mode, measured together."""
    rows, runners = [], []
    for mode in cfg.modes:
        row = {"model": model, "batch": batch, "task": task, "mode": mode}
        try:
            step = _build_and_probe(mode, model, batch, task, cfg, row)
        except Unavailable as e:
            skipped.setdefault(f"{mode}: {e}", []).append(f"{model}/{batch}/{task}")
            continue
        except Exception as e:  # noqa: BLE001 - a failing mode is a row, not the end of the run
            row["error"] = error_text(e)
            rows.append(row)
            continue
        rows.append(row)
        runners.append((row, step))
    _time_interleaved(runners, cfg)
    runners.clear()
    ref = next((r for r in rows if r["mode"] == "pytorch" and "ms" in r), None)
    ort = next((r for r in rows if r["mode"] == "onnxruntime" and "ms" in r), None)
    explicit = next((r for r in rows if r["mode"] == "static" and "ms" in r), None)
    for row in rows:
        row.pop("_calibration", None)
        if ref is not None and "ms" in row:
            row["vs_torch"] = _paired(row, ref)
        if ort is not None and "ms" in row and row is not ort:
            row["vs_onnxruntime"] = _paired(row, ort)
        if explicit is not None and row["mode"] == "implicit" and "ms" in row:
            row["vs_static"] = _paired(row, explicit)  # implicit mode's own target
    for row in rows:
        row.pop("_samples", None)
    if cfg.memory == "all" or (cfg.memory == "largest" and batch == max(cfg.batches)):
        for row in rows:
            if "error" in row:
                continue
            try:
                row["peak_mb"], row["mem_method"] = peak_memory(row["mode"], model, batch,
                                                                task, cfg)
            except Exception as e:  # noqa: BLE001
                row["peak_mb"], row["mem_method"] = None, f"error: {error_text(e)}"
    return rows


def step_benchmarks(cfg: Config, skipped: dict) -> list[dict]:
    groups = [(m, b, t) for m in cfg.models for t in cfg.tasks for b in cfg.batches]
    rows = []
    for i, (model, batch, task) in enumerate(groups):
        t0 = time.perf_counter()
        rows += run_group(model, batch, task, cfg, skipped)
        _log(cfg, f"{model} batch {batch} {task}: {time.perf_counter() - t0:.1f} s "
                  f"({i + 1}/{len(groups)})")
    return rows


GROWTH_MODES = ("static", "eager", "implicit", "to_static")


def batch_growth(cfg: Config) -> list[dict]:
    """How a training step's time grows from the smallest to the largest batch of the run
    (64 -> 256, the target's pair, when the run has both), per model and dualnet mode. The
    two batches of a pair are timed in alternating rounds and the figure is the median of the
    rounds' quotients, so that the machine's speed, which moves between the step groups of
    the table, weighs on both."""
    if len(cfg.batches) < 2:
        return []
    lo, hi = (64, 256) if {64, 256} <= set(cfg.batches) else (min(cfg.batches),
                                                               max(cfg.batches))
    out = []
    for model in cfg.models:
        for mode in (m for m in GROWTH_MODES if m in cfg.modes):
            row = {"model": model, "mode": mode, "batches": [lo, hi]}
            pair = []
            try:
                for batch in (lo, hi):
                    r = {}
                    pair.append((r, _build_and_probe(mode, model, batch, "train", cfg, r)))
            except Unavailable:
                continue
            except Exception as e:  # noqa: BLE001 - a failing mode is a row, not the end
                row["error"] = error_text(e)
                out.append(row)
                continue
            _time_interleaved(pair, cfg)
            (r_lo, _), (r_hi, _) = pair
            pair.clear()
            if "error" in r_lo or "error" in r_hi:
                row["error"] = r_lo.get("error") or r_hi.get("error")
            else:
                row["ratio"] = _paired(r_hi, r_lo)
                row["ms"] = [r_lo["ms"], r_hi["ms"]]
            out.append(row)
    return out


# ---------------------------------------------------------------- machine

def machine_info() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cores": os.cpu_count(), "threads (pytorch, onnxruntime)": common.THREADS,
            "numpy": np.__version__}
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    info["cpu"] = cpu
    try:
        info["usable cores"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = "; ".join(
            f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}, "
            f"{p.get('num_threads')} threads)" for p in threadpool_info()
            if p.get("user_api") == "blas") or "unknown"
    except ImportError:
        info["blas"] = "unknown (threadpoolctl not installed)"
    torch = try_import_torch()
    info["torch"] = torch.__version__ if torch is not None else "not installed"
    for name in ("onnxruntime", "onnx"):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            info[name] = "not installed"
    import dualnet
    from dualnet import _malloc

    info["dualnet"] = getattr(dualnet, "__version__", "?")
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        commit = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        if commit:
            info["commit"] = commit + (" (with local changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    info["glibc malloc tuning"] = _malloc.applied
    for var in ("DUALNET_EXECUTOR_PASSES", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        if os.environ.get(var):
            info[var] = os.environ[var]
    info["date"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return info


# ---------------------------------------------------------------- the whole run

@dataclass
class Results:
    machine: dict
    config: dict
    rows: list = field(default_factory=list)
    overhead: list = field(default_factory=list)
    growth: list = field(default_factory=list)
    compile: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    skipped: dict = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


def _import_everything() -> None:
    """Import what the modes use up front: no import lands inside a build or a timing."""
    import dualnet_eager  # noqa: F401
    import dualnet_static  # noqa: F401
    import dualnet_static.nn  # noqa: F401
    import dualnet_static.optimizer  # noqa: F401
    import interop  # noqa: F401

    for optional in ("interop.onnx", "onnxruntime"):
        try:
            __import__(optional)
        except ImportError:
            pass
    torch = try_import_torch()
    if torch is not None:  # its first optimizer imports torch._dynamo (seconds)
        import torch.profiler  # noqa: F401

        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def run(cfg: Config) -> Results:
    """Every section of the benchmark under `cfg`. The objects alive after the imports (PyTorch
    and onnxruntime bring hundreds of thousands) are frozen out of the garbage collector's
    reach (`gc.freeze()`) for the run: otherwise every full collection, in any mode, would
    scan the other frameworks' objects too - a cost no single-framework program pays."""
    from .micro import compile_scaling, per_op_overhead
    from .report import targets

    t0 = time.perf_counter()
    _import_everything()
    res = Results(machine_info(), asdict(cfg))  # imports PyTorch when installed
    gc.collect()
    gc.freeze()
    try:
        res.rows = step_benchmarks(cfg, res.skipped)
        if cfg.growth:
            _log(cfg, "step growth with the batch")
            res.growth = batch_growth(cfg)
        if cfg.overhead:
            _log(cfg, "per-op overhead")
            res.overhead = per_op_overhead(cfg)
        if cfg.compile:
            _log(cfg, "compile time vs op count")
            try:
                res.compile = compile_scaling(cfg)
            except Exception as e:  # noqa: BLE001
                res.compile = [{"model": "deep MLP", "error": error_text(e)}]
    finally:
        gc.unfreeze()
    res.targets = targets(res.rows, res.overhead, res.compile, res.growth)
    res.seconds = time.perf_counter() - t0
    return res
