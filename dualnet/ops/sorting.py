"""Sorting and scanning primitives beyond argsort (registered on import).

sort / topk / kthvalue / median are composites (argsort + gather) in the front ends; the ops
here are the ones a composite would get wrong or make slow:

- cumprod (+ cumprod_grad, exact when the input holds zeros),
- cummax / cummin -> (values, indices): the values' gradient goes back through the indices,
- logcumsumexp: a stable running log-sum-exp (a cumsum of exp under- and overflows),
- searchsorted: binary search, no gradient,
- scatter_reduce (sum, prod, mean, amax, amin; include_self), torch.scatter_reduce.

Scans use a log-step (Hillis-Steele) doubling, so they run on NumPy and CuPy alike.
"""
from __future__ import annotations

import numpy as np

from .common import norm_axis
from .elementwise import (abs as abs_op, add, cast, div, equal, exp, greater, less, log,
                          logical_and, logical_not, mul, sub, where)
from .indexing import _axis_key, _scatter_infer, _src_part, gather, scatter_add
from .reduction import _sum_dtype
from .registry import Meta, register
from .shape import ones_like, zeros_like

_INT64 = np.dtype(np.int64)


def _scan(xp, fn, a):
    """Inclusive scan of the binary ufunc `fn` along the last axis in log2(n) vector steps."""
    n = a.shape[-1]
    shift = 1
    while shift < n:
        a = xp.concatenate([a[..., :shift], fn(a[..., shift:], a[..., :-shift])], axis=-1)
        shift *= 2
    return a


def _scan_canon(x, axis, reverse=False) -> dict:
    if axis is None or isinstance(axis, (tuple, list)):
        raise TypeError(f"a scan needs one int dim, got {axis!r}")
    return {"axis": norm_axis(axis, len(x.shape)), "reverse": bool(reverse)}


def _last(xp, x, axis: int, reverse: bool):
    """x with `axis` moved last (and flipped for a reverse scan); `_back` undoes it."""
    x = xp.moveaxis(x, axis, -1)
    return x[..., ::-1] if reverse else x


def _back(xp, y, axis: int, reverse: bool):
    y = y[..., ::-1] if reverse else y
    return xp.ascontiguousarray(xp.moveaxis(y, -1, axis))


# ---------------------------------------------------------------- cumprod

def _cumprod_infer(x: Meta, axis, reverse=False) -> Meta:
    return Meta(x.shape, _sum_dtype(x.dtype) or x.dtype)


@register("cumprod", infer=_cumprod_infer, canon=_scan_canon, saves=(0, "out"))
def cumprod(xp, x, *, axis, reverse=False):
    """Running product along `axis` (integers and bools give int64, as torch)."""
    dtype = _sum_dtype(x.dtype)
    if x.ndim == 0:
        return x.astype(dtype or x.dtype)
    return _back(xp, xp.cumprod(_last(xp, x, axis, reverse), axis=-1, dtype=dtype), axis,
                 reverse)


@cumprod.defvjp
def _cumprod_vjp(g, x, out, axis, reverse=False):
    return (cumprod_grad(g, x, axis=axis, reverse=reverse),)


def _cumprod_grad_canon(g, x, axis, reverse=False) -> dict:
    return _scan_canon(x, axis, reverse)


def _cumprod_grad_infer(g: Meta, x: Meta, axis, reverse=False) -> Meta:
    return Meta(x.shape, g.dtype)


@register("cumprod_grad", infer=_cumprod_grad_infer, canon=_cumprod_grad_canon,
          differentiable=False, saves=())
def cumprod_grad(xp, g, x, *, axis, reverse=False):
    """dL/dx of out = cumprod(x), exact with zeros: before a row's first zero z it is
    sum_{j>=i} g_j out_j / x_i (no zero divides), at z the products of the others, after z 0."""
    if x.ndim == 0:
        return g.astype(g.dtype, copy=True)
    xl, gl = _last(xp, x, axis, reverse), _last(xp, g, axis, reverse)
    n = xl.shape[-1]
    pos = xp.arange(n)
    is_zero = xl == 0
    first = xp.where(is_zero.any(axis=-1), xp.argmax(is_zero, axis=-1), n)[..., None]
    one = xp.ones((), dtype=xl.dtype)
    before = pos < first
    x_safe = xp.where(before, xl, one)
    terms = xp.where(before, gl * xp.cumprod(x_safe, axis=-1), 0)
    tail = xp.flip(xp.cumsum(xp.flip(terms, axis=-1), axis=-1), axis=-1)
    grad = xp.where(before, tail / x_safe, 0)
    # at the first zero: sum_{j>=z} g_j prod_{k<=j, k!=z} x_k
    others = xp.cumprod(xp.where(pos == first, one, xl), axis=-1)
    at_zero = xp.where(pos >= first, gl * others, 0).sum(axis=-1, keepdims=True)
    grad = xp.where(pos == first, at_zero, grad)
    return _back(xp, grad.astype(g.dtype, copy=False), axis, reverse)


# ---------------------------------------------------------------- cummax / cummin

def _cumext_infer(x: Meta, axis, reverse=False) -> tuple:
    return Meta(x.shape, x.dtype), Meta(x.shape, _INT64)


def _cumext(xp, x, axis, fn):
    """(running extremum, index of its last occurrence); NaN counts as the extremum."""
    if x.ndim == 0:
        return x.copy(), xp.zeros((), dtype=_INT64)
    xl = _last(xp, x, axis, False)
    values = _scan(xp, fn, xl)
    hit = xl == values
    if xl.dtype.kind in "fc":
        hit = hit | xp.isnan(xl)
    pos = xp.arange(xl.shape[-1], dtype=_INT64)
    indices = _scan(xp, xp.maximum, xp.where(hit, pos, 0))
    return _back(xp, values, axis, False), _back(xp, indices, axis, False)


@register("cummax", infer=_cumext_infer, canon=_scan_canon, n_out=2, saves=(0, "out"))
def cummax(xp, x, *, axis, reverse=False):
    """(running max, int64 index of the last element equal to it), torch.cummax."""
    return _cumext(xp, x, axis, xp.maximum)


@register("cummin", infer=_cumext_infer, canon=_scan_canon, n_out=2, saves=(0, "out"))
def cummin(xp, x, *, axis, reverse=False):
    """(running min, int64 index of the last element equal to it), torch.cummin."""
    return _cumext(xp, x, axis, xp.minimum)


def _cumext_vjp(g, x, out, axis, reverse=False):
    gv = g[0]
    if gv is None:
        return (None,)
    return (scatter_add(zeros_like(x), out[1], gv, axis=axis),)


cummax.defvjp(_cumext_vjp)
cummin.defvjp(_cumext_vjp)


# ---------------------------------------------------------------- logcumsumexp

def _logcumsumexp_infer(x: Meta, axis, reverse=False) -> Meta:
    return Meta(x.shape, x.dtype if x.dtype.kind in "fc" else np.dtype(np.float32))


@register("logcumsumexp", infer=_logcumsumexp_infer, canon=_scan_canon, to_float=True,
          saves=(0, "out"))
def logcumsumexp(xp, x, *, axis, reverse=False):
    """log(cumsum(exp(x))) along `axis` without overflow or underflow (a logaddexp scan)."""
    if x.ndim == 0:
        return x.copy()
    return _back(xp, _scan(xp, xp.logaddexp, _last(xp, x, axis, reverse)), axis, reverse)


@logcumsumexp.defvjp
def _logcumsumexp_vjp(g, x, out, axis, reverse=False):
    # dx_i = sum_{j>=i} g_j exp(x_i - out_j), summed in log space, positive and negative g apart
    # (PyTorch's and TensorFlow's rule): exp(x + logcumsumexp_reversed(log|g| - out)).
    lowest = float(np.finfo(np.dtype(g.dtype)).min)
    log_abs = log(where(equal(g, 0.0), 1.0, abs_op(g)))
    parts = []
    for sign_test in (greater, less):
        log_g = where(sign_test(g, 0.0), log_abs, lowest)
        acc = logcumsumexp(sub(log_g, out), axis=axis, reverse=not reverse)
        parts.append(exp(add(acc, x)))
    return (sub(parts[0], parts[1]),)


# ---------------------------------------------------------------- searchsorted

def _searchsorted_canon(seq, values, right=False) -> dict:
    return {"right": bool(right)}


def _searchsorted_infer(seq: Meta, values: Meta, right=False) -> Meta:
    if seq.ndim == 0:
        raise ValueError("searchsorted: the sorted sequence must have at least one dim, got a "
                         "0-d tensor")
    if seq.ndim > 1:
        lead, vlead = seq.shape[:-1], values.shape[:-1]
        if values.ndim != seq.ndim or any(-1 not in (a, b) and a != b
                                          for a, b in zip(lead, vlead)):
            raise ValueError(f"searchsorted: the sorted sequence {list(seq.shape)} and the "
                             f"values {list(values.shape)} must agree in all dims but the last")
    return Meta(values.shape, _INT64)


@register("searchsorted", infer=_searchsorted_infer, canon=_searchsorted_canon,
          differentiable=False, saves=())
def searchsorted(xp, seq, values, *, right=False):
    """For each value, its insertion index into the sorted last dim of `seq` (int64): the
    first position with seq > v (right) or seq >= v (left), torch.searchsorted."""
    side = "right" if right else "left"
    if seq.ndim == 1:
        return xp.asarray(xp.searchsorted(seq, values, side=side)).astype(_INT64, copy=False)
    rows = seq.reshape(-1, seq.shape[-1])
    vals = values.reshape(-1, values.shape[-1])
    out = xp.stack([xp.searchsorted(r, v, side=side) for r, v in zip(rows, vals)]) \
        if rows.shape[0] else xp.zeros(vals.shape, dtype=_INT64)
    return out.astype(_INT64, copy=False).reshape(values.shape)


# ---------------------------------------------------------------- scatter_reduce

_REDUCES = ("sum", "prod", "mean", "amax", "amin")
_UFUNCS = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum",
           "amin": "minimum"}


def _scatter_reduce_canon(x, index, src, axis=0, reduce="sum", include_self=True) -> dict:
    if reduce not in _REDUCES:
        raise ValueError(f"scatter_reduce: reduce must be one of {', '.join(_REDUCES)}, got "
                         f"{reduce!r}")
    return {"axis": norm_axis(axis, len(x.shape)), "reduce": reduce,
            "include_self": bool(include_self)}


def _scatter_reduce_infer(x: Meta, index: Meta, src: Meta, axis=0, reduce="sum",
                          include_self=True) -> Meta:
    _scatter_reduce_canon(x, index, src, axis, reduce, include_self)
    return _scatter_infer(x, index, src, axis)


def _identity(xp, reduce: str, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if np.dtype(dtype).kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _ufunc_at(xp, name: str, out, key: tuple, values) -> None:
    """`ufunc.at(out, key, values)` (repeats accumulate). Where the array module lacks `.at`
    for the ufunc, the repeats are applied in rounds: the k-th repeat of each target in
    round k, so no round writes one place twice."""
    ufunc = getattr(xp, name)
    at = getattr(ufunc, "at", None)
    if at is not None:
        try:
            at(out, key, values)
            return
        except (NotImplementedError, TypeError):
            pass
    shape = values.shape
    strides = [int(np.prod(out.shape[d + 1:])) for d in range(out.ndim)]
    lin = sum(xp.broadcast_to(k, shape) * s for k, s in zip(key, strides)).reshape(-1)
    vals = values.reshape(-1)
    order = xp.argsort(lin, kind="stable")
    lin, vals = lin[order], vals[order]
    pos = xp.arange(lin.size)
    starts = xp.concatenate([xp.ones(min(lin.size, 1), dtype=bool), lin[1:] != lin[:-1]])
    rank = pos - _scan(xp, xp.maximum, xp.where(starts, pos, 0)[None])[0]
    flat = out.reshape(-1)
    for r in range(int(rank.max()) + 1 if rank.size else 0):
        sel = rank == r
        flat[lin[sel]] = ufunc(flat[lin[sel]], vals[sel])


@register("scatter_reduce", infer=_scatter_reduce_infer, canon=_scatter_reduce_canon,
          promote=(0, 2), saves=(0, 1, 2, "out"))
def scatter_reduce(xp, x, index, src, *, axis=0, reduce="sum", include_self=True):
    """x with src[i][j] reduced into [index[i][j]][j] for axis 0 (torch.scatter_reduce):
    sum, prod, mean, amax or amin over x's value (include_self) and every src sent there."""
    out = x.copy()
    key = _axis_key(xp, index, axis)
    values = _src_part(xp, src, index)
    if not include_self:
        out[key] = _identity(xp, reduce, x.dtype)
    _ufunc_at(xp, _UFUNCS[reduce], out, key, values)
    if reduce == "mean":
        count = xp.full(x.shape, 1 if include_self else 0, dtype=_INT64)
        _ufunc_at(xp, "add", count, key, xp.ones(index.shape, dtype=_INT64))
        count = xp.maximum(count, 1)
        if x.dtype.kind in "fc":
            out = out / count.astype(x.dtype)
        else:
            out = out // count.astype(x.dtype)
        if not include_self:
            out = xp.where(_hit_mask(xp, x, key), out, x)
    return out.astype(x.dtype, copy=False)


def _hit_mask(xp, x, key):
    hit = xp.zeros(x.shape, dtype=bool)
    hit[key] = True
    return hit


@scatter_reduce.defvjp
def _scatter_reduce_vjp(g, x, index, src, out, axis=0, reduce="sum", include_self=True):
    def to_x(v):  # scatter-add index-shaped v into zeros like x
        return scatter_add(zeros_like(x), index, v, axis=axis)

    scattered = greater(to_x(ones_like(index, dtype=np.dtype(g.dtype).name)), 0.0)
    if reduce == "sum":
        gx = g if include_self else where(scattered, 0.0, g)
        return gx, None, gather(g, index, axis=axis)
    if reduce == "mean":
        count = to_x(ones_like(index, dtype=np.dtype(g.dtype).name))
        if include_self:
            count = add(count, 1.0)
        share = div(g, where(greater(count, 0.0), count, 1.0))
        gx = share if include_self else where(scattered, 0.0, g)
        return gx, None, gather(share, index, axis=axis)
    if reduce in ("amax", "amin"):
        hit_x = equal(x, out) if include_self else logical_and(equal(x, out),
                                                                logical_not(scattered))
        hit_src = cast(equal(src, gather(out, index, axis=axis)), dtype=np.dtype(g.dtype).name)
        ties = add(cast(hit_x, dtype=np.dtype(g.dtype).name), to_x(hit_src))
        share = div(g, where(greater(ties, 0.0), ties, 1.0))
        return where(hit_x, share, 0.0), None, mul(gather(share, index, axis=axis), hit_src)
    return _prod_vjp(g, x, index, src, axis, include_self, scattered)


def _prod_vjp(g, x, index, src, axis, include_self, scattered):
    """Exact with zeros: a contributor's gradient is the product of the others, i.e. (with
    the group's nonzero product p and zero count z) p / e for e != 0 when z == 0, p for the
    zero when z == 1, else 0."""
    fdt = np.dtype(g.dtype).name
    src_zero = equal(src, 0.0)
    src_safe = where(src_zero, 1.0, src)
    if include_self:
        x_zero = equal(x, 0.0)
        x_safe = where(x_zero, 1.0, x)
        zeros = cast(x_zero, dtype=fdt)
    else:
        x_safe = ones_like(x)
        zeros = zeros_like(x)
    zeros = scatter_add(zeros, index, cast(src_zero, dtype=fdt), axis=axis)
    prod_nz = scatter_reduce(x_safe, index, src_safe, axis=axis, reduce="prod",
                             include_self=True)

    def factor(e_zero, e_safe, z, p):
        return where(e_zero, where(equal(z, 1.0), p, 0.0),
                     where(equal(z, 0.0), div(p, e_safe), 0.0))

    gsrc = mul(gather(g, index, axis=axis),
               factor(src_zero, src_safe, gather(zeros, index, axis=axis),
                      gather(prod_nz, index, axis=axis)))
    if include_self:
        gx = mul(g, factor(x_zero, x_safe, zeros, prod_nz))
    else:
        gx = where(scattered, 0.0, g)
    return gx, None, gsrc

