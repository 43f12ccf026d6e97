"""The Executor's optimization passes (DESIGN.md section 5; issue 7), one module each:

    constant_folding.py  ops of constants, and shape-only ops of statically shaped values
    fuse_softmax_ce.py   log_softmax + nll_loss (forward) and their gradient kernels (backward)
    fuse_linear.py       matmul/linear + bias add + activation; conv2d + bias add + activation;
                         that + max_pool2d (the epilogue after the pooling, inference)
    fold_batch_norm.py   an inference batch norm folded into the conv2d before it
    fuse_elementwise.py  trees of elementwise ops whose intermediates nothing else reads
    memory.py            liveness, alias groups, out= kernels into dead temporaries' buffers
                         (kept between runs), elementwise ops in place into a dying input

Pruning to the fetch list (dead-code elimination) and freeing temporaries after their last
reader are the compiler's own steps (compiler.py). Which passes run is a `BuildStrategy`,
given per program with `static.CompiledProgram(program, build_strategy=...)`; its defaults come
from the environment variable DUALNET_EXECUTOR_PASSES: unset or "default" (the defaults
below), "all", "none", or a comma-separated list of the passes to run (e.g.
"fuse_linear,memory_optimize"). The strategy is part of the plan-cache key.
"""
from __future__ import annotations

import os

from . import constant_folding, fold_batch_norm, fuse_elementwise, fuse_linear, fuse_softmax_ce
from .graph import Graph  # noqa: F401
from .memory import is_out_kernel, plan_memory  # noqa: F401

# pass -> default. Measured with bench/executor_passes.py (seed MLP and LeNet training steps,
# batch 64; a tanh-gelu of 64x512 and 256x4096): folding and the softmax-CE fusion pay on every
# step; fuse_linear/fuse_conv_bias save dispatches and temporaries (within noise at these
# sizes); the memory passes pay on values of ~1M elements (0.8x) and are neutral below.
PASSES = {
    "constant_folding": True,
    "fuse_softmax_ce": True,
    "fuse_linear": True,
    "fuse_conv_bias": True,
    "fold_conv_bn": True,
    "fuse_conv_pool": True,
    "fuse_elewise_add_act_ops": False,  # Paddle's default; 0.73-0.95x on inference chains
    "memory_optimize": True,
    "enable_inplace": True,
}
# Paddle BuildStrategy fields accepted for compatibility; they change nothing here.
PADDLE_FIELDS = ("fuse_bn_act_ops", "fuse_bn_add_act_ops", "fuse_relu_depthwise_conv",
                 "fuse_broadcast_ops", "fuse_all_optimizer_ops", "fuse_all_reduce_ops",
                 "fuse_gemm_epilogue", "sync_batch_norm", "reduce_strategy",
                 "gradient_scale_strategy", "debug_graphviz_path", "enable_auto_fusion",
                 "enable_sequential_execution", "remove_unnecessary_lock", "num_trainers",
                 "trainer_id", "build_cinn_pass", "enable_addto", "allow_cuda_graph_capture")

ENV = "DUALNET_EXECUTOR_PASSES"


class BuildStrategy:
    """Which Executor passes run (Paddle's `paddle.static.BuildStrategy`). Every pass is a
    bool attribute (see PASSES); `key()` is the part of the plan-cache key it decides."""

    def __init__(self, **passes):
        object.__setattr__(self, "_on", dict(_env_defaults()))
        object.__setattr__(self, "_extra", {})
        object.__setattr__(self, "_key", None)
        for name, value in passes.items():
            setattr(self, name, value)

    def __getattr__(self, name):
        on = self.__dict__["_on"]
        if name in on:
            return on[name]
        if name in PADDLE_FIELDS:
            return self.__dict__["_extra"].get(name)
        raise AttributeError(f"BuildStrategy has no field {name!r}")

    def __setattr__(self, name, value):
        if name in self._on:
            self._on[name] = bool(value)
            object.__setattr__(self, "_key", None)
        elif name in PADDLE_FIELDS:
            self._extra[name] = value
        else:
            raise AttributeError(f"BuildStrategy has no field {name!r} (passes: "
                                 f"{', '.join(PASSES)})")

    def key(self) -> tuple:
        key = self._key
        if key is None:
            key = tuple(name for name, on in self._on.items() if on)
            object.__setattr__(self, "_key", key)
        return key

    def __repr__(self) -> str:
        return f"BuildStrategy({', '.join(self.key()) or 'no passes'})"


def _env_defaults() -> dict:
    text = os.environ.get(ENV, "").strip().lower()
    cached = _ENV_CACHE.get(text)
    if cached is None:
        cached = _ENV_CACHE[text] = _parse(text)
    return cached


def _parse(text: str) -> dict:
    if text in ("", "default"):
        return dict(PASSES)
    if text in ("all", "none"):
        return {name: text == "all" for name in PASSES}
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in PASSES]
    if unknown:
        raise ValueError(f"{ENV}: unknown pass(es) {', '.join(unknown)}; known: "
                         f"{', '.join(PASSES)} (or all, none, default)")
    return {name: name in names for name in PASSES}


_ENV_CACHE: dict = {}
_DEFAULT: dict = {}  # the variable's text -> its strategy (one object per text)
_BY_RAW: dict = {}  # the variable's raw value in os.environ's own mapping -> its strategy
try:  # CPython's os._Environ keeps the environment encoded in `_data` (bytes on POSIX)
    _RAW_KEY = os.environ.encodekey(ENV)
except AttributeError:
    _RAW_KEY = ENV


def default_strategy() -> BuildStrategy:
    """The strategy of a plain Program (no CompiledProgram): the environment's defaults.
    Called on every Executor run: the variable's raw value is looked up in os.environ's own
    mapping (~0.1 us; os.environ.get decodes, ~1.3 us), so a change made through os.environ
    (monkeypatch.setenv, del os.environ[...]) is seen by the next run."""
    try:
        raw = os.environ._data.get(_RAW_KEY)
    except AttributeError:  # not CPython's os._Environ (os.environ replaced by a dict)
        return _strategy_for(os.environ.get(ENV, ""))
    strategy = _BY_RAW.get(raw)
    if strategy is None:
        strategy = _BY_RAW[raw] = _strategy_for(os.environ.get(ENV, ""))
    return strategy


def _strategy_for(text: str) -> BuildStrategy:
    strategy = _DEFAULT.get(text)
    if strategy is None:
        strategy = _DEFAULT[text] = BuildStrategy()
    return strategy


# the graph passes in the order they run (memory planning runs later, on the plan's steps)
GRAPH_PASSES = (
    ("constant_folding", constant_folding.run),
    ("fuse_softmax_ce", fuse_softmax_ce.run),
    ("fuse_linear", fuse_linear.run_linear),
    ("fold_conv_bn", fold_batch_norm.run),
    ("fuse_conv_bias", fuse_linear.run_conv),
    ("fuse_conv_pool", fuse_linear.run_conv_pool),
    ("fuse_elewise_add_act_ops", fuse_elementwise.run),
)


def optimize(graph: Graph, strategy: BuildStrategy) -> dict:
    """Run the graph passes the strategy enables; returns {pass: ops removed or fused}."""
    return {name: run(graph) for name, run in GRAPH_PASSES if getattr(strategy, name)}
