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
    last = channel_last(data_format, "conv2d")
    if x.ndim != 4:
        raise ValueError(f"conv2d expects a 4-D input ({data_format}), got shape {x.shape}")
    if last:
        x = to_channel_first(x)
    y = apply("conv2d", x, weight, stride=stride, padding=_spatial_padding(padding, last, 2),
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


def _pair(v, what: str) -> tuple:
    v = (int(v),) * 2 if isinstance(v, int) else tuple(int(a) for a in v)
    if len(v) != 2:
        raise ValueError(f"conv2d_transpose: {what} must be an int or 2 ints, got {list(v)}")
    return v


def _transpose_pads(padding, last: bool) -> tuple:
    """Paddle's padding forms -> (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding.upper() == "VALID":
            return (0, 0, 0, 0)
        raise NotImplementedError(f"conv2d_transpose: padding={padding!r} is not supported "
                                  "(use 'VALID' or numbers)")
    flat = _spatial_padding(padding, last, 2)
    flat = [int(flat)] * 2 if isinstance(flat, int) else [int(p) for p in flat]
    if len(flat) == 2:
        return (flat[0], flat[0], flat[1], flat[1])
    if len(flat) != 4:
        raise ValueError(f"conv2d_transpose: padding must be an int, 2 or 4 ints, got {padding}")
    return tuple(flat)


def conv2d_transpose(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, output_size=None, data_format="NCHW", name=None):
    """The adjoint of conv2d: filters [in, out/groups, kh, kw]. output_size (ints) picks the
    output size among the valid ones, [default, default + stride); it excludes
    output_padding."""
    last = channel_last(data_format, "conv2d_transpose")
    if x.ndim != 4:
        raise ValueError(f"conv2d_transpose expects a 4-D input ({data_format}), got shape "
                         f"{x.shape}")
    if last:
        x = to_channel_first(x)
    pads = _transpose_pads(padding, last)
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if output_size is not None:
        if output_padding not in (0, [0, 0], (0, 0)):
            raise ValueError("conv2d_transpose: output_padding and output_size cannot both "
                             "be given")
        output_padding = _output_padding(x, weight, stride, pads, dilation,
                                         _pair(output_size, "output_size"))
    y = apply("conv_transpose2d", x, weight, stride=stride, padding=pads,
              output_padding=_pair(output_padding, "output_padding"), dilation=dilation,
              groups=groups)
    y = _bias(y, bias)
    return to_channel_last(y) if last else y


def _output_padding(x, weight, stride, pads, dilation, output_size) -> tuple:
    out = []
    for i, (size, k, s, d) in enumerate(zip(x.shape[2:], weight.shape[2:], stride, dilation)):
        if size < 0:
            raise ValueError("conv2d_transpose: output_size needs known spatial input dims, "
                             f"got shape {x.shape}")
        base = (size - 1) * s - pads[2 * i] - pads[2 * i + 1] + d * (k - 1) + 1
        extra = output_size[i] - base
        if not 0 <= extra < s:
            raise ValueError(f"conv2d_transpose: output_size {list(output_size)} is not "
                             f"reachable: dim {i} must be in [{base}, {base + s})")
        out.append(extra)
    return tuple(out)


# ---------------------------------------------------------------- 3-D

def _check_3d_format(data_format, what) -> None:
    if data_format not in ("NCDHW", "NDHWC"):
        raise ValueError(f"{what}: data_format must be 'NCDHW' or 'NDHWC', got "
                         f"{data_format!r}")


def _triple(v, what: str) -> tuple:
    v = (int(v),) * 3 if isinstance(v, int) else tuple(int(a) for a in v)
    if len(v) != 3:
        raise ValueError(f"conv3d_transpose: {what} must be an int or 3 ints, got {list(v)}")
    return v


def conv3d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           data_format="NCDHW", name=None):
    """Paddle's conv3d: NCDHW (or NDHWC) input, filters [out, in/groups, kd, kh, kw]; padding
    an int, 3 ints, 6 ints (before, after per dim), nested pairs or 'SAME'/'VALID'."""
    _check_3d_format(data_format, "conv3d")
    last = channel_last(data_format, "conv3d")
    if x.ndim != 5:
        raise ValueError(f"conv3d expects a 5-D input ({data_format}), got shape {x.shape}")
    if last:
        x = to_channel_first(x)
    y = apply("conv3d", x, weight, stride=stride, padding=_spatial_padding(padding, last, 3),
              dilation=dilation, groups=groups)
    y = _bias(y, bias)
    return to_channel_last(y) if last else y


def _transpose_pads3(padding, last: bool) -> tuple:
    if isinstance(padding, str):
        if padding.upper() == "VALID":
            return (0,) * 6
        raise NotImplementedError(f"conv3d_transpose: padding={padding!r} is not supported "
                                  "(use 'VALID' or numbers)")
    flat = _spatial_padding(padding, last, 3)
    flat = [int(flat)] * 3 if isinstance(flat, int) else [int(p) for p in flat]
    if len(flat) == 3:
        return tuple(v for p in flat for v in (p, p))
    if len(flat) != 6:
        raise ValueError(f"conv3d_transpose: padding must be an int, 3 or 6 ints, got {padding}")
    return tuple(flat)


def conv3d_transpose(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, output_size=None, data_format="NCDHW", name=None):
    """The adjoint of conv3d: filters [in, out/groups, kd, kh, kw]; output_size (ints) picks
    the output size among the valid ones and excludes output_padding."""
    _check_3d_format(data_format, "conv3d_transpose")
    last = channel_last(data_format, "conv3d_transpose")
    if x.ndim != 5:
        raise ValueError(f"conv3d_transpose expects a 5-D input ({data_format}), got shape "
                         f"{x.shape}")
    if last:
        x = to_channel_first(x)
    pads = _transpose_pads3(padding, last)
    stride, dilation = _triple(stride, "stride"), _triple(dilation, "dilation")
    if output_size is not None:
        if output_padding not in (0, [0, 0, 0], (0, 0, 0)):
            raise ValueError("conv3d_transpose: output_padding and output_size cannot both "
                             "be given")
        output_padding = _output_padding(x, weight, stride, pads, dilation,
                                         _triple(output_size, "output_size"))
    y = apply("conv_transpose3d", x, weight, stride=stride, padding=pads,
              output_padding=_triple(output_padding, "output_padding"), dilation=dilation,
              groups=groups)
    y = _bias(y, bias)
    return to_channel_last(y) if last else y
