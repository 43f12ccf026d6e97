"""Creation ops: constants, ranges and random arrays, plus `shape_of` and `assign`.

The zero-input ops (fill_constant, arange, uniform_random, gaussian_random,
truncated_gaussian_random, randint) take everything as attrs. `apply` gives them to the default
binder of the context (a static program records them; eager runs them); run with no binder they
get NumPy, unless the attr `device` names a CUDA device ("cuda:N"), whose CuPy they then use.
`dtype=None` means the default float dtype (int64 for an all-integer arange), resolved by
`canon` so programs store a concrete dtype. Random ops draw from `dualnet.random`'s generator for
the device when they run, so a cached plan draws new numbers every step.
"""
from __future__ import annotations

import contextlib
import math
import numbers

import numpy as np

from .. import dtypes
from .. import random as _random
from ..backend import Device
from .common import same
from .registry import Meta, register

# ---------------------------------------------------------------- attr canonicalization


def _shape(shape) -> tuple:
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        shape = tuple(int(d) for d in shape)
    except TypeError:
        raise TypeError(f"shape must be an int or a sequence of ints, got {shape!r}") from None
    if any(d < 0 for d in shape):
        raise ValueError(f"negative dimension in shape {list(shape)}")
    return shape


def _dtype(dtype, default=None) -> str:
    if dtype is None:
        return default or dtypes.get_default_dtype().np.name
    return dtypes.as_np(dtype).name


def _float_dtype(dtype) -> str:
    name = _dtype(dtype)
    if np.dtype(name).kind != "f":
        raise TypeError(f"a random floating point op needs a floating dtype, got {name}")
    return name


def _device(device):
    return None if device is None else str(Device(device))


def _scalar(v):
    """A plain Python number (NumPy scalars and 0-d arrays are not hashable attrs)."""
    return v.item() if hasattr(v, "item") else v


def _on(xp, device):
    """(array module, context) for a zero-input kernel: `xp` unless `device` is set."""
    if device is None:
        return xp, contextlib.nullcontext()
    dev = Device(device)
    if dev.type == "cpu":
        return np, contextlib.nullcontext()
    mod = dev.xp
    return mod, mod.cuda.Device(dev.index)


def _creation_infer(*, shape, dtype, **attrs) -> Meta:
    return Meta(tuple(shape), np.dtype(_dtype(dtype)))


# ---------------------------------------------------------------- constants and ranges


def _fill_canon(shape, value=0.0, dtype=None, device=None):
    name = _dtype(dtype)
    kind = np.dtype(name).kind
    value = _scalar(value)
    value = bool(value) if kind == "b" else int(value) if kind in "iu" else \
        complex(value) if kind == "c" else float(value)
    return {"shape": _shape(shape), "value": value, "dtype": name, "device": _device(device)}


@register("fill_constant", infer=_creation_infer, canon=_fill_canon, saves=(),
          differentiable=False)
def fill_constant(xp, *, shape, value=0.0, dtype="float32", device=None):
    """An array of `shape` filled with `value` (torch.full / paddle.full)."""
    xp, ctx = _on(xp, device)
    with ctx:
        return xp.full(shape, value, dtype=dtype)


def _arange_length(start, end, step) -> int:
    if step == 0:
        raise ValueError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise ValueError(f"upper bound and larger bound inconsistent with step sign "
                         f"(start={start}, end={end}, step={step})")
    if all(isinstance(v, int) for v in (start, end, step)):
        return max(0, -((start - end) // step))
    return max(0, math.ceil((end - start) / step))


def _arange_canon(start=0, end=None, step=1, dtype=None, device=None):
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if end is None:  # torch.arange(end)
        start, end = 0, start
    ints = all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
               for v in (start, end, step))
    start, end, step = ((int(v) for v in (start, end, step)) if ints
                        else (float(v) for v in (start, end, step)))
    _arange_length(start, end, step)
    return {"start": start, "end": end, "step": step,
            "dtype": _dtype(dtype, "int64" if ints else None), "device": _device(device)}


def _arange_infer(*, start=0, end=None, step=1, dtype=None, **attrs) -> Meta:
    if end is None:
        start, end = 0, start
    ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    return Meta((_arange_length(start, end, step),),
                np.dtype(_dtype(dtype, "int64" if ints else None)))


@register("arange", infer=_arange_infer, canon=_arange_canon, saves=(), differentiable=False)
def arange(xp, *, start=0, end=None, step=1, dtype="int64", device=None):
    """start, start + step, ... below `end` (torch.arange / paddle.arange); values are
    start + i * step computed in float64 (int64 for integers), then cast."""
    if end is None:
        start, end = 0, start
    n = _arange_length(start, end, step)
    xp, ctx = _on(xp, device)
    exact = np.int64 if isinstance(start + end + step, int) else np.float64
    with ctx:
        out = xp.arange(n, dtype=exact)
        out *= step
        out += start
        return out.astype(dtype, copy=False)


def _count(name: str, n) -> int:
    n = _scalar(n)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"{name} must be a non-negative int, got {n!r}")
    return int(n)


def _eye_canon(rows, cols=None, dtype=None, device=None):
    rows = _count("rows", rows)
    return {"rows": rows, "cols": rows if cols is None else _count("cols", cols),
            "dtype": _dtype(dtype), "device": _device(device)}


def _eye_infer(*, rows, cols, dtype, **attrs) -> Meta:
    return Meta((rows, cols), np.dtype(dtype))


@register("eye", infer=_eye_infer, canon=_eye_canon, saves=(), differentiable=False)
def eye(xp, *, rows, cols, dtype="float32", device=None):
    """The [rows, cols] identity matrix (torch.eye / paddle.eye)."""
    xp, ctx = _on(xp, device)
    with ctx:
        return xp.eye(rows, cols, dtype=dtype)


def _linspace_canon(start, end, steps, dtype=None, device=None):
    return {"start": float(_scalar(start)), "end": float(_scalar(end)),
            "steps": _count("steps", steps), "dtype": _dtype(dtype), "device": _device(device)}


def _linspace_infer(*, steps, dtype, **attrs) -> Meta:
    return Meta((steps,), np.dtype(dtype))


@register("linspace", infer=_linspace_infer, canon=_linspace_canon, saves=(),
          differentiable=False)
def linspace(xp, *, start, end, steps, dtype="float32", device=None):
    """`steps` evenly spaced values from start to end, both included (computed in float64,
    then cast: torch.linspace / paddle.linspace)."""
    xp, ctx = _on(xp, device)
    with ctx:
        return xp.linspace(start, end, steps, dtype=np.float64).astype(dtype, copy=False)


def _randperm_canon(n, dtype="int64", device=None):
    return {"n": _count("n", n), "dtype": _dtype(dtype, "int64"), "device": _device(device)}


def _randperm_infer(*, n, dtype, **attrs) -> Meta:
    return Meta((n,), np.dtype(dtype))


@register("randperm", infer=_randperm_infer, canon=_randperm_canon, saves=(),
          differentiable=False, random=True)
def randperm(xp, *, n, dtype="int64", device=None):
    """A random permutation of 0 .. n-1 from dualnet's generator (torch / paddle.randperm)."""
    xp, ctx = _on(xp, device)
    with ctx:
        return _random.permutation(xp, n).astype(dtype, copy=False)


# ---------------------------------------------------------------- random arrays


def _uniform_canon(shape, low=0.0, high=1.0, dtype=None, device=None):
    low, high = float(_scalar(low)), float(_scalar(high))
    if not low <= high:
        raise ValueError(f"uniform_random expects low <= high, got low={low}, high={high}")
    return {"shape": _shape(shape), "low": low, "high": high, "dtype": _float_dtype(dtype),
            "device": _device(device)}


@register("uniform_random", infer=_creation_infer, canon=_uniform_canon, saves=(),
          differentiable=False, random=True)
def uniform_random(xp, *, shape, low=0.0, high=1.0, dtype="float32", device=None):
    """Uniform samples in [low, high) from the device's generator (torch.rand, uniform_)."""
    xp, ctx = _on(xp, device)
    with ctx:
        return _random.uniform(xp, shape, low, high, dtype)


def _gaussian_canon(shape, mean=0.0, std=1.0, dtype=None, device=None):
    mean, std = float(_scalar(mean)), float(_scalar(std))
    if not std >= 0.0:
        raise ValueError(f"gaussian_random expects std >= 0.0, got std={std}")
    return {"shape": _shape(shape), "mean": mean, "std": std, "dtype": _float_dtype(dtype),
            "device": _device(device)}


@register("gaussian_random", infer=_creation_infer, canon=_gaussian_canon, saves=(),
          differentiable=False, random=True)
def gaussian_random(xp, *, shape, mean=0.0, std=1.0, dtype="float32", device=None):
    """Normal samples N(mean, std^2) (torch.randn, normal_, paddle.normal)."""
    xp, ctx = _on(xp, device)
    with ctx:
        return _random.normal(xp, shape, mean, std, dtype)


def _truncated_canon(shape, mean=0.0, std=1.0, a=-2.0, b=2.0, dtype=None, device=None):
    mean, std, a, b = (float(_scalar(v)) for v in (mean, std, a, b))
    if not std > 0.0:
        raise ValueError(f"truncated_gaussian_random expects std > 0.0, got std={std}")
    if not a < b:
        raise ValueError(f"truncated_gaussian_random expects a < b, got a={a}, b={b}")
    return {"shape": _shape(shape), "mean": mean, "std": std, "a": a, "b": b,
            "dtype": _float_dtype(dtype), "device": _device(device)}


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


# Acklam's rational approximation of the normal quantile (relative error below 1.2e-9).
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01, 1.0)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00, 1.0)


def _poly(coefs, x):
    out = coefs[0] * x + coefs[1]
    for c in coefs[2:]:
        out *= x
        out += c
    return out


def _normal_ppf(xp, p):
    """Inverse of the standard normal CDF for float64 p in [0, 1], elementwise."""
    q = p - 0.5
    r = q * q
    central = _poly(_A, r) * q / _poly(_B, r)
    tail_p = xp.maximum(xp.minimum(p, 1.0 - p), 1e-300)
    t = xp.sqrt(-2.0 * xp.log(tail_p))
    tail = _poly(_C, t) / _poly(_D, t)  # the lower tail's (negative) quantile
    tail = xp.where(q > 0, -tail, tail)
    return xp.where(xp.abs(q) <= 0.5 - 0.02425, central, tail)


@register("truncated_gaussian_random", infer=_creation_infer, canon=_truncated_canon, saves=(),
          differentiable=False, random=True)
def truncated_gaussian_random(xp, *, shape, mean=0.0, std=1.0, a=-2.0, b=2.0,
                              dtype="float32", device=None):
    """N(mean, std^2) conditioned on [a, b] (absolute bounds, as torch.nn.init.trunc_normal_ and
    paddle's TruncatedNormal): inverse-CDF sampling of a uniform draw, one draw per element."""
    lo, hi = (a - mean) / std, (b - mean) / std
    flip = lo > 0.0  # sample in the lower tail, where the CDF keeps its precision
    if flip:
        lo, hi = -hi, -lo
    xp, ctx = _on(xp, device)
    with ctx:
        u = _random.uniform(xp, shape, _normal_cdf(lo), _normal_cdf(hi), "float64")
        z = _normal_ppf(xp, u)
        if flip:
            z = xp.negative(z, out=z)
        z *= std
        z += mean
        return xp.clip(z, a, b, out=z).astype(dtype, copy=False)


def _randint_canon(shape, low=0, high=None, dtype="int64", device=None):
    low, high = _scalar(low), _scalar(high)
    if high is None:  # torch.randint(high, size)
        low, high = 0, low
    low, high = int(low), int(high)
    if not low < high:
        raise ValueError(f"randint expects low < high, got low={low}, high={high}")
    return {"shape": _shape(shape), "low": low, "high": high,
            "dtype": _dtype(dtype, "int64"), "device": _device(device)}


def _randint_infer(*, shape, dtype="int64", **attrs) -> Meta:
    return Meta(tuple(shape), np.dtype(_dtype(dtype, "int64")))


@register("randint", infer=_randint_infer, canon=_randint_canon, saves=(),
          differentiable=False, random=True)
def randint(xp, *, shape, low=0, high=None, dtype="int64", device=None):
    """Uniform integers in [low, high) (torch.randint / paddle.randint)."""
    xp, ctx = _on(xp, device)
    with ctx:
        return _random.integers(xp, low, high, shape, dtype)


def _bernoulli_infer(x: Meta) -> Meta:
    if x.dtype.kind != "f":
        raise TypeError(f"bernoulli expects floating point probabilities, got {x.dtype}")
    return same(x)


@register("bernoulli", infer=_bernoulli_infer, saves=(), differentiable=False, random=True)
def bernoulli(xp, x):
    """1 with probability x, else 0, entry by entry, in x's dtype (paddle.bernoulli)."""
    u = _random.uniform(xp, x.shape, 0.0, 1.0, "float64")
    return (u < x).astype(x.dtype)


def _multinomial_canon(x, num_samples=1, replacement=False) -> dict:
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) \
            or num_samples <= 0:
        raise ValueError(f"multinomial: num_samples must be a positive int, got {num_samples!r}")
    return {"num_samples": int(num_samples), "replacement": bool(replacement)}


def _multinomial_infer(x: Meta, num_samples, replacement) -> Meta:
    if x.ndim not in (1, 2) or x.dtype.kind != "f":
        raise ValueError(f"multinomial expects 1-D or 2-D floating point probabilities, got "
                         f"shape {list(x.shape)} of {x.dtype}")
    categories = x.shape[-1]
    if not replacement and categories != -1 and num_samples > categories:
        raise ValueError(f"multinomial: cannot draw num_samples={num_samples} of {categories} "
                         f"categories without replacement (input shape {list(x.shape)})")
    return Meta(x.shape[:-1] + (num_samples,), np.dtype(np.int64))


@register("multinomial", infer=_multinomial_infer, canon=_multinomial_canon, saves=(),
          differentiable=False, random=True)
def multinomial(xp, x, *, num_samples, replacement):
    """Category indices (int64) drawn with probabilities proportional to x's last axis
    (paddle.multinomial). With replacement: inverse CDF of uniform draws; without: the
    first num_samples to finish exponential races of rates p (probability 0 never
    finishes)."""
    p = x.astype(np.float64)
    if bool((p < 0).any()) or not bool(xp.isfinite(p).all()):
        raise ValueError("multinomial: probabilities must be finite and non-negative")
    nonzero = (p > 0).sum(axis=-1)
    if bool((nonzero == 0).any()):
        raise ValueError("multinomial: every row of probabilities needs a positive entry")
    if replacement:
        u = _random.uniform(xp, x.shape[:-1] + (num_samples,), 0.0, 1.0, "float64")
        cdf = xp.cumsum(p, axis=-1)
        cdf = cdf / cdf[..., -1:]
        index = (u[..., :, None] >= cdf[..., None, :]).sum(axis=-1)
        return xp.minimum(index, x.shape[-1] - 1).astype(np.int64)
    if bool((nonzero < num_samples).any()):
        raise ValueError(f"multinomial: cannot draw num_samples={num_samples} without "
                         f"replacement from fewer positive categories ({int(nonzero.min())})")
    # exponential races: category c finishes at E_c / p_c; the first num_samples finishers
    wait = -xp.log(1.0 - _random.uniform(xp, x.shape, 0.0, 1.0, "float64"))
    finish = xp.where(p > 0, wait / xp.where(p > 0, p, 1.0), xp.inf)
    order = xp.argsort(finish, axis=-1, kind="stable")
    return order[..., :num_samples].astype(np.int64)


# ---------------------------------------------------------------- shape_of and assign


def _shape_of_infer(x: Meta) -> Meta:
    return Meta((len(x.shape),), np.dtype(np.int64))


@register("shape_of", infer=_shape_of_infer, saves=(), differentiable=False)
def shape_of(xp, x):
    """x's shape as a 1-D int64 array (paddle.shape): the value of dynamic dims at run time."""
    return xp.asarray(x.shape, dtype=np.int64)


@register("assign", infer=same, saves=())
def assign(xp, x):
    """A copy of x (paddle.assign, torch.clone)."""
    return x.copy()


@assign.defvjp
def _assign_vjp(g, x, out):
    return (g,)
