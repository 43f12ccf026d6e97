"""Resampling composites shared by both front ends: interpolation (nearest, linear along each
spatial dim, area) and pixel (un)shuffle.

Interpolation is index_select + blend: the source positions and weights along each spatial
dim are small constant tables computed from the (known) sizes. The coordinate rules are
parameters, since PyTorch and Paddle name them differently:
  nearest  "floor": src = floor(dst * ratio)         (PyTorch 'nearest', Paddle default)
           "half":  src = floor((dst + 0.5) * ratio) (PyTorch 'nearest-exact')
  linear   align_corners: src = dst * (in - 1) / (out - 1)
           half_pixel:    src = max((dst + 0.5) * ratio - 0.5, 0)  (Paddle align_mode=0)
           otherwise:     src = dst * ratio                       (Paddle align_mode=1)
with ratio = 1 / scale_factor when a scale was given, else in / out.
"""
from __future__ import annotations

import math

import numpy as np

from .common import constant_like
from .nn import np_dtype
from .registry import get


def _op(name):
    return get(name)


def output_sizes(in_sizes: tuple, size, scale_factor, what: str = "interpolate"):
    """(output sizes, per-dim scale factors or None) from exactly one of size / scale_factor;
    output = floor(in * scale)."""
    dims = len(in_sizes)
    if size is not None and scale_factor is not None:
        raise ValueError(f"{what}: only one of size or scale_factor should be defined")
    if size is not None:
        out = (size,) * dims if isinstance(size, int) else tuple(size)
        if len(out) != dims:
            raise ValueError(f"{what}: size {list(out)} must have {dims} values for the "
                             f"{dims} spatial dims {list(in_sizes)}")
        return tuple(int(o) for o in out), (None,) * dims
    if scale_factor is None:
        raise ValueError(f"{what}: either size or scale_factor should be defined")
    scales = (scale_factor,) * dims if isinstance(scale_factor, (int, float)) else \
        tuple(scale_factor)
    if len(scales) != dims:
        raise ValueError(f"{what}: scale_factor {list(scales)} must have {dims} values for "
                         f"the {dims} spatial dims {list(in_sizes)}")
    if any(float(s) <= 0 for s in scales):
        raise ValueError(f"{what}: scale_factor must be positive, got {list(scales)}")
    if any(n < 0 for n in in_sizes):
        raise ValueError(f"{what}: scale_factor needs known spatial dims, got {list(in_sizes)}")
    out = tuple(int(math.floor(n * float(s))) for n, s in zip(in_sizes, scales))
    return out, tuple(float(s) for s in scales)


def _ratio(n_in: int, n_out: int, factor, align_corners: bool) -> float:
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / factor if factor is not None else n_in / n_out


def nearest_index(n_in: int, n_out: int, factor=None, rule: str = "floor") -> np.ndarray:
    """Source index of every output position (int64)."""
    dst = np.arange(n_out, dtype=np.float64)
    ratio = _ratio(n_in, n_out, factor, False)
    src = dst * ratio if rule == "floor" else (dst + 0.5) * ratio
    return np.minimum(np.floor(src).astype(np.int64), n_in - 1)


def linear_table(n_in: int, n_out: int, factor=None, align_corners: bool = False,
                 half_pixel: bool = True) -> tuple:
    """(lower index, upper index, weight of the upper one) for every output position."""
    dst = np.arange(n_out, dtype=np.float64)
    ratio = _ratio(n_in, n_out, factor, align_corners)
    if align_corners or not half_pixel:
        src = dst * ratio
    else:
        src = np.maximum((dst + 0.5) * ratio - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, src - i0


def _nearest(x, axis: int, index: np.ndarray):
    return _op("index_select")(x, constant_like(x, index), axis=axis)


def _linear(x, axis: int, table: tuple):
    i0, i1, lam = table
    lam = lam.astype(np_dtype(x)).reshape((-1,) + (1,) * (x.ndim - 1 - axis))
    lo = _op("index_select")(x, constant_like(x, i0), axis=axis)
    hi = _op("index_select")(x, constant_like(x, i1), axis=axis)
    return _op("add")(lo, _op("mul")(_op("sub")(hi, lo), constant_like(x, lam)))


LINEAR_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3}


def interpolate(x, out_sizes: tuple, factors: tuple, mode: str = "nearest",
                align_corners: bool = False, nearest_rule: str = "floor",
                half_pixel: bool = True, what: str = "interpolate"):
    """Resize the spatial dims of (N, C, *spatial) x to `out_sizes` (see the module
    docstring for the coordinate rules); mode 'area' is adaptive average pooling."""
    dims = x.ndim - 2
    in_sizes = tuple(x.shape[2:])
    if any(n < 0 for n in in_sizes):
        raise ValueError(f"{what}: the spatial dims must be known, got input of shape "
                         f"{list(x.shape)}")
    if any(o < 1 for o in out_sizes):
        raise ValueError(f"{what}: output sizes must be positive, got {list(out_sizes)}")
    if mode == "area":
        return _area(x, out_sizes, what)
    if mode in LINEAR_DIMS and LINEAR_DIMS[mode] != dims:
        raise ValueError(f"{what}: mode {mode!r} needs a {LINEAR_DIMS[mode] + 2}-D input, got "
                         f"shape {list(x.shape)}")
    if mode not in LINEAR_DIMS and mode != "nearest":
        raise NotImplementedError(f"{what}: mode {mode!r} is not supported (nearest, linear, "
                                  "bilinear, trilinear, area)")
    for d in range(dims):
        axis, n_in, n_out = 2 + d, in_sizes[d], out_sizes[d]
        if mode == "nearest":
            if n_in != n_out:
                x = _nearest(x, axis, nearest_index(n_in, n_out, factors[d], nearest_rule))
        else:
            x = _linear(x, axis, linear_table(n_in, n_out, factors[d], align_corners,
                                              half_pixel))
    return x


def _area(x, out_sizes: tuple, what: str):
    from .pool import adaptive_avg_pool1d

    if len(out_sizes) == 1:
        return adaptive_avg_pool1d(x, out_sizes[0])
    if len(out_sizes) == 2:
        return _op("adaptive_avg_pool2d")(x, output_size=tuple(out_sizes))
    raise NotImplementedError(f"{what}: mode 'area' supports 3-D and 4-D input")


def pixel_shuffle(x, r: int, what: str = "pixel_shuffle"):
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r)."""
    r = int(r)
    c, h, w = tuple(x.shape[-3:])
    if r < 1 or c < 0 or c % (r * r):
        raise ValueError(f"{what}: the channel dim of input {list(x.shape)} must be a known "
                         f"multiple of upscale_factor**2 = {r * r}")
    lead = tuple(x.shape[:-3])
    y = _op("reshape")(x, shape=(-1, c // (r * r), r, r, h, w))
    y = _op("transpose")(y, perm=(0, 1, 4, 2, 5, 3))
    return _op("reshape")(y, shape=_lead(lead) + (c // (r * r), _mul(h, r), _mul(w, r)))


def pixel_unshuffle(x, r: int, what: str = "pixel_unshuffle"):
    """(*, C, H*r, W*r) -> (*, C*r^2, H, W)."""
    r = int(r)
    c, h, w = tuple(x.shape[-3:])
    if r < 1 or h < 0 or w < 0 or h % r or w % r:
        raise ValueError(f"{what}: height and width of input {list(x.shape)} must be known "
                         f"multiples of downscale_factor {r}")
    lead = tuple(x.shape[:-3])
    y = _op("reshape")(x, shape=(-1, c, h // r, r, w // r, r))
    y = _op("transpose")(y, perm=(0, 1, 3, 5, 2, 4))
    return _op("reshape")(y, shape=_lead(lead) + (_mul(c, r * r), h // r, w // r))


def _lead(lead: tuple) -> tuple:
    """Leading dims for a reshape: unknown ones are copied from the input (Paddle's 0)."""
    if sum(d == -1 for d in lead) <= 1:
        return lead
    return tuple(0 if d == -1 else d for d in lead)


def _mul(d: int, k: int) -> int:
    return -1 if d < 0 else d * k
