"""Specs for dualnet/ops/indexing.py: getitem/setitem over `parse_index` specs, gather/scatter,
index_select/index_add, pad. References are plain NumPy indexing or loops."""
import numpy as np

from dualnet.ops.indexing import parse_index
from tests.ops.spec import OpSpec, randn

_MASK = np.array([[True, False, True], [False, False, True]])
_ROW_MASK = np.array([True, False, True])
_REPEATS = np.array([0, 2, 2, 0, -1])


def _getitem(name, shape, key, ref=None, **kw):
    """A getitem spec for `x[key]`; the reference is NumPy's `x[key]` unless given."""
    spec, tensors = parse_index(key)
    return OpSpec("getitem", lambda r, d: (randn(r, d, *shape), *tensors),
                  ref or (lambda x, *t, index: x[key]), attrs={"index": spec}, name=name,
                  grad=(0,), covers=("getitem_grad",), **kw)


def _setitem(name, shape, key, vshape, ref=None, **kw):
    """A setitem spec for `x[key] = v`; the reference is NumPy's assignment unless given."""
    spec, tensors = parse_index(key)

    def assign(x, v, *t, index):
        out = x.copy()
        out[key] = v
        return out

    ref = ref or assign

    return OpSpec("setitem", lambda r, d: (randn(r, d, *shape), randn(r, d, *vshape), *tensors),
                  ref, attrs={"index": spec}, name=name, grad=(0, 1), **kw)


def _assign_int_then_adv(x, v, *t, index):
    out = x.copy()
    out[1][:, [2, 0]] = v[0]  # PyTorch order: x[1] first, then the advanced index
    return out


def _getitem_grad_ref(g, x, idx, index):
    out = np.zeros(x.shape, g.dtype)
    for j in range(x.shape[0]):
        for k, i in enumerate(idx):
            out[j, i] += g[j, k]
    return out


def _mask_grad_ref(g, x, mask, index):
    out = np.zeros(x.shape, g.dtype)
    out[np.nonzero(mask)] = g
    return out


def _row_mask_grad_ref(g, x, mask, index):
    out = np.zeros(x.shape, g.dtype)
    out[:, [0, 2]] = g
    return out


def _gather_ref(x, index, axis):
    out = np.empty(index.shape, x.dtype)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[axis] = index[pos]
        out[pos] = x[tuple(src)]
    return out


def _scatter_ref(x, index, src, axis, add=True):
    out = x.copy()
    for pos in np.ndindex(*index.shape):
        dst = list(pos)
        dst[axis] = index[pos]
        s = src if src.ndim == 0 else src[pos]
        out[tuple(dst)] = out[tuple(dst)] + s if add else s
    return out


def _index_add_ref(x, index, src, axis):
    out = np.moveaxis(x.copy(), axis, 0)
    s = np.moveaxis(src, axis, 0)
    for k, i in enumerate(index):
        out[i] += s[k]
    return np.moveaxis(out, 0, axis)


def _pad_ref(x, pads, mode="constant", value=0.0):
    """Loops over the output: each position reads the input position it copies."""
    lo = [0] * x.ndim
    hi = [0] * x.ndim
    for i in range(len(pads) // 2):
        lo[x.ndim - 1 - i], hi[x.ndim - 1 - i] = pads[2 * i], pads[2 * i + 1]
    shape = [n + a + b for n, a, b in zip(x.shape, lo, hi)]
    out = np.full(shape, value, x.dtype)
    for pos in np.ndindex(*shape):
        src = []
        for p, n, a in zip(pos, x.shape, lo):
            s = p - a
            if mode == "reflect":
                s = -s if s < 0 else 2 * (n - 1) - s if s >= n else s
            elif mode == "replicate":
                s = min(max(s, 0), n - 1)
            elif mode == "circular":
                s %= n
            src.append(s)
        if all(0 <= s < n for s, n in zip(src, x.shape)):
            out[pos] = x[tuple(src)]
    return out


def _pad_grad_ref(g, pads, mode):
    n = g.shape[-1] - pads[0] - pads[1]
    out = np.zeros(g.shape[:-1] + (n,), g.dtype)
    for p in range(g.shape[-1]):
        s = p - pads[0]
        s = -s if s < 0 else 2 * (n - 1) - s if s >= n else s
        out[..., s] += g[..., p]
    return out


def _ints(*values):
    return np.array(values, dtype=np.int64)


_G_IDX = np.array([[0, 2, 1, 0], [1, 1, 2, 0]])  # gather/scatter_add index, repeats in columns
_S_IDX = np.array([[2, 0, 1, 1], [0, 1, 0, 2]])  # scatter index, no repeats within a column

SPECS = [
    _getitem("basic", (3, 4, 5), (1, slice(None, 3), None, Ellipsis, -1), second_order=True),
    _getitem("int_only", (3, 4), (2, -1)),
    _getitem("neg_step", (4, 5), (slice(None, None, -2), slice(3, 0, -1))),
    _getitem("repeated", (4, 3), ([0, 2, 2, -1],), second_order=True),
    _getitem("int_then_adv", (2, 3, 4), (0, slice(None), [0, 3, 3]),
             ref=lambda x, *t, index: x[0][:, [0, 3, 3]]),  # PyTorch order, not NumPy's
    _getitem("adjacent", (2, 3, 4), (slice(None), [[0], [2]], [1, 3])),
    _getitem("apart", (2, 3, 4), ([1, 0, 1], slice(1, None), [3, 0, 0])),
    _getitem("bool", (2, 3), (True, 1)),
    _getitem("newaxis_adv", (3, 4), (None, [2, 0], slice(1, 3))),
    # Boolean masks give data-dependent shapes (infer says -1), so they are checked through
    # getitem_grad and setitem, whose output shapes are known.
    OpSpec("getitem_grad", lambda r, d: (randn(r, d, 2, 5), randn(r, d, 2, 3), _REPEATS),
           _getitem_grad_ref, attrs={"index": parse_index((slice(None), _REPEATS))[0]},
           grad=(0,)),
    OpSpec("getitem_grad", lambda r, d: (randn(r, d, 3), randn(r, d, 2, 3), _MASK),
           _mask_grad_ref, attrs={"index": parse_index((_MASK,))[0]}, grad=(0,), name="mask"),
    OpSpec("getitem_grad", lambda r, d: (randn(r, d, 2, 2, 2), randn(r, d, 2, 3, 2), _ROW_MASK),
           _row_mask_grad_ref, attrs={"index": parse_index((slice(None), _ROW_MASK))[0]},
           grad=(0,), name="mask_dim1"),
    _setitem("slice", (3, 4), (slice(1, None), slice(None, None, 2)), (2, 1), second_order=True),
    _setitem("adv", (4, 3), ([3, 0], 1), (2,)),
    _setitem("mask", (2, 3), (_MASK,), ()),
    _setitem("mask_dim1", (2, 3, 2), (slice(None), _ROW_MASK), (2, 1)),
    _setitem("int_then_adv", (2, 3, 4), (1, slice(None), [2, 0]), (1, 3, 2),
             ref=_assign_int_then_adv),
    OpSpec("gather", lambda r, d: (randn(r, d, 3, 4), _G_IDX), _gather_ref, attrs={"axis": 0},
           grad=(0,), second_order=True),
    OpSpec("gather", lambda r, d: (randn(r, d, 3, 5), _G_IDX), _gather_ref, attrs={"axis": -1},
           grad=(0,), name="smaller_index"),
    OpSpec("scatter_add", lambda r, d: (randn(r, d, 3, 4), _G_IDX, randn(r, d, 2, 4)),
           _scatter_ref, attrs={"axis": 0}, grad=(0, 2), second_order=True),
    OpSpec("scatter_add", lambda r, d: (randn(r, d, 2, 3), _G_IDX, randn(r, d, 2, 4)),
           _scatter_ref, attrs={"axis": 1}, grad=(0, 2), name="axis1"),
    OpSpec("scatter", lambda r, d: (randn(r, d, 3, 4), _S_IDX, randn(r, d, 2, 4)),
           lambda x, i, s, axis: _scatter_ref(x, i, s, axis, add=False), attrs={"axis": 0},
           grad=(0, 2)),
    OpSpec("scatter", lambda r, d: (randn(r, d, 3, 4), _S_IDX, np.array(1.5, d)),
           lambda x, i, s, axis: _scatter_ref(x, i, s, axis, add=False), attrs={"axis": 0},
           grad=(0, 2), name="scalar_src"),
    OpSpec("index_select", lambda r, d: (randn(r, d, 4, 3), _ints(0, 3, 3, 1)),
           lambda x, i, axis: x[i], attrs={"axis": 0}, grad=(0,), second_order=True),
    OpSpec("index_select", lambda r, d: (randn(r, d, 2, 4), _ints(2, 2, 0)),
           lambda x, i, axis: x[:, i], attrs={"axis": -1}, grad=(0,), name="axis1"),
    OpSpec("index_add", lambda r, d: (randn(r, d, 4, 3), _ints(1, 3, 1), randn(r, d, 3, 3)),
           _index_add_ref, attrs={"axis": 0}, grad=(0, 2), second_order=True),
    OpSpec("index_add", lambda r, d: (randn(r, d, 2, 3), _ints(0, 0), randn(r, d, 2, 2)),
           _index_add_ref, attrs={"axis": 1}, grad=(0, 2), name="axis1"),
    OpSpec("pad", lambda r, d: (randn(r, d, 2, 3, 4),), _pad_ref,
           attrs={"pads": (1, 2, 0, 1), "value": 0.5}, second_order=True),
    OpSpec("pad", lambda r, d: (randn(r, d, 2, 3, 4),),
           lambda x, pads: _pad_ref(x[:, :, 1:], (0, 1)), attrs={"pads": (-1, 1)}, name="crop"),
    OpSpec("pad", lambda r, d: (randn(r, d, 1, 2, 3, 4),), _pad_ref,
           attrs={"pads": (2, 3, 1, 2), "mode": "reflect"}, name="reflect",
           covers=("pad_grad",), second_order=True),
    OpSpec("pad", lambda r, d: (randn(r, d, 2, 3, 4),), _pad_ref,
           attrs={"pads": (1, 3, 2, 0), "mode": "replicate"}, name="replicate"),
    OpSpec("pad", lambda r, d: (randn(r, d, 2, 3, 4),), _pad_ref,
           attrs={"pads": (4, 1, 0, 3), "mode": "circular"}, name="circular"),
    OpSpec("pad_grad", lambda r, d: (randn(r, d, 2, 9),), _pad_grad_ref,
           attrs={"pads": (3, 2), "mode": "reflect"}),
]

# A 0-d integer tensor index removes its dim, as in NumPy and PyTorch (x[:, t] with t = 1).
SPECS.append(OpSpec("getitem", lambda r, d: (randn(r, d, 2, 3, 4), np.array(1)),
                    lambda x, t, index: x[:, 1], name="zero_dim_int_tensor",
                    attrs={"index": (("slice", None, None, None), ("tensor",))}, grad=(0,)))


# ---------------------------------------------------------------- value-dependent shapes


def _nonzero_ref(x):
    rows = [pos for pos in np.ndindex(*x.shape) if x[pos] != 0]
    return np.array(rows, dtype=np.int64).reshape(len(rows), x.ndim)


def _masked_select_ref(x, mask):
    shape = np.broadcast_shapes(x.shape, mask.shape)
    xb, mb = np.broadcast_to(x, shape), np.broadcast_to(mask, shape)
    return np.array([xb[pos] for pos in np.ndindex(*shape) if mb[pos]], dtype=x.dtype)


def _sparse(r, d, *shape):
    """Normal samples with about half of the entries exactly zero."""
    x = randn(r, d, *shape)
    return np.where(r.random(shape) < 0.5, 0, x).astype(d)


SPECS += [
    OpSpec("nonzero", lambda r, d: (_sparse(r, d, 3, 4),), _nonzero_ref,
           data_dependent_shape=True),
    OpSpec("nonzero", lambda r, d: (_sparse(r, d, 2, 3, 2) > 0,), _nonzero_ref, name="bool3d",
           data_dependent_shape=True),
    OpSpec("masked_select", lambda r, d: (randn(r, d, 2, 3), _MASK), _masked_select_ref,
           grad=(0,), second_order=True, covers=("masked_select_grad",),
           data_dependent_shape=True),
    OpSpec("masked_select", lambda r, d: (randn(r, d, 1, 3), _MASK), _masked_select_ref,
           name="broadcast", grad=(0,), second_order=True, data_dependent_shape=True),
]
