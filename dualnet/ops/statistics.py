"""Order statistics, counting and diagonals, written once for both front ends.

Composites (plain functions over registry ops, so gradients come from the ops' rules and the
same code builds static programs with unknown (-1) dims): quantile / median / kthvalue / mode
sort with `argsort` and read the values back with `gather` (the gradient scatters through
the indices); nansum / nanmean; cov / corrcoef; diagonal / diag_embed / trace; histogram.
Positions that depend on a slice's length (the median of an unknown-length axis, the NaN-free
count of nanquantile) are computed as tensors from `ones_like`, never read from a shape.

One primitive: `bincount` (its output length is the data's max + 1, known only at run time).
"""
from __future__ import annotations

import math

import numpy as np

from .common import norm_axes, norm_axis
from .elementwise import (add, cast, ceil, clip, div, equal, floor, greater_equal, isnan,
                          less_equal, logical_and, logical_not, mul, not_equal, round as round_op,
                          sqrt, sub, where)
from .indexing import gather, getitem, pad, parse_index
from .linalg import matmul
from .reduction import max as max_op, mean, min as min_op, sum as sum_op
from .registry import Meta, register
from .shape import (flatten, movedim, ones_like, reshape, squeeze, stack, transpose,
                    unsqueeze)
from .reduction import argsort, cumsum

_INT64 = np.dtype(np.int64)
INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


# ---------------------------------------------------------------- one axis to reduce

def _collapse(x, axis):
    """(xs, ax, restore): x with the reduced axes gathered into the one axis `ax` (None: all
    of them, flattened), and `restore(out, keepdim)` turning a result that keeps `ax` as a
    size-1 dim into the reduced shape of x."""
    ndim = len(x.shape)
    if axis is None or ndim == 0:
        def restore_all(out, keepdim):
            return reshape(out, shape=(1,) * ndim if keepdim else ())
        return reshape(x, shape=(-1,)), 0, restore_all
    axes = norm_axes(axis, ndim)
    if axes is None:
        return _collapse(x, None)
    if len(axes) == 1:
        ax = axes[0]

        def restore_one(out, keepdim):
            return out if keepdim else squeeze(out, axis=ax)
        return x, ax, restore_one
    others = tuple(a for a in range(ndim) if a not in axes)
    xs = flatten(transpose(x, perm=others + axes), start_axis=len(others), stop_axis=ndim - 1)

    def restore_many(out, keepdim):
        out = squeeze(out, axis=len(others))
        return unsqueeze(out, axis=axes) if keepdim else out
    return xs, len(others), restore_many


def _float_name(x) -> str:
    kind = np.dtype(x.dtype)
    return kind.name if kind.kind == "f" else "float64"


def _count(xs, ax: int, ignore_nan: bool):
    """The number of (non-NaN) entries along `ax`, as a float tensor keeping `ax`."""
    fdt = _float_name(xs)
    ones = ones_like(xs, dtype=fdt) if not ignore_nan else cast(logical_not(isnan(xs)),
                                                                dtype=fdt)
    return sum_op(ones, axis=ax, keepdim=True)


def _at(order, position, ax: int):
    """Indices (int64, keeping `ax`) of the entries at sorted `position` (a float tensor)."""
    return gather(order, cast(position, dtype="int64"), axis=ax)


# ---------------------------------------------------------------- quantiles and medians

def quantile(x, q, axis=None, keepdim=False, interpolation="linear", ignore_nan=False):
    """The q-th quantiles of float x over `axis` (None: all entries; an int or a tuple). `q` is
    a number or a tuple of numbers in [0, 1]; a tuple stacks its results on a new leading
    axis. Rank q (n - 1) is interpolated between its sorted neighbours (torch's and numpy's
    rule); n counts the non-NaN entries with `ignore_nan` (nanquantile), else a slice holding
    a NaN gives NaN. The weights are constants, so the gradient flows to the two neighbours."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"quantile: interpolation must be one of {INTERPOLATIONS}, got "
                         f"{interpolation!r}")
    qs = tuple(float(v) for v in q) if isinstance(q, (tuple, list)) else (float(q),)
    if not all(0.0 <= v <= 1.0 for v in qs):
        raise ValueError(f"quantile: q must be in the range [0, 1], got {list(qs)}")
    xs, ax, restore = _collapse(x, axis)
    order = argsort(xs, axis=ax)
    count = _count(xs, ax, ignore_nan)
    top = clip(sub(count, 1.0), min=0.0, max=None)
    if ignore_nan:
        bad = equal(count, 0.0)
    else:
        bad = _any_nan(xs, ax)
    outs = []
    for v in qs:
        rank = mul(top, v)
        lo, hi = floor(rank), ceil(rank)
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        elif interpolation == "nearest":
            lo = hi = round_op(rank)
        lo_v = gather(xs, _at(order, lo, ax), axis=ax)
        if interpolation in ("lower", "higher", "nearest"):
            out = lo_v
        else:
            hi_v = gather(xs, _at(order, hi, ax), axis=ax)
            weight = sub(rank, lo) if interpolation == "linear" else 0.5
            out = add(lo_v, mul(sub(hi_v, lo_v), weight))
        outs.append(restore(where(bad, math.nan, out), keepdim))
    return stack(outs, axis=0) if isinstance(q, (tuple, list)) else outs[0]


def _any_nan(xs, ax: int):
    from .reduction import any as any_op

    return any_op(isnan(xs), axis=ax, keepdim=True)


def median(x, axis=None, keepdim=False, ignore_nan=False):
    """The median of float x over `axis`, the mean of the two middle entries of an even count
    (paddle.median's mode='avg'; NaN propagates unless `ignore_nan`)."""
    return quantile(x, 0.5, axis, keepdim, "midpoint", ignore_nan)


def lower_median(x, axis=None, keepdim=False, ignore_nan=False):
    """(values, int64 indices) of the lower middle entry, position (n - 1) // 2 of the sorted
    slice (torch.median, paddle.median mode='min'); n counts the non-NaN entries with
    `ignore_nan` (NaN sorts last)."""
    xs, ax, restore = _collapse(x, axis)
    order = argsort(xs, axis=ax)
    count = _count(xs, ax, ignore_nan and np.dtype(xs.dtype).kind == "f")
    position = floor(mul(clip(sub(count, 1.0), min=0.0, max=None), 0.5))
    indices = _at(order, position, ax)
    values = gather(xs, indices, axis=ax)
    return restore(values, keepdim), restore(indices, keepdim)


def kthvalue(x, k: int, axis: int = -1, keepdim=False):
    """(values, int64 indices) of the k-th smallest entry (k counts from 1) along `axis`."""
    axis = norm_axis(axis, max(len(x.shape), 1))
    if len(x.shape) == 0:
        x = reshape(x, shape=(1,))
    size = x.shape[axis]
    if not 1 <= int(k) <= (size if size >= 0 else int(k)):
        raise ValueError(f"kthvalue: k={k} is out of range for axis {axis} of size {size} "
                         f"(input shape {list(x.shape)})")
    order = argsort(x, axis=axis)
    spec, tensors = parse_index((slice(None),) * axis + (slice(int(k) - 1, int(k)),))
    indices = getitem(order, *tensors, index=spec)
    values = gather(x, indices, axis=axis)
    if not keepdim:
        values, indices = squeeze(values, axis=axis), squeeze(indices, axis=axis)
    return values, indices


def mode(x, axis: int = -1, keepdim=False):
    """(values, int64 indices): the most frequent entry along `axis` (the smallest among
    equally frequent ones) and the index of its last occurrence. Pairwise comparisons:
    O(n^2) memory per slice."""
    if len(x.shape) == 0:
        x = reshape(x, shape=(1,))
    axis = norm_axis(axis, len(x.shape))
    xm = movedim(x, axis, -1)
    same = equal(unsqueeze(xm, axis=-1), unsqueeze(xm, axis=-2))
    counts = sum_op(cast(same, dtype="int64"), axis=-1, keepdim=False)
    best = equal(counts, max_op(counts, axis=-1, keepdim=True))
    kind = np.dtype(x.dtype).kind
    big = math.inf if kind == "f" else (True if kind == "b" else int(np.iinfo(x.dtype).max))
    value = min_op(where(best, xm, big), axis=-1, keepdim=True)
    position = sub(cumsum(ones_like(xm, dtype="int64"), axis=-1), 1)
    last = max_op(where(equal(xm, value), position, -1), axis=-1, keepdim=True)
    indices = movedim(last, -1, axis)
    values = gather(x, indices, axis=axis)
    if not keepdim:
        values, indices = squeeze(values, axis=axis), squeeze(indices, axis=axis)
    return values, indices


# ---------------------------------------------------------------- NaN-ignoring reductions

def nansum(x, axis=None, keepdim=False):
    """sum over `axis` with NaNs counted as 0."""
    if np.dtype(x.dtype).kind in "fc":
        x = where(isnan(x), 0.0, x)
    return sum_op(x, axis=axis, keepdim=keepdim)


def nanmean(x, axis=None, keepdim=False):
    """mean over `axis` of the non-NaN entries (NaN where there are none)."""
    count = sum_op(cast(logical_not(isnan(x)), dtype=np.dtype(x.dtype).name), axis=axis,
                   keepdim=keepdim)
    return div(nansum(x, axis, keepdim), count)


def count_nonzero(x, axis=None, keepdim=False):
    """The number of nonzero entries (int64) over `axis`."""
    return sum_op(cast(not_equal(x, 0), dtype="int64"), axis=axis, keepdim=keepdim)


# ---------------------------------------------------------------- covariance

def cov(x, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) of float x [vars, obs] (or one variable [obs], a 0-d
    result); fweights (integer repeat counts) and aweights (float weights) weigh the
    observations as numpy.cov and torch.cov do."""
    one = len(x.shape) < 2
    if one:
        x = reshape(x, shape=(1, -1))
    w = None
    if fweights is not None:
        w = cast(fweights, dtype=np.dtype(x.dtype).name)
    if aweights is not None:
        aw = cast(aweights, dtype=np.dtype(x.dtype).name)
        w = aw if w is None else mul(w, aw)
    if w is None:  # n - correction, n counted per row (the observations may be a -1 dim)
        avg = mean(x, axis=1, keepdim=True)
        norm = sub(sum_op(ones_like(x), axis=1, keepdim=True), float(correction))
    else:
        w_sum = sum_op(w, axis=None)
        avg = div(sum_op(mul(x, w), axis=1, keepdim=True), w_sum)
        if aweights is None or correction == 0:
            norm = sub(w_sum, float(correction))
        else:
            norm = sub(w_sum, div(mul(sum_op(mul(w, aw), axis=None), float(correction)), w_sum))
    norm = clip(norm, min=0.0, max=None)
    xm = sub(x, avg)
    xw = xm if w is None else mul(xm, w)
    c = div(matmul(xw, transpose(xm, perm=(1, 0))), norm)
    return reshape(c, shape=()) if one else c


def corrcoef(x):
    """Pearson correlation coefficients of the rows of x (cov normalized, clipped to
    [-1, 1])."""
    c = cov(x)
    if len(c.shape) == 0:
        return div(c, c)
    d = sqrt(diagonal(c, 0, 0, 1))
    return clip(div(div(c, unsqueeze(d, axis=1)), unsqueeze(d, axis=0)), min=-1.0, max=1.0)


# ---------------------------------------------------------------- diagonals

def diagonal(x, offset=0, axis1=0, axis2=1):
    """The `offset` diagonal of the (axis1, axis2) planes, as the last dim (offset > 0: above
    the main one). A strided slice of the flattened planes, so the plane's sizes must be
    known."""
    ndim = len(x.shape)
    a1, a2 = norm_axis(axis1, ndim), norm_axis(axis2, ndim)
    if a1 == a2:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same axis {a1} (shape "
                         f"{list(x.shape)})")
    xm = movedim(x, (a1, a2), (-2, -1))
    m, n = xm.shape[-2:]
    if -1 in (m, n):
        raise ValueError(f"diagonal needs known sizes of axes {a1} and {a2}, got shape "
                         f"{list(x.shape)}")
    offset = int(offset)
    rows = (Ellipsis, slice(None), slice(offset, None)) if offset >= 0 else \
        (Ellipsis, slice(-offset, None), slice(None))
    spec, tensors = parse_index(rows)
    xm = getitem(xm, *tensors, index=spec)
    m, n = max(m - max(-offset, 0), 0), max(n - max(offset, 0), 0)
    k = min(m, n)
    flat = flatten(xm, start_axis=ndim - 2, stop_axis=ndim - 1)
    spec, tensors = parse_index((Ellipsis, slice(0, (k - 1) * (n + 1) + 1 if k else 0, n + 1)))
    return getitem(flat, *tensors, index=spec)


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum of the `offset` diagonal of the (axis1, axis2) planes."""
    return sum_op(diagonal(x, offset, axis1, axis2), axis=-1, keepdim=False)


def diag_embed(x, offset=0, dim1=-2, dim2=-1):
    """Matrices (in dims dim1, dim2 of a result one dim larger) with x's last dim on their
    `offset` diagonal and zeros elsewhere. The mask comes from positions computed by a
    cumsum of ones, so no constant array is built."""
    nd = len(x.shape) + 1
    d1, d2 = norm_axis(dim1, nd), norm_axis(dim2, nd)
    if d1 == d2:
        raise ValueError(f"diag_embed: dim1 and dim2 cannot be the same dim {d1}")
    offset = int(offset)
    if len(x.shape) == 0:
        x = reshape(x, shape=(1,))
    padded = pad(x, pads=(abs(offset), 0), mode="constant", value=0.0) if offset else x
    position = sub(cumsum(ones_like(padded, dtype="int64"), axis=-1), 1)
    mask = equal(sub(unsqueeze(position, axis=-2), unsqueeze(position, axis=-1)), offset)
    # column j holds x[j - offset] (offset >= 0), row i holds x[i + offset] (offset < 0)
    spread = unsqueeze(padded, axis=-2 if offset >= 0 else -1)
    zero = False if np.dtype(x.dtype).kind == "b" else 0
    return movedim(where(mask, spread, zero), (-2, -1), (d1, d2))


# ---------------------------------------------------------------- counting

def _bincount_canon(x, weights=None, minlength=0) -> dict:
    minlength = int(minlength)
    if minlength < 0:
        raise ValueError(f"bincount: minlength must be non-negative, got {minlength}")
    return {"minlength": minlength}


def _bincount_dtype(weights: Meta | None) -> np.dtype:
    if weights is None or weights.dtype.kind in "biu":
        return _INT64
    return weights.dtype


def _bincount_infer(x: Meta, weights: Meta | None, minlength=0) -> Meta:
    if x.ndim != 1 or x.dtype.kind not in "biu":
        raise TypeError(f"bincount: x must be a 1-D tensor of non-negative integers, got shape "
                        f"{list(x.shape)} of {x.dtype}")
    if weights is not None and (weights.ndim != 1 or -1 not in (x.shape[0], weights.shape[0])
                                and x.shape[0] != weights.shape[0]):
        raise ValueError(f"bincount: weights {list(weights.shape)} must be 1-D with the length "
                         f"of x {list(x.shape)}")
    return Meta((-1,), _bincount_dtype(weights))


@register("bincount", infer=_bincount_infer, canon=_bincount_canon, saves=(0,))
def bincount(xp, x, weights, *, minlength=0):
    """Counts of each value of 1-D non-negative integers x (int64), or the sums of `weights`
    per value (float weights keep their dtype; integer ones give int64); length
    max(x) + 1, at least `minlength`."""
    x = x.astype(_INT64, copy=False)
    if x.size and int(x.min()) < 0:
        raise ValueError(f"bincount: x must be non-negative, got a minimum of {int(x.min())}")
    out = xp.bincount(x, weights=weights, minlength=minlength)
    dtype = _bincount_dtype(None if weights is None else Meta.of(weights))
    if weights is not None and dtype.kind in "iu":
        out = xp.rint(out)
    return out.astype(dtype, copy=False)


@bincount.defvjp
def _bincount_vjp(g, x, weights, out, minlength=0, needs_grad=(False, True)):
    """Each weight's gradient is its bin's (integer counts, weights absent: none)."""
    flows = needs_grad[1] and g is not None and np.dtype(g.dtype).kind == "f"
    return None, gather(g, x, axis=0) if flows else None


def histogram(x, bins: int, lo, hi, weight=None):
    """Counts of x's entries in `bins` equal bins over [lo, hi] (float64 numbers; the data's
    range when lo == hi, widened by 1 each side when that is one value too); entries outside
    are ignored, the last bin includes hi. int64 counts, or the sums of `weight` per bin."""
    flat = reshape(x, shape=(-1,))
    if np.dtype(x.dtype).kind != "f":
        flat = cast(flat, dtype="float32")
    if lo == hi:
        lo_t, hi_t = min_op(flat, axis=None), max_op(flat, axis=None)
        same = equal(lo_t, hi_t)
        lo_t = where(same, sub(lo_t, 1.0), lo_t)
        hi_t = where(same, add(hi_t, 1.0), hi_t)
    else:
        lo_t, hi_t = float(lo), float(hi)
    inside = logical_and(greater_equal(flat, lo_t), less_equal(flat, hi_t))
    scaled = mul(div(sub(flat, lo_t), sub(hi_t, lo_t)), float(bins))
    scaled = where(inside, scaled, 0.0)  # NaN and the outside entries: bin 0, weight 0
    index = clip(cast(floor(scaled), dtype="int64"), min=0, max=bins - 1)
    if weight is None:
        w = cast(inside, dtype="int64")
    else:
        w = where(inside, reshape(weight, shape=(-1,)), 0)
    return reshape(bincount(index, w, minlength=bins), shape=(bins,))

