"""Paddle's sorting functions (also Variable methods): `paddle.sort`, `argsort`, `topk`.

One registry op, `argsort` (stable, int64, no gradient), gives the order; the values are
`gather(x, indices)`, whose gradient scatters back through the indices.
"""
from __future__ import annotations

from dualnet.ops import apply
from dualnet.ops.common import norm_axis
from dualnet.ops.indexing import parse_index

__all__ = ["argsort", "sort", "topk"]


def argsort(x, axis=-1, descending=False, stable=False, name=None):
    """Indices (int64) ordering x along `axis`; ties keep their order (always stable)."""
    return apply("argsort", x, axis=int(axis), descending=bool(descending))


def sort(x, axis=-1, descending=False, stable=False, name=None):
    """x sorted along `axis` (values only, as Paddle)."""
    return apply("gather", x, argsort(x, axis, descending), axis=int(axis))


def topk(x, k, axis=None, largest=True, sorted=True, name=None):  # noqa: A002
    """(values, indices int64) of the k largest (smallest) entries along `axis` (default
    the last), in sorted order (also when sorted=False)."""
    if hasattr(k, "numpy"):
        k = k.numpy().reshape(-1)[0].item()
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"topk: k must be a non-negative int, got {k!r}")
    if x.ndim == 0:
        raise ValueError("topk: x must have at least one dimension")
    axis = norm_axis(-1 if axis is None else int(axis), x.ndim)
    size = x.shape[axis]
    if size >= 0 and k > size:
        raise ValueError(f"topk: k={k} is larger than the size {size} of axis {axis} of x "
                         f"(shape {list(x.shape)})")
    order = apply("argsort", x, axis=axis, descending=bool(largest))
    spec, tensors = parse_index((slice(None),) * axis + (slice(0, k),))
    indices = apply("getitem", order, *tensors, index=spec)
    return apply("gather", x, indices, axis=axis), indices
