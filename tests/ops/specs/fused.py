"""Specs for dualnet/ops/fused.py: fused_linear, fused_conv2d (+ batch norm, + max pooling),
log_softmax_nll_loss (+ its gradient kernel) and fused_elementwise. The references compose the
unfused NumPy formulas."""
import math

import numpy as np

from tests.ops.spec import OpSpec, randn, uniform
from tests.ops.specs.conv import conv2d_ref
from tests.ops.specs.loss import nll_grad_ref, nll_ref
from tests.ops.specs.pool import max_pool2d_ref


def _act(y, activation):
    if activation == "relu":
        return np.maximum(y, 0)
    if activation == "tanh":
        return np.tanh(y)
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-y))
    return y


def linear_ref(x, w, b, transpose_w=False, activation="none"):
    w64 = w.astype(np.float64)
    wm = w64.T if transpose_w else w64
    y = (x.astype(np.float64)[..., :, None] * wm).sum(axis=-2)
    if b is not None:
        y = y + b
    return _act(y, activation).astype(x.dtype)


def conv_ref(x, w, b, activation="none", **conv):
    y = conv2d_ref(x[None] if x.ndim == 3 else x, w, **conv).astype(np.float64)
    y = y[0] if x.ndim == 3 else y
    if b is not None:
        y = y + b
    return _act(y, activation).astype(x.dtype)


def conv_pool_ref(x, w, b, activation="none", pool_kernel_size=2, pool_stride=None,
                  pool_padding=0, pool_dilation=1, pool_ceil_mode=False, **conv):
    """max_pool2d of act(conv2d + b): the unfused order (the kernel pools first)."""
    return max_pool2d_ref(conv_ref(x, w, b, activation, **conv), kernel_size=pool_kernel_size,
                          stride=pool_stride, padding=pool_padding, dilation=pool_dilation,
                          ceil_mode=pool_ceil_mode)


def _conv_pool(xshape, wshape, bshape):
    def make(r, d):
        return (randn(r, d, *xshape), randn(r, d, *wshape),
                None if bshape is None else randn(r, d, *bshape))
    return make


def log_softmax(x, axis):
    x = x.astype(np.float64)
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ce_ref(x, target, weight, **attrs):
    logp = log_softmax(x, attrs["axis"])
    return nll_ref(logp, target, weight, **attrs), logp.astype(x.dtype)


def ce_grad_ref(g, logp, target, weight, **attrs):
    gl = nll_grad_ref(np.asarray(g, np.float64), logp, target, weight, **attrs)
    return gl - np.exp(logp.astype(np.float64)) * gl.sum(axis=attrs["axis"], keepdims=True)


def _ce(reduction="mean", ignore_index=-100, axis=1, label_smoothing=0.0):
    return {"reduction": reduction, "ignore_index": ignore_index, "axis": axis,
            "label_smoothing": label_smoothing}


def _ce_inputs(shape, axis=1, weight=False, ignore=None, grad=None):
    """(x, target, weight) logits; with grad="mean"/"none": (g, logp, target, weight)."""
    def make(r, d):
        x = randn(r, d, *shape)
        c = shape[axis]
        t = r.integers(0, c, size=tuple(n for i, n in enumerate(shape) if i != axis))
        if ignore is not None:
            t.reshape(-1)[1] = ignore
        w = uniform(r, d, 0.5, 2.0, c) if weight else None
        if grad is None:
            return x, t, w
        g = randn(r, d, *t.shape) if grad == "none" else np.asarray(1.7, dtype=d)
        return g, log_softmax(x, axis).astype(d), t, w
    return make


def _lin(xs, ws, transpose_w=False, bias=True):
    n = ws[0] if transpose_w else ws[1]
    return lambda r, d: (randn(r, d, *xs), randn(r, d, *ws),
                         randn(r, d, n) if bias else None)


def _elementwise_ref(*xs, program):
    ops = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
           "maximum": np.maximum, "minimum": np.minimum, "neg": np.negative, "exp": np.exp,
           "log": np.log, "tanh": np.tanh, "sqrt": np.sqrt, "abs": np.abs,
           "relu": lambda v: np.maximum(v, 0), "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
           "erf": np.vectorize(math.erf)}
    vals = [np.asarray(x, np.float64) for x in xs]
    for name, a, b in program:
        vals.append(ops[name](vals[a]) if b == -1 else ops[name](vals[a], vals[b]))
    return vals[-1].astype(xs[0].dtype)


# gelu (tanh form) as the executor would fuse it: inputs x, 0.5, 1.0, sqrt(2/pi), 0.044715
GELU = (("mul", 0, 0), ("mul", 5, 0), ("mul", 6, 4), ("add", 0, 7), ("mul", 8, 3),
        ("tanh", 9, -1), ("add", 10, 2), ("mul", 0, 1), ("mul", 12, 11))


def _gelu_inputs(r, d):
    c = [np.asarray(v, dtype=d) for v in (0.5, 1.0, np.sqrt(2 / np.pi), 0.044715)]
    return (randn(r, d, 3, 5), *c)


TOL = dict(atol=1e-4, rtol=1e-4)


def conv_bn_ref(x, w, gamma, beta, mean, var, eps=1e-5, **conv):
    """batch_norm (eval) of the conv2d output, in that order: the unfused formula."""
    y = conv2d_ref(x, w, **conv).astype(np.float64)
    c = (-1, 1, 1)
    y = (y - mean.reshape(c)) / np.sqrt(var.reshape(c) + eps)
    if gamma is not None:
        y = y * gamma.reshape(c)
    if beta is not None:
        y = y + beta.reshape(c)
    return y.astype(x.dtype)


def _conv_bn(affine=True):
    def make(r, d):
        return (randn(r, d, 2, 3, 6, 5), randn(r, d, 4, 3, 3, 3),
                uniform(r, d, 0.5, 1.5, 4) if affine else None,
                randn(r, d, 4) if affine else None, randn(r, d, 4), uniform(r, d, 0.5, 2.0, 4))
    return make

SPECS = [
    OpSpec("fused_linear", _lin((4, 3), (3, 5)), linear_ref,
           attrs={"activation": "relu"}, name="paddle-relu"),
    OpSpec("fused_linear", _lin((4, 3), (5, 3), transpose_w=True), linear_ref,
           attrs={"transpose_w": True, "activation": "tanh"}, name="torch-tanh",
           second_order=True),
    OpSpec("fused_linear", _lin((2, 4, 3), (3, 5)), linear_ref,
           attrs={"activation": "sigmoid"}, name="3d-sigmoid", second_order=True),
    OpSpec("fused_linear", _lin((2, 4, 3), (5, 3), transpose_w=True), linear_ref,
           attrs={"transpose_w": True}, name="3d-torch", second_order=True),
    OpSpec("fused_linear", _lin((4, 3), (3, 5), bias=False), linear_ref,
           attrs={"activation": "relu"}, name="no-bias"),
    OpSpec("fused_linear", _lin((3,), (3, 5)), linear_ref, name="1d", second_order=True),
    OpSpec("fused_linear", _lin((3,), (5, 3), transpose_w=True), linear_ref,
           attrs={"transpose_w": True}, name="1d-torch"),
    OpSpec("fused_conv2d", lambda r, d: (randn(r, d, 2, 3, 6, 5), randn(r, d, 4, 3, 3, 3),
                                         randn(r, d, 4, 1, 1)),
           conv_ref, attrs={"activation": "relu"}, name="relu", **TOL),
    OpSpec("fused_conv2d", lambda r, d: (randn(r, d, 2, 4, 5, 5), randn(r, d, 6, 2, 3, 3),
                                         randn(r, d, 1, 6, 1, 1)),
           conv_ref, attrs={"groups": 2, "padding": (1, 1), "stride": (2, 1),
                            "activation": "tanh"}, name="groups-tanh", second_order=True,
           **TOL),
    OpSpec("fused_conv2d", lambda r, d: (randn(r, d, 3, 5, 5), randn(r, d, 2, 3, 2, 2), None),
           conv_ref, name="3d-no-bias", **TOL),
    OpSpec("fused_conv2d_max_pool2d", _conv_pool((2, 3, 8, 7), (4, 3, 3, 3), (4, 1, 1)),
           conv_pool_ref, attrs={"activation": "relu", "pool_kernel_size": 2}, name="relu",
           **TOL),
    OpSpec("fused_conv2d_max_pool2d", _conv_pool((1, 1, 9, 9), (6, 1, 5, 5), (1, 6, 1, 1)),
           conv_pool_ref, attrs={"padding": (2, 2), "pool_kernel_size": 3, "pool_stride": 2,
                                 "pool_padding": 1, "pool_ceil_mode": True},
           name="c1-padded-ceil", **TOL),
    OpSpec("fused_conv2d_max_pool2d", _conv_pool((4, 7, 6), (6, 2, 2, 3), None),
           conv_pool_ref, attrs={"groups": 2, "stride": (1, 2), "dilation": (2, 1),
                                 "activation": "relu", "pool_kernel_size": (2, 1),
                                 "pool_dilation": (2, 1)}, name="3d-groups-dilated", **TOL),
    OpSpec("fused_conv2d_bn", _conv_bn(), conv_bn_ref, attrs={"padding": (1, 1), "eps": 1e-3},
           name="affine", **TOL),
    OpSpec("fused_conv2d_bn", _conv_bn(affine=False), conv_bn_ref,
           attrs={"stride": (2, 1)}, name="no-affine", **TOL),
    OpSpec("log_softmax_nll_loss", _ce_inputs((5, 4)), ce_ref, attrs=_ce(), name="mean",
           grad=(0,), second_order=True, covers=("log_softmax_nll_loss_grad",)),
    OpSpec("log_softmax_nll_loss", _ce_inputs((5, 4), ignore=2), ce_ref,
           attrs=_ce("sum", ignore_index=2), name="sum-ignore", grad=(0,)),
    OpSpec("log_softmax_nll_loss", _ce_inputs((5, 4), weight=True), ce_ref,
           attrs=_ce("none", label_smoothing=0.2), name="weight-smoothing", grad=(0,)),
    OpSpec("log_softmax_nll_loss", _ce_inputs((2, 3, 4)), ce_ref, attrs=_ce(), name="3d",
           grad=(0,)),
    OpSpec("log_softmax_nll_loss_grad", _ce_inputs((5, 4), grad="mean"), ce_grad_ref,
           attrs=_ce(), name="mean", grad=(0, 1)),
    OpSpec("log_softmax_nll_loss_grad", _ce_inputs((5, 4), ignore=1, grad="mean"),
           ce_grad_ref, attrs=_ce(ignore_index=1), name="mean-ignore", grad=(0, 1)),
    OpSpec("log_softmax_nll_loss_grad", _ce_inputs((5, 4), grad="none"), ce_grad_ref,
           attrs=_ce("none"), name="none", grad=(0, 1)),
    OpSpec("log_softmax_nll_loss_grad", _ce_inputs((5, 4), weight=True, grad="mean"),
           ce_grad_ref, attrs=_ce(label_smoothing=0.1), name="weight-smoothing", grad=(0, 1)),
    OpSpec("log_softmax_nll_loss_grad", _ce_inputs((2, 3, 4), grad="none"), ce_grad_ref,
           attrs=_ce("none"), name="3d", grad=(0, 1)),
    OpSpec("fused_elementwise", _gelu_inputs, _elementwise_ref, attrs={"program": GELU},
           name="gelu"),
    OpSpec("fused_elementwise", lambda r, d: (randn(r, d, 3, 4), randn(r, d, 4),
                                              uniform(r, d, 0.5, 2.0, 3, 4)),
           _elementwise_ref, name="broadcast-chain",
           attrs={"program": (("add", 0, 1), ("relu", 3, -1), ("div", 4, 2), ("exp", 5, -1),
                              ("sigmoid", 6, -1), ("sub", 1, 7), ("neg", 8, -1))}),
    OpSpec("fused_elementwise", lambda r, d: (randn(r, d, 4), randn(r, d, 3, 4)),
           _elementwise_ref, name="grows",
           attrs={"program": (("exp", 0, -1), ("mul", 2, 1), ("maximum", 3, 0),
                              ("abs", 4, -1), ("sqrt", 5, -1), ("minimum", 1, 6),
                              ("erf", 7, -1))}),
]
