"""Paddle's indexing, scatter/gather and manipulation functions beyond manipulation.py and
search.py (also Variable methods): gather_nd / scatter / scatter_nd(_add), index_add /
index_sample / index_fill, masked_fill / masked_scatter, take, searchsorted / bucketize,
slice / strided_slice / crop, the splits (tensor_split, vsplit, hsplit, dsplit), rot90,
repeat_interleave, unique_consecutive, moveaxis, unflatten, view, broadcasting helpers,
multiplex, shard_index and the triangle indices.

Translations of Paddle's signatures onto registry ops and the front-end-neutral composites of
dualnet/ops/manip.py (shared with the eager front end), so they work in explicit programs
(also with -1 dims where Paddle does), in implicit mode and as Variable methods. Arguments
Paddle accepts as tensors but that fix a shape (repeats, slice bounds) need a value when the
program is built: implicit mode has one; an explicit program raises a ValueError naming the
function (pass Python ints there).
"""
from __future__ import annotations

import builtins
import numbers

import numpy as np

from dualnet import dtypes
from dualnet.ops import apply
from dualnet.ops import manip as M
from dualnet.ops.common import broadcast_shapes, norm_axis
from dualnet.ops.indexing import masked_fill as _masked_fill
from dualnet.ops.indexing import parse_index
from dualnet.ops.shape import movedim

from .creation import _is_var, zeros
from .creation import assign as _assign

__all__ = [
    "broadcast_shape", "broadcast_tensors", "bucketize", "searchsorted", "gather_nd",
    "scatter", "scatter_nd", "scatter_nd_add", "index_add", "index_sample", "index_fill",
    "masked_fill", "masked_scatter", "moveaxis", "multiplex", "repeat_interleave", "rot90",
    "slice", "strided_slice", "take", "tolist", "tril_indices", "triu_indices",
    "unique_consecutive", "tensor_split", "vsplit", "hsplit", "dsplit", "shard_index", "crop",
    "unflatten", "as_strided", "view", "view_as",
]


# ---------------------------------------------------------------- helpers

def _np_dtype(x) -> np.dtype:
    return dtypes.as_np(x.dtype)


def _value(fn: str, v, what: str) -> np.ndarray:
    """The value of a tensor argument that fixes a shape (a constant's, or implicit mode's)."""
    if getattr(v, "_value", None) is not None:
        return np.asarray(v._value)
    try:
        return np.asarray(v.numpy())
    except TypeError:
        raise ValueError(f"{fn}: {what} given as a tensor needs its value while the program "
                         f"is built (implicit mode); in a static program pass Python "
                         f"ints") from None


def _ints(fn: str, values, what: str) -> tuple:
    """A list/tuple of ints or one-element tensors, or a 1-D tensor -> a tuple of ints."""
    if _is_var(values):
        return tuple(int(v) for v in _value(fn, values, what).reshape(-1))
    if isinstance(values, numbers.Integral):
        return (int(values),)
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"{fn}: {what} must be a list or tuple of ints, got "
                        f"{type(values).__name__}")
    return tuple(int(_value(fn, v, what).reshape(-1)[0]) if _is_var(v) else int(v)
                 for v in values)


def _axis(fn: str, axis, ndim: int) -> int:
    try:
        return norm_axis(int(axis), ndim)
    except IndexError as e:
        raise ValueError(f"{fn}: axis {axis} is out of range for a {ndim}-D input ({e})") \
            from None


def _check_int(fn: str, t, what: str = "index") -> None:
    if _np_dtype(t).kind not in "iu":
        raise TypeError(f"{fn}: {what} must be int32 or int64, got {_np_dtype(t)}")


def _getitem(x, key: tuple):
    spec, tensors = parse_index(key)
    return apply("getitem", x, *tensors, index=spec)


# ---------------------------------------------------------------- broadcasting

def broadcast_shape(x_shape, y_shape) -> list:
    """The shape that x_shape and y_shape broadcast to (NumPy's rule)."""
    try:
        return list(broadcast_shapes(tuple(int(d) for d in x_shape),
                                     tuple(int(d) for d in y_shape)))
    except ValueError as e:
        raise ValueError(f"broadcast_shape: {e}") from None


def broadcast_tensors(input, name=None) -> list:  # noqa: A002 (Paddle's name)
    """The tensors of `input` broadcast to their common shape."""
    xs = list(input)
    if not xs:
        raise ValueError("broadcast_tensors: input must be a non-empty list of tensors")
    try:
        shape = broadcast_shapes(*[tuple(x.shape) for x in xs])
    except ValueError as e:
        raise ValueError(f"broadcast_tensors: {e}") from None
    if -1 not in shape:
        return [x if tuple(x.shape) == shape else apply("broadcast_to", x, shape=shape)
                for x in xs]
    ref = xs[0]
    for x in xs[1:]:
        ref = apply("broadcast_like", ref, x)
    return [apply("broadcast_like", x, ref) for x in xs]


# ---------------------------------------------------------------- search

def searchsorted(sorted_sequence, values, out_int32=False, right=False, name=None):
    """Insertion indices of `values` into the sorted last dim of `sorted_sequence`."""
    return M.searchsorted(sorted_sequence, values, right=bool(right), out_int32=bool(out_int32))


def bucketize(x, sorted_sequence, out_int32=False, right=False, name=None):
    """The bucket of each value of x among the sorted 1-D `sorted_sequence`."""
    return M.bucketize(x, sorted_sequence, right=bool(right), out_int32=bool(out_int32))


# ---------------------------------------------------------------- gather / scatter

def gather_nd(x, index, name=None):
    """x at the coordinates in index's last dim: shape index.shape[:-1] + x.shape[k:]."""
    return M.gather_nd(x, index)


def scatter_nd_add(x, index, updates, name=None):
    """x with `updates` added at the coordinates in index's last dim (repeats accumulate)."""
    return M.scatter_nd_add(x, index, updates)


def scatter_nd(index, updates, shape, name=None):
    """Zeros of `shape` (updates' dtype) with `updates` added at index's coordinates."""
    base = zeros(_ints("scatter_nd", shape, "shape"), dtype=_np_dtype(updates).name)
    return M.scatter_nd_add(base, index, updates)


def _last_occurrence(x, index):
    """Per entry of the 1-D int64 `index`, whether no later entry repeats it."""
    position = apply("sub", apply("cumsum", apply("ones_like", index), axis=0), 1)
    rows = x if x.ndim == 1 else _getitem(x, (builtins.slice(None),) + (0,) * (x.ndim - 1))
    last = apply("scatter_reduce", apply("full_like", rows, value=-1, dtype="int64"), index,
                 position, axis=0, reduce="amax")
    return apply("equal", apply("gather", last, index, axis=0), position)


def scatter(x, index, updates, overwrite=True, name=None):
    """x with its rows at `index` (1-D) replaced by the rows of `updates` (overwrite: for a
    repeated index the last row wins) or set to the sum of the rows sent there."""
    _check_int("scatter", index)
    if x.ndim == 0:
        raise ValueError("scatter: x must have at least 1 dim")
    if index.ndim > 1:
        raise ValueError(f"scatter: index must be 0-D or 1-D, got shape {list(index.shape)}")
    if index.ndim == 0:
        updates = apply("unsqueeze", updates, axis=0)
    index = apply("reshape", apply("cast", index, dtype="int64"), shape=(-1,))
    want = (index.shape[0],) + tuple(x.shape[1:])
    if updates.ndim != len(want) or any(-1 not in (a, b) and a != b
                                        for a, b in zip(updates.shape, want)):
        raise ValueError(f"scatter: updates of shape {list(updates.shape)} should have shape "
                         f"{list(want)} (x {list(x.shape)}, index {list(index.shape)})")
    cleared = apply("setitem", x, 0, index, index=(("tensor",),))
    if overwrite:
        keep = _last_occurrence(x, index)
        if updates.ndim > 1:
            keep = apply("unsqueeze", keep, axis=tuple(range(1, updates.ndim)))
        updates = apply("where", keep, updates, 0)
    return apply("index_add", cleared, index, updates, axis=0)


def index_add(x, index, axis, value, name=None):
    """x with the slices of `value` added at positions `index` (1-D) along `axis`."""
    _check_int("index_add", index)
    if index.ndim != 1:
        raise ValueError(f"index_add: index must be 1-D, got shape {list(index.shape)}")
    return apply("index_add", x, index, value, axis=_axis("index_add", axis, x.ndim))


def index_sample(x, index):
    """out[i, j] = x[i, index[i, j]] for a 2-D x and a 2-D index of the same row count."""
    _check_int("index_sample", index)
    if x.ndim != 2 or index.ndim != 2:
        raise ValueError(f"index_sample: x and index must be 2-D, got shapes {list(x.shape)} "
                         f"and {list(index.shape)}")
    if -1 not in (x.shape[0], index.shape[0]) and x.shape[0] != index.shape[0]:
        raise ValueError(f"index_sample: x {list(x.shape)} and index {list(index.shape)} "
                         "must have the same number of rows")
    return apply("gather", x, index, axis=1)


def index_fill(x, index, axis, value, name=None):
    """A copy of x with `value` (a number or a 0-D tensor) at `index` (1-D) along `axis`."""
    _check_int("index_fill", index)
    if _is_var(value) and value.ndim != 0:
        raise ValueError(f"index_fill: value must be a number or a 0-D tensor, got shape "
                         f"{list(value.shape)}")
    return M.index_fill(x, index, _axis("index_fill", axis, max(x.ndim, 1)), value)


def _bool_mask(fn: str, mask):
    if _np_dtype(mask).kind != "b":
        raise TypeError(f"{fn}: mask must be a bool tensor, got {_np_dtype(mask)}")


def masked_fill(x, mask, value, name=None):
    """x (broadcast with mask) with `value` (a number or a 0-D tensor) where mask is True."""
    _bool_mask("masked_fill", mask)
    if tuple(broadcast_shapes(tuple(x.shape), tuple(mask.shape))) != tuple(x.shape):
        x = apply("broadcast_like", x, mask)
    if not _is_var(value):
        kind = _np_dtype(x).kind
        value = bool(value) if kind == "b" else int(value) if kind in "iu" else value
    return _masked_fill(x, mask, value)


def masked_scatter(x, mask, value, name=None):
    """x (broadcast with mask) with its True positions filled, in row-major order, by the
    leading entries of `value`."""
    _bool_mask("masked_scatter", mask)
    if _np_dtype(value) != _np_dtype(x):
        raise TypeError(f"masked_scatter: value ({_np_dtype(value)}) must have x's dtype "
                        f"({_np_dtype(x)})")
    return M.masked_scatter(x, mask, value)


def take(x, index, mode="raise", name=None):
    """x's entries at flat positions `index` (result shaped like index): mode 'raise'
    (negative positions count from the end), 'wrap' or 'clip'."""
    return M.take(x, index, mode)


def multiplex(inputs, index, name=None):
    """out[i] = inputs[index[i]][i]: row i picked from the candidate selected by index[i]."""
    xs = list(inputs)
    if len(xs) < 2:
        raise ValueError("multiplex: inputs must be a list of at least 2 tensors")
    _check_int("multiplex", index)
    stacked = apply("concat", *[apply("unsqueeze", x, axis=0) for x in xs], axis=0)
    ndim = xs[0].ndim
    pick = apply("reshape", index, shape=(1, -1) + (1,) * (ndim - 1))
    pick = apply("broadcast_like", apply("cast", pick, dtype="int64"),
                 _getitem(stacked, (builtins.slice(0, 1),)))
    return apply("squeeze", apply("gather", stacked, pick, axis=0), axis=0)


def shard_index(input, index_num, nshards, shard_id, ignore_value=-1):  # noqa: A002
    """Labels re-indexed within shard `shard_id` of `nshards` equal shards of
    [0, index_num); labels of other shards become `ignore_value`."""
    _check_int("shard_index", input, "input")
    index_num, nshards, shard_id = int(index_num), int(nshards), int(shard_id)
    if nshards <= 0 or not 0 <= shard_id < nshards:
        raise ValueError(f"shard_index: shard_id must be in [0, nshards), got shard_id="
                         f"{shard_id}, nshards={nshards}")
    size = (index_num + nshards - 1) // nshards
    lo = shard_id * size
    inside = apply("logical_and", apply("greater_equal", input, lo),
                   apply("less", input, lo + size))
    return apply("where", inside, apply("sub", input, lo), int(ignore_value))


# ---------------------------------------------------------------- slicing

def slice(input, axes, starts, ends):  # noqa: A001,A002 (Paddle's names)
    """input[starts[i]:ends[i]] along each of `axes` (out-of-range bounds are clamped)."""
    return strided_slice(input, axes, starts, ends, [1] * len(list(axes)), _fn="slice")


def strided_slice(x, axes, starts, ends, strides, name=None, _fn="strided_slice"):
    """x[starts[i]:ends[i]:strides[i]] along each of `axes` (Python's slicing rules)."""
    if not isinstance(axes, (list, tuple)) or not axes:
        raise ValueError(f"{_fn}: axes must be a non-empty list or tuple, got {axes!r}")
    starts, ends = _ints(_fn, starts, "starts"), _ints(_fn, ends, "ends")
    strides = _ints(_fn, strides, "strides")
    if not len(axes) == len(starts) == len(ends) == len(strides):
        raise ValueError(f"{_fn}: axes {list(axes)}, starts {list(starts)}, ends {list(ends)} "
                         f"and strides {list(strides)} must have the same length")
    key = [builtins.slice(None)] * x.ndim
    for a, lo, hi, step in zip(axes, starts, ends, strides):
        if step == 0:
            raise ValueError(f"{_fn}: strides must not be 0, got {list(strides)}")
        key[_axis(_fn, a, x.ndim)] = builtins.slice(lo, hi, step)
    return _getitem(x, tuple(key))


def crop(x, shape=None, offsets=None, name=None):
    """The block of x of size `shape` (-1: to the end) starting at `offsets` (default 0)."""
    shape = tuple(x.shape) if shape is None else _ints("crop", shape, "shape")
    offsets = (0,) * x.ndim if offsets is None else _ints("crop", offsets, "offsets")
    if len(shape) != x.ndim or len(offsets) != x.ndim:
        raise ValueError(f"crop: shape {list(shape)} and offsets {list(offsets)} must have one "
                         f"entry per dim of x (shape {list(x.shape)})")
    key = []
    for d, (n, size, off) in enumerate(zip(x.shape, shape, offsets)):
        if off < 0 or size < -1 or size == 0:
            raise ValueError(f"crop: offsets must be >= 0 and shape entries > 0 or -1, got "
                             f"offsets {list(offsets)}, shape {list(shape)}")
        if n != -1 and size != -1 and off + size > n:
            raise ValueError(f"crop: offset {off} + size {size} exceeds dim {d} of x (shape "
                             f"{list(x.shape)})")
        key.append(builtins.slice(off, None if size == -1 else off + size))
    return _getitem(x, tuple(key))


# ---------------------------------------------------------------- splitting

def tensor_split(x, num_or_indices, axis=0, name=None) -> list:
    """Pieces of x along `axis`: an int n gives n near-equal parts (the first size % n one
    larger), a list of indices the cut points."""
    axis = _axis("tensor_split", axis, x.ndim)
    if _is_var(num_or_indices):
        value = _value("tensor_split", num_or_indices, "num_or_indices")
        num_or_indices = int(value) if value.ndim == 0 else value.reshape(-1).tolist()
    if isinstance(num_or_indices, numbers.Integral):
        return list(M.tensor_split(x, int(num_or_indices), axis))
    return list(M.tensor_split(x, _ints("tensor_split", num_or_indices, "indices"), axis))


def _split_at(fn: str, x, num_or_indices, axis: int, min_ndim: int) -> list:
    if x.ndim < min_ndim:
        raise ValueError(f"{fn}: x must have at least {min_ndim} dims, got shape "
                         f"{list(x.shape)}")
    return tensor_split(x, num_or_indices, axis)


def vsplit(x, num_or_indices, name=None) -> list:
    """tensor_split along axis 0 (x at least 2-D)."""
    return _split_at("vsplit", x, num_or_indices, 0, 2)


def hsplit(x, num_or_indices, name=None) -> list:
    """tensor_split along axis 1 (axis 0 for a 1-D x)."""
    return _split_at("hsplit", x, num_or_indices, 1 if x.ndim > 1 else 0, 1)


def dsplit(x, num_or_indices, name=None) -> list:
    """tensor_split along axis 2 (x at least 3-D)."""
    return _split_at("dsplit", x, num_or_indices, 2, 3)


# ---------------------------------------------------------------- rearranging

def moveaxis(x, source, destination, name=None):
    """x with dims `source` moved to positions `destination`; the others keep their order."""
    src, dst = _ints("moveaxis", source, "source"), _ints("moveaxis", destination,
                                                          "destination")
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {list(src)} and destination {list(dst)} must have "
                         "the same length")
    src = tuple(_axis("moveaxis", a, x.ndim) for a in src)
    dst = tuple(_axis("moveaxis", a, x.ndim) for a in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axis in source {list(src)} or destination "
                         f"{list(dst)}")
    return movedim(x, src, dst)


def rot90(x, k=1, axes=(0, 1), name=None):
    """x rotated by 90 degrees k times in the plane `axes` (from the first towards the
    second)."""
    return M.rot90(x, int(k), tuple(axes))


def repeat_interleave(x, repeats, axis=None, name=None):
    """Each slice of x along `axis` (element of flattened x when None) repeated `repeats`
    times: an int, or a list/1-D tensor with one count per slice."""
    if _is_var(repeats):
        _check_int("repeat_interleave", repeats, "repeats")
        counts = _value("repeat_interleave", repeats, "repeats").reshape(-1)
        repeats = int(counts[0]) if counts.size == 1 else counts.tolist()
    elif not isinstance(repeats, numbers.Integral):
        repeats = _ints("repeat_interleave", repeats, "repeats")
    axis = None if axis is None else _axis("repeat_interleave", axis, max(x.ndim, 1))
    return M.repeat_interleave(x, repeats, axis)


def unflatten(x, axis, shape, name=None):
    """Dim `axis` of x expanded into `shape` (one entry may be -1)."""
    return M.unflatten(x, _axis("unflatten", axis, x.ndim), _ints("unflatten", shape, "shape"))


def view(x, shape_or_dtype, name=None):
    """x reshaped to `shape_or_dtype` (a list of ints). Reinterpreting the bytes as another
    dtype is not supported (Paddle shares memory; a program has no shared buffers)."""
    if isinstance(shape_or_dtype, (list, tuple)) or _is_var(shape_or_dtype):
        return apply("reshape", x, shape=_ints("view", shape_or_dtype, "shape"))
    raise NotImplementedError(f"view: reinterpreting x as dtype {shape_or_dtype!r} is not "
                              "supported; use paddle.cast for a value conversion")


def view_as(x, other, name=None):
    """x reshaped to other's shape."""
    return apply("reshape_like", x, other)


def as_strided(x, shape, stride, offset=0, name=None):
    """The elements of x at flat positions offset + sum(i_k * stride[k]) for every index i of
    `shape` (a gathered copy, not a view sharing x's memory)."""
    shape, stride = _ints("as_strided", shape, "shape"), _ints("as_strided", stride, "stride")
    if len(shape) != len(stride) or builtins.min(shape, default=0) < 0:
        raise ValueError(f"as_strided: shape {list(shape)} and stride {list(stride)} must "
                         "have the same length and non-negative sizes")
    positions = np.full(shape, int(offset), dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, stride)):
        view_shape = [1] * len(shape)
        view_shape[d] = n
        positions = positions + (np.arange(n, dtype=np.int64) * s).reshape(view_shape)
    size = int(np.prod(x.shape)) if -1 not in x.shape else -1
    if positions.size and (positions.min() < 0 or (size != -1 and positions.max() >= size)):
        raise ValueError(f"as_strided: shape {list(shape)}, stride {list(stride)} and offset "
                         f"{offset} reach outside the {size} elements of x")
    flat = apply("index_select", apply("flatten", x), M.constant_like(x, positions.reshape(-1)),
                 axis=0)
    return apply("reshape", flat, shape=shape)


def unique_consecutive(x, return_inverse=False, return_counts=False, axis=None,
                       dtype="int64", name=None):
    """x with runs of equal consecutive entries (slices along `axis`; of flattened x when
    None) collapsed to one; with the flags also the inverse index and the run lengths."""
    if axis is not None:
        axis = _axis("unique_consecutive", axis, x.ndim)
    out, inverse, counts = M.unique_consecutive(x, axis=axis, dtype=dtypes.as_np(dtype).name)
    extra = [t for t, flag in ((inverse, return_inverse), (counts, return_counts)) if flag]
    return (out, *extra) if extra else out


# ---------------------------------------------------------------- values and constants

def tolist(x) -> list:
    """x's value as nested Python lists (implicit mode)."""
    return np.asarray(x.numpy()).tolist()


def _tri_indices(fn: str, row, col, offset, dtype, lower: bool):
    dtype = dtypes.as_np(dtype)
    if dtype not in (np.int32, np.int64):
        raise TypeError(f"{fn}: dtype must be int32 or int64, got {dtype}")
    try:
        out = M.tri_indices(row, col, offset, lower)
    except ValueError as e:
        raise ValueError(f"{fn}: {e}") from None
    return _assign(out.astype(dtype))


def tril_indices(row, col, offset=0, dtype="int64"):
    """The [2, N] (row, col) positions of the lower triangle of a row x col matrix."""
    return _tri_indices("tril_indices", row, col, offset, dtype, True)


def triu_indices(row, col=None, offset=0, dtype="int64"):
    """The [2, N] (row, col) positions of the upper triangle of a row x col matrix (col
    defaults to row)."""
    return _tri_indices("triu_indices", row, row if col is None else col, offset, dtype, False)
