"""paddle.nn layers: more spatial layers (LPPool, MaxUnPool, ChannelShuffle, Unflatten) and
ParameterDict."""
from __future__ import annotations

from collections.abc import Mapping

from dualnet.ops import manip as _manip

from ...variable import Parameter
from .. import functional as F
from .layers import Layer

__all__ = ["LPPool1D", "LPPool2D", "MaxUnPool1D", "MaxUnPool2D", "ChannelShuffle",
           "Unflatten", "ParameterDict"]


class LPPool2D(Layer):
    """Power-average pooling (see F.lp_pool2d)."""

    def __init__(self, norm_type, kernel_size, stride=None, padding=0, ceil_mode=False,
                 data_format="NCHW", name=None):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride = norm_type, kernel_size, stride
        self.padding, self.ceil_mode, self.data_format = padding, ceil_mode, data_format

    def forward(self, x):
        return F.lp_pool2d(x, self.norm_type, self.kernel_size, self.stride, self.padding,
                           self.ceil_mode, self.data_format)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")


class LPPool1D(LPPool2D):
    """Power-average pooling over the length of (N, C, L) (see F.lp_pool1d)."""

    def __init__(self, norm_type, kernel_size, stride=None, padding=0, ceil_mode=False,
                 data_format="NCL", name=None):
        super().__init__(norm_type, kernel_size, stride, padding, ceil_mode, data_format)

    def forward(self, x):
        return F.lp_pool1d(x, self.norm_type, self.kernel_size, self.stride, self.padding,
                           self.ceil_mode, self.data_format)


class MaxUnPool2D(Layer):
    """Partial inverse of MaxPool2D(return_mask=True) (see F.max_unpool2d)."""

    def __init__(self, kernel_size, stride=None, padding=0, data_format="NCHW",
                 output_size=None, name=None):
        super().__init__()
        self.ksize, self.stride, self.padding = kernel_size, stride, padding
        self.data_format, self.output_size = data_format, output_size

    def forward(self, x, indices):
        return F.max_unpool2d(x, indices, self.ksize, self.stride, self.padding,
                              self.data_format, self.output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.ksize}, stride={self.stride}, padding={self.padding}"


class MaxUnPool1D(MaxUnPool2D):
    """Partial inverse of MaxPool1D(return_mask=True) (see F.max_unpool1d)."""

    def __init__(self, kernel_size, stride=None, padding=0, data_format="NCL",
                 output_size=None, name=None):
        super().__init__(kernel_size, stride, padding, data_format, output_size)

    def forward(self, x, indices):
        return F.max_unpool1d(x, indices, self.ksize, self.stride, self.padding,
                              self.data_format, self.output_size)


class ChannelShuffle(Layer):
    """Regroup the channels of a 4-D input (see F.channel_shuffle)."""

    def __init__(self, groups, data_format="NCHW", name=None):
        super().__init__()
        if not isinstance(groups, int):
            raise TypeError(f"ChannelShuffle: groups must be an int, got {groups!r}")
        if groups < 1:
            raise ValueError(f"ChannelShuffle: groups must be positive, got {groups}")
        if data_format not in ("NCHW", "NHWC"):
            raise ValueError(f"ChannelShuffle: data_format must be 'NCHW' or 'NHWC', got "
                             f"{data_format!r}")
        self._groups, self._data_format = groups, data_format

    def forward(self, x):
        return F.channel_shuffle(x, self._groups, self._data_format)

    def extra_repr(self) -> str:
        return f"groups={self._groups}"


class Unflatten(Layer):
    """Dim `axis` expanded into `shape` (one entry may be -1)."""

    def __init__(self, axis: int, shape, name=None):
        super().__init__()
        if not isinstance(axis, int):
            raise TypeError(f"Unflatten: axis must be an int, got {axis!r}")
        if not isinstance(shape, (list, tuple)):
            raise TypeError(f"Unflatten: shape must be a list or tuple of ints, got "
                            f"{shape!r}")
        self.axis, self.shape = axis, shape

    def forward(self, input):  # noqa: A002
        return _manip.unflatten(input, self.axis, self.shape)

    def extra_repr(self) -> str:
        return f"axis={self.axis}, shape={self.shape}"


class ParameterDict(Layer):
    """Parameters held by string keys (registered under those keys)."""

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, param: Parameter) -> None:
        self.add_parameter(key, param)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.keys())

    def __contains__(self, key: str) -> bool:
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def items(self):
        return self._parameters.items()

    def values(self):
        return self._parameters.values()

    def update(self, parameters) -> None:
        pairs = parameters.items() if isinstance(parameters, Mapping) else parameters
        for key, param in pairs:
            self.add_parameter(key, param)
