"""Paddle's closeness tests (also Variable methods): `paddle.isclose`, `allclose`.

The registry's isclose (NumPy's rule |x - y| <= atol + rtol * |y|; equal infinities are
close; NaNs only with equal_nan), shared with torch.isclose; no gradients (bool results).
"""
from __future__ import annotations

from dualnet import dtypes
from dualnet.ops import apply

__all__ = ["isclose", "allclose"]


def isclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False, name=None):
    """Entry by entry |x - y| <= atol + rtol * |y| (a bool tensor of the broadcast shape; the
    registry's isclose, as torch.isclose)."""
    kinds = {dtypes.as_np(v.dtype).kind for v in (x, y)}
    if kinds - {"f"}:
        raise TypeError(f"isclose: x and y must be floating point, got "
                        f"{dtypes.as_np(x.dtype)} and {dtypes.as_np(y.dtype)}")
    return apply("isclose", x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False, name=None):
    """Whether every entry is close (isclose): a 0-D bool tensor."""
    return apply("all", isclose(x, y, rtol, atol, equal_nan), axis=None, keepdim=False)
