"""Padding layers: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad (1d/2d/3d)."""
from __future__ import annotations

from .. import functional as F
from .module import Module


def _pads(padding, n: int) -> tuple:
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    padding = tuple(padding)
    if len(padding) != 2 * n:
        raise ValueError(f"expected {2 * n} padding values, got {padding}")
    return padding


class _PadNd(Module):
    __constants__ = ["padding", "mode", "value"]
    mode = "constant"
    n = 1

    def __init__(self, padding, value: float = 0.0) -> None:
        super().__init__()
        self.padding = _pads(padding, self.n)
        self.value = value

    def forward(self, input):
        if self.mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        if self.mode == "constant":
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding, value)


class ConstantPad2d(ConstantPad1d):
    n = 2


class ZeroPad1d(_PadNd):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    n = 2


class ReflectionPad1d(_PadNd):
    mode = "reflect"

    def __init__(self, padding) -> None:
        super().__init__(padding)


class ReflectionPad2d(ReflectionPad1d):
    n = 2


class ReplicationPad1d(ReflectionPad1d):
    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    n = 2


class CircularPad1d(ReflectionPad1d):
    mode = "circular"


class CircularPad2d(CircularPad1d):
    n = 2


class ConstantPad3d(ConstantPad1d):
    n = 3


class ZeroPad3d(ZeroPad1d):
    n = 3


class ReflectionPad3d(ReflectionPad1d):
    n = 3


class ReplicationPad3d(ReplicationPad1d):
    n = 3


class CircularPad3d(CircularPad1d):
    n = 3
