"""Paddle's pooling functions: max/avg/adaptive-avg pooling in 1-D and 2-D (`exclusive=True`
leaves padding out of the average, Paddle's default)."""
from __future__ import annotations

from dualnet.ops import apply
from dualnet.ops import pool as P

from ._utils import channel_last, to_channel_first, to_channel_last

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "max_pool3d",
           "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d"]


def _no_mask(return_mask: bool, what: str) -> None:
    if return_mask:
        raise NotImplementedError(f"{what}(return_mask=True) is not supported yet")


def _in_nchw(x, data_format, what, fn):
    if x.ndim != 4:
        raise ValueError(f"{what} expects a 4-D input ({data_format}), got shape {x.shape}")
    if channel_last(data_format, what):
        return to_channel_last(fn(to_channel_first(x)))
    return fn(x)


def _in_ncl(x, data_format, what, fn):
    if x.ndim != 3:
        raise ValueError(f"{what} expects a 3-D input ({data_format}), got shape {x.shape}")
    if channel_last(data_format, what):
        return to_channel_last(fn(to_channel_first(x)))
    return fn(x)


def max_pool2d(x, kernel_size, stride=None, padding=0, return_mask=False, ceil_mode=False,
               data_format="NCHW", name=None):
    out = _in_nchw(x, data_format, "max_pool2d", lambda v: apply(
        "max_pool2d", v, kernel_size=kernel_size, stride=stride, padding=padding,
        ceil_mode=ceil_mode))
    if not return_mask:
        return out
    from dualnet.ops.spatial import max_pool2d_indices  # positions h * W + w, as Paddle's mask
    return out, _in_nchw(x, data_format, "max_pool2d", lambda v: max_pool2d_indices(
        v, kernel_size, stride, padding, 1, ceil_mode))


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, exclusive=True,
               divisor_override=None, data_format="NCHW", name=None):
    return _in_nchw(x, data_format, "avg_pool2d", lambda v: apply(
        "avg_pool2d", v, kernel_size=kernel_size, stride=stride, padding=padding,
        ceil_mode=ceil_mode, count_include_pad=not exclusive,
        divisor_override=divisor_override))


def adaptive_avg_pool2d(x, output_size, data_format="NCHW", name=None):
    return _in_nchw(x, data_format, "adaptive_avg_pool2d", lambda v: apply(
        "adaptive_avg_pool2d", v, output_size=output_size))


def max_pool1d(x, kernel_size, stride=None, padding=0, return_mask=False, ceil_mode=False,
               name=None):
    out = _in_ncl(x, "NCL", "max_pool1d", lambda v: P.max_pool1d(
        v, kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode))
    if not return_mask:
        return out
    from dualnet.ops.spatial import max_pool1d_indices
    return out, _in_ncl(x, "NCL", "max_pool1d", lambda v: max_pool1d_indices(
        v, kernel_size, stride, padding, 1, ceil_mode))


def avg_pool1d(x, kernel_size, stride=None, padding=0, exclusive=True, ceil_mode=False,
               name=None):
    return _in_ncl(x, "NCL", "avg_pool1d", lambda v: P.avg_pool1d(
        v, kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
        count_include_pad=not exclusive))


def adaptive_avg_pool1d(x, output_size, name=None):
    return _in_ncl(x, "NCL", "adaptive_avg_pool1d",
                   lambda v: P.adaptive_avg_pool1d(v, output_size))


def adaptive_max_pool2d(x, output_size, return_mask=False, name=None):
    """Max over adaptive bins [floor(i*H/O), ceil((i+1)*H/O)) of NCHW input."""
    _no_mask(return_mask, "adaptive_max_pool2d")
    if x.ndim != 4:
        raise ValueError(f"adaptive_max_pool2d expects a 4-D input (NCHW), got shape {x.shape}")
    return P.adaptive_max_pool2d(x, output_size)


def adaptive_max_pool1d(x, output_size, return_mask=False, name=None):
    _no_mask(return_mask, "adaptive_max_pool1d")
    return _in_ncl(x, "NCL", "adaptive_max_pool1d",
                   lambda v: P.adaptive_max_pool1d(v, output_size))


# ---------------------------------------------------------------- 3-D

def _check_3d_format(data_format, what) -> None:
    if data_format not in ("NCDHW", "NDHWC"):
        raise ValueError(f"{what}: data_format must be 'NCDHW' or 'NDHWC', got "
                         f"{data_format!r}")


def _in_ncdhw(x, data_format, what, fn):
    _check_3d_format(data_format, what)
    if x.ndim != 5:
        raise ValueError(f"{what} expects a 5-D input ({data_format}), got shape {x.shape}")
    if channel_last(data_format, what):
        res = fn(to_channel_first(x))
        if isinstance(res, tuple):
            return tuple(to_channel_last(r) for r in res)
        return to_channel_last(res)
    return fn(x)


def _pool3d_padding(padding, data_format):
    """Nested per-dim pairs (5 of them, batch and channel first) -> 6 spatial ints."""
    if isinstance(padding, (list, tuple)) and padding and isinstance(padding[0], (list, tuple)):
        pairs = list(padding)
        if len(pairs) == 5:
            pairs = pairs[1:-1] if channel_last(data_format, "pool3d") else pairs[2:]
        return [int(v) for pair in pairs for v in pair]
    return padding


def max_pool3d(x, kernel_size, stride=None, padding=0, ceil_mode=False, return_mask=False,
               data_format="NCDHW", name=None):
    """Paddle's max_pool3d; return_mask adds the argmax as flat indices into D*H*W."""
    attrs = dict(kernel_size=kernel_size, stride=stride,
                 padding=_pool3d_padding(padding, data_format), ceil_mode=ceil_mode)

    def pool(v):
        y = apply("max_pool3d", v, **attrs)
        return (y, apply("max_pool3d_indices", v, **attrs)) if return_mask else y
    return _in_ncdhw(x, data_format, "max_pool3d", pool)


def avg_pool3d(x, kernel_size, stride=None, padding=0, ceil_mode=False, exclusive=True,
               divisor_override=None, data_format="NCDHW", name=None):
    return _in_ncdhw(x, data_format, "avg_pool3d", lambda v: apply(
        "avg_pool3d", v, kernel_size=kernel_size, stride=stride,
        padding=_pool3d_padding(padding, data_format), ceil_mode=ceil_mode,
        count_include_pad=not exclusive, divisor_override=divisor_override))


def adaptive_avg_pool3d(x, output_size, data_format="NCDHW", name=None):
    return _in_ncdhw(x, data_format, "adaptive_avg_pool3d", lambda v: apply(
        "adaptive_avg_pool3d", v, output_size=output_size))


def adaptive_max_pool3d(x, output_size, return_mask=False, name=None):
    """Max over adaptive bins [floor(i*D/O), ceil((i+1)*D/O)) per axis of NCDHW input."""
    _no_mask(return_mask, "adaptive_max_pool3d")
    return _in_ncdhw(x, "NCDHW", "adaptive_max_pool3d",
                     lambda v: P.pool_nd.adaptive_max_pool3d(v, output_size))
