"""Less common converters, all compositions of registry ops: scatter/gather variants, OneHot,
EyeLike, DepthToSpace/SpaceToDepth, Hardmax, Swish, Shrink, hyperbolic and tangent functions,
Group/RMS/Lp/MeanVariance normalization, and the two ONNX losses."""
from __future__ import annotations

import numpy as np

from dualnet.ops import matrix
from dualnet.ops.norm import group_norm as group_norm_op

from . import converter, ops
from .elementwise import _dtype, _like, _negative, onnx_type


def _shape(v) -> tuple:
    return tuple(v.shape)


def _wrap_negative(index, dim: int):
    """ONNX indices may count from the end: index + dim where negative (dim known)."""
    if dim == -1:
        return index
    dt = _dtype(index)
    return ops.add(index, ops.mul(ops.cast(_negative(index), dtype=dt.name),
                                  np.asarray(dim, dt)))


# ---------------------------------------------------------------- gather / scatter

@converter("ScatterElements", since=11)
def scatter_elements(ctx, node, x, index, updates):
    axis = node.attr("axis", 0) % len(_shape(x))
    index = _wrap_negative(index, _shape(x)[axis])
    reduction = node.attr("reduction", "none")
    if reduction == "none":
        return ops.scatter(x, index, updates, axis=axis)
    if reduction == "add":
        return ops.scatter_add(x, index, updates, axis=axis)
    raise ctx.error(f"reduction {reduction!r} is not supported (none, add)")


@converter("GatherND", since=11)
def gather_nd(ctx, node, x, index):
    if node.attr("batch_dims", 0):
        raise ctx.error("batch_dims > 0 is not supported")
    k = _shape(index)[-1]
    if k == -1:
        raise ctx.error("the last dim of the indices must be known")
    tensors = [ops.getitem(index, index=(("ellipsis",), ("int", j))) for j in range(k)]
    return ops.getitem(x, *tensors, index=(("tensor",),) * k)


@converter("OneHot", since=9)
def one_hot(ctx, node, indices, depth, values):
    n = int(np.asarray(ctx.static(depth, "depth")).reshape(-1)[0])
    rank = len(_shape(indices)) + 1
    axis = node.attr("axis", -1) % rank
    idx = _wrap_negative(ops.cast(indices, dtype="int64"), n)
    classes = np.arange(n, dtype=np.int64).reshape((n,) + (1,) * (rank - 1 - axis))
    hit = ops.equal(ops.unsqueeze(idx, axis=axis), classes)
    off = ops.getitem(values, index=(("int", 0),))
    on = ops.getitem(values, index=(("int", 1),))
    return ops.where(hit, on, off)


@converter("EyeLike", since=9)
def eye_like(ctx, node, x):
    n, m = _shape(x)
    if -1 in (n, m):
        raise ctx.error("EyeLike needs a known shape")
    dtype = onnx_type(ctx, node.attr("dtype")) if node.attr("dtype") is not None else _dtype(x)
    return np.eye(n, m, k=node.attr("k", 0), dtype=dtype)


@converter("DepthToSpace", since=1)
def depth_to_space(ctx, node, x):
    b = node.attr("blocksize")
    _, c, h, w = _shape(x)
    if -1 in (c, h, w):
        raise ctx.error("DepthToSpace needs known channel and spatial sizes")
    if node.attr("mode", "DCR") == "DCR":
        y = ops.transpose(ops.reshape(x, shape=(0, b, b, c // (b * b), h, w)),
                          perm=(0, 3, 4, 1, 5, 2))
    else:
        y = ops.transpose(ops.reshape(x, shape=(0, c // (b * b), b, b, h, w)),
                          perm=(0, 1, 4, 2, 5, 3))
    return ops.reshape(y, shape=(0, c // (b * b), h * b, w * b))


@converter("SpaceToDepth", since=1)
def space_to_depth(ctx, node, x):
    b = node.attr("blocksize")
    _, c, h, w = _shape(x)
    if -1 in (c, h, w):
        raise ctx.error("SpaceToDepth needs known channel and spatial sizes")
    perm = (0, 3, 5, 1, 2, 4) if node.attr("mode", "DCR") == "DCR" else (0, 1, 3, 5, 2, 4)
    y = ops.transpose(ops.reshape(x, shape=(0, c, h // b, b, w // b, b)), perm=perm)
    return ops.reshape(y, shape=(0, c * b * b, h // b, w // b))


# ---------------------------------------------------------------- elementwise extras

@converter("Hardmax", since=13)
def hardmax(ctx, node, x):
    axis = node.attr("axis", -1) % len(_shape(x))
    n = _shape(x)[axis]
    if n == -1:
        raise ctx.error("Hardmax needs a known size along its axis")
    first = ops.argmax(x, axis=axis, keepdim=True)
    classes = np.arange(n, dtype=np.int64).reshape((n,) + (1,) * (len(_shape(x)) - 1 - axis))
    return ops.cast(ops.equal(first, classes), dtype=_dtype(x).name)


@converter("Swish", since=24)
def swish(ctx, node, x):
    alpha = node.attr("alpha", 1.0)
    return ops.mul(x, ops.sigmoid(ops.mul(x, np.asarray(alpha, _dtype(x)))))


@converter("Shrink", since=9)
def shrink(ctx, node, x):
    lambd, bias = node.attr("lambd", 0.5), node.attr("bias", 0.0)
    dt = _dtype(x)
    low = ops.less(x, np.asarray(-lambd, dt))
    high = ops.greater(x, np.asarray(lambd, dt))
    shifted = ops.where(high, ops.sub(x, np.asarray(bias, dt)), np.zeros((), dt))
    return _like(ops.where(low, ops.add(x, np.asarray(bias, dt)), shifted), x)


# ---------------------------------------------------------------- normalization

def _axes_from(axis: int, ndim: int) -> tuple:
    return tuple(range(axis % ndim, ndim))


@converter("RMSNormalization", since=23)
def rms_norm(ctx, node, x, scale):
    axes = _axes_from(node.attr("axis", -1), len(_shape(x)))
    ms = ops.mean(ops.mul(x, x), axis=axes, keepdim=True)
    inv = ops.rsqrt(ops.add(ms, np.asarray(node.attr("epsilon", 1e-5), _dtype(x))))
    return ops.mul(ops.mul(x, inv), scale)


@converter("LpNormalization", since=1)
def lp_norm(ctx, node, x):
    axis = node.attr("axis", -1) % len(_shape(x))
    p = node.attr("p", 2)
    if p == 1:
        norm = ops.sum(ops.abs(x), axis=(axis,), keepdim=True)
    elif p == 2:
        norm = ops.sqrt(ops.sum(ops.mul(x, x), axis=(axis,), keepdim=True))
    else:
        raise ctx.error(f"p={p} is not supported (1 or 2)")
    zero = np.zeros((), _dtype(x))
    safe = ops.where(ops.equal(norm, zero), np.ones((), _dtype(x)), norm)
    return ops.where(ops.equal(norm, zero), zero, ops.div(x, safe))


@converter("MeanVarianceNormalization", since=9)
def mean_variance_norm(ctx, node, x):
    axes = tuple(a % len(_shape(x)) for a in node.attr("axes", (0, 2, 3)))
    mean = ops.mean(x, axis=axes, keepdim=True)
    var = ops.sub(ops.mean(ops.mul(x, x), axis=axes, keepdim=True), ops.mul(mean, mean))
    std = ops.add(ops.sqrt(var), np.asarray(1e-9, _dtype(x)))
    return ops.div(ops.sub(x, mean), std)


@converter("GroupNormalization", since=18)
def group_norm(ctx, node, x, scale, bias):
    groups = node.attr("num_groups")
    c = _shape(x)[1]
    if c == -1:
        raise ctx.error("GroupNormalization needs a known channel count")
    if node.opset < 21 and _shape(scale)[0] == groups and groups != c:  # per-group (18)
        per = c // groups
        scale = ops.reshape(ops.broadcast_to(ops.reshape(scale, shape=(groups, 1)),
                                             shape=(groups, per)), shape=(c,))
        bias = ops.reshape(ops.broadcast_to(ops.reshape(bias, shape=(groups, 1)),
                                            shape=(groups, per)), shape=(c,))
    return group_norm_op(x, groups, scale, bias, node.attr("epsilon", 1e-5))


# ---------------------------------------------------------------- losses

_REDUCTIONS = ("none", "sum", "mean")


@converter("NegativeLogLikelihoodLoss", since=12)
def nll_loss(ctx, node, logp, target, weight=None):
    reduction = node.attr("reduction", "mean")
    ignore = node.attr("ignore_index", None)
    return ops.nll_loss(logp, target, weight, reduction=reduction,
                        ignore_index=-100 if ignore is None else ignore, axis=1)


@converter("SoftmaxCrossEntropyLoss", since=12)
def softmax_cross_entropy(ctx, node, scores, labels, weight=None):
    logp = ops.log_softmax(scores, axis=1)
    reduction = node.attr("reduction", "mean")
    ignore = node.attr("ignore_index", None)
    loss = ops.nll_loss(logp, labels, weight, reduction=reduction,
                        ignore_index=-100 if ignore is None else ignore, axis=1)
    return loss, logp


@converter("Det", since=11)
def det(ctx, node, x):
    return matrix.det(x)  # sign * exp(log|det|) of the registry's slogdet
