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
from dualnet.ops import manip as M
from dualnet.ops import statistics as S
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
    return _rt.kthvalue(*S.kthvalue(x, int(k), d, bool(keepdim)))


def median(input, dim=None, keepdim=False):
    """The lower median of all entries (a 0-d tensor), or with `dim` (values, indices)."""
    x = _arg("median", input)
    if dim is None:
        if x.numel() == 0:
            return _const(x, np.full((), np.nan, dtype=x._data.dtype))
        return S.lower_median(x, None)[0]
    d = _dim("median", dim, x.ndim)
    if x.ndim == 0:
        return _rt.median(x.clone(), _const(x, np.zeros((), np.int64)))
    if x.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size")
    return _rt.median(*S.lower_median(x, d, bool(keepdim)))


def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaNs (NaN only where every entry is NaN)."""
    x = _arg("nanmedian", input)
    if x._data.dtype.kind not in "fc":
        out = median(x, dim, keepdim)
        return out if dim is None else _rt.nanmedian(*out)
    if dim is None:
        if x.numel() == 0:
            return _const(x, np.full((), np.nan, dtype=x._data.dtype))
        return S.lower_median(x, None, ignore_nan=True)[0]
    d = _dim("nanmedian", dim, x.ndim)
    if x.ndim == 0:
        return _rt.nanmedian(x.clone(), _const(x, np.zeros((), np.int64)))
    return _rt.nanmedian(*S.lower_median(x, d, bool(keepdim), ignore_nan=True))


def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along `dim` (the smallest one among equally
    frequent values) and the index of its last occurrence."""
    x = _arg("mode", input)
    d = _dim("mode", dim, x.ndim)
    if x.ndim == 0:
        return _rt.mode(x.clone(), _const(x, np.zeros((), np.int64)))
    if x.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size")
    return _rt.mode(*S.mode(x, d, bool(keepdim)))


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
    d = None if dim is None else _dim("unique_consecutive", dim, x.ndim)
    out = M.unique_consecutive(x, axis=d)
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
    return M.searchsorted(seq, values, right=bool(right), out_int32=bool(out_int32))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket index of each value: boundaries[i-1] < v <= boundaries[i] (right=False)."""
    b = _arg("bucketize", boundaries, "boundaries")
    if b.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got dim "
                           f"{b.ndim}")
    values = input if isinstance(input, _Tensor()) else _const(
        b, np.asarray(input, dtype=b._data.dtype))
    return M.bucketize(values, b, right=bool(right), out_int32=bool(out_int32))


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
    return M.index_fill(x, index, d, value)


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
    d = None if dim is None else _dim("repeat_interleave", dim, x.ndim)
    n = x.numel() if d is None else x.shape[d] if x.ndim else 1
    if isinstance(repeats, _Tensor()):
        if repeats._data.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave(): repeats must be an integer tensor, got "
                               f"{repeats._data.dtype}")
        counts = np.asarray(backend.to_numpy(repeats._data)).reshape(-1)
        counts = np.broadcast_to(counts, (n,)) if counts.size == 1 else counts
        if counts.size != n:
            raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input "
                               f"along dim {d or 0}: {counts.size} vs {n}")
        total = int(counts.sum())
    else:
        counts = int(repeats)
        total = n * counts
    if (np.asarray(counts) < 0).any():
        raise RuntimeError("repeat_interleave(): repeats can not be negative")
    if output_size is not None and int(output_size) != total:
        raise RuntimeError(f"repeat_interleave(): output_size {output_size} does not match the "
                           f"repeated size {total}")
    return M.repeat_interleave(x, counts, d)


def count_nonzero(input, dim=None):
    """The number of nonzero entries (int64), over all dims or over `dim` (an int or tuple)."""
    x = _arg("count_nonzero", input)
    if isinstance(dim, (list, tuple)):
        dim = tuple(_dim("count_nonzero", a, x.ndim) for a in dim)
    elif dim is not None:
        dim = _dim("count_nonzero", dim, x.ndim)
    return S.count_nonzero(x, dim)


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
    if weights is not None:
        dtype = np.float32 if weights._data.dtype == np.float32 else np.float64
        weights = weights.to(dtypes.as_dtype(dtype))
    return apply("bincount", x, weights, minlength=int(minlength))


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
    if lo == hi and x.numel() == 0:
        lo, hi = lo - 1, hi + 1
    counts = S.histogram(x.detach(), bins, lo, hi)
    return counts.to(x.dtype)


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
