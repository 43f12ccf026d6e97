"""`python -m bench`: every benchmark, one table, ratios against PyTorch from the same run.

    python -m bench                      # everything (a few minutes on 2 quiet cores)
    python -m bench --quick              # fewer rounds, batches 64 and 256, memory at 256
    python -m bench --only mlp,lenet     # some models
    python -m bench --json out.json      # also write rows + machine/version header as JSON
    python -m bench --from-json out.json --markdown   # re-print a run as Markdown (README)
    python -m bench --threads 1          # one thread everywhere (PyTorch, onnxruntime, BLAS)

What is measured and how: bench/harness.py's docstring. The figures are only meaningful on a
quiet machine; compare ratios within one run. With other processes on the cores, multi-threaded
BLAS and OpenMP collapse (the MLP step measured 1.2 ms on 1 thread and 30-50 ms on 2 threads of a
busy 2-core machine): use `--threads 1` there. Per-pass ablations of the Executor:
`python -m bench.executor_passes`; implicit vs explicit on the MLP: `python -m bench.implicit_step`.
"""
from __future__ import annotations

import argparse
import json
import sys

from .common import set_threads
from .harness import MODEL_NAMES, TASKS, Config, run
from .report import report
from .modes import MODES


def _csv(value: str, allowed, what: str, convert=str) -> tuple:
    items = tuple(convert(v.strip()) for v in value.split(",") if v.strip())
    bad = [v for v in items if allowed is not None and v not in allowed]
    if bad or not items:
        raise argparse.ArgumentTypeError(f"{what}: expected a comma-separated subset of "
                                         f"{', '.join(map(str, allowed))}, got {value!r}")
    return items


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="fewer repetitions and configurations (batches 64 and 256)")
    p.add_argument("--only", type=lambda v: _csv(v, MODEL_NAMES, "--only"),
                   help=f"models to run (default all: {','.join(MODEL_NAMES)})")
    p.add_argument("--batches", type=lambda v: _csv(v, None, "--batches", int),
                   help="batch sizes (default 1,64,256; --quick 64,256)")
    p.add_argument("--tasks", type=lambda v: _csv(v, TASKS, "--tasks"),
                   help="train,infer (default both)")
    p.add_argument("--modes", type=lambda v: _csv(v, tuple(MODES), "--modes"),
                   help=f"modes (default all: {','.join(MODES)})")
    p.add_argument("--rounds", type=int, help="interleaved timing rounds per group")
    p.add_argument("--round-ms", type=float, help="time per mode per round, ms")
    p.add_argument("--probe-steps", type=int, help="steps watched for plan compiles")
    p.add_argument("--memory", choices=("all", "largest", "none"),
                   help="peak-memory pass for all groups, the largest batch only, or none")
    p.add_argument("--no-overhead", action="store_true", help="skip the per-op overhead")
    p.add_argument("--no-growth", action="store_true",
                   help="skip the step growth with the batch (paired timing)")
    p.add_argument("--no-compile", action="store_true", help="skip compile time vs op count")
    p.add_argument("--compile-depth", type=int,
                   help="hidden layers of the small compile-time program (default 3)")
    p.add_argument("--threads", type=int,
                   help="threads for PyTorch, onnxruntime and NumPy's BLAS (default: all cores)")
    p.add_argument("--json", metavar="PATH", help="also write the results to this JSON file")
    p.add_argument("--markdown", action="store_true", help="print Markdown tables")
    p.add_argument("--from-json", metavar="PATH",
                   help="print the report of a run saved with --json instead of running")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return p.parse_args(argv)


def config_from(args: argparse.Namespace) -> Config:
    overrides = {}
    for name, field in (("only", "models"), ("batches", "batches"), ("tasks", "tasks"),
                        ("modes", "modes"), ("rounds", "rounds"), ("round_ms", "round_ms"),
                        ("probe_steps", "probe_steps"), ("memory", "memory"),
                        ("compile_depth", "compile_depth")):
        value = getattr(args, name)
        if value is not None:
            overrides[field] = value
    if args.no_overhead:
        overrides["overhead"] = False
    if args.no_growth:
        overrides["growth"] = False
    if args.no_compile:
        overrides["compile"] = False
    if args.quiet:
        overrides["progress"] = False
    if args.quick:
        return Config.quick(**overrides)
    return Config(**overrides)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            print(report(json.load(f), markdown=args.markdown))
        return 0
    if args.threads:
        set_threads(args.threads)
    data = run(config_from(args)).to_json()
    print(report(data, markdown=args.markdown))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1, default=str)
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
