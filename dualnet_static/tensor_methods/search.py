"""Paddle's sorting and selection functions (also Variable methods): `paddle.sort`,
`argsort`, `topk`, `nonzero`, `masked_select`, `unique`, `take_along_axis`, `put_along_axis`.

One registry op, `argsort` (stable, int64, no gradient), gives the order; the values are
`gather(x, indices)`, whose gradient scatters back through the indices. nonzero,
masked_select and unique are registry ops whose output length is known only at run time
(-1 in static shapes); take/put_along_axis are gather/scatter after Paddle's broadcasting.
"""
from __future__ import annotations

from dualnet import dtypes
from dualnet.ops import apply
from dualnet.ops.common import norm_axis
from dualnet.ops.indexing import broadcast_along, parse_index

__all__ = ["argsort", "sort", "topk", "nonzero", "masked_select", "unique", "take_along_axis",
           "put_along_axis"]


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


def nonzero(x, as_tuple=False):
    """The positions of x's nonzero entries: an int64 [N, x.ndim] tensor, or with
    as_tuple=True a tuple of x.ndim int64 [N, 1] tensors (one per dim, as Paddle)."""
    out = apply("nonzero", x)
    if not as_tuple:
        return out
    columns = []
    for d in range(max(x.ndim, 1)):
        spec, tensors = parse_index((slice(None), slice(d, d + 1)))
        columns.append(apply("getitem", out, *tensors, index=spec))
    return tuple(columns)


def masked_select(x, mask, name=None):
    """The entries of x where the bool `mask` (broadcast with x) is True, as a 1-D tensor;
    the gradient flows back to those positions."""
    return apply("masked_select", x, mask)


def unique(x, return_index=False, return_inverse=False, return_counts=False, axis=None,
           dtype="int64", name=None):
    """x's unique values in ascending order (flattened, or unique slices along `axis`); with
    the flags also (as a tuple, in this order) the index of each one's first occurrence, the
    inverse index rebuilding x, and the counts, all of `dtype` (int32 or int64)."""
    outs = apply("unique", x, axis=None if axis is None else int(axis),
                 dtype=dtypes.as_np(dtype).name)
    wanted = [outs[0]] + [o for o, flag in zip(outs[1:], (return_index, return_inverse,
                                                            return_counts)) if flag]
    return wanted[0] if len(wanted) == 1 else tuple(wanted)


def _along_axis_shapes(arr, indices, axis: int, what: str):
    """Paddle's broadcast for take/put_along_axis: every dim but `axis` broadcast between
    arr and indices -> (arr shape, indices shape), or None when a dim is unknown."""
    if arr.ndim != indices.ndim:
        raise ValueError(f"{what}: arr and indices must have the same number of dims, got "
                         f"shapes {list(arr.shape)} and {list(indices.shape)}")
    if dtypes.as_np(indices.dtype).kind not in "iu":
        raise TypeError(f"{what}: indices must be integers, got {dtypes.as_np(indices.dtype)}")
    if -1 in (*arr.shape, *indices.shape):
        return None
    shapes = broadcast_along(tuple(arr.shape), tuple(indices.shape), axis)
    if shapes is None:
        raise ValueError(f"{what}: arr {list(arr.shape)} and indices {list(indices.shape)} "
                         f"cannot be broadcast outside axis {axis}")
    return shapes


def _broadcast(x, shape):
    return x if tuple(x.shape) == tuple(shape) else apply("broadcast_to", x, shape=shape)


def take_along_axis(arr, indices, axis, broadcast=True):
    """out[i][j] = arr[indices[i][j]][j] for axis 0 (numpy.take_along_axis); with
    `broadcast` arr and indices are first broadcast against each other outside `axis`."""
    axis = norm_axis(int(axis), arr.ndim)
    shapes = _along_axis_shapes(arr, indices, axis, "take_along_axis") if broadcast else None
    if shapes is not None:
        arr, indices = _broadcast(arr, shapes[0]), _broadcast(indices, shapes[1])
    return apply("gather", arr, indices, axis=axis)


def put_along_axis(arr, indices, values, axis, reduce="assign", include_self=True,
                   broadcast=True):
    """A copy of arr with `values` (broadcast to indices' shape) written (reduce='assign')
    or added (reduce='add') at indices along `axis`; include_self=False first zeroes the
    targeted entries. Paddle's other reductions (mul, mean, amin, amax) are not supported."""
    if reduce not in ("assign", "add"):
        raise NotImplementedError(f"put_along_axis: reduce={reduce!r} is not supported "
                                  "(only 'assign' and 'add')")
    axis = norm_axis(int(axis), arr.ndim)
    shapes = _along_axis_shapes(arr, indices, axis, "put_along_axis") if broadcast else None
    if shapes is not None:
        indices = _broadcast(indices, (*arr.shape[:axis], shapes[1][axis],
                                       *arr.shape[axis + 1:]))
        if hasattr(values, "shape") and -1 not in values.shape:
            values = _broadcast(values, tuple(indices.shape))
    if reduce == "assign":
        return apply("scatter", arr, indices, values, axis=axis)
    if not include_self:
        arr = apply("scatter", arr, indices, 0, axis=axis)
    return apply("scatter_add", arr, indices, values, axis=axis)
