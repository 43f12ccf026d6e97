"""Small helpers shared by the functional modules: data-format transposes and dtype casts."""
from __future__ import annotations

from dualnet import dtypes
from dualnet.ops import apply
from dualnet.ops.nn import np_dtype  # noqa: F401 (the functional modules import it from here)

CHANNEL_LAST = ("NHWC", "NLC", "NDHWC", "NWC")
CHANNEL_FIRST = ("NCHW", "NCL", "NCDHW", "NC", "NCW")


def channel_last(data_format: str, what: str) -> bool:
    """True for NHWC-style layouts; a clear error for anything Paddle does not accept."""
    if data_format in CHANNEL_LAST:
        return True
    if data_format in CHANNEL_FIRST:
        return False
    raise ValueError(f"{what}: data_format must be one of {CHANNEL_FIRST + CHANNEL_LAST}, got "
                     f"{data_format!r}")


def to_channel_first(x):
    """(N, ..., C) -> (N, C, ...)."""
    perm = (0, x.ndim - 1) + tuple(range(1, x.ndim - 1))
    return apply("transpose", x, perm=perm)


def to_channel_last(x):
    """(N, C, ...) -> (N, ..., C)."""
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return apply("transpose", x, perm=perm)


def cast_to(x, dtype):
    """x cast to `dtype` (None: unchanged)."""
    if dtype is None or dtypes.as_np(dtype) == np_dtype(x):
        return x
    return apply("cast", x, dtype=dtypes.as_np(dtype).name)


def bias_shape(ndim: int) -> tuple:
    """The shape a per-channel bias is reshaped to for an (N, C, ...) output."""
    return (1, -1) + (1,) * (ndim - 2)
