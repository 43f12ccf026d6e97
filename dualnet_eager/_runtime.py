"""torch's process-wide knobs: print options (and the Tensor repr that honours them),
finfo/iinfo, the global random state as a uint8 snapshot, thread counts and the
deterministic-algorithms flag.

Everything here is plain Python state of this process; kernels never read it (except the
Tensor repr reading the print options).
"""
from __future__ import annotations

import math
import os
import struct

import numpy as np

from dualnet import dtypes as _dtypes
from dualnet import random as _random

# ---------------------------------------------------------------- print options

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None  # None: chosen per tensor from its values, as PyTorch


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """torch.set_printoptions: how Tensor reprs look. `profile` ('default', 'short', 'full')
    sets all four numbers first; the explicit arguments then override it. `sci_mode`
    True/False forces scientific/fixed notation, None picks one per tensor."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r} (expected one of "
                             f"{', '.join(_PROFILES)})")
        for key, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, key, value)
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, key, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    return {k: getattr(PRINT_OPTS, k)
            for k in ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")}


class _Formatter:
    """PyTorch's element formatter: one width for the whole tensor; integer-valued floats
    print as `1.`, scientific notation when the magnitudes span more than 1000x."""

    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        precision = PRINT_OPTS.precision
        if not self.floating:
            self.width = max((len(self._plain(v)) for v in values.reshape(-1)), default=1)
        else:
            finite = values[np.isfinite(values) & (values != 0)].astype(np.float64)
            strs = []  # only nonzero finite values set the width, as in PyTorch
            if finite.size:
                lo, hi = float(np.abs(finite).min()), float(np.abs(finite).max())
                self.int_mode = bool(np.all(finite == np.ceil(finite)))
                spread = hi / lo > 1000.0 or hi > 1.0e8
                self.sci_mode = spread if self.int_mode else spread or lo < 1.0e-4
                if self.sci_mode:
                    strs += [f"{v:.{precision}e}" for v in finite]
                elif self.int_mode:
                    strs += [f"{v:.0f}." for v in finite]
                else:
                    strs += [f"{v:.{precision}f}" for v in finite]
            self.width = max((len(s) for s in strs), default=1)
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode

    @staticmethod
    def _plain(v) -> str:
        if isinstance(v, (np.bool_, bool)):
            return "True" if v else "False"
        return str(v.item() if hasattr(v, "item") else v)

    def format(self, v) -> str:
        precision = PRINT_OPTS.precision
        if self.floating:
            v = float(v)
            if self.sci_mode:
                out = f"{v:{self.width}.{precision}e}"
            elif self.int_mode:
                out = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
            else:
                out = f"{v:.{precision}f}"
        elif np.iscomplexobj(v):
            out = f"{v.real:.{precision}f}{v.imag:+.{precision}f}j"
        else:
            out = self._plain(v)
        return " " * (self.width - len(out)) + out


def _summarized(a: np.ndarray) -> np.ndarray:
    """The values a summarized print shows (edgeitems at each end of every dim)."""
    n = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a.reshape(-1)
    if a.shape[0] > 2 * n:
        a = np.concatenate([a[:n], a[-n:]])
    return np.concatenate([_summarized(row).reshape(-1) for row in a]) if a.ndim > 1 \
        else a


def _vector(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, int((PRINT_OPTS.linewidth - indent) // (fmt.width + 2)))
    n = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * n:
        items = [fmt.format(v) for v in a[:n]] + [" ..."] + [fmt.format(v) for v in a[-n:]]
    else:
        items = [fmt.format(v) for v in a]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    n = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * n:
        rows = [_nested(r, indent + 1, summarize, fmt) for r in a[:n]] + ["..."] + \
               [_nested(r, indent + 1, summarize, fmt) for r in a[-n:]]
    else:
        rows = [_nested(r, indent + 1, summarize, fmt) for r in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def format_array(a: np.ndarray, indent: int) -> str:
    """The body of a Tensor repr (`[[1., 2.], ...]`) under the current print options."""
    if a.dtype == np.float16:
        a = a.astype(np.float32)
    summarize = a.size > PRINT_OPTS.threshold
    fmt = _Formatter(_summarized(a) if summarize else a.reshape(-1))
    return _nested(a, indent, summarize, fmt)


# ---------------------------------------------------------------- finfo / iinfo


def _np_dtype(dtype, kinds: str, what: str) -> np.dtype:
    d = _dtypes.as_np(dtype) if dtype is not None else _dtypes.get_default_dtype().np
    if d.kind == "c":
        d = np.dtype(f"float{d.itemsize * 4}")
    if d.kind not in kinds:
        wanted = "a floating point" if what == "finfo" else "an integer"
        got = repr(_dtypes.as_dtype(dtype)).replace("dualnet.", "torch.")
        raise TypeError(f"torch.{what}() requires {wanted} dtype, got {got}")
    return d


class finfo:
    """Machine limits of a floating dtype (torch.finfo; default: the default dtype)."""

    def __init__(self, type=None):  # noqa: A002 (PyTorch's parameter name)
        info = np.finfo(_np_dtype(type, "f", "finfo"))
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(info.resolution)
        self.dtype = str(info.dtype)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer (or bool) dtype (torch.iinfo)."""

    def __init__(self, type):  # noqa: A002
        d = _np_dtype(type, "iub", "iinfo")
        info = np.iinfo(np.uint8 if d.kind == "b" else d)
        self.bits = 8 if d.kind == "b" else int(info.bits)
        self.max = 1 if d.kind == "b" else int(info.max)
        self.min = 0 if d.kind == "b" else int(info.min)
        self.dtype = str(d)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


# ---------------------------------------------------------------- random state

_RNG_MAGIC = b"DNR1"  # snapshot layout: magic, seed, PCG64 state + inc, has_uint32, uinteger
_RNG_LAYOUT = "<4sq16s16sBI"


def seed() -> int:
    """Seed the generators with a non-deterministic 63-bit number and return it."""
    s = int(np.random.SeedSequence().entropy % (2 ** 63))
    _random.manual_seed(s)
    return s


def get_rng_state():
    """The CPU generator's state as a uint8 Tensor (restore it with set_rng_state)."""
    from .tensor import Tensor

    state = _random.get_state(np)
    if state.get("bit_generator") != "PCG64":
        raise RuntimeError(f"get_rng_state: unexpected generator {state.get('bit_generator')}")
    inner = state["state"]
    raw = struct.pack(_RNG_LAYOUT, _RNG_MAGIC, _random.initial_seed(),
                      int(inner["state"]).to_bytes(16, "little"),
                      int(inner["inc"]).to_bytes(16, "little"),
                      int(state["has_uint32"]), int(state["uinteger"]))
    return Tensor._wrap(np.frombuffer(raw, dtype=np.uint8).copy())


def set_rng_state(new_state) -> None:
    """Restore a get_rng_state snapshot exactly (the same numbers are drawn again)."""
    from .tensor import Tensor

    array = new_state._data if isinstance(new_state, Tensor) else np.asarray(new_state)
    from dualnet import backend

    array = backend.to_numpy(array)
    size = struct.calcsize(_RNG_LAYOUT)
    if array.dtype != np.uint8 or array.shape != (size,) or \
            array[:4].tobytes() != _RNG_MAGIC:
        raise RuntimeError(f"set_rng_state: expected a uint8 tensor of {size} bytes from "
                           f"torch.get_rng_state(), got {array.dtype} of shape "
                           f"{list(array.shape)}")
    _, s, st, inc, has32, uint = struct.unpack(_RNG_LAYOUT, array.tobytes())
    _random.manual_seed(s)
    _random.set_state({"bit_generator": "PCG64",
                       "state": {"state": int.from_bytes(st, "little"),
                                 "inc": int.from_bytes(inc, "little")},
                       "has_uint32": has32, "uinteger": uint}, np)


# ---------------------------------------------------------------- determinism

_DETERMINISTIC = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded for are_deterministic_algorithms_enabled(); dualnet's CPU kernels are
    deterministic already (no atomics, a fixed reduction order)."""
    _DETERMINISTIC.update(mode=bool(mode), warn_only=bool(warn_only))


_MATMUL_PRECISION = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """Recorded only: float32 products run in float32 on NumPy's BLAS whatever is asked
    ('highest', 'high' and 'medium' allow TF32 / bfloat16 on GPUs PyTorch supports)."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}: expected 'highest', 'high' or "
                           "'medium'")
    _MATMUL_PRECISION[0] = precision


def get_float32_matmul_precision() -> str:
    return _MATMUL_PRECISION[0]


def are_deterministic_algorithms_enabled() -> bool:
    return _DETERMINISTIC["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _DETERMINISTIC["warn_only"]


def set_deterministic_debug_mode(debug_mode) -> None:
    levels = {"default": 0, "warn": 1, "error": 2}
    level = levels.get(debug_mode, debug_mode)
    if level not in (0, 1, 2):
        raise RuntimeError(f"invalid deterministic debug mode {debug_mode!r}")
    use_deterministic_algorithms(level > 0, warn_only=level == 1)


def get_deterministic_debug_mode() -> int:
    if not _DETERMINISTIC["mode"]:
        return 0
    return 1 if _DETERMINISTIC["warn_only"] else 2


# ---------------------------------------------------------------- threads

_THREADS = {"intra": None, "interop": None, "limiter": None}


def set_num_threads(n: int) -> None:
    """Limit the BLAS/OpenMP pools NumPy uses to `n` threads (through threadpoolctl)."""
    n = int(n)
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive number of threads, got {n}")
    from threadpoolctl import threadpool_limits

    _THREADS["limiter"] = threadpool_limits(limits=n)  # stays in force (not a `with`)
    _THREADS["intra"] = n


def get_num_threads() -> int:
    """The threads the BLAS/OpenMP pools use (the CPU count when none is loaded)."""
    if _THREADS["intra"] is not None:
        return _THREADS["intra"]
    from threadpoolctl import threadpool_info

    counts = [int(p.get("num_threads", 0)) for p in threadpool_info()]
    return max(counts) if counts else (os.cpu_count() or 1)


def set_num_interop_threads(n: int) -> None:
    """Recorded for get_num_interop_threads(): dualnet runs ops one after another."""
    n = int(n)
    if n < 1:
        raise RuntimeError(f"set_num_interop_threads expects a positive number, got {n}")
    _THREADS["interop"] = n


def get_num_interop_threads() -> int:
    return _THREADS["interop"] or (os.cpu_count() or 1)
