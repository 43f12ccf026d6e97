"""Helpers shared by the op families: shape inference with unknown (-1) dims, axis
normalization, and small kernel utilities. Errors raised here are ValueErrors whose text the
registry prefixes with the op name and the user's line."""
from __future__ import annotations

import functools
import math

import numpy as np

from .registry import Meta


def broadcast_shapes(*shapes) -> tuple:
    """NumPy broadcasting of shapes that may hold unknown (-1) dims."""
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(ndim):
        dims = [s[i - ndim + len(s)] for s in shapes if i - ndim + len(s) >= 0]
        known = {d for d in dims if d not in (1, -1)}
        if len(known) > 1:
            raise ValueError(
                "shapes " + " and ".join(str(list(s)) for s in shapes)
                + f" cannot be broadcast (dimension {i - ndim}: sizes {sorted(known)})")
        if known:
            out.append(known.pop())
        elif -1 in dims:
            out.append(-1)
        else:
            out.append(1)
    return tuple(out)


def last_axes_sum(xp, x, k: int = 1):
    """x summed over its last k axes, keepdims. NumPy runs its reduction over a short last
    axis as one inner loop per row (2048 rows of 16 float32: 41 us); einsum's sum takes the
    rows in one pass (10 us; 75 -> 25 us for rows of 128) and adds as accurately for rows of
    up to ROW_SUM_EINSUM values (longer ones lose to NumPy's pairwise sum: 1e-6 relative at
    50,000, which NumPy also sums fast). float16 and CuPy keep the reduction."""
    d = math.prod(x.shape[x.ndim - k:])
    if xp is np and x.dtype.kind == "f" and x.dtype.itemsize >= 4 and x.ndim >= k and \
            x.size and d <= ROW_SUM_EINSUM:
        rows = np.einsum("ij->i", x.reshape(-1, d))
        return rows.reshape(x.shape[:x.ndim - k] + (1,) * k)
    return x.sum(axis=tuple(range(x.ndim - k, x.ndim)), keepdims=True)


ROW_SUM_EINSUM = 1024  # the longest rows last_axes_sum adds with einsum


def last_axis_max(xp, x):
    """x's maximum along its last axis, keepdims. Rows of at most 32 values are reduced on a
    transposed copy, across rows (4096 rows of 8: 15 us against 171 us for NumPy's loop per
    row); the maximum is exact either way."""
    d = x.shape[-1] if x.ndim else 0
    if xp is np and 0 < d <= 32 and x.size >= 64 * d:
        lead = x.shape[:-1]
        cols = x.reshape(-1, d).T.copy()
        return np.maximum.reduce(cols, axis=0).reshape(lead + (1,))
    return x.max(axis=-1, keepdims=True)


def norm_axis(axis: int, ndim: int) -> int:
    """A non-negative axis for an array of rank `ndim` (IndexError with PyTorch's wording)."""
    axis = int(axis)
    lo, hi = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if not lo <= axis <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                         f"but got {axis})")
    return axis % max(ndim, 1)


def norm_axes(axis, ndim: int):
    """None stays None (all axes); an int or a sequence becomes a sorted tuple of ints."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        axes = tuple(sorted({norm_axis(a, ndim) for a in axis}))
        return axes if axes or ndim == 0 else None
    return (norm_axis(axis, ndim),)


def pair(v, n: int = 2) -> tuple:
    """2 -> (2, 2); (1, 2) -> (1, 2); validates length."""
    if isinstance(v, (list, tuple)):
        if len(v) != n:
            raise ValueError(f"expected {n} values, got {tuple(v)}")
        return tuple(int(x) for x in v)
    return (int(v),) * n


def reduced_shape(shape: tuple, axes, keepdim: bool) -> tuple:
    if axes is None:
        axes = tuple(range(len(shape)))
    if keepdim:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def same(meta: Meta, dtype=None) -> Meta:
    return Meta(meta.shape, np.dtype(dtype) if dtype is not None else meta.dtype)


def check_dtype(op_arg: str, meta: Meta, kinds: str, what: str) -> None:
    if meta.dtype.kind not in kinds:
        raise ValueError(f"{op_arg} must be {what}, got {meta.dtype}")


def check_same_dtype(*metas: Meta) -> np.dtype:
    dts = {m.dtype for m in metas if m is not None}
    if len(dts) > 1:
        raise ValueError("expected inputs of one dtype, got "
                         + ", ".join(str(m.dtype) for m in metas if m is not None))
    return dts.pop()


def unbroadcast_axes(shape: tuple, target: tuple):
    """(axes to sum, axes to keep as 1) turning an array of `shape` into `target`."""
    lead = len(shape) - len(target)
    axes = tuple(range(lead))
    keep = tuple(i + lead for i, d in enumerate(target) if d == 1 and shape[i + lead] != 1)
    return axes, keep


def float_meta(meta: Meta) -> np.dtype:
    return meta.dtype if meta.dtype.kind in "fc" else np.dtype(np.float32)


# ---------------------------------------------------------------- max(x, 0) at SIMD speed

ZERO_ROW = (8192, 32768)  # lengths of the zero row the fast max(x, 0) compares against
ZERO_ROW_MIN_SIZE = 8192  # smaller arrays: the plain call costs less than the set-up


@functools.lru_cache(maxsize=512)
def _zero_row_length(size: int) -> int:
    """A row length n dividing `size` (the whole of a small array, else the least divisor of at
    least ZERO_ROW[0]: NumPy's iterator buffers inner loops shorter than its 8192-element
    buffer, which costs 2x), or 0 when there is none up to ZERO_ROW[1]."""
    if size <= ZERO_ROW[1]:
        return size
    for rows in range(size // ZERO_ROW[0], -(-size // ZERO_ROW[1]) - 1, -1):
        if size % rows == 0:
            return size // rows
    return 0


def memory_order(x) -> list:
    """x's axes from the largest stride to the smallest: `x.transpose(order)` is C-contiguous
    when x is one dense block in some axis order (C, F, a batch-last view...)."""
    return sorted(range(x.ndim), key=lambda a: -abs(x.strides[a]))


_ZERO_ROWS: dict = {}  # (length, dtype) -> a read-only NumPy zero row (maximum_zero's)


def _zero_row(xp, n: int, dtype):
    """A zero row of length n: cached (read-only) for NumPy, where making it each call costs
    as much as the maximum itself on a 64x128 activation. Lengths come from
    _zero_row_length, so the cache stays small."""
    if xp is not np:
        return xp.zeros(n, dtype=dtype)
    key = (n, dtype)
    row = _ZERO_ROWS.get(key)
    if row is None:
        row = np.zeros(n, dtype=dtype)
        row.flags.writeable = False
        _ZERO_ROWS[key] = row
    return row


def maximum_zero(xp, x, out=None):
    """xp.maximum(x, 0), bit for bit (NaN propagates; -0.0 becomes 0.0), into `out` (x itself
    to work in place; None: a new array in x's layout). NumPy runs maximum against a broadcast
    scalar with a scalar loop but vectorizes it between two arrays (3-4x faster), so a dense
    x is compared, in its memory order, with rows of a short zero array."""
    n = _zero_row_length(x.size) if x.size >= ZERO_ROW_MIN_SIZE else 0
    if n:
        if x.flags.c_contiguous:
            src = x
            res = xp.empty(x.shape, dtype=x.dtype) if out is None else out
            dst = res
        else:  # e.g. a convolution's batch-last NCHW output
            order = memory_order(x)
            src = x.transpose(order)
            res = xp.empty_like(x) if out is None else out
            dst = res.transpose(order)
        if src.flags.c_contiguous and dst.flags.c_contiguous and dst.shape == src.shape:
            xp.maximum(src.reshape(-1, n), _zero_row(xp, n, x.dtype), out=dst.reshape(-1, n))
            return res
    zero = x.dtype.type(0)
    return xp.maximum(x, zero) if out is None else xp.maximum(x, zero, out=out)


def constant_like(like, values):
    """The NumPy `values` as a constant of `like`'s kind, made by its binder: a constant
    Variable of the program being built (static), an array on `like`'s device beside eager
    Tensors or raw arrays. For small tables computed from static sizes (index lists,
    resampling weights, one-hot filters)."""
    from ..backend import get_array_module
    from .registry import binder_for_type

    binder = binder_for_type(type(like))
    if binder is None:
        return get_array_module(like).asarray(values)
    return binder.constant(np.asarray(values), like)
