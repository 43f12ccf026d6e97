"""Paddle's reductions, statistics, scans and matrix functions beyond math.py and linalg.py
(also Variable methods): amax / amin, nan-reductions, quantiles and medians, mode, kthvalue,
norms, the scans (cumprod, cummax, cummin, logcumsumexp), diff, diagonals, counting and
histograms, mv, tensordot, vander.

Translations of Paddle's signatures onto registry ops and the front-end-neutral composites of
dualnet/ops/statistics.py and matrix.py (shared with the eager front end), so they work in
explicit programs (also with -1 dims), in implicit mode and as Variable methods.
"""
from __future__ import annotations

import numpy as np

from dualnet import dtypes
from dualnet.ops import apply
from dualnet.ops import composite as C
from dualnet.ops import matrix as M
from dualnet.ops import statistics as S
from dualnet.ops.common import norm_axis
from dualnet.ops.indexing import parse_index

__all__ = [
    "amax", "amin", "nanmean", "nansum", "nanmedian", "nanquantile", "quantile", "median",
    "mode", "kthvalue", "norm", "dist", "cumprod", "cummax", "cummin", "logcumsumexp", "diff",
    "trace", "diagonal", "diag_embed", "diagflat", "equal_all", "count_nonzero", "bincount",
    "histogram", "mv", "tensordot", "vander",
]


def _np(dtype) -> np.dtype:
    return dtypes.as_np(dtype)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _float(x, name: str):
    """Float x as it is; integers become float32 (Paddle's statistics of integer tensors)."""
    kind = _np(x.dtype).kind
    if kind == "f":
        return x
    if kind in "iub":
        return apply("cast", x, dtype="float32")
    raise TypeError(f"{name}: expected a float or integer tensor, got {_np(x.dtype)}")


def _flat_axis(x, axis):
    """Paddle's scans: axis None runs over the flattened x."""
    if axis is None:
        return apply("reshape", x, shape=(-1,)), 0
    return x, norm_axis(int(axis), max(x.ndim, 1))


# ---------------------------------------------------------------- reductions

def amax(x, axis=None, keepdim=False, name=None):
    """Max over `axis`; the gradient is split evenly among tied maxima."""
    return apply("max", x, axis=_axis(axis), keepdim=keepdim)


def amin(x, axis=None, keepdim=False, name=None):
    """Min over `axis`; the gradient is split evenly among tied minima."""
    return apply("min", x, axis=_axis(axis), keepdim=keepdim)


def nansum(x, axis=None, dtype=None, keepdim=False, name=None):
    """sum over `axis` with NaN counted as 0."""
    if dtype is not None:
        x = apply("cast", x, dtype=_np(dtype).name)
    return S.nansum(x, _axis(axis), keepdim)


def nanmean(x, axis=None, keepdim=False, name=None):
    """mean of the non-NaN entries over `axis` (NaN where all are NaN)."""
    return S.nanmean(_float(x, "nanmean"), _axis(axis), keepdim)


def count_nonzero(x, axis=None, keepdim=False, name=None):
    """The number of nonzero entries over `axis` (int64)."""
    return S.count_nonzero(x, _axis(axis), keepdim)


# ---------------------------------------------------------------- order statistics

def _q(q):
    if hasattr(q, "numpy") and hasattr(q, "shape"):  # a tensor q: its values (implicit mode)
        q = q.numpy().tolist()
    if isinstance(q, (list, tuple)):
        if not q:
            raise ValueError("quantile: q must not be empty")
        return [float(v) for v in q]
    if isinstance(q, (int, float)):
        return float(q)
    raise TypeError(f"quantile: q must be a number, a list or a tuple, got {type(q).__name__}")


def quantile(x, q, axis=None, keepdim=False, interpolation="linear", name=None):
    """The q-th quantile(s) over `axis` (None: all entries; an int or a list); a list q
    stacks its results on a new leading axis. A slice holding a NaN gives NaN."""
    return S.quantile(_float(x, "quantile"), _q(q), _axis(axis), keepdim, interpolation)


def nanquantile(x, q, axis=None, keepdim=False, interpolation="linear", name=None):
    """quantile ignoring NaNs (NaN where a slice has no other values)."""
    return S.quantile(_float(x, "nanquantile"), _q(q), _axis(axis), keepdim, interpolation,
                      ignore_nan=True)


def _median(name, x, axis, keepdim, mode, ignore_nan):
    if mode not in ("avg", "min"):
        raise ValueError(f"{name}: mode must be 'avg' or 'min', got {mode!r}")
    if mode == "avg":
        x = x if _np(x.dtype) == np.float64 else apply("cast", x, dtype="float32")
        return S.median(x, _axis(axis), keepdim, ignore_nan)
    values, indices = S.lower_median(x, _axis(axis), keepdim, ignore_nan)
    return values if axis is None or isinstance(axis, (list, tuple)) else (values, indices)


def median(x, axis=None, keepdim=False, mode="avg", name=None):
    """The median over `axis`: the mean of the two middle values of an even count (float32,
    or float64 for float64 x) with mode='avg'; with mode='min' the lower one, and with an
    int axis also its int64 index."""
    return _median("median", x, axis, keepdim, mode, ignore_nan=False)


def nanmedian(x, axis=None, keepdim=False, mode="avg", name=None):
    """median of the non-NaN entries over `axis` (an int, a list or None)."""
    return _median("nanmedian", x, axis, keepdim, mode, ignore_nan=True)


def kthvalue(x, k, axis=None, keepdim=False, name=None):
    """(values, int64 indices) of the k-th smallest entries (k from 1) along `axis` (default
    the last)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"kthvalue: k must be an int, got {k!r}")
    return S.kthvalue(x, int(k), -1 if axis is None else int(axis), keepdim)


def mode(x, axis=-1, keepdim=False, name=None):
    """(values, int64 indices): the most frequent value along `axis` (the smallest among
    equally frequent ones) and the index of its last occurrence."""
    return S.mode(x, int(axis), keepdim)


# ---------------------------------------------------------------- norms

def _is_matrix_axis(axis) -> bool:
    return isinstance(axis, (list, tuple)) and len(axis) == 2


def norm(x, p=None, axis=None, keepdim=False, name=None):
    """Vector norm over an int axis or the flattened x (axis None), matrix norm over a pair of
    axes: p = 'fro' (the default), 'nuc', inf, -inf, 0 (vectors), or a number."""
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    if _is_matrix_axis(axis) or (p == "nuc" and axis is None):
        if axis is None:
            if x.ndim != 2:
                raise ValueError(f"norm: p='nuc' needs a matrix or a pair of axes, got shape "
                                 f"{list(x.shape)}")
            axis = (0, 1)
        return M.matrix_norm(x, "fro" if p is None else p, tuple(axis), keepdim)
    if isinstance(axis, (list, tuple)):
        raise ValueError(f"norm: axis must be an int, a pair of ints or None, got {axis}")
    if p in (None, "fro"):
        p = 2.0
    if isinstance(p, str):
        raise ValueError(f"norm: p={p!r} is a matrix norm: pass a pair of axes")
    return C.norm(x, p=float(p), axis=axis, keepdim=keepdim)


def dist(x, y, p=2, name=None):
    """The p-norm of x - y (broadcast), over all entries: p = 0, inf, -inf or a number."""
    return C.norm(apply("sub", x, y), p=float(p), axis=None, keepdim=False)


# ---------------------------------------------------------------- scans and differences

def cumprod(x, dim=None, dtype=None, name=None):
    """Running product along `dim` (None: over the flattened x)."""
    if dtype is not None:
        x = apply("cast", x, dtype=_np(dtype).name)
    x, d = _flat_axis(x, dim)
    return apply("cumprod", x, axis=d)


def _cumext(op, x, axis, dtype):
    if _np(dtype).name not in ("int32", "int64"):
        raise ValueError(f"{op}: dtype of the indices must be int32 or int64, got {dtype}")
    x, d = _flat_axis(x, axis)
    values, indices = apply(op, x, axis=d)
    if _np(dtype) != np.int64:
        indices = apply("cast", indices, dtype=_np(dtype).name)
    return values, indices


def cummax(x, axis=None, dtype="int64", name=None):
    """(running max, index of where it was last seen) along `axis` (None: flattened)."""
    return _cumext("cummax", x, axis, dtype)


def cummin(x, axis=None, dtype="int64", name=None):
    """(running min, index of where it was last seen) along `axis` (None: flattened)."""
    return _cumext("cummin", x, axis, dtype)


def logcumsumexp(x, axis=None, dtype=None, name=None):
    """log(cumsum(exp(x))) along `axis` (None: flattened), computed stably."""
    if dtype is not None:
        x = apply("cast", x, dtype=_np(dtype).name)
    if _np(x.dtype).kind != "f":
        raise TypeError(f"logcumsumexp: expected a float tensor, got {_np(x.dtype)}")
    x, d = _flat_axis(x, axis)
    return apply("logcumsumexp", x, axis=d)


def _slice_along(x, axis: int, sl: slice):
    spec, tensors = parse_index((slice(None),) * axis + (sl,))
    return apply("getitem", x, *tensors, index=spec)


def diff(x, n=1, axis=-1, prepend=None, append=None, name=None):
    """The n-th forward difference along `axis` (bools: logical xor), after concatenating
    `prepend` and `append` there."""
    if x.ndim == 0:
        raise ValueError("diff: x must have at least one dimension")
    axis = norm_axis(int(axis), x.ndim)
    if int(n) < 0:
        raise ValueError(f"diff: n must be non-negative, got {n}")
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = apply("concat", *parts, axis=axis)
    for _ in range(int(n)):
        hi, lo = _slice_along(x, axis, slice(1, None)), _slice_along(x, axis, slice(None, -1))
        x = apply("logical_xor", hi, lo) if _np(x.dtype) == np.bool_ else apply("sub", hi, lo)
    return x


# ---------------------------------------------------------------- diagonals

def diagonal(x, offset=0, axis1=0, axis2=1, name=None):
    """The `offset` diagonal of the (axis1, axis2) planes, as the last axis."""
    if x.ndim < 2:
        raise ValueError(f"diagonal: x must have at least 2 dims, got shape {list(x.shape)}")
    return S.diagonal(x, int(offset), int(axis1), int(axis2))


def trace(x, offset=0, axis1=0, axis2=1, name=None):
    """The sum of the `offset` diagonal of the (axis1, axis2) planes."""
    if x.ndim < 2:
        raise ValueError(f"trace: x must have at least 2 dims, got shape {list(x.shape)}")
    return S.trace(x, int(offset), int(axis1), int(axis2))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):  # noqa: A002 (Paddle's name)
    """Matrices (in dims dim1, dim2) with input's last axis on their `offset` diagonal."""
    return S.diag_embed(input, int(offset), int(dim1), int(dim2))


def diagflat(x, offset=0, name=None):
    """A matrix with the flattened x on its `offset` diagonal."""
    return S.diag_embed(apply("reshape", x, shape=(-1,)), int(offset), 0, 1)


# ---------------------------------------------------------------- comparisons and counting

def equal_all(x, y, name=None):
    """A 0-d bool tensor: whether x and y have one shape and equal entries."""
    xs, ys = list(x.shape), list(y.shape)
    if len(xs) != len(ys) or any(-1 not in (a, b) and a != b for a, b in zip(xs, ys)):
        return apply("any", apply("zeros_like", x, dtype="bool"), axis=None, keepdim=False)
    return apply("all", apply("equal", x, y), axis=None, keepdim=False)


def bincount(x, weights=None, minlength=0, name=None):
    """Counts (int64) of each value of 1-D non-negative integer x, or the sums of `weights`
    per value; length max(x) + 1, at least `minlength` (unknown, -1, in a program)."""
    return S.bincount(x, weights, minlength=int(minlength))


def histogram(input, bins=100, min=0, max=0, weight=None, density=False,  # noqa: A002
              name=None):
    """Counts (int64; float with `weight` or `density`) of input's entries in `bins` equal
    bins over [min, max] (the data's range when min == max); entries outside are ignored."""
    bins = int(bins)
    if bins < 1:
        raise ValueError(f"histogram: bins must be positive, got {bins}")
    if float(min) > float(max):
        raise ValueError(f"histogram: max must be larger than min, got min={min}, max={max}")
    out = S.histogram(input, bins, float(min), float(max), weight)
    if not density:
        return out
    lo, hi = float(min), float(max)
    counts = apply("cast", out, dtype="float32") if _np(out.dtype).kind != "f" else out
    if lo == hi:
        flat = _float(apply("reshape", input, shape=(-1,)), "histogram")
        width = apply("div", apply("sub", apply("max", flat), apply("min", flat)), float(bins))
    else:
        width = (hi - lo) / bins
    return apply("div", counts, apply("mul", apply("sum", counts), width))


# ---------------------------------------------------------------- products

def mv(x, vec, name=None):
    """Matrix [m, n] times vector [n]."""
    if x.ndim != 2 or vec.ndim != 1:
        raise ValueError(f"mv: x must be 2-D and vec 1-D, got shapes {list(x.shape)} and "
                         f"{list(vec.shape)}")
    return C.mv(x, vec)


def _tensordot_axes(x, y, axes):
    if hasattr(axes, "numpy") and hasattr(axes, "shape"):
        axes = axes.numpy().tolist()
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0:
            raise ValueError(f"tensordot: axes must be non-negative, got {n}")
        return list(range(x.ndim - n, x.ndim)), list(range(n))
    axes = list(axes)
    if axes and isinstance(axes[0], (int, np.integer)):
        axes = [axes]
    if len(axes) == 1:
        axes = [axes[0], axes[0]]
    ax, ay = list(axes[0]), list(axes[1])
    if len(ax) < len(ay):
        ax = ax + ay[len(ax):]
    elif len(ay) < len(ax):
        ay = ay + ax[len(ay):]
    return [norm_axis(a, x.ndim) for a in ax], [norm_axis(a, y.ndim) for a in ay]


def tensordot(x, y, axes=2, name=None):
    """Contract x's `axes[0]` with y's `axes[1]` (an int n: x's last n with y's first n);
    the free axes of x then of y remain (an einsum)."""
    ax, ay = _tensordot_axes(x, y, axes)
    for a, b in zip(ax, ay):
        nx, ny = x.shape[a], y.shape[b]
        if -1 not in (nx, ny) and nx != ny:
            raise ValueError(f"tensordot: axis {a} of x {list(x.shape)} and axis {b} of y "
                             f"{list(y.shape)} differ in size")
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sx = [next(letters) for _ in range(x.ndim)]
    sy = [next(letters) for _ in range(y.ndim)]
    for a, b in zip(ax, ay):
        sy[b] = sx[a]
    free = [c for i, c in enumerate(sx) if i not in ax] + \
        [c for i, c in enumerate(sy) if i not in ay]
    equation = f"{''.join(sx)},{''.join(sy)}->{''.join(free)}"
    return apply("einsum", x, y, equation=equation)


def vander(x, n=None, increasing=False, name=None):
    """The Vandermonde matrix of 1-D x: columns x^(n-1), ..., x, 1 (reversed when
    `increasing`); n defaults to len(x). Built as a cumulative product, so the gradient is
    exact at 0."""
    if x.ndim != 1:
        raise ValueError(f"vander: x must be 1-D, got shape {list(x.shape)}")
    n = x.shape[0] if n is None else int(n)
    if n < 0:
        raise ValueError(f"vander: n must be non-negative (or x's length known), got {n}")
    col = apply("unsqueeze", x, axis=-1)
    ones = apply("ones_like", col)
    if n == 0:
        return _slice_along(ones, 1, slice(0, 0))
    parts = [ones] + ([apply("tile", col, repeats=(1, n - 1))] if n > 1 else [])
    out = apply("cumprod", apply("concat", *parts, axis=1), axis=1)
    if _np(out.dtype) != _np(x.dtype):
        out = apply("cast", out, dtype=_np(x.dtype).name)
    return out if increasing else apply("flip", out, axis=(1,))

