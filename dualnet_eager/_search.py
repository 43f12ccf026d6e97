"""torch's sorting, searching, indexing and reshaping functions beyond functions.py (torch.sort,
topk, ...), and the Tensor methods of the same names (SearchMethods, a Tensor base).

Everything is a composite over registry ops: sort / topk / kthvalue / median are `argsort` +
`gather` (the values' gradient flows back through the indices, as in PyTorch); the scans
(cumprod, cummax, logcumsumexp), searchsorted and scatter_reduce are the primitives of
dualnet/ops/sorting.py. Index tensors computed from shapes are int64 constants on the input's
device.
"""
from __future__ import annotations

import builtins

import numpy as np

from dualnet import backend, dtypes
from dualnet.ops import apply
from dualnet.ops import composite as C
from dualnet.ops.common import norm_axis
from dualnet.ops.indexing import broadcast_along, parse_index

from . import return_types as _rt

__all__ = [
    "sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "unique",
    "unique_consecutive", "searchsorted", "bucketize", "masked_select", "take_along_dim",
    "scatter", "scatter_add", "scatter_reduce", "index_add", "index_fill", "index_copy",
    "repeat_interleave", "count_nonzero", "bincount", "histc", "cumprod", "cummax", "cummin",
    "logcumsumexp", "diff",
]


# ---------------------------------------------------------------- helpers

def _Tensor():
    from .tensor import Tensor  # tensor.py imports this module: import on use

    return Tensor


def _arg(fn: str, x, what: str = "input"):
    if not isinstance(x, _Tensor()):
        raise TypeError(f"{fn}(): argument '{what}' must be Tensor, not {type(x).__name__}")
    return x


def _dim(fn: str, dim, ndim: int) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}(): dim must be an int, got {dim!r}")
    try:
        return norm_axis(dim, ndim)
    except IndexError as e:
        raise IndexError(f"{fn}(): {e}") from None


def _const(like, array):
    """A constant tensor (no grad) from a NumPy array, on `like`'s device."""
    return _Tensor()._wrap(like._xp().asarray(array))


def _index(like, values):
    return _const(like, np.asarray(values, dtype=np.int64).reshape(-1))


def _getitem(x, key):
    spec, tensors = parse_index(key)
    return apply("getitem", x, *[t if hasattr(t, "_data") else _const(x, t) for t in tensors],
                 index=spec)


def _along(dim: int, item) -> tuple:
    """An index key taking `item` along `dim` and everything elsewhere."""
    return (slice(None),) * dim + (item,)


def _check_index(fn: str, index, int64_only: bool = True):
    _arg(fn, index, "index")
    kind = np.dtype(index._data.dtype)
    ok = kind == np.int64 if int64_only else kind in (np.int64, np.int32)
    if not ok:
        want = "int64" if int64_only else "int64 or int32"
        raise RuntimeError(f"{fn}(): Expected dtype {want} for index, got {kind}")


def _ints(value) -> tuple:
    if isinstance(value, _Tensor()):
        return tuple(int(v) for v in value.reshape(-1).tolist())
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value)
    return (int(value),)


# ---------------------------------------------------------------- sorting and selection

def argsort(input, dim=-1, descending=False, stable=False):
    """int64 indices sorting `input` along `dim` (always stable)."""
    x = _arg("argsort", input)
    return apply("argsort", x, axis=_dim("argsort", dim, x.ndim), descending=bool(descending))


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) of `input` sorted along `dim`; ties keep their order."""
    x = _arg("sort", input)
    d = _dim("sort", dim, x.ndim)
    indices = apply("argsort", x, axis=d, descending=bool(descending))
    return _rt.sort(apply("gather", x, indices, axis=d) if x.ndim else x.clone(), indices)


def msort(input):
    """`input` sorted along dim 0 (values only)."""
    return sort(_arg("msort", input), 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - torch's name
    """(values, indices) of the k largest (smallest) entries along `dim`, in sorted order."""
    x = _arg("topk", input)
    d = _dim("topk", dim, x.ndim)
    size = x.shape[d] if x.ndim else 1
    k = int(k)
    if not 0 <= k <= size:
        raise RuntimeError(f"topk(): selected index k={k} out of range for dimension {d} of "
                           f"size {size} (input shape {list(x.shape)})")
    if x.ndim == 0:
        return _rt.topk(x.clone(), _const(x, np.zeros((), np.int64)))
    order = apply("argsort", x, axis=d, descending=bool(largest))
    indices = _getitem(order, _along(d, slice(0, k)))
    return _rt.topk(apply("gather", x, indices, axis=d), indices)


def _pick(name, x, d: int, position, keepdim: bool, result):
    """(values, indices) of the entry at sorted `position` (an int, or an int64 tensor
    shaped like x with `d` of size 1) along `d`."""
    order = apply("argsort", x, axis=d, descending=False)
    if isinstance(position, int):
        indices = _getitem(order, _along(d, slice(position, position + 1)))
    else:
        indices = apply("gather", order, position, axis=d)
    values = apply("gather", x, indices, axis=d)
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return result(values, indices)


def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest entry (k counts from 1) along `dim`."""
    x = _arg("kthvalue", input)
    d = _dim("kthvalue", dim, x.ndim)
    size = x.shape[d] if x.ndim else 1
    if not 1 <= int(k) <= size:
        raise RuntimeError(f"kthvalue(): selected number k={k} out of range for dimension {d} "
                           f"of size {size} (input shape {list(x.shape)})")
    if x.ndim == 0:
        return _rt.kthvalue(x.clone(), _const(x, np.zeros((), np.int64)))
    return _pick("kthvalue", x, d, int(k) - 1, keepdim, _rt.kthvalue)


def median(input, dim=None, keepdim=False):
    """The lower median of all entries (a 0-d tensor), or with `dim` (values, indices)."""
    x = _arg("median", input)
    if dim is None:
        flat = x.reshape(-1)
        if flat.shape[0] == 0:
            return _const(x, np.full((), np.nan, dtype=x._data.dtype))
        return _pick("median", flat, 0, (flat.shape[0] - 1) // 2, False, _rt.median).values
    d = _dim("median", dim, x.ndim)
    if x.ndim == 0:
        return _rt.median(x.clone(), _const(x, np.zeros((), np.int64)))
    if x.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size")
    return _pick("median", x, d, (x.shape[d] - 1) // 2, keepdim, _rt.median)


def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaNs (NaN only where every entry is NaN)."""
    x = _arg("nanmedian", input)
    if x._data.dtype.kind not in "fc":
        out = median(x, dim, keepdim)
        return out if dim is None else _rt.nanmedian(*out)
    if dim is None:
        flat = x.reshape(-1)
        if flat.shape[0] == 0:
            return _const(x, np.full((), np.nan, dtype=x._data.dtype))
        return nanmedian(flat, 0).values
    d = _dim("nanmedian", dim, x.ndim)
    if x.ndim == 0:
        return _rt.nanmedian(x.clone(), _const(x, np.zeros((), np.int64)))
    valid = apply("cast", apply("logical_not", apply("isnan", x)), dtype="int64")
    count = apply("sum", valid, axis=d, keepdim=True)
    position = apply("clip", apply("floor_divide", apply("sub", count, 1), 2), min=0)
    return _pick("nanmedian", x, d, position, keepdim, _rt.nanmedian)


def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along `dim` (the smallest one among equally
    frequent values) and the index of its last occurrence."""
    x = _arg("mode", input)
    d = _dim("mode", dim, x.ndim)
    if x.ndim == 0:
        return _rt.mode(x.clone(), _const(x, np.zeros((), np.int64)))
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size")
    xm = C.movedim(x.detach(), d, -1)
    same = apply("equal", apply("unsqueeze", xm, axis=-1), apply("unsqueeze", xm, axis=-2))
    counts = apply("sum", apply("cast", same, dtype="int64"), axis=-1)
    best = apply("equal", counts, apply("max", counts, axis=-1, keepdim=True))
    big = np.inf if xm._data.dtype.kind == "f" else np.iinfo(xm._data.dtype).max
    value = apply("min", apply("where", best, xm, big), axis=-1, keepdim=True)
    hits = apply("flip", apply("equal", xm, value), axis=-1)
    last = apply("sub", n - 1, apply("argmax", hits, axis=-1, keepdim=True))
    indices = C.movedim(last, -1, d)
    values = apply("gather", x, indices, axis=d)
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return _rt.mode(values, indices)


def unique(input, sorted=True, return_inverse=False, return_counts=False,  # noqa: A002
           dim=None):
    """The unique values (or slices along `dim`) in ascending order; with the flags also the
    inverse index (shaped like input, or 1-D with `dim`) and the counts (int64)."""
    x = _arg("unique", input)
    axis = None if dim is None else _dim("unique", dim, x.ndim)
    out, _, inverse, counts = apply("unique", x, axis=axis, dtype="int64")
    if axis is None:
        inverse = inverse.reshape(tuple(x.shape))
    extra = [t for t, flag in ((inverse, return_inverse), (counts, return_counts)) if flag]
    return (out, *extra) if extra else out


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive values (or slices along `dim`) to one."""
    x = _arg("unique_consecutive", input)
    if dim is None:
        flat, d = x.reshape(-1), 0
    else:
        flat, d = x, _dim("unique_consecutive", dim, x.ndim)
    n = flat.shape[d]
    if n == 0:
        empty = _const(x, np.zeros(0, np.int64))
        out = (flat, empty.reshape(tuple(x.shape)) if dim is None else empty, empty)
    else:
        lead = C.movedim(flat, d, 0)
        change = apply("not_equal", lead[1:], lead[:-1])
        if change.ndim > 1:
            change = apply("any", change, axis=tuple(range(1, change.ndim)))
        first = _const(x, np.ones(1, dtype=bool))
        starts = apply("concat", first, change, axis=0)
        where = apply("nonzero", starts).reshape(-1)
        inverse = apply("sub", apply("cumsum", apply("cast", starts, dtype="int64"), axis=0), 1)
        bounds = apply("concat", where, _index(x, [n]), axis=0)
        counts = apply("sub", bounds[1:], bounds[:-1])
        if dim is None:
            inverse = inverse.reshape(tuple(x.shape))
        out = (apply("index_select", flat, where, axis=d), inverse, counts)
    extra = [t for t, flag in ((out[1], return_inverse), (out[2], return_counts)) if flag]
    return (out[0], *extra) if extra else out[0]


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Insertion indices of `input` into the sorted last dim of `sorted_sequence`."""
    seq = _arg("searchsorted", sorted_sequence, "sorted_sequence")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"searchsorted(): side can only be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise RuntimeError("searchsorted(): side and right can't be set to opposites, got "
                               "side of left while right was True")
        right = side == "right"
    if sorter is not None:
        _check_index("searchsorted", sorter)
        seq = apply("gather", seq, sorter, axis=-1)
    values = input if isinstance(input, _Tensor()) else _const(
        seq, np.asarray(input, dtype=seq._data.dtype))
    if seq.ndim > 1 and values.ndim == 0:
        raise RuntimeError(f"searchsorted(): a scalar input needs a 1-D sorted_sequence, got "
                           f"shape {list(seq.shape)}")
    out = apply("searchsorted", seq, values, right=bool(right))
    return out.to(dtypes.int32) if out_int32 else out


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket index of each value: boundaries[i-1] < v <= boundaries[i] (right=False)."""
    b = _arg("bucketize", boundaries, "boundaries")
    if b.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got dim "
                           f"{b.ndim}")
    return searchsorted(b, input, out_int32=out_int32, right=right)


def masked_select(input, mask):
    """The entries of `input` where the bool `mask` (broadcast with it) is True, as 1-D."""
    x = _arg("masked_select", input)
    _arg("masked_select", mask, "mask")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_select(): expected BoolTensor for mask, got "
                           f"{mask._data.dtype}")
    return apply("masked_select", x, mask)


def take_along_dim(input, indices, dim=None):
    """input gathered at `indices` along `dim` (both broadcast outside it), or at flat
    positions when dim is None."""
    x = _arg("take_along_dim", input)
    _check_index("take_along_dim", indices)
    if dim is None:
        return apply("gather", x.reshape(-1), indices.reshape(-1), axis=0)
    d = _dim("take_along_dim", dim, x.ndim)
    if indices.ndim != x.ndim:
        raise RuntimeError(f"take_along_dim(): input {list(x.shape)} and indices "
                           f"{list(indices.shape)} should have the same number of dimensions")
    shapes = broadcast_along(tuple(x.shape), tuple(indices.shape), d)
    if shapes is None:
        raise RuntimeError(f"take_along_dim(): input {list(x.shape)} and indices "
                           f"{list(indices.shape)} cannot be broadcast outside dim {d}")
    xs, ids = shapes
    x = x if tuple(x.shape) == xs else x.expand(*xs)
    indices = indices if tuple(indices.shape) == ids else indices.expand(*ids)
    return apply("gather", x, indices, axis=d)


# ---------------------------------------------------------------- scatter and index ops

def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """A copy of input with src (a tensor or a number) written at `index` along `dim`;
    reduce='add' / 'multiply' accumulates instead."""
    x = _arg("scatter", input)
    d = _dim("scatter", dim, x.ndim)
    _check_index("scatter", index)
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter(): expected a src tensor or a value")
    if reduce is None:
        return apply("scatter", x, index, src, axis=d)
    kinds = {"add": "sum", "multiply": "prod"}
    if reduce not in kinds:
        raise RuntimeError(f"scatter(): reduce argument must be either add or multiply, got "
                           f"{reduce!r}")
    return apply("scatter_reduce", x, index, src, axis=d, reduce=kinds[reduce],
                 include_self=True)


def scatter_add(input, dim, index, src):
    """A copy of input with src added at `index` along `dim` (repeats accumulate)."""
    x = _arg("scatter_add", input)
    _check_index("scatter_add", index)
    return apply("scatter_add", x, index, src, axis=_dim("scatter_add", dim, x.ndim))


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """src reduced into input at `index` along `dim`: sum, prod, mean, amax or amin."""
    x = _arg("scatter_reduce", input)
    _check_index("scatter_reduce", index)
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"scatter_reduce(): reduce argument must be either sum, prod, mean, "
                           f"amax or amin, got {reduce!r}")
    return apply("scatter_reduce", x, index, src, axis=_dim("scatter_reduce", dim, x.ndim),
                 reduce=reduce, include_self=bool(include_self))


def _check_index_1d(fn: str, x, d: int, index):
    _check_index(fn, index, int64_only=False)
    if index.ndim > 1:
        raise IndexError(f"{fn}(): Index is supposed to be a vector, got shape "
                         f"{list(index.shape)}")


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of input with alpha * source's slices added at `index` along `dim`."""
    x = _arg("index_add", input)
    d = _dim("index_add", dim, x.ndim)
    _check_index_1d("index_add", x, d, index)
    source = source if alpha == 1 else apply("mul", source, alpha)
    return apply("index_add", x, index.reshape(-1), source, axis=d)


def index_fill(input, dim, index, value):
    """A copy of input with `value` (a number or a 0-d tensor) at `index` along `dim`."""
    x = _arg("index_fill", input)
    d = _dim("index_fill", dim, x.ndim)
    _check_index_1d("index_fill", x, d, index)
    if isinstance(value, _Tensor()) and value.ndim != 0:
        raise RuntimeError(f"index_fill(): only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s)")
    if x.ndim == 0:
        return apply("setitem", x, value, index=(("ellipsis",),))
    return _setitem(x, value, _along(d, index.reshape(-1)))


def index_copy(input, dim, index, source):
    """A copy of input with source's slices written at `index` along `dim`."""
    x = _arg("index_copy", input)
    d = _dim("index_copy", dim, x.ndim)
    _check_index_1d("index_copy", x, d, index)
    want = list(x.shape)
    if x.ndim:
        want[d] = index.numel()
    if list(source.shape) != want:
        raise RuntimeError(f"index_copy(): source of shape {list(source.shape)} should have "
                           f"shape {want} (input {list(x.shape)}, index of {index.numel()})")
    if x.ndim == 0:
        return apply("setitem", x, source, index=(("ellipsis",),))
    return _setitem(x, source, _along(d, index.reshape(-1)))


def _setitem(x, value, key):
    spec, tensors = parse_index(key)
    return apply("setitem", x, value, *tensors, index=spec)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or slice along `dim`) repeated `repeats` times (an int or a tensor with
    one count per element); torch.repeat_interleave(counts) repeats arange(len(counts))."""
    x = _arg("repeat_interleave", input)
    if repeats is None:  # torch.repeat_interleave(repeats)
        counts = x
        x = _const(x, np.arange(counts.numel(), dtype=np.int64))
        repeats = counts
    if dim is None:
        x, d = x.reshape(-1), 0
    else:
        d = _dim("repeat_interleave", dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if isinstance(repeats, _Tensor()):
        if repeats._data.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave(): repeats must be an integer tensor, got "
                               f"{repeats._data.dtype}")
        counts = np.asarray(backend.to_numpy(repeats._data)).reshape(-1)
        counts = np.broadcast_to(counts, (n,)) if counts.size == 1 else counts
    else:
        counts = np.full(n, int(repeats))
    if counts.size != n:
        raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input "
                           f"along dim {d}: {counts.size} vs {n}")
    if (counts < 0).any():
        raise RuntimeError("repeat_interleave(): repeats can not be negative")
    positions = np.repeat(np.arange(n), counts)
    if output_size is not None and int(output_size) != positions.size:
        raise RuntimeError(f"repeat_interleave(): output_size {output_size} does not match the "
                           f"repeated size {positions.size}")
    if x.ndim == 0:
        x = x.reshape(1)
    return apply("index_select", x, _index(x, positions), axis=d)


def count_nonzero(input, dim=None):
    """The number of nonzero entries (int64), over all dims or over `dim` (an int or tuple)."""
    x = _arg("count_nonzero", input)
    if isinstance(dim, (list, tuple)):
        dim = tuple(_dim("count_nonzero", a, x.ndim) for a in dim)
    elif dim is not None:
        dim = _dim("count_nonzero", dim, x.ndim)
    nonzero = apply("cast", apply("not_equal", x, 0), dtype="int64")
    return apply("sum", nonzero, axis=dim, keepdim=False)


def bincount(input, weights=None, minlength=0):
    """Counts (int64) of each value of a 1-D non-negative integer tensor, or the sums of
    `weights` per value (float32 weights give float32, others float64)."""
    x = _arg("bincount", input)
    if x.ndim != 1 or x._data.dtype.kind not in "iub":
        raise RuntimeError(f"bincount(): only supports 1-d non-negative integral inputs, got "
                           f"shape {list(x.shape)} of {x._data.dtype}")
    if int(minlength) < 0:
        raise RuntimeError(f"bincount(): minlength should be >= 0, got {minlength}")
    if weights is not None and tuple(weights.shape) != tuple(x.shape):
        raise RuntimeError(f"bincount(): weights {list(weights.shape)} should be 1-d and have "
                           f"the same length as input {list(x.shape)}")
    n = x.shape[0]
    if n and int(apply("min", x, axis=None, keepdim=False)) < 0:
        raise RuntimeError("bincount(): only supports 1-d non-negative integral inputs, got "
                           "negative values")
    size = builtins.max(int(apply("max", x, axis=None, keepdim=False)) + 1 if n else 0,
                        int(minlength))
    if weights is None:
        dtype, weights = np.int64, _const(x, np.ones(n, dtype=np.int64))
    else:
        dtype = np.float32 if weights._data.dtype == np.float32 else np.float64
        weights = weights.to(dtypes.as_dtype(dtype))
    index = x if x._data.dtype == np.int64 else x.to(dtypes.int64)
    return apply("scatter_add", _const(x, np.zeros(size, dtype=dtype)), index, weights, axis=0)


def histc(input, bins=100, min=0, max=0):  # noqa: A002 - torch's names
    """A histogram of `bins` equal bins over [min, max] (the data's range when min == max);
    values outside are ignored, the last bin includes max."""
    x = _arg("histc", input)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"histc(): not implemented for '{x._data.dtype}' input, use a "
                           "floating point tensor")
    bins = int(bins)
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, got {bins}")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError(f"histc(): max must be larger than min, got min={lo}, max={hi}")
    flat = x.detach().reshape(-1)
    if lo == hi and flat.shape[0]:
        lo, hi = float(apply("min", flat, axis=None, keepdim=False)), \
            float(apply("max", flat, axis=None, keepdim=False))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    inside = apply("logical_and", apply("greater_equal", flat, lo),
                   apply("less_equal", flat, hi))
    values = apply("masked_select", flat, inside)
    scaled = apply("mul", apply("div", apply("sub", values, lo), hi - lo), float(bins))
    index = apply("clip", apply("cast", apply("floor", scaled), dtype="int64"), max=bins - 1)
    ones = apply("ones_like", values)
    return apply("scatter_add", _const(x, np.zeros(bins, dtype=x._data.dtype)), index, ones,
                 axis=0)


# ---------------------------------------------------------------- scans and differences

def cumprod(input, dim, *, dtype=None):
    """Running product along `dim` (exact gradients also with zeros in the input)."""
    x = _arg("cumprod", input)
    if dtype is not None:
        x = x.to(dtype)
    return apply("cumprod", x, axis=_dim("cumprod", dim, builtins.max(x.ndim, 1)))


def cummax(input, dim):
    """(values, indices): the running max along `dim` and where it was last seen."""
    x = _arg("cummax", input)
    return _rt.cummax(*apply("cummax", x, axis=_dim("cummax", dim, builtins.max(x.ndim, 1))))


def cummin(input, dim):
    """(values, indices): the running min along `dim` and where it was last seen."""
    x = _arg("cummin", input)
    return _rt.cummin(*apply("cummin", x, axis=_dim("cummin", dim, builtins.max(x.ndim, 1))))


def logcumsumexp(input, dim):
    """log(cumsum(exp(input))) along `dim`, computed stably."""
    x = _arg("logcumsumexp", input)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"logcumsumexp(): expected a floating point input, got "
                           f"{x._data.dtype}")
    return apply("logcumsumexp", x, axis=_dim("logcumsumexp", dim, builtins.max(x.ndim, 1)))


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along `dim` (bools: !=), after prepend/append."""
    x = _arg("diff", input)
    if x.ndim == 0:
        raise RuntimeError("diff(): expects input to be at least one-dimensional")
    d = _dim("diff", dim, x.ndim)
    if int(n) < 0:
        raise RuntimeError(f"diff(): order must be non-negative but got {n}")
    parts = [p if isinstance(p, _Tensor()) or p is None else _const(x, np.asarray(p))
             for p in (prepend, x, append)]
    parts = [p.expand(*(tuple(x.shape[:d]) + (1,) + tuple(x.shape[d + 1:])))
             if p is not None and p.ndim == 0 else p for p in parts]
    parts = [p for p in parts if p is not None]
    if len(parts) > 1:
        x = apply("concat", *parts, axis=d)
    for _ in range(int(n)):
        hi = _getitem(x, _along(d, slice(1, None)))
        lo = _getitem(x, _along(d, slice(None, -1)))
        x = apply("not_equal", hi, lo) if x._data.dtype == np.bool_ else apply("sub", hi, lo)
    return x


# ---------------------------------------------------------------- Tensor methods

class SearchMethods:
    """Tensor methods of the functions above (a Tensor base: `t.sort()` is `sort(t)`)."""

    __slots__ = ()

    sort, argsort, msort, topk, kthvalue = sort, argsort, msort, topk, kthvalue
    median, nanmedian, mode, unique = median, nanmedian, mode, unique
    unique_consecutive, masked_select, take_along_dim = \
        unique_consecutive, masked_select, take_along_dim
    scatter, scatter_reduce, index_add, index_fill, index_copy = \
        scatter, scatter_reduce, index_add, index_fill, index_copy
    repeat_interleave, count_nonzero, bincount, histc = \
        repeat_interleave, count_nonzero, bincount, histc
    cumprod, cummax, cummin, logcumsumexp, diff = cumprod, cummax, cummin, logcumsumexp, diff

    def nonzero(self, as_tuple=False):
        from .functions import nonzero

        return nonzero(self, as_tuple)

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return self._set_(scatter(self, dim, index, src, value, reduce=reduce))

    def scatter_add_(self, dim, index, src):
        return self._set_(scatter_add(self, dim, index, src))

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return self._set_(scatter_reduce(self, dim, index, src, reduce,
                                         include_self=include_self))

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._set_(index_add(self, dim, index, source, alpha=alpha))

    def index_fill_(self, dim, index, value):
        return self._set_(index_fill(self, dim, index, value))

    def index_copy_(self, dim, index, source):
        return self._set_(index_copy(self, dim, index, source))

    def cumprod_(self, dim, *, dtype=None):
        return self._set_(cumprod(self, dim, dtype=dtype))
