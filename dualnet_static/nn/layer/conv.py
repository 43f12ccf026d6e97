"""Paddle's Conv1D / Conv2D / Conv3D: filters [out, in/groups, k...] initialized N(0, 2 / (prod(k) *
in_channels)) (Paddle's default), bias zeros; padding_mode other than 'zeros' pads first."""
from __future__ import annotations

import math

from .. import functional as F
from ..initializer.initializer import Normal
from .layers import Layer, default_dtype

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(v, n: int, what: str) -> tuple:
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(a) for a in v)
    if len(v) != n:
        raise ValueError(f"{what} must be an int or a list of {n} ints, got {list(v)}")
    return v


def _torch_pads(padding, dims: int) -> tuple:
    """int / per-dim list / [before, after, ...] -> F.pad's spatial order (last dim first)."""
    if isinstance(padding, int):
        return (padding,) * (2 * dims)
    padding = [int(p) for p in padding]
    if len(padding) == dims:
        pairs = [(p, p) for p in padding]
    elif len(padding) == 2 * dims:
        pairs = [tuple(padding[i:i + 2]) for i in range(0, 2 * dims, 2)]
    else:
        raise ValueError(f"padding {padding} does not fit {dims} spatial dims")
    return tuple(v for pair in reversed(pairs) for v in pair)


class _ConvNd(Layer):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, padding_mode, weight_attr, bias_attr, data_format, dims):
        super().__init__()
        self._dims = dims
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{type(self).__name__}: in_channels ({in_channels}) and "
                             f"out_channels ({out_channels}) must be divisible by groups "
                             f"({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        if padding_mode != "zeros" and isinstance(padding, str):
            raise ValueError(f"padding_mode={padding_mode!r} needs numeric padding, got "
                             f"{padding!r}")
        self._dtype = default_dtype()
        self._in_channels, self._out_channels = in_channels, out_channels
        self._kernel_size = _tuple(kernel_size, dims, "kernel_size")
        self._stride, self._padding, self._dilation = stride, padding, dilation
        self._groups, self._padding_mode, self._data_format = groups, padding_mode, data_format
        fan_in = math.prod(self._kernel_size) * in_channels
        self.weight = self.create_parameter(
            shape=[out_channels, in_channels // groups, *self._kernel_size], attr=weight_attr,
            dtype=self._dtype, default_initializer=Normal(0.0, (2.0 / fan_in) ** 0.5))
        self.bias = self.create_parameter(shape=[out_channels], attr=bias_attr,
                                          dtype=self._dtype, is_bias=True)

    def _pad_first(self, x, dims: int):
        """(x padded by padding_mode, the padding left for the conv)."""
        if self._padding_mode == "zeros":
            return x, self._padding
        x = F.pad(x, list(_torch_pads(self._padding, dims)), mode=self._padding_mode,
                  data_format=self._data_format)
        return x, 0

    def extra_repr(self) -> str:
        text = f"{self._in_channels}, {self._out_channels}, " \
               f"kernel_size={list(self._kernel_size)}"
        defaults = {"_stride": 1, "_padding": 0, "_dilation": 1, "_groups": 1}
        for attr, default in defaults.items():
            if getattr(self, attr) != default:
                text += f", {attr[1:]}={getattr(self, attr)}"
        if self._padding_mode != "zeros":
            text += f", padding_mode={self._padding_mode}"
        return text + f", data_format={self._data_format}"


    def forward(self, x):
        x, padding = self._pad_first(x, self._dims)
        conv = (F.conv1d, F.conv2d, F.conv3d)[self._dims - 1]
        return conv(x, self.weight, self.bias, stride=self._stride, padding=padding,
                    dilation=self._dilation, groups=self._groups, data_format=self._data_format)


class Conv2D(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, padding_mode="zeros", weight_attr=None, bias_attr=None,
                 data_format="NCHW"):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, padding_mode, weight_attr, bias_attr, data_format, 2)


class Conv1D(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, padding_mode="zeros", weight_attr=None, bias_attr=None,
                 data_format="NCL"):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, padding_mode, weight_attr, bias_attr, data_format, 1)


class _ConvTransposeNd(Layer):
    """The adjoint of a convolution: filters [in_channels, out_channels / groups, *kernel]
    (Xavier uniform, Paddle's default for transposed convolutions), bias zeros;
    `forward(x, output_size=None)`."""

    _dims = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, dilation=1, weight_attr=None, bias_attr=None,
                 data_format="NCHW"):
        super().__init__()
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{type(self).__name__}: in_channels ({in_channels}) and "
                             f"out_channels ({out_channels}) must be divisible by groups "
                             f"({groups})")
        self._dtype = default_dtype()
        self._in_channels, self._out_channels = in_channels, out_channels
        self._kernel_size = _tuple(kernel_size, self._dims, "kernel_size")
        self._stride, self._padding, self._output_padding = stride, padding, output_padding
        self._groups, self._dilation, self._data_format = groups, dilation, data_format
        self.weight = self.create_parameter(
            shape=[in_channels, out_channels // groups, *self._kernel_size], attr=weight_attr,
            dtype=self._dtype)
        self.bias = self.create_parameter(shape=[out_channels], attr=bias_attr,
                                          dtype=self._dtype, is_bias=True)

    def forward(self, x, output_size=None):
        fn = F.conv2d_transpose if self._dims == 2 else F.conv3d_transpose
        return fn(x, self.weight, self.bias, stride=self._stride, padding=self._padding,
                  output_padding=self._output_padding, groups=self._groups,
                  dilation=self._dilation, output_size=output_size,
                  data_format=self._data_format)

    def extra_repr(self) -> str:
        return (f"{self._in_channels}, {self._out_channels}, "
                f"kernel_size={list(self._kernel_size)}, stride={self._stride}, "
                f"padding={self._padding}, data_format={self._data_format}")


class Conv2DTranspose(_ConvTransposeNd):
    """The adjoint of Conv2D: filters [in_channels, out_channels / groups, kh, kw]."""


class Conv3D(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, padding_mode="zeros", weight_attr=None, bias_attr=None,
                 data_format="NCDHW"):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, padding_mode, weight_attr, bias_attr, data_format, 3)


class Conv3DTranspose(_ConvTransposeNd):
    """The adjoint of Conv3D: filters [in_channels, out_channels / groups, kd, kh, kw]."""

    _dims = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, dilation=1, weight_attr=None, bias_attr=None,
                 data_format="NCDHW"):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, dilation, weight_attr, bias_attr, data_format)
