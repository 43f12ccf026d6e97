"""Reductions with PyTorch semantics: `axis` (an int, a tuple or None for all) is canonicalized
to a sorted tuple of non-negative ints or None; `keepdim` keeps reduced dims as size 1.

Gradients broadcast the reduced cotangent back with `sum_grad` / `mean_grad`, which take the
input as a reference value, so the rules never read a concrete (maybe unknown) shape.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from .common import norm_axes, norm_axis, reduced_shape, same
from .elementwise import (abs as abs_op, cast, div, equal, exp, mul, not_equal, pow as pow_op,
                          sqrt, sub)
from .registry import Meta, register
from .shape import sum_to_like

_INT64 = np.dtype(np.int64)


def _reduce_canon(x, axis=None, keepdim=False) -> dict:
    axes = norm_axes(axis, x.ndim)
    return {"axis": axes if x.ndim else None, "keepdim": bool(keepdim)}


def _reduce_infer(x: Meta, axis, keepdim) -> Meta:
    return Meta(reduced_shape(x.shape, axis, keepdim), x.dtype)


def _sum_dtype(dtype: np.dtype):
    """torch: summing bools or integers gives int64."""
    return _INT64 if dtype.kind in "biu" else None


def _count(shape: tuple, axis) -> int:
    return math.prod(shape) if axis is None else math.prod(shape[a] for a in axis)


# ---------------------------------------------------------------- broadcasting back

def _grad_canon(g, x, axis=None, keepdim=False) -> dict:
    return _reduce_canon(x, axis, keepdim)


def _mean_grad_canon(g, x, axis=None, keepdim=False, correction=0) -> dict:
    return dict(_reduce_canon(x, axis, keepdim), correction=_correction(correction))


def _correction(c):
    c = float(c)
    return int(c) if c.is_integer() else c


def _expanded(g_shape: tuple, ndim: int, axis, keepdim) -> tuple:
    """The reduced shape `g_shape` with the reduced axes put back as 1s."""
    if keepdim:
        return tuple(g_shape)
    if axis is None:
        return (1,) * ndim if not g_shape else tuple(g_shape)
    dims = iter(g_shape)
    out = tuple(1 if i in axis else next(dims, None) for i in range(ndim))
    return out if len(g_shape) == ndim - len(axis) else tuple(g_shape)


def _grad_infer(g: Meta, x: Meta, axis, keepdim, correction=0) -> Meta:
    exp_shape = _expanded(g.shape, x.ndim, axis, keepdim)
    ok = len(exp_shape) == x.ndim and builtins.all(
        d in (1, -1, xd) or xd == -1 for d, xd in zip(exp_shape, x.shape))
    if not ok:
        want = list(reduced_shape(x.shape, axis, keepdim))
        raise ValueError(f"reduced gradient of shape {list(g.shape)} does not fit input "
                         f"{list(x.shape)} reduced over axis={axis}, keepdim={keepdim} "
                         f"(expected {want})")
    return Meta(x.shape, g.dtype)


def _broadcast_back(xp, g, x, axis, keepdim):
    if not keepdim and axis is not None:
        g = xp.expand_dims(g, axis)
    return xp.broadcast_to(g, x.shape)


@register("sum_grad", infer=_grad_infer, canon=_grad_canon, saves=(0,))
def sum_grad(xp, g, x, *, axis, keepdim):
    """Put the reduced axes back into `g` and broadcast it to `x`'s shape (a read-only view):
    the gradient of `sum`, also used to compare `x` with its max or logsumexp."""
    return _broadcast_back(xp, g, x, axis, keepdim)


@sum_grad.defvjp
def _sum_grad_vjp(gg, g, x, out, axis, keepdim):
    return sum_to_like(sum(gg, axis=axis, keepdim=keepdim), g), None


@register("mean_grad", infer=_grad_infer, canon=_mean_grad_canon, saves=(0, 1))
def mean_grad(xp, g, x, *, axis, keepdim, correction):
    """`sum_grad(g, x) / (n - correction)`, n = the number of reduced elements (the gradient of
    `mean`; `var` uses it with its correction)."""
    d = _count(x.shape, axis) - correction
    return _broadcast_back(xp, g * (1.0 / d if d > 0 else math.inf), x, axis, keepdim)


@mean_grad.defvjp
def _mean_grad_vjp(gg, g, x, out, axis, keepdim, correction=0):
    if correction == 0:
        return sum_to_like(mean(gg, axis=axis, keepdim=keepdim), g), None
    # sum(gg) / (n - correction), broadcast by mean_grad and read back by a mean
    full = mean_grad(sum(gg, axis=axis, keepdim=keepdim), x, axis=axis, keepdim=keepdim,
                     correction=correction)
    return sum_to_like(mean(full, axis=axis, keepdim=keepdim), g), None


# ---------------------------------------------------------------- sum, mean, prod

def _sum_infer(x: Meta, axis, keepdim) -> Meta:
    return Meta(reduced_shape(x.shape, axis, keepdim), _sum_dtype(x.dtype) or x.dtype)


@register("sum", infer=_sum_infer, canon=_reduce_canon, saves=(0,))
def sum(xp, x, *, axis, keepdim):  # noqa: A001 - torch.sum
    return xp.asarray(x.sum(axis=axis, keepdims=keepdim, dtype=_sum_dtype(x.dtype)))


@sum.defvjp
def _sum_vjp(g, x, out, axis, keepdim):
    return (sum_grad(g, x, axis=axis, keepdim=keepdim),)


@register("mean", infer=_reduce_infer, canon=_reduce_canon, to_float=True, saves=(0,))
def mean(xp, x, *, axis, keepdim):
    return xp.asarray(x.mean(axis=axis, keepdims=keepdim))


@mean.defvjp
def _mean_vjp(g, x, out, axis, keepdim):
    return (mean_grad(g, x, axis=axis, keepdim=keepdim),)


@register("prod", infer=_sum_infer, canon=_reduce_canon, saves=(0,))
def prod(xp, x, *, axis, keepdim):
    return xp.asarray(x.prod(axis=axis, keepdims=keepdim, dtype=_sum_dtype(x.dtype)))


@prod.defvjp
def _prod_vjp(g, x, out, axis, keepdim):
    return (mul(sum_grad(g, x, axis=axis, keepdim=keepdim), prod_grad(x, axis=axis)),)


def _prod_grad_canon(x, axis=None) -> dict:
    return {"axis": _reduce_canon(x, axis)["axis"]}


@register("prod_grad", infer=lambda x, axis: same(x), canon=_prod_grad_canon, saves=(0, "out"))
def prod_grad(xp, x, *, axis):
    """For each element, the product of the other elements of its reduction group (exact with
    zeros): exclusive cumulative products from the left and from the right."""
    axes = tuple(range(x.ndim)) if axis is None else axis
    keep = tuple(i for i in range(x.ndim) if i not in axes)
    perm = keep + axes
    xt = xp.transpose(x, perm)
    lead = xt.shape[:len(keep)]
    flat = xt.reshape(lead + (math.prod(xt.shape[len(keep):]),))
    ones = xp.ones(lead + (1,), dtype=x.dtype)
    left = xp.cumprod(flat[..., :-1], axis=-1)
    right = xp.flip(xp.cumprod(xp.flip(flat[..., 1:], axis=-1), axis=-1), axis=-1)
    out = xp.concatenate([ones, left], axis=-1) * xp.concatenate([right, ones], axis=-1)
    inverse = tuple(perm.index(i) for i in range(x.ndim))
    return xp.ascontiguousarray(xp.transpose(out.reshape(xt.shape), inverse))


@prod_grad.defvjp
def _prod_grad_vjp(gg, x, out, axis):
    # d out_i / d x_j = out_i / x_j for j != i in the same group (exact when x has no zeros)
    p = mul(gg, out)
    return (div(sub(sum(p, axis=axis, keepdim=True), p), x),)


# ---------------------------------------------------------------- max, min, arg*

@register("max", infer=_reduce_infer, canon=_reduce_canon, saves=(0, "out"))
def max(xp, x, *, axis, keepdim):  # noqa: A001
    """Values only (torch.amax): the gradient is shared evenly between tied maxima."""
    return xp.asarray(x.max(axis=axis, keepdims=keepdim))


def _extremum_vjp(g, x, out, axis, keepdim):
    hit = cast(equal(x, sum_grad(out, x, axis=axis, keepdim=keepdim)), dtype=g.dtype)
    share = div(hit, sum(hit, axis=axis, keepdim=True))
    return (mul(share, sum_grad(g, x, axis=axis, keepdim=keepdim)),)


max.defvjp(_extremum_vjp)


@register("min", infer=_reduce_infer, canon=_reduce_canon, saves=(0, "out"))
def min(xp, x, *, axis, keepdim):  # noqa: A001
    return xp.asarray(x.min(axis=axis, keepdims=keepdim))


min.defvjp(_extremum_vjp)


def _arg_canon(x, axis=None, keepdim=False) -> dict:
    if axis is not None:
        if isinstance(axis, (tuple, list)):
            raise TypeError(f"axis must be an int or None, got {axis!r}")
        axis = norm_axis(axis, x.ndim) if x.ndim else None
    return {"axis": axis, "keepdim": bool(keepdim)}


def _arg_infer(x: Meta, axis, keepdim) -> Meta:
    return Meta(reduced_shape(x.shape, None if axis is None else (axis,), keepdim), _INT64)


@register("argmax", infer=_arg_infer, canon=_arg_canon, differentiable=False, saves=())
def argmax(xp, x, *, axis, keepdim):
    """Index of the first maximum (flattened when axis is None), int64."""
    return xp.asarray(xp.argmax(x, axis=axis, keepdims=keepdim)).astype(_INT64, copy=False)


@register("argmin", infer=_arg_infer, canon=_arg_canon, differentiable=False, saves=())
def argmin(xp, x, *, axis, keepdim):
    return xp.asarray(xp.argmin(x, axis=axis, keepdims=keepdim)).astype(_INT64, copy=False)


def _argsort_canon(x, axis=-1, descending=False) -> dict:
    if isinstance(axis, (tuple, list)) or axis is None:
        raise TypeError(f"argsort: axis must be an int, got {axis!r}")
    return {"axis": norm_axis(axis, x.ndim) if x.ndim else 0, "descending": bool(descending)}


def _argsort_infer(x: Meta, axis, descending) -> Meta:
    return Meta(tuple(x.shape), _INT64)


@register("argsort", infer=_argsort_infer, canon=_argsort_canon, differentiable=False,
          saves=())
def argsort(xp, x, *, axis, descending):
    """Indices sorting x along `axis` (int64), stable: equal values keep their order, also
    when descending (paddle.argsort; sort / topk gather with them)."""
    if x.ndim == 0:
        return xp.zeros((), dtype=_INT64)
    if descending:  # the stable ascending order of x reversed, read backwards: values
        # descending, ties in their order, NaN first (PyTorch), no negation to overflow
        n = x.shape[axis]
        order = xp.argsort(xp.flip(x, axis=axis), axis=axis, kind="stable")
        return (n - 1 - xp.flip(order, axis=axis)).astype(_INT64, copy=False)
    return xp.argsort(x, axis=axis, kind="stable").astype(_INT64, copy=False)


def _unique_canon(x, axis=None, dtype="int64") -> dict:
    if axis is not None:
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"unique: axis must be an int or None, got {axis!r}")
        axis = norm_axis(axis, x.ndim)
    dtype = np.dtype(dtype).name
    if dtype not in ("int32", "int64"):
        raise TypeError(f"unique: dtype must be int32 or int64, got {dtype}")
    return {"axis": axis, "dtype": dtype}


def _unique_infer(x: Meta, axis, dtype):
    index = np.dtype(dtype)
    if axis is None:
        size = -1 if -1 in x.shape else int(np.prod(x.shape))
        return (Meta((-1,), x.dtype), Meta((-1,), index), Meta((size,), index),
                Meta((-1,), index))
    out = x.shape[:axis] + (-1,) + x.shape[axis + 1:]
    return (Meta(out, x.dtype), Meta((-1,), index), Meta((x.shape[axis],), index),
            Meta((-1,), index))


@register("unique", infer=_unique_infer, canon=_unique_canon, n_out=4, differentiable=False,
          saves=())
def unique(xp, x, *, axis, dtype):
    """(sorted unique values, index of each one's first occurrence, inverse index rebuilding
    x, counts) of flattened x, or of x's slices along `axis` (paddle.unique)."""
    out, index, inverse, counts = xp.unique(x, return_index=True, return_inverse=True,
                                            return_counts=True, axis=axis)
    return (out, index.astype(dtype), inverse.reshape(-1).astype(dtype), counts.astype(dtype))


# ---------------------------------------------------------------- statistics

def _var_canon(x, axis=None, correction=1, keepdim=False) -> dict:
    return dict(_reduce_canon(x, axis, keepdim), correction=_correction(correction))


def _var_infer(x: Meta, axis, correction, keepdim) -> Meta:
    return _reduce_infer(x, axis, keepdim)


@register("var", infer=_var_infer, canon=_var_canon, to_float=True, saves=(0,))
def var(xp, x, *, axis, correction, keepdim):
    """Variance with `correction` (1: unbiased, torch's default; 0: biased)."""
    return xp.asarray(x.var(axis=axis, ddof=correction, keepdims=keepdim))


@var.defvjp
def _var_vjp(g, x, out, axis, correction, keepdim):
    centered = sub(x, mean(x, axis=axis, keepdim=True))
    scale = mean_grad(g, x, axis=axis, keepdim=keepdim, correction=correction)
    return (mul(scale, mul(centered, 2.0)),)


def std(x, axis=None, correction=1, keepdim=False):
    """sqrt(var) (composite)."""
    return sqrt(var(x, axis=axis, correction=correction, keepdim=keepdim))


@register("logsumexp", infer=_reduce_infer, canon=_reduce_canon, to_float=True,
          saves=(0, "out"))
def logsumexp(xp, x, *, axis, keepdim):
    """log(sum(exp(x))) shifted by the max, so it neither overflows nor underflows."""
    m = x.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, m.dtype.type(0))
    out = xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True)) + m
    if not keepdim:
        out = out.reshape(reduced_shape(x.shape, axis, False))
    return xp.asarray(out)


@logsumexp.defvjp
def _logsumexp_vjp(g, x, out, axis, keepdim):
    softmax = exp(sub(x, sum_grad(out, x, axis=axis, keepdim=keepdim)))
    return (mul(sum_grad(g, x, axis=axis, keepdim=keepdim), softmax),)


def norm(x, p=2.0, axis=None, keepdim=False):
    """Vector p-norm over `axis` (composite): p = 2, 1, inf, -inf, 0 or any other number."""
    if p == 2:
        return sqrt(sum(mul(x, x), axis=axis, keepdim=keepdim))
    if p == 1:
        return sum(abs_op(x), axis=axis, keepdim=keepdim)
    if p == math.inf:
        return max(abs_op(x), axis=axis, keepdim=keepdim)
    if p == -math.inf:
        return min(abs_op(x), axis=axis, keepdim=keepdim)
    if p == 0:
        return sum(cast(not_equal(x, 0), dtype=x.dtype), axis=axis, keepdim=keepdim)
    return pow_op(sum(pow_op(abs_op(x), float(p)), axis=axis, keepdim=keepdim), 1.0 / p)


# ---------------------------------------------------------------- scans and boolean reductions

def _cumsum_canon(x, axis, reverse=False) -> dict:
    if axis is None or isinstance(axis, (tuple, list)):
        raise TypeError(f"cumsum needs one int axis, got {axis!r} (flatten first for all)")
    return {"axis": norm_axis(axis, x.ndim), "reverse": bool(reverse)}


def _cumsum_infer(x: Meta, axis, reverse) -> Meta:
    return Meta(x.shape, _sum_dtype(x.dtype) or x.dtype)


@register("cumsum", infer=_cumsum_infer, canon=_cumsum_canon, saves=())
def cumsum(xp, x, *, axis, reverse=False):
    """Running sum along `axis` (from the end when `reverse`, as ONNX CumSum)."""
    dtype = _sum_dtype(x.dtype)
    if x.ndim == 0:
        return x.astype(dtype or x.dtype)
    if reverse:
        return xp.flip(xp.cumsum(xp.flip(x, axis), axis=axis, dtype=dtype), axis)
    return xp.cumsum(x, axis=axis, dtype=dtype)


@cumsum.defvjp
def _cumsum_vjp(g, x, out, axis, reverse=False):
    return (cumsum(g, axis=axis, reverse=not reverse),)


def _bool_reduce_infer(x: Meta, axis, keepdim) -> Meta:
    return Meta(reduced_shape(x.shape, axis, keepdim), np.dtype(bool))


@register("any", infer=_bool_reduce_infer, canon=_reduce_canon, differentiable=False, saves=())
def any(xp, x, *, axis, keepdim):  # noqa: A001
    return xp.asarray(xp.any(x, axis=axis, keepdims=keepdim))


@register("all", infer=_bool_reduce_infer, canon=_reduce_canon, differentiable=False, saves=())
def all(xp, x, *, axis, keepdim):  # noqa: A001
    return xp.asarray(xp.all(x, axis=axis, keepdims=keepdim))
