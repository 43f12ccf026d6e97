"""Specs for dualnet/ops/nn.py: softmax, log_softmax (+ grad kernels), dropout, embedding."""
import numpy as np

import dualnet
from dualnet.ops import apply
from tests.ops.spec import OpSpec, randn


def softmax_ref(x, axis):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax_ref(x, axis):
    x = x.astype(np.float64)
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def softmax_grad_ref(g, y, axis):
    g, y = g.astype(np.float64), y.astype(np.float64)
    return y * (g - (g * y).sum(axis=axis, keepdims=True))


def log_softmax_grad_ref(g, z, axis):
    g, z = g.astype(np.float64), z.astype(np.float64)
    return g - np.exp(z) * g.sum(axis=axis, keepdims=True)


def _grad_inputs(shape, axis, log=False):
    def make(r, d):
        x = randn(r, d, *shape)
        y = log_softmax_ref(x, axis) if log else softmax_ref(x, axis)
        return randn(r, d, *shape), y.astype(d)
    return make


def dropout_ref(x, p=0.5, training=True, broadcast_axes=()):
    """Runs the op under the spec's seed to get its mask, checks the mask (shape, values
    0 or 1/(1-p)), and computes y from it."""
    dualnet.random.manual_seed(1234)
    _, mask = apply("dropout", x, p=p, training=training, broadcast_axes=broadcast_axes)
    if not training or p == 0:
        assert mask.shape == (1,) * x.ndim and np.all(mask == 1)
    else:
        expect = tuple(1 if i in broadcast_axes else n for i, n in enumerate(x.shape))
        assert mask.shape == expect, (mask.shape, expect)
        scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
        assert np.all(np.isclose(mask, 0) | np.isclose(mask, scale)), np.unique(mask)
    return x * mask, mask


def embedding_ref(ids, w, padding_idx=None):
    out = np.empty(ids.shape + (w.shape[1],), dtype=w.dtype)
    for pos in np.ndindex(*ids.shape):
        out[pos] = w[ids[pos]]
    return out


def embedding_grad_ref(g, ids, w, padding_idx=None):
    gw = np.zeros(w.shape)
    for pos in np.ndindex(*ids.shape):
        if ids[pos] != padding_idx:
            gw[ids[pos]] += g[pos]
    return gw


def _ids(r, shape, n):
    ids = r.integers(0, n, size=shape)
    ids.reshape(-1)[:2] = 1  # a repeated id: gradients must accumulate
    return ids


SPECS = [
    OpSpec("softmax", lambda r, d: (randn(r, d, 3, 4),), softmax_ref, {"axis": 1}, "last",
           second_order=True, covers=("softmax_grad",)),
    OpSpec("softmax", lambda r, d: (randn(r, d, 3, 4, 2) * 3,), softmax_ref, {"axis": 1},
           "middle", second_order=True),
    OpSpec("softmax", lambda r, d: (randn(r, d, 4, 3) * 30,), softmax_ref, {"axis": 0},
           "large-logits"),
    OpSpec("softmax_grad", _grad_inputs((3, 4), 1), softmax_grad_ref, {"axis": 1}),
    OpSpec("log_softmax", lambda r, d: (randn(r, d, 3, 4),), log_softmax_ref, {"axis": 1},
           "last", second_order=True, covers=("log_softmax_grad",)),
    OpSpec("log_softmax", lambda r, d: (randn(r, d, 2, 3, 4) * 3,), log_softmax_ref,
           {"axis": 1}, "middle", second_order=True),
    OpSpec("log_softmax", lambda r, d: (randn(r, d, 40, 10) * 30,), log_softmax_ref,
           {"axis": 1}, "short-rows"),  # many rows of few classes: the transposed path
    OpSpec("log_softmax", lambda r, d: (randn(r, d, 2, 5) * 100,), log_softmax_ref,
           {"axis": 1}, "large-logits", rtol=1e-5),
    OpSpec("log_softmax_grad", _grad_inputs((2, 3, 4), 2, log=True), log_softmax_grad_ref,
           {"axis": 2}),
    OpSpec("dropout", lambda r, d: (randn(r, d, 4, 5),), dropout_ref,
           {"p": 0.3, "training": True, "broadcast_axes": ()}, "p0.3", random=True,
           grad_outputs=(0,)),
    OpSpec("dropout", lambda r, d: (randn(r, d, 2, 3, 4, 4),), dropout_ref,
           {"p": 0.5, "training": True, "broadcast_axes": (2, 3)}, "channels", random=True,
           grad_outputs=(0,)),
    OpSpec("dropout", lambda r, d: (randn(r, d, 3, 4),), dropout_ref,
           {"p": 0.0, "training": False, "broadcast_axes": ()}, "eval", random=True,
           grad_outputs=(0,)),
    OpSpec("dropout", lambda r, d: (randn(r, d, 3, 4),), dropout_ref,
           {"p": 1.0, "training": True, "broadcast_axes": ()}, "p1", random=True,
           grad_outputs=(0,)),
    OpSpec("embedding", lambda r, d: (_ids(r, (2, 3), 5), randn(r, d, 5, 4)), embedding_ref,
           covers=("embedding_grad",)),
    # ids avoid the padding row here: it gets no gradient, unlike finite differences say
    OpSpec("embedding", lambda r, d: (_ids(r, (4,), 5), randn(r, d, 6, 3)), embedding_ref,
           {"padding_idx": -1}, "padding"),
    OpSpec("embedding_grad",
           lambda r, d: (randn(r, d, 2, 3, 4), _ids(r, (2, 3), 5), randn(r, d, 5, 4)),
           embedding_grad_ref, {"padding_idx": None}, "plain", grad=(0,)),
    OpSpec("embedding_grad",
           lambda r, d: (randn(r, d, 5, 3), _ids(r, (5,), 4), randn(r, d, 4, 3)),
           embedding_grad_ref, {"padding_idx": 1}, "padding", grad=(0,)),
]
