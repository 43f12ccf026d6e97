"""Paddle's conv1d / conv2d: NCHW (or NHWC) input, filters [out, in/groups, k...], optional
bias, padding as ints, pairs, [before, after] lists, nested per-dim lists or 'SAME'/'VALID'."""
from __future__ import annotations

from dualnet.ops import apply
from dualnet.ops.conv import conv1d as _conv1d

from ._utils import channel_last, to_channel_first, to_channel_last
from .common import _bias

__all__ = ["conv1d", "conv2d", "conv2d_transpose", "conv3d", "conv3d_transpose"]


def _spatial_padding(padding, last: bool, n: int):
    """A nested [[0,0],[0,0],[t,b],[l,r]] padding -> flat spatial [t, b, l, r]."""
    if isinstance(padding, (list, tuple)) and padding and isinstance(padding[0], (list, tuple)):
        pairs = list(padding)
        if len(pairs) == n + 2:
            pairs = pairs[1:-1] if last else pairs[2:]
        return [int(v) for pair in pairs for v in pair]
    return padding


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           data_format="NCHW", name=None):
    return _conv("conv2d", 2, x, weight, bias, stride, padding, dilation, groups, data_format)


def _conv(op: str, nd: int, x, weight, bias, stride, padding, dilation, groups, data_format):
    """conv2d / conv3d: a channel-last input is moved to channel-first around the op."""
    last = channel_last(data_format, op)
    if x.ndim != nd + 2:
        raise ValueError(f"{op} expects a {nd + 2}-D input ({data_format}), got shape "
                         f"{x.shape}")
    if last:
        x = to_channel_first(x)
    y = apply(op, x, weight, stride=stride, padding=_spatial_padding(padding, last, nd),
              dilation=dilation, groups=groups)
    y = _bias(y, bias)
    return to_channel_last(y) if last else y


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           data_format="NCL", name=None):
    last = channel_last(data_format, "conv1d")
    if x.ndim != 3:
        raise ValueError(f"conv1d expects a 3-D input ({data_format}), got shape {x.shape}")
    if last:
        x = to_channel_first(x)
    padding = _spatial_padding(padding, last, 1)
    if isinstance(padding, str):
        padding = padding.lower()
    y = _bias(_conv1d(x, weight, stride=stride, padding=padding, dilation=dilation,
                      groups=groups), bias)
    return to_channel_last(y) if last else y


# ---------------------------------------------------------------- 3-D

def _check_3d_format(data_format, what) -> None:
    if data_format not in ("NCDHW", "NDHWC"):
        raise ValueError(f"{what}: data_format must be 'NCDHW' or 'NDHWC', got "
                         f"{data_format!r}")


def conv3d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           data_format="NCDHW", name=None):
    """Paddle's conv3d: NCDHW (or NDHWC) input, filters [out, in/groups, kd, kh, kw]; padding
    an int, 3 ints, 6 ints (before, after per dim), nested pairs or 'SAME'/'VALID'."""
    _check_3d_format(data_format, "conv3d")
    return _conv("conv3d", 3, x, weight, bias, stride, padding, dilation, groups, data_format)


# ---------------------------------------------------------------- transposed, 2-D and 3-D

def conv2d_transpose(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, output_size=None, data_format="NCHW", name=None):
    """The adjoint of conv2d: filters [in, out/groups, kh, kw]. output_size (ints) picks the
    output size among the valid ones, [default, default + stride); it excludes
    output_padding."""
    return _conv_transpose(2, x, weight, bias, stride, padding, output_padding, groups,
                           dilation, output_size, data_format)


def conv3d_transpose(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, output_size=None, data_format="NCDHW", name=None):
    """The adjoint of conv3d: filters [in, out/groups, kd, kh, kw]; output_size (ints) picks
    the output size among the valid ones and excludes output_padding."""
    _check_3d_format(data_format, "conv3d_transpose")
    return _conv_transpose(3, x, weight, bias, stride, padding, output_padding, groups,
                           dilation, output_size, data_format)


def _conv_transpose(n, x, weight, bias, stride, padding, output_padding, groups, dilation,
                    output_size, data_format):
    what = f"conv{n}d_transpose"
    last = channel_last(data_format, what)
    if x.ndim != n + 2:
        raise ValueError(f"{what} expects a {n + 2}-D input ({data_format}), got shape "
                         f"{x.shape}")
    if last:
        x = to_channel_first(x)
    pads = _transpose_pads(what, n, padding, last)
    stride, dilation = _ints(what, n, stride, "stride"), _ints(what, n, dilation, "dilation")
    if output_size is not None:
        if any(_ints(what, n, output_padding, "output_padding")):
            raise ValueError(f"{what}: output_padding and output_size cannot both be given")
        output_padding = _output_padding(what, x, weight, stride, pads, dilation,
                                         _ints(what, n, output_size, "output_size"))
    y = apply(f"conv_transpose{n}d", x, weight, stride=stride, padding=pads,
              output_padding=_ints(what, n, output_padding, "output_padding"),
              dilation=dilation, groups=groups)
    y = _bias(y, bias)
    return to_channel_last(y) if last else y


def _ints(what: str, n: int, v, name: str) -> tuple:
    v = (int(v),) * n if isinstance(v, int) else tuple(int(a) for a in v)
    if len(v) != n:
        raise ValueError(f"{what}: {name} must be an int or {n} ints, got {list(v)}")
    return v


def _transpose_pads(what: str, n: int, padding, last: bool) -> tuple:
    """Paddle's padding forms -> (before, after) per spatial dim, flattened."""
    if isinstance(padding, str):
        if padding.upper() == "VALID":
            return (0,) * (2 * n)
        raise NotImplementedError(f"{what}: padding={padding!r} is not supported (use "
                                  "'VALID' or numbers)")
    flat = _spatial_padding(padding, last, n)
    flat = [int(flat)] * n if isinstance(flat, int) else [int(p) for p in flat]
    if len(flat) == n:
        return tuple(v for p in flat for v in (p, p))
    if len(flat) != 2 * n:
        raise ValueError(f"{what}: padding must be an int, {n} or {2 * n} ints, got {padding}")
    return tuple(flat)


def _output_padding(what: str, x, weight, stride, pads, dilation, output_size) -> tuple:
    out = []
    for i, (size, k, s, d) in enumerate(zip(x.shape[2:], weight.shape[2:], stride, dilation)):
        if size < 0:
            raise ValueError(f"{what}: output_size needs known spatial input dims, got shape "
                             f"{x.shape}")
        base = (size - 1) * s - pads[2 * i] - pads[2 * i + 1] + d * (k - 1) + 1
        extra = output_size[i] - base
        if not 0 <= extra < s:
            raise ValueError(f"{what}: output_size {list(output_size)} is not reachable: dim "
                             f"{i} must be in [{base}, {base + s})")
        out.append(extra)
    return tuple(out)
