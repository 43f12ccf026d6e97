"""Specs for dualnet/ops/reduction.py. Attributes are written in canonical form (sorted
non-negative axis tuples or None), as `apply` hands them to infer/vjp."""
import numpy as np

from tests.ops.spec import OpSpec, distinct, randn, uniform


def _axes(axis):
    return None if axis is None else tuple(axis)


def _red(fn):
    """A NumPy reference taking (x, axis, keepdim)."""
    return lambda x, axis, keepdim: np.asarray(fn(x, axis=_axes(axis), keepdims=keepdim))


def _tied(r, d):
    x = distinct(r, d, 3, 4)
    top = x.max() + 1
    x[0, 1] = x[2, 2] = top  # the global maximum twice (rows 0 and 2) ...
    x[1, 3] = x[1].max() if x[1].argmax() != 3 else x[1, 0]  # ... a second max in row 1 ...
    x[2, 0] = x[2].min() if x[2].argmin() != 0 else x[2, 1]  # ... and a second min in row 2
    return (x,)


def _argsort_ref(x, axis, descending):
    """Selection sort by hand, along `axis`: the first smallest (largest) remaining each time,
    so ties keep their order."""
    xm = np.moveaxis(x, axis, -1)
    out = np.zeros(xm.shape, dtype=np.int64)
    for pos in np.ndindex(*xm.shape[:-1]):
        left = list(range(xm.shape[-1]))
        for k in range(len(out[pos])):
            vals = [xm[pos][i] for i in left]
            best = max(vals) if descending else min(vals)
            out[pos][k] = left.pop(vals.index(best))
    return np.moveaxis(out, -1, axis)


def _var_ref(x, axis, correction, keepdim):
    n = x.size if axis is None else int(np.prod([x.shape[a] for a in axis]))
    m = x.mean(axis=_axes(axis), keepdims=True)
    s = ((x - m) ** 2).sum(axis=_axes(axis), keepdims=keepdim)
    return s / (n - correction)


def _lse_ref(x, axis, keepdim):
    x = x.astype(np.float64)
    m = x.max(axis=_axes(axis), keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=_axes(axis), keepdims=True)) + m
    return out if keepdim else out.reshape(np.sum(x, axis=_axes(axis)).shape)


def _prod_ref(x, axis, keepdim):
    """Products by an explicit loop over the reduced elements."""
    axes = tuple(range(x.ndim)) if axis is None else axis
    out_shape = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
    out = np.ones(out_shape, np.float64)
    for idx in np.ndindex(*x.shape):
        tgt = tuple(0 if i in axes else j for i, j in enumerate(idx))
        out[tgt] *= x[idx]
    return out if keepdim else out.reshape(np.sum(x, axis=_axes(axis)).shape)


def _cumsum_ref(x, axis, reverse):
    x = np.moveaxis(x, axis, -1)
    out = np.zeros_like(x)
    for idx in np.ndindex(*x.shape[:-1]):
        run = 0.0
        order = range(x.shape[-1] - 1, -1, -1) if reverse else range(x.shape[-1])
        for k in order:
            run += x[idx + (k,)]
            out[idx + (k,)] = run
    return np.moveaxis(out, -1, axis)


def _arg_ref(fn):
    def ref(x, axis, keepdim):
        out = fn(x, axis=axis)
        if keepdim:
            out = np.expand_dims(out, axis) if axis is not None else out.reshape((1,) * x.ndim)
        return out.astype(np.int64)
    return ref


def _truthy(r, d):
    x = (r.integers(0, 2, (3, 4)) * r.standard_normal((3, 4))).astype(d)
    x[0] = 1.0  # one all-true row
    x[1] = 0.0  # one all-false row
    return (x,)


SPECS = [
    OpSpec("sum", lambda r, d: (randn(r, d, 2, 3, 4),), _red(np.sum),
           attrs={"axis": None, "keepdim": False}, second_order=True, covers=("sum_grad",)),
    OpSpec("sum", lambda r, d: (randn(r, d, 2, 3, 4),), _red(np.sum), name="axes_keepdim",
           attrs={"axis": (0, 2), "keepdim": True}, second_order=True),
    OpSpec("sum", lambda r, d: (randn(r, d, 2, 3, 4),), _red(np.sum), name="last",
           attrs={"axis": (2,), "keepdim": False}, second_order=True),
    OpSpec("sum_grad", lambda r, d: (randn(r, d, 3), randn(r, d, 2, 3, 4)),
           lambda g, x, axis, keepdim: np.broadcast_to(g[None, :, None], x.shape),
           attrs={"axis": (0, 2), "keepdim": False}, grad=(0,), second_order=True),
    OpSpec("mean", lambda r, d: (randn(r, d, 2, 3, 4),), _red(np.mean),
           attrs={"axis": None, "keepdim": False}, second_order=True, covers=("mean_grad",)),
    OpSpec("mean", lambda r, d: (randn(r, d, 2, 3, 4),), _red(np.mean), name="axis_keepdim",
           attrs={"axis": (1,), "keepdim": True}, second_order=True),
    OpSpec("mean_grad", lambda r, d: (randn(r, d, 2, 4), randn(r, d, 2, 3, 4)),
           lambda g, x, axis, keepdim, correction: np.broadcast_to(g[:, None, :] / 2, x.shape),
           attrs={"axis": (1,), "keepdim": False, "correction": 1}, grad=(0,),
           second_order=True),
    OpSpec("prod", lambda r, d: (uniform(r, d, 0.5, 1.5, 3, 4),), _prod_ref,
           attrs={"axis": None, "keepdim": False}, second_order=True, covers=("prod_grad",)),
    OpSpec("prod", lambda r, d: (uniform(r, d, 0.5, 1.5, 2, 3, 4),), _prod_ref,
           name="axes_keepdim", attrs={"axis": (0, 2), "keepdim": True}, second_order=True),
    OpSpec("prod", lambda r, d: (np.array([[0.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.5, 2.0, -1.0]],
                                          d),),
           _prod_ref, name="zeros", attrs={"axis": (1,), "keepdim": False}),
    OpSpec("max", lambda r, d: (distinct(r, d, 3, 4),), _red(np.max),
           attrs={"axis": None, "keepdim": False}, second_order=True),
    OpSpec("max", lambda r, d: (distinct(r, d, 2, 3, 4),), _red(np.max), name="axes_keepdim",
           attrs={"axis": (1, 2), "keepdim": True}, second_order=True),
    OpSpec("max", _tied, _red(np.max), name="ties", attrs={"axis": (1,), "keepdim": False}),
    OpSpec("max", _tied, _red(np.max), name="ties_all", attrs={"axis": None, "keepdim": False}),
    OpSpec("min", lambda r, d: (distinct(r, d, 3, 4),), _red(np.min),
           attrs={"axis": (0,), "keepdim": False}, second_order=True),
    OpSpec("min", _tied, _red(np.min), name="ties", attrs={"axis": (1,), "keepdim": True}),
    OpSpec("argmax", lambda r, d: (distinct(r, d, 3, 4),), _arg_ref(np.argmax),
           attrs={"axis": None, "keepdim": False}),
    OpSpec("argmax", lambda r, d: (distinct(r, d, 2, 3, 4),), _arg_ref(np.argmax),
           name="axis_keepdim", attrs={"axis": 1, "keepdim": True}),
    OpSpec("argmax", _tied, _arg_ref(np.argmax), name="first_of_ties",
           attrs={"axis": 1, "keepdim": False}),
    OpSpec("argmin", lambda r, d: (distinct(r, d, 2, 3, 4),), _arg_ref(np.argmin),
           attrs={"axis": 2, "keepdim": False}),
    OpSpec("argmin", lambda r, d: (distinct(r, d, 3, 4),), _arg_ref(np.argmin),
           name="all_keepdim", attrs={"axis": None, "keepdim": True}),
    OpSpec("var", lambda r, d: (randn(r, d, 3, 4),), _var_ref,
           attrs={"axis": None, "correction": 1, "keepdim": False}, second_order=True),
    OpSpec("var", lambda r, d: (randn(r, d, 2, 3, 4),), _var_ref, name="biased_keepdim",
           attrs={"axis": (1,), "correction": 0, "keepdim": True}, second_order=True),
    OpSpec("var", lambda r, d: (randn(r, d, 2, 3, 4),), _var_ref, name="axes",
           attrs={"axis": (0, 2), "correction": 1, "keepdim": False}, second_order=True),
    OpSpec("logsumexp", lambda r, d: (randn(r, d, 3, 4),), _lse_ref,
           attrs={"axis": (1,), "keepdim": False}, second_order=True),
    OpSpec("logsumexp", lambda r, d: (randn(r, d, 3, 4) + 500,), _lse_ref, name="large_all",
           attrs={"axis": None, "keepdim": True}, second_order=True),
    OpSpec("cumsum", lambda r, d: (randn(r, d, 3, 4),), _cumsum_ref,
           attrs={"axis": 1, "reverse": False}, second_order=True),
    OpSpec("cumsum", lambda r, d: (randn(r, d, 3, 4),), _cumsum_ref, name="reverse",
           attrs={"axis": 0, "reverse": True}, second_order=True),
    OpSpec("any", _truthy, lambda x, axis, keepdim: (x != 0).any(axis=_axes(axis),
                                                                 keepdims=keepdim),
           attrs={"axis": (1,), "keepdim": False}),
    OpSpec("any", _truthy, lambda x, axis, keepdim: np.asarray((x != 0).any()), name="all_axes",
           attrs={"axis": None, "keepdim": False}),
    OpSpec("all", _truthy, lambda x, axis, keepdim: (x != 0).all(axis=_axes(axis),
                                                                 keepdims=keepdim),
           attrs={"axis": (1,), "keepdim": True}),
    OpSpec("argsort", lambda r, d: (distinct(r, d, 3, 4),), _argsort_ref,
           attrs={"axis": 1, "descending": False}),
    OpSpec("argsort", lambda r, d: (distinct(r, d, 3, 4),), _argsort_ref, name="descending",
           attrs={"axis": 0, "descending": True}),
    OpSpec("argsort", _tied, _argsort_ref, name="stable_ties",
           attrs={"axis": 1, "descending": True}),
    OpSpec("argsort", _tied, _argsort_ref, name="stable_ties_ascending",
           attrs={"axis": 1, "descending": False}),
]


def _unique_ref(x, axis=None, dtype="int64"):
    """Sorted unique values (or slices along `axis`) by a dictionary of first positions."""
    items = x.reshape(-1) if axis is None else np.moveaxis(x, axis, 0)
    keys = [tuple(np.asarray(v).reshape(-1).tolist()) for v in items]
    first = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    ordered = sorted(first)
    where = {k: j for j, k in enumerate(ordered)}
    out = np.stack([items[first[k]] for k in ordered])
    if axis is not None:
        out = np.moveaxis(out, 0, axis)
    index = np.array([first[k] for k in ordered], dtype=dtype)
    inverse = np.array([where[k] for k in keys], dtype=dtype)
    counts = np.array([keys.count(k) for k in ordered], dtype=dtype)
    return out, index, inverse, counts


def _repeats(r, d, *shape):
    return r.integers(0, 3, shape).astype(d)


SPECS += [
    OpSpec("unique", lambda r, d: (_repeats(r, d, 3, 4),), _unique_ref,
           dtypes=("float32", "int64"), data_dependent_shape=True),
    OpSpec("unique", lambda r, d: (_repeats(r, d, 4, 2),), _unique_ref, name="axis0",
           attrs={"axis": 0, "dtype": "int32"}, data_dependent_shape=True),
    OpSpec("unique", lambda r, d: (_repeats(r, d, 2, 5),), _unique_ref, name="axis-1",
           attrs={"axis": -1}, data_dependent_shape=True),
]
