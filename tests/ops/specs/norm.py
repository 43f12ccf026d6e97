"""Specs for dualnet/ops/norm.py: batch_norm, layer_norm and their gradient kernels.

References are written per channel / per row with plain NumPy formulas.
"""
import numpy as np

from tests.ops.spec import OpSpec, randn, uniform


def _per_channel(x):
    """(C, N * prod(spatial)) view of x: one row per channel."""
    return np.moveaxis(x, 1, 0).reshape(x.shape[1], -1).astype(np.float64)


def _to_x(rows, x):
    shape = (x.shape[1], x.shape[0]) + x.shape[2:]
    return np.moveaxis(rows.reshape(shape), 0, 1)


def bn_ref(x, w, b, rm, rv, training=False, momentum=0.1, eps=1e-5, unbiased=True):
    rows = _per_channel(x)
    c, n = rows.shape
    y = np.empty_like(rows)
    new_m, new_v = np.empty(c), np.empty(c)
    for k in range(c):
        if training or rm is None:
            mu = rows[k].sum() / n
            var = ((rows[k] - mu) ** 2).sum() / n
            batch_var = ((rows[k] - mu) ** 2).sum() / (n - 1 if unbiased else n)
            if rm is None:
                new_m[k], new_v[k] = mu, batch_var
            else:
                new_m[k] = (1 - momentum) * rm[k] + momentum * mu
                new_v[k] = (1 - momentum) * rv[k] + momentum * batch_var
        else:
            mu, var = rm[k], rv[k]
            new_m[k], new_v[k] = rm[k], rv[k]
        scale = 1.0 if w is None else w[k]
        shift = 0.0 if b is None else b[k]
        y[k] = (rows[k] - mu) / np.sqrt(var + eps) * scale + shift
    return _to_x(y, x), new_m, new_v


def bn_grad_ref(gy, x, w, rm, rv, training=False, eps=1e-5):
    rows, grows = _per_channel(x), _per_channel(gy)
    c, n = rows.shape
    gx = np.empty_like(rows)
    gw, gb = np.empty(c), np.empty(c)
    for k in range(c):
        if training:
            mu = rows[k].mean()
            var = ((rows[k] - mu) ** 2).mean()
        else:
            mu, var = rm[k], rv[k]
        r = 1.0 / np.sqrt(var + eps)
        xhat = (rows[k] - mu) * r
        wk = 1.0 if w is None else w[k]
        gb[k] = grows[k].sum()
        gw[k] = (grows[k] * xhat).sum()
        if training:
            gx[k] = wk * r * (grows[k] - gb[k] / n - xhat * gw[k] / n)
        else:
            gx[k] = grows[k] * wk * r
    return _to_x(gx, x), gw, gb


def _bn_inputs(shape, affine=True, stats=True):
    def make(r, d):
        c = shape[1]
        x = randn(r, d, *shape) * 2 + 0.5
        w = uniform(r, d, 0.5, 1.5, c) if affine else None
        b = randn(r, d, c) if affine else None
        rm = randn(r, d, c) * 0.1 if stats else None
        rv = uniform(r, d, 0.5, 2.0, c) if stats else None
        return x, w, b, rm, rv
    return make


def _bn_grad_inputs(shape, affine=True):
    def make(r, d):
        x, w, _, rm, rv = _bn_inputs(shape, affine)(r, d)
        return randn(r, d, *shape), x, w, rm, rv
    return make


def ln_ref(x, w, b, normalized_ndim, eps=1e-5):
    lead = x.shape[:x.ndim - normalized_ndim]
    rows = x.reshape(int(np.prod(lead)), -1).astype(np.float64)
    y = np.empty_like(rows)
    for i, row in enumerate(rows):
        mu = row.mean()
        y[i] = (row - mu) / np.sqrt(((row - mu) ** 2).mean() + eps)
    y = y.reshape(x.shape)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


def ln_grad_ref(gy, x, w, normalized_ndim, eps=1e-5):
    k = normalized_ndim
    lead = x.shape[:x.ndim - k]
    m = int(np.prod(lead))
    rows = x.reshape(m, -1).astype(np.float64)
    grows = gy.reshape(m, -1).astype(np.float64)
    wrow = np.ones(rows.shape[1]) if w is None else w.reshape(-1)
    gx = np.empty_like(rows)
    gw = np.zeros(rows.shape[1])
    gb = np.zeros(rows.shape[1])
    d = rows.shape[1]
    for i in range(m):
        mu = rows[i].mean()
        r = 1.0 / np.sqrt(((rows[i] - mu) ** 2).mean() + eps)
        xhat = (rows[i] - mu) * r
        a = grows[i] * wrow
        gx[i] = r * (a - a.sum() / d - xhat * (a * xhat).sum() / d)
        gw += grows[i] * xhat
        gb += grows[i]
    pshape = x.shape[x.ndim - k:]
    return gx.reshape(x.shape), gw.reshape(pshape), gb.reshape(pshape)


def _ln_inputs(shape, k, affine=True):
    def make(r, d):
        x = randn(r, d, *shape) * 2 + 0.3
        pshape = shape[len(shape) - k:]
        w = uniform(r, d, 0.5, 1.5, *pshape) if affine else None
        b = randn(r, d, *pshape) if affine else None
        return x, w, b
    return make


def _ln_grad_inputs(shape, k, affine=True):
    def make(r, d):
        x, w, _ = _ln_inputs(shape, k, affine)(r, d)
        return randn(r, d, *shape), x, w
    return make


BN = dict(grad=(0, 1, 2), grad_outputs=(0,), atol=1e-4, grad_atol=1e-4)
SPECS = [
    OpSpec("batch_norm", _bn_inputs((4, 3, 2, 2)), bn_ref, {"training": True}, "train-nchw",
           covers=("batch_norm_grad",), **BN),
    OpSpec("batch_norm", _bn_inputs((5, 3)), bn_ref, {"training": True, "momentum": 0.3},
           "train-nc", **BN),
    OpSpec("batch_norm", _bn_inputs((4, 3, 2, 2)), bn_ref,
           {"training": True, "momentum": 0.1, "unbiased": False}, "train-biased", **BN),
    OpSpec("batch_norm", _bn_inputs((3, 2, 4)), bn_ref, {"training": False}, "eval", **BN),
    OpSpec("batch_norm", _bn_inputs((3, 2, 4), affine=False), bn_ref, {"training": False},
           "eval-no-affine", grad=(0,), grad_outputs=(0,), atol=1e-4),
    OpSpec("batch_norm", _bn_inputs((3, 2, 2, 2), affine=False, stats=False), bn_ref,
           {"training": False}, "no-running-stats", grad=(0,), grad_outputs=(0,), atol=1e-4),
    OpSpec("batch_norm", _bn_inputs((3, 2, 2, 2), stats=False), bn_ref,
           {"training": True, "unbiased": False}, "no-running-stats-biased", grad=(0, 1, 2),
           grad_outputs=(0,), atol=1e-4, grad_atol=1e-4),
    OpSpec("batch_norm_grad", _bn_grad_inputs((4, 3, 2)), bn_grad_ref,
           {"training": True, "eps": 1e-5}, "train", grad=(0, 1, 2), atol=1e-4,
           grad_atol=1e-4),
    OpSpec("batch_norm_grad", _bn_grad_inputs((3, 2, 2, 2)), bn_grad_ref,
           {"training": False, "eps": 1e-5}, "eval", grad=(0, 1, 2), atol=1e-4,
           grad_atol=1e-4),
    OpSpec("layer_norm", _ln_inputs((2, 3, 4), 1), ln_ref, {"normalized_ndim": 1}, "last",
           second_order=True, covers=("layer_norm_grad",), atol=1e-4, grad_atol=1e-4),
    OpSpec("layer_norm", _ln_inputs((2, 3, 4), 2), ln_ref, {"normalized_ndim": 2}, "last2",
           second_order=True, atol=1e-4, grad_atol=1e-4),
    OpSpec("layer_norm", _ln_inputs((3, 5), 1, affine=False), ln_ref,
           {"normalized_ndim": 1, "eps": 1e-3}, "no-affine", second_order=True, atol=1e-4,
           grad_atol=1e-4),
    OpSpec("layer_norm_grad", _ln_grad_inputs((2, 3, 4), 1), ln_grad_ref,
           {"normalized_ndim": 1, "eps": 1e-5}, "affine", grad=(0, 1, 2), atol=1e-4,
           grad_atol=1e-4),
    OpSpec("layer_norm_grad", _ln_grad_inputs((3, 2, 3), 2, affine=False), ln_grad_ref,
           {"normalized_ndim": 2, "eps": 1e-5}, "no-affine", grad=(0, 1), atol=1e-4,
           grad_atol=1e-4),
]
