"""Specs of dualnet/ops/sorting.py: references are plain loops over the scanned axis."""
import math

import numpy as np

from tests.ops.spec import OpSpec, distinct, randn


def _rows(x, axis, reverse):
    """Yield (index tuple for a full line along axis in scan order)."""
    moved = np.moveaxis(np.arange(x.size).reshape(x.shape), axis, -1)
    for pos in np.ndindex(*moved.shape[:-1]):
        line = [np.unravel_index(i, x.shape) for i in moved[pos]]
        yield line[::-1] if reverse else line


def _scan_ref(fn, dtype=None):
    def ref(x, axis, reverse=False):
        out = np.zeros(x.shape, dtype=dtype or x.dtype)
        for line in _rows(x, axis, reverse):
            acc = None
            for i in line:
                acc = x[i] if acc is None else fn(acc, x[i])
                out[i] = acc
        return out
    return ref


def _cumext_ref(better):
    def ref(x, axis, reverse=False):
        values, indices = np.zeros_like(x), np.zeros(x.shape, dtype=np.int64)
        for line in _rows(x, axis, False):
            best, where = None, 0
            for k, i in enumerate(line):
                if best is None or better(best, x[i]):  # ties (>=): the later one
                    best, where = x[i], k
                values[i], indices[i] = best, where
        return values, indices
    return ref


def _logaddexp(a, b):
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def _with_zeros(r, d):
    x = randn(r, d, 3, 5)
    x[0, 1] = 0.0
    x[1, 3] = 0.0
    x[2, 0] = 0.0
    x[2, 2] = 0.0
    return (x,)


def _searchsorted_ref(seq, values, right=False):
    out = np.zeros(values.shape, dtype=np.int64)
    for pos in np.ndindex(*values.shape):
        row = seq if seq.ndim == 1 else seq[pos[:-1]]
        v = values[pos]
        out[pos] = sum(1 for s in row if (s <= v if right else s < v))
    return out


def _sorted_rows(r, d):
    seq = np.sort(r.integers(0, 6, (2, 5)), axis=-1).astype(d)
    return seq, r.integers(-1, 7, (2, 3)).astype(d)


def _scatter_reduce_ref(x, index, src, axis=0, reduce="sum", include_self=True):
    out = x.copy()
    groups = {}
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[axis] = index[pos]
        groups.setdefault(tuple(target), []).append(src[pos])
    fns = {"sum": sum, "prod": math.prod, "mean": lambda v: sum(v) / len(v), "amax": max,
           "amin": min}
    for target, vals in groups.items():
        vals = ([x[target]] if include_self else []) + vals
        out[target] = fns[reduce](vals)
    return out


def _scatter_inputs(values):
    def make(r, d):
        x = values(r, d, 3, 4)
        index = np.array([[0, 1, 2, 0], [2, 1, 0, 0]])
        src = values(r, d, 2, 4) + 0.05
        if values is randn:
            x[1, 1], src[0, 2] = 0.0, 0.0  # prod: the zero paths of the gradient
        return x, index, src
    return make


def _scatter_specs():
    specs = []
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            values = distinct if reduce in ("amax", "amin") else randn
            specs.append(OpSpec(
                "scatter_reduce", _scatter_inputs(values), _scatter_reduce_ref,
                name=f"{reduce}-{'self' if include_self else 'noself'}",
                attrs={"axis": 0, "reduce": reduce, "include_self": include_self}))
    specs.append(OpSpec("scatter_reduce", lambda r, d: (
        randn(r, d, 2, 5), np.array([[4, 0, 4], [1, 1, 2]]), randn(r, d, 2, 3)),
        _scatter_reduce_ref, name="axis-1-prod",
        attrs={"axis": -1, "reduce": "prod", "include_self": True}))
    return specs


SPECS = [
    OpSpec("cumprod", _with_zeros, _scan_ref(lambda a, b: a * b),
           attrs={"axis": 1}, covers=("cumprod_grad",)),
    OpSpec("cumprod", _with_zeros, _scan_ref(lambda a, b: a * b), name="reverse-axis0",
           attrs={"axis": 0, "reverse": True}),
    OpSpec("cumprod", lambda r, d: (randn(r, d, 2, 3, 4),), _scan_ref(lambda a, b: a * b),
           name="3d", attrs={"axis": -1}),
    OpSpec("cummax", lambda r, d: (distinct(r, d, 3, 6),), _cumext_ref(lambda b, v: v >= b),
           attrs={"axis": 1}),
    OpSpec("cummin", lambda r, d: (distinct(r, d, 4, 3),), _cumext_ref(lambda b, v: v <= b),
           attrs={"axis": 0}),
    OpSpec("logcumsumexp", lambda r, d: (randn(r, d, 3, 5),), _scan_ref(_logaddexp),
           attrs={"axis": 1}),
    OpSpec("logcumsumexp", lambda r, d: (randn(r, d, 4, 3) * 3,), _scan_ref(_logaddexp),
           name="reverse", attrs={"axis": 0, "reverse": True}),
    OpSpec("searchsorted", _sorted_rows, _searchsorted_ref, attrs={"right": False},
           dtypes=("float32", "int64")),
    OpSpec("searchsorted", _sorted_rows, _searchsorted_ref, name="right",
           attrs={"right": True}),
    OpSpec("searchsorted", lambda r, d: (np.array([1, 3, 3, 7], dtype=d),
                                         r.integers(0, 9, (2, 3)).astype(d)),
           _searchsorted_ref, name="1d", attrs={"right": False}),
] + _scatter_specs()
