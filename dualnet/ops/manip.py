"""Indexing and reshaping composites shared by both front ends (torch's and Paddle's names for
the same math): gather_nd / scatter_nd_add, index_fill, masked_scatter, take, searchsorted /
bucketize, repeat_interleave, rot90, tensor_split, unflatten, unique_consecutive, and the
(row, col) positions of a triangle.

Plain functions over registry ops (no rules of their own: gradients are the ops'); every
shape they need is read from metas and works with unknown (-1) dims unless a docstring says
otherwise. Errors are ValueError/TypeError naming the function; a front end rewords them into
its own error types where its API says so. Index constants computed from shapes are made by
`constant_like` on the input's device / in its program.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .common import broadcast_shapes, constant_like, norm_axis
from .creation import assign, shape_of
from .elementwise import add, cast, clip, less, not_equal, remainder, sub, where
from .indexing import gather, getitem, getitem_grad, index_select, setitem
from .reduction import any as any_op
from .reduction import cumsum, prod
from .registry import apply
from .shape import (broadcast_like, broadcast_to, concat, flatten, flip, movedim, reshape,
                    reshape_like, sum_to_like, swapaxes, unsqueeze)

_ALL = ("slice", None, None, None)


def _dtype(x) -> np.dtype:
    return dtypes.as_np(x.dtype)


def _along(axis: int, item: tuple) -> tuple:
    """An index spec taking `item` along `axis` and everything before it."""
    return (_ALL,) * axis + (item,)


def _slice(x, axis: int, start=None, stop=None):
    return getitem(x, index=_along(axis, ("slice", start, stop, None)))


# ---------------------------------------------------------------- gather / scatter by index

def _index_columns(fn: str, x, index) -> list:
    """index[..., k] for each k (the coordinates gather_nd / scatter_nd read)."""
    if _dtype(index).kind not in "iu":
        raise TypeError(f"{fn}: index must be an integer tensor, got {_dtype(index)}")
    if len(index.shape) == 0:
        raise ValueError(f"{fn}: index must have at least 1 dim, got a 0-d tensor")
    k = index.shape[-1]
    if k == -1:
        raise ValueError(f"{fn}: the last dim of index (shape {list(index.shape)}) must be known")
    if k > len(x.shape):
        raise ValueError(f"{fn}: index.shape[-1] = {k} is larger than the rank of x "
                         f"(shape {list(x.shape)})")
    return [getitem(index, index=(("ellipsis",), ("int", i))) for i in range(k)]


def gather_nd(x, index):
    """out[i..] = x[index[i.., 0], ..., index[i.., k-1]] (paddle.gather_nd): the shape is
    index.shape[:-1] + x.shape[k:], k = index.shape[-1]."""
    cols = _index_columns("gather_nd", x, index)
    if not cols:  # k == 0: every index position takes the whole of x
        zeros = apply("sum", apply("zeros_like", index), axis=len(index.shape) - 1,
                      keepdim=False)
        return getitem(unsqueeze(x, axis=0), zeros, index=(("tensor",),))
    return getitem(x, *cols, index=(("tensor",),) * len(cols))


def scatter_nd_add(x, index, updates):
    """x with updates[i..] added at x[index[i.., :]] (paddle.scatter_nd_add); repeated
    indices accumulate. updates has shape index.shape[:-1] + x.shape[k:]."""
    cols = _index_columns("scatter_nd_add", x, index)
    want = tuple(index.shape[:-1]) + tuple(x.shape[len(cols):])
    got = tuple(updates.shape)
    if len(got) != len(want) or any(-1 not in (a, b) and a != b for a, b in zip(got, want)):
        raise ValueError(f"scatter_nd_add: updates of shape {list(got)} should have shape "
                         f"{list(want)} (index.shape[:-1] + x.shape[{len(cols)}:], x "
                         f"{list(x.shape)}, index {list(index.shape)})")
    if not cols:
        return add(x, sum_to_like(updates, x))
    return add(x, getitem_grad(updates, x, *cols, index=(("tensor",),) * len(cols)))


def index_fill(x, index, axis: int, value):
    """A copy of x with `value` (a number or a 0-d tensor) at positions `index` (1-D) along
    `axis` (torch.index_fill, paddle.index_fill)."""
    if len(x.shape) == 0:
        return setitem(x, value, index=(("ellipsis",),))
    axis = norm_axis(axis, len(x.shape))
    return setitem(x, value, reshape(index, shape=(-1,)), index=_along(axis, ("tensor",)))


def masked_scatter(x, mask, value):
    """x with the True positions of `mask` (broadcast with x) filled, in row-major order, by
    consecutive entries of `value` (paddle.masked_scatter, torch.masked_scatter)."""
    shape = broadcast_shapes(tuple(x.shape), tuple(mask.shape))
    if tuple(x.shape) != shape:
        x = broadcast_like(x, mask)
    if tuple(mask.shape) != shape:
        mask = broadcast_like(mask, x)
    flat_mask = flatten(mask)
    position = clip(sub(cumsum(cast(flat_mask, dtype="int64"), axis=0), 1), min=0)
    picked = gather(flatten(value), position, axis=0)
    return where(mask, reshape_like(picked, x), x)


def take(x, index, mode: str = "raise"):
    """x's entries at flat positions `index` (shaped like index; paddle.take). mode 'raise':
    negative positions count from the end and out-of-range ones raise when run; 'wrap':
    positions modulo x's size; 'clip': clipped into [0, size - 1]."""
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if _dtype(index).kind not in "iu":
        raise TypeError(f"take: index must be int32 or int64, got {_dtype(index)}")
    n = int(np.prod(x.shape)) if -1 not in x.shape else prod(shape_of(x), axis=None,
                                                             keepdim=False)
    flat = flatten(index)
    if mode == "raise":
        flat = where(less(flat, 0), add(flat, n), flat)
        flat = where(less(flat, 0), n, flat)  # still negative: out of range, raises when run
    elif mode == "wrap":
        flat = remainder(flat, n)
    elif isinstance(n, int):
        flat = clip(flat, min=0, max=n - 1)
    else:
        flat = apply("minimum", clip(flat, min=0), sub(n, 1))
    return reshape_like(index_select(flatten(x), flat, axis=0), index)


# ---------------------------------------------------------------- search

def searchsorted(sorted_sequence, values, right: bool = False, out_int32: bool = False):
    """Insertion positions of `values` into the sorted last dim of `sorted_sequence`
    (int64, or int32 with out_int32); right=True puts equal values after their run."""
    out = apply("searchsorted", sorted_sequence, values, right=bool(right))
    return cast(out, dtype="int32") if out_int32 else out


def bucketize(x, boundaries, right: bool = False, out_int32: bool = False):
    """The bucket of each value of x among the sorted 1-D `boundaries`."""
    if len(boundaries.shape) != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape "
                         f"{list(boundaries.shape)}")
    return searchsorted(boundaries, x, right=right, out_int32=out_int32)


# ---------------------------------------------------------------- repeating and rotating

def repeat_interleave(x, repeats, axis=None):
    """Each slice of x along `axis` (each element of flattened x when None) repeated:
    `repeats` is an int or a sequence of ints, one per slice (a value, not a tensor: the
    front ends read a tensor of counts first). An int works with unknown dims."""
    if axis is None:
        x, axis = flatten(x), 0
    elif len(x.shape) == 0:
        x = reshape(x, shape=(1,))
    axis = norm_axis(axis, len(x.shape))
    n = x.shape[axis]
    if isinstance(repeats, (int, np.integer)):
        r = int(repeats)
        if r < 0:
            raise ValueError(f"repeat_interleave: repeats must be non-negative, got {r}")
        ndim = len(x.shape)
        y = broadcast_to(unsqueeze(x, axis=axis + 1),
                         shape=(-1,) * (axis + 1) + (r,) + (-1,) * (ndim - axis - 1))
        return flatten(y, start_axis=axis, stop_axis=axis + 1)
    counts = np.asarray(repeats, dtype=np.int64).reshape(-1)
    if n == -1:
        raise ValueError(f"repeat_interleave: per-slice repeats need the size of dim {axis} to "
                         f"be known, got shape {list(x.shape)}")
    if counts.size == 1:
        counts = np.broadcast_to(counts, (n,))
    if counts.size != n:
        raise ValueError(f"repeat_interleave: repeats must have one count per slice along dim "
                         f"{axis}: {counts.size} counts for size {n}")
    if (counts < 0).any():
        raise ValueError("repeat_interleave: repeats must be non-negative")
    positions = np.repeat(np.arange(n, dtype=np.int64), counts)
    return index_select(x, constant_like(x, positions), axis=axis)


def rot90(x, k: int = 1, axes=(0, 1)):
    """x rotated by 90 degrees k times in the plane `axes`, from the first axis towards the
    second (k = 0 gives a copy)."""
    axes = tuple(int(a) for a in axes)
    ndim = len(x.shape)
    if len(axes) != 2:
        raise ValueError(f"rot90: expected 2 rotation axes, got {list(axes)}")
    if ndim < 2:
        raise ValueError(f"rot90: expected an input of at least 2 dims, got shape "
                         f"{list(x.shape)}")
    a, b = norm_axis(axes[0], ndim), norm_axis(axes[1], ndim)
    if a == b:
        raise ValueError(f"rot90: the rotation axes must differ, got {list(axes)}")
    k = int(k) % 4
    if k == 0:
        return assign(x)
    if k == 2:
        return flip(x, axis=(a, b))
    if k == 1:
        return swapaxes(flip(x, axis=(b,)), a, b)
    return flip(swapaxes(x, a, b), axis=(b,))


# ---------------------------------------------------------------- splitting and reshaping

def tensor_split(x, sections_or_indices, axis: int = 0) -> tuple:
    """Pieces of x along `axis`: an int n gives n near-equal parts (the first size % n one
    larger; the size must be known), a sequence of indices the cut points (negative ones
    count from the end)."""
    axis = norm_axis(axis, len(x.shape))
    n = x.shape[axis]
    if isinstance(sections_or_indices, (int, np.integer)):
        parts = int(sections_or_indices)
        if parts <= 0:
            raise ValueError(f"tensor_split: the number of sections must be positive, got "
                             f"{parts}")
        if n == -1:
            raise ValueError(f"tensor_split: splitting into {parts} sections needs the size "
                             f"of dim {axis} to be known, got shape {list(x.shape)}")
        sizes = [n // parts + 1] * (n % parts) + [n // parts] * (parts - n % parts)
        bounds = [int(b) for b in np.cumsum([0] + sizes)]
    else:  # x[:i0], x[i0:i1], ..., x[in:] with Python's slicing rules
        bounds = [0] + [int(i) for i in sections_or_indices] + [None]
    return tuple(_slice(x, axis, lo or None, hi) for lo, hi in zip(bounds[:-1], bounds[1:]))


def unflatten(x, axis: int, sizes):
    """Dim `axis` of x expanded into `sizes` (one entry may be -1)."""
    ndim = len(x.shape)
    axis = norm_axis(axis, ndim)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise ValueError("unflatten: sizes must not be empty")
    n = x.shape[axis]
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or any(s < -1 for s in sizes) or (n != -1 and (
            (-1 not in sizes and known != n) or (-1 in sizes and (known == 0 or n % known)))):
        raise ValueError(f"unflatten: sizes {list(sizes)} don't multiply up to the size of dim "
                         f"{axis} ({n}) of the input of shape {list(x.shape)}")
    if n != -1 and -1 in sizes:
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    lead = tuple(0 if d == -1 else d for d in x.shape[:axis])  # 0: copy the input dim
    tail = tuple(x.shape[axis + 1:])
    if -1 in tail and (-1 in sizes or -1 in tail[tail.index(-1) + 1:]):
        raise ValueError(f"unflatten: cannot infer the shape with unknown dims after dim "
                         f"{axis} (input shape {list(x.shape)}, sizes {list(sizes)})")
    return reshape(x, shape=lead + sizes + tail)


def unique_consecutive(x, axis=None, dtype: str = "int64") -> tuple:
    """(values, inverse, counts): runs of equal consecutive entries (slices along `axis`;
    of flattened x when None) collapsed to one; inverse maps each entry to its run (shaped
    like x when axis is None), counts gives each run's length."""
    if axis is None:
        flat, d = flatten(x), 0
    else:
        d = norm_axis(axis, len(x.shape))
        flat = x
    if flat.shape[d] == 0:
        empty = constant_like(x, np.zeros(0, dtype=dtype))
        inverse = reshape_like(empty, x) if axis is None else empty
        return flat, inverse, empty
    lead = movedim(flat, d, 0)
    change = not_equal(_slice(lead, 0, 1, None), _slice(lead, 0, None, -1))
    if len(change.shape) > 1:
        change = any_op(change, axis=tuple(range(1, len(change.shape))), keepdim=False)
    starts = concat(constant_like(x, np.ones(1, dtype=bool)), change, axis=0)
    first = reshape(apply("nonzero", starts), shape=(-1,))
    inverse = sub(cumsum(cast(starts, dtype="int64"), axis=0), 1)
    bounds = concat(first, _slice(shape_of(lead), 0, None, 1), axis=0)
    counts = sub(_slice(bounds, 0, 1, None), _slice(bounds, 0, None, -1))
    if axis is None:
        inverse = reshape_like(inverse, x)
    if np.dtype(dtype) != np.int64:
        inverse, counts = cast(inverse, dtype=np.dtype(dtype).name), \
            cast(counts, dtype=np.dtype(dtype).name)
    return index_select(flat, first, axis=d), inverse, counts


def tri_indices(row: int, col: int, offset: int = 0, lower: bool = True) -> np.ndarray:
    """The [2, N] int64 (row, col) positions of the lower (upper) triangle of a row x col
    matrix, row-major; offset > 0 takes diagonals above the main one (a NumPy constant)."""
    row, col, offset = int(row), int(col), int(offset)
    if row < 0 or col < 0:
        raise ValueError(f"row and col must be non-negative, got {row}, {col}")
    diff = np.arange(col)[None, :] - np.arange(row)[:, None]
    mask = diff <= offset if lower else diff >= offset
    return np.stack(np.nonzero(mask)).astype(np.int64)
