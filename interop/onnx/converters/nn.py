"""Network-layer converters: Gemm, MatMul, Einsum, Conv, ConvTranspose, pooling, normalization,
Softmax, LogSoftmax.

dualnet's convolution and pooling primitives are 2-D and 3-D (NCHW, NCDHW): 1-D inputs get a
height of 1; 3-D average pooling with dilation or pads larger than half the window is separable
(a 2-D pool over (H, W), then one over D); 2-D average pooling with dilation, or with pads
larger than half the window, is a depthwise convolution with a ones kernel divided by the count
of the positions each window covers.
"""
from __future__ import annotations

import numpy as np

from dualnet.ops import norm as norm_ops

from . import converter, ops
from .elementwise import _dtype


def _shape(v) -> tuple:
    return tuple(v.shape)


# ---------------------------------------------------------------- products

@converter("Gemm", since=7)
def gemm(ctx, node, a, b, c=None):
    alpha, beta = node.attr("alpha", 1.0), node.attr("beta", 1.0)
    if node.attr("transA", 0):
        a = ops.transpose(a, perm=(1, 0))
    trans_b = node.attr("transB", 0)
    n = _shape(b)[0] if trans_b else _shape(b)[1]
    fused_bias = c is not None and beta == 1.0 and _shape(c) == (n,) and n != -1
    if trans_b:
        y = ops.linear(a, b, c if fused_bias else None)
    else:
        y = ops.matmul(a, b)
        if fused_bias:
            y = ops.add(y, c)
    if alpha != 1.0:
        y = ops.mul(y, np.asarray(alpha, _dtype(y)))
    if c is not None and not fused_bias and beta != 0.0:
        y = ops.add(y, c if beta == 1.0 else ops.mul(c, np.asarray(beta, _dtype(c))))
    return y


@converter("MatMul", since=1)
def matmul(ctx, node, a, b):
    return ops.matmul(a, b)


@converter("Einsum", since=12)
def einsum(ctx, node, *xs):
    return ops.einsum(*xs, equation=node.attr("equation").replace(" ", ""))


# ---------------------------------------------------------------- geometry helpers

def _geometry(ctx, node, x, kernel: tuple):
    """(strides, dilations, pads begin, pads end) of a conv/pool node, auto_pad resolved."""
    n = len(kernel)
    strides = tuple(node.attr("strides") or (1,) * n)
    dilations = tuple(node.attr("dilations") or (1,) * n)
    pads = tuple(node.attr("pads") or (0,) * (2 * n))
    begin, end = list(pads[:n]), list(pads[n:])
    auto = node.attr("auto_pad", "NOTSET")
    if auto == "VALID":
        begin, end = [0] * n, [0] * n
    elif auto in ("SAME_UPPER", "SAME_LOWER"):
        sizes = _shape(x)[2:]
        for i, (size, k, s, d) in enumerate(zip(sizes, kernel, strides, dilations)):
            eff = d * (k - 1) + 1
            if size == -1:
                if s != 1:
                    raise ctx.error(f"auto_pad={auto} with stride {s} needs a known spatial "
                                    f"size, got input shape {list(_shape(x))}")
                total = eff - 1
            else:
                total = max((-(-size // s) - 1) * s + eff - size, 0)
            small = total // 2
            begin[i], end[i] = (small, total - small) if auto == "SAME_UPPER" else \
                (total - small, small)
    elif auto != "NOTSET":
        raise ctx.error(f"unknown auto_pad {auto!r}")
    return strides, dilations, tuple(begin), tuple(end)


def _to_4d(x, n_spatial: int):
    """A 1-D spatial input (N, C, L) as (N, C, 1, L)."""
    return ops.unsqueeze(x, axis=2) if n_spatial == 1 else x


def _lift(values: tuple, fill: int) -> tuple:
    return (fill,) + tuple(values) if len(values) == 1 else tuple(values)


# ---------------------------------------------------------------- convolution

@converter("Conv", since=1)
def conv(ctx, node, x, w, b=None):
    kernel = tuple(node.attr("kernel_shape") or _shape(w)[2:])
    n = len(kernel)
    if n not in (1, 2, 3):
        raise ctx.error(f"{n}-D convolution is not supported (dualnet convolves 1-D to 3-D)")
    strides, dilations, begin, end = _geometry(ctx, node, x, kernel)
    if n == 3:
        y = ops.conv3d(x, w, stride=strides, dilation=dilations, groups=node.attr("group", 1),
                       padding=tuple(v for pair in zip(begin, end) for v in pair))
        return y if b is None else ops.add(y, ops.reshape(b, shape=(-1, 1, 1, 1)))
    begin, end = _lift(begin, 0), _lift(end, 0)
    y = ops.conv2d(_to_4d(x, n), _to_4d(w, n), stride=_lift(strides, 1),
                   padding=(begin[0], end[0], begin[1], end[1]),
                   dilation=_lift(dilations, 1), groups=node.attr("group", 1))
    if n == 1:
        y = ops.squeeze(y, axis=2)
    if b is not None:
        y = ops.add(y, ops.reshape(b, shape=(-1,) + (1,) * n))
    return y


@converter("ConvTranspose", since=1)
def conv_transpose(ctx, node, x, w, b=None):
    kernel = tuple(node.attr("kernel_shape") or _shape(w)[2:])
    n = len(kernel)
    if n not in (1, 2, 3):
        raise ctx.error(f"{n}-D transposed convolution is not supported")
    strides = tuple(node.attr("strides") or (1,) * n)
    dilations = tuple(node.attr("dilations") or (1,) * n)
    out_pad = list(node.attr("output_padding") or (0,) * n)
    pads = list(node.attr("pads") or (0,) * (2 * n))
    out_shape = node.attr("output_shape")
    auto = node.attr("auto_pad", "NOTSET")
    sizes = _shape(x)[2:]
    if out_shape or auto in ("SAME_UPPER", "SAME_LOWER"):
        if -1 in sizes:
            raise ctx.error("output_shape/auto_pad need known spatial sizes")
        target = list(out_shape[-n:]) if out_shape else [s * st for s, st in zip(sizes, strides)]
        for i in range(n):
            full = (sizes[i] - 1) * strides[i] + out_pad[i] + dilations[i] * (kernel[i] - 1) + 1
            total = full - target[i]
            if total < 0:  # a larger output than the kernel reaches: more output padding
                out_pad[i] -= total
                total = 0
            half = total // 2
            pads[i], pads[i + n] = (half, total - half) if auto == "SAME_UPPER" else \
                (total - half, half)
    if n == 3:
        return _conv_transpose3d(node, x, w, b, strides, dilations, tuple(out_pad), pads)
    begin, end = _lift(tuple(pads[:n]), 0), _lift(tuple(pads[n:]), 0)
    if begin != end:  # asymmetric: pad the transposed output ourselves (crop = negative pad)
        y = ops.conv_transpose2d(_to_4d(x, n), _to_4d(w, n), stride=_lift(strides, 1),
                                 padding=(0, 0), output_padding=_lift(tuple(out_pad), 0),
                                 dilation=_lift(dilations, 1), groups=node.attr("group", 1))
        y = ops.pad(y, pads=(-begin[1], -end[1], -begin[0], -end[0]))
    else:
        y = ops.conv_transpose2d(_to_4d(x, n), _to_4d(w, n), stride=_lift(strides, 1),
                                 padding=begin, output_padding=_lift(tuple(out_pad), 0),
                                 dilation=_lift(dilations, 1), groups=node.attr("group", 1))
    if n == 1:
        y = ops.squeeze(y, axis=2)
    if b is not None:
        y = ops.add(y, ops.reshape(b, shape=(-1,) + (1,) * n))
    return y


def _conv_transpose3d(node, x, w, b, strides, dilations, out_pad, pads):
    begin, end = tuple(pads[:3]), tuple(pads[3:])
    symmetric = begin == end
    y = ops.conv_transpose3d(x, w, stride=strides, padding=begin if symmetric else (0, 0, 0),
                             output_padding=out_pad, dilation=dilations,
                             groups=node.attr("group", 1))
    if not symmetric:  # asymmetric: crop the transposed output ourselves (negative pads)
        y = ops.pad(y, pads=tuple(-v for i in (2, 1, 0) for v in (begin[i], end[i])))
    return y if b is None else ops.add(y, ops.reshape(b, shape=(-1, 1, 1, 1)))


# ---------------------------------------------------------------- pooling

def _out_len(size, k, s, d, lo, hi, ceil) -> int:
    n = (size + lo + hi - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (n - 1) * s >= size + lo:
        n -= 1
    return n


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else int(np.iinfo(dtype).min)


def _max_pool2d(x, k, s, d, lo, hi, ceil):
    fits = all(2 * max(a, b) <= dd * (kk - 1) + 1 for a, b, kk, dd in zip(lo, hi, k, d))
    if not fits:  # pads larger than half the window: pad with the lowest value ourselves
        x = ops.pad(x, pads=(lo[1], hi[1], lo[0], hi[0]), value=_lowest(_dtype(x)))
        lo = hi = (0, 0)
    return ops.max_pool2d(x, kernel_size=k, stride=s, padding=(lo[0], hi[0], lo[1], hi[1]),
                          dilation=d, ceil_mode=ceil)


def _max_pool3d(x, k, s, d, lo, hi, ceil):
    fits = all(2 * max(a, b) <= dd * (kk - 1) + 1 for a, b, kk, dd in zip(lo, hi, k, d))
    if not fits:  # pads larger than half the window: pad with the lowest value ourselves
        x = ops.pad(x, pads=(lo[2], hi[2], lo[1], hi[1], lo[0], hi[0]),
                    value=_lowest(_dtype(x)))
        lo = hi = (0, 0, 0)
    return ops.max_pool3d(x, kernel_size=k, stride=s, dilation=d, ceil_mode=ceil,
                          padding=tuple(v for pair in zip(lo, hi) for v in pair))


def _avg_pool2d(ctx, x, k, s, d, lo, hi, ceil, count_pad):
    fits = all(2 * max(a, b) <= kk for a, b, kk in zip(lo, hi, k))
    if fits and d == (1, 1):
        return ops.avg_pool2d(x, kernel_size=k, stride=s, padding=(lo[0], hi[0], lo[1], hi[1]),
                              ceil_mode=ceil, count_include_pad=bool(count_pad))
    return _avg_by_conv(ctx, x, k, s, d, lo, hi, ceil, count_pad)


def _avg_by_conv(ctx, x, k, s, d, lo, hi, ceil, count_pad):
    """Window sums by a depthwise ones-kernel convolution, divided by each window's count."""
    shape = _shape(x)
    c, hw = shape[1], shape[2:]
    if c == -1 or -1 in hw:
        raise ctx.error(f"average pooling with dilation or large pads needs known channel and "
                        f"spatial sizes, got input shape {list(shape)}")
    extra = []
    for size, kk, ss, dd, a, b in zip(hw, k, s, d, lo, hi):
        n = _out_len(size, kk, ss, dd, a, b, ceil)
        extra.append(max(0, (n - 1) * ss + dd * (kk - 1) + 1 - (size + a + b)))
    dtype = _dtype(x)
    xp = ops.pad(x, pads=(lo[1], hi[1] + extra[1], lo[0], hi[0] + extra[0]))
    sums = ops.conv2d(xp, np.ones((c, 1) + tuple(k), dtype), stride=s, dilation=d, groups=c)
    mask = np.ones(hw, dtype)
    if count_pad:
        mask = np.pad(mask, ((lo[0], hi[0]), (lo[1], hi[1])), constant_values=1)
        mask = np.pad(mask, ((0, extra[0]), (0, extra[1])))
    else:
        mask = np.pad(mask, ((lo[0], hi[0] + extra[0]), (lo[1], hi[1] + extra[1])))
    counts = ops.conv2d(mask[None, None], np.ones((1, 1) + tuple(k), dtype), stride=s,
                        dilation=d)
    return ops.div(sums, np.maximum(counts, 1))


def _pool(ctx, node, x, kind: str):
    kernel = tuple(node.attr("kernel_shape"))
    n = len(kernel)
    strides, dilations, begin, end = _geometry(ctx, node, x, kernel)
    ceil = bool(node.attr("ceil_mode", 0))
    count_pad = node.attr("count_include_pad", 0)

    def pool2d(v, k, s, d, lo, hi):
        if kind == "max":
            return _max_pool2d(v, k, s, d, lo, hi, ceil)
        return _avg_pool2d(ctx, v, k, s, d, lo, hi, ceil, count_pad)

    if n == 1:
        y = pool2d(ops.unsqueeze(x, axis=2), (1,) + kernel, (1,) + strides, (1,) + dilations,
                   (0,) + begin, (0,) + end)
        return ops.squeeze(y, axis=2)
    if n == 2:
        return pool2d(x, kernel, strides, dilations, begin, end)
    if n == 3 and kind == "max":
        return _max_pool3d(x, kernel, strides, dilations, begin, end, ceil)
    if n == 3 and dilations == (1, 1, 1) and all(
            2 * max(a, b) <= k for a, b, k in zip(begin, end, kernel)):
        return ops.avg_pool3d(x, kernel_size=kernel, stride=strides,
                              padding=tuple(v for pair in zip(begin, end) for v in pair),
                              ceil_mode=ceil, count_include_pad=bool(count_pad))
    if n == 3:  # separable: (H, W) first, then D
        _, c, depth, h, w = _shape(x)
        y = pool2d(ops.flatten(x, start_axis=1, stop_axis=2), kernel[1:], strides[1:],
                   dilations[1:], begin[1:], end[1:])
        oh, ow = _shape(y)[2:]
        if [c, depth, oh, ow].count(-1) > 1:
            raise ctx.error(f"3-D pooling needs known sizes, got input shape {list(_shape(x))}")
        y = ops.reshape(y, shape=(0, c, depth, -1 if -1 in (oh, ow) else oh * ow))
        y = pool2d(y, (kernel[0], 1), (strides[0], 1), (dilations[0], 1), (begin[0], 0),
                   (end[0], 0))
        return ops.reshape(y, shape=(0, c, _shape(y)[2], oh, ow))
    raise ctx.error(f"{n}-D pooling is not supported")


@converter("MaxPool", since=1)
def max_pool(ctx, node, x):
    y = _pool(ctx, node, x, "max")
    if len(node.outputs) < 2 or not node.outputs[1]:
        return y
    kernel = tuple(node.attr("kernel_shape"))
    if len(kernel) != 2:
        raise ctx.error("MaxPool indices are supported for 2-D pooling only")
    strides, dilations, begin, end = _geometry(ctx, node, x, kernel)
    positions = _flat_positions(ctx, x, column_major=bool(node.attr("storage_order", 0)))
    idx = ops.max_pool2d_gather(positions, x, kernel_size=kernel, stride=strides,
                                padding=(begin[0], end[0], begin[1], end[1]),
                                dilation=dilations, ceil_mode=bool(node.attr("ceil_mode", 0)))
    return y, ops.cast(idx, dtype="int64")


def _flat_positions(ctx, x, column_major: bool):
    """Each element's index in the flattened input (float64; spatial dims column-major when
    asked: ONNX's storage_order=1)."""
    flat = ops.flatten(ops.ones_like(x, dtype="float64"))
    positions = ops.reshape_like(ops.sub(ops.cumsum(flat, axis=0), 1.0), x)
    if not column_major:
        return positions
    h, w = _shape(x)[2:]
    if -1 in (h, w):
        raise ctx.error("column-major MaxPool indices need known spatial sizes")
    plane = ops.floor(ops.div(positions, float(h * w)))
    spatial = np.arange(h * w, dtype=np.float64).reshape(w, h).T
    return ops.add(ops.mul(plane, float(h * w)), spatial)


@converter("AveragePool", since=1)
def average_pool(ctx, node, x):
    return _pool(ctx, node, x, "avg")


@converter("GlobalAveragePool", since=1)
def global_average_pool(ctx, node, x):
    return ops.mean(x, axis=tuple(range(2, len(_shape(x)))), keepdim=True)


@converter("GlobalMaxPool", since=1)
def global_max_pool(ctx, node, x):
    return ops.max(x, axis=tuple(range(2, len(_shape(x)))), keepdim=True)


# ---------------------------------------------------------------- normalization

def _channel(v, ndim: int):
    return ops.reshape(v, shape=(-1,) + (1,) * (ndim - 2))


@converter("BatchNormalization", since=7)
def batch_norm(ctx, node, x, scale, bias, mean, var):
    eps = node.attr("epsilon", 1e-5)
    if node.opset < 9 and node.attr("spatial", 1) == 0:
        raise ctx.error("BatchNormalization with spatial=0 is not supported")
    training = node.attr("training_mode", 0) if node.opset >= 14 else \
        len([o for o in node.outputs if o]) > 1
    if not training:
        return ops.batch_norm(x, scale, bias, mean, var, training=False, eps=eps)[0]
    # Training: batch statistics normalize; running stats (ONNX: biased variance) are outputs.
    momentum = node.attr("momentum", 0.9)
    ndim = len(_shape(x))
    axes = (0,) + tuple(range(2, ndim))
    bmean = ops.mean(x, axis=axes, keepdim=False)
    bvar = ops.var(x, axis=axes, correction=0, keepdim=False)
    inv = ops.rsqrt(ops.add(_channel(bvar, ndim), np.asarray(eps, _dtype(x))))
    y = ops.mul(ops.sub(x, _channel(bmean, ndim)), inv)
    y = ops.add(ops.mul(y, _channel(scale, ndim)), _channel(bias, ndim))
    m = np.asarray(momentum, _dtype(x))
    run_mean = ops.add(ops.mul(mean, m), ops.mul(bmean, 1 - m))
    run_var = ops.add(ops.mul(var, m), ops.mul(bvar, 1 - m))
    return y, run_mean, run_var, bmean, bvar


@converter("InstanceNormalization", since=1)
def instance_norm(ctx, node, x, scale, bias):
    c = _shape(x)[1]
    if c == -1:
        raise ctx.error("InstanceNormalization needs a known channel count")
    return norm_ops.group_norm(x, c, scale, bias, node.attr("epsilon", 1e-5))


@converter("LayerNormalization", since=17)
def layer_norm(ctx, node, x, scale, bias=None):
    ndim = len(_shape(x))
    axis = node.attr("axis", -1) % ndim
    eps = node.attr("epsilon", 1e-5)
    normalized = _shape(x)[axis:]
    wants_stats = len([o for o in node.outputs if o]) > 1
    affine = _shape(scale) == normalized and (bias is None or _shape(bias) == normalized)
    if affine and not wants_stats:
        return ops.layer_norm(x, scale, bias, normalized_ndim=ndim - axis, eps=eps)
    axes = tuple(range(axis, ndim))
    mean = ops.mean(x, axis=axes, keepdim=True)
    centered = ops.sub(x, mean)
    var = ops.mean(ops.mul(centered, centered), axis=axes, keepdim=True)
    inv = ops.rsqrt(ops.add(var, np.asarray(eps, _dtype(x))))
    y = ops.mul(ops.mul(centered, inv), scale)
    if bias is not None:
        y = ops.add(y, bias)
    return y, mean, inv


# ---------------------------------------------------------------- softmax family

def _softmax(op_name: str):
    def convert(ctx, node, x):
        ndim = len(_shape(x))
        if node.opset >= 13:
            return getattr(ops, op_name)(x, axis=node.attr("axis", -1))
        axis = node.attr("axis", 1) % max(ndim, 1)  # opset < 13: over all dims from axis on
        if axis == ndim - 1:
            return getattr(ops, op_name)(x, axis=axis)
        flat = ops.flatten(x, start_axis=axis)
        return ops.reshape_like(getattr(ops, op_name)(flat, axis=axis), x)
    return convert


converter("Softmax", since=1)(_softmax("softmax"))
converter("LogSoftmax", since=1)(_softmax("log_softmax"))
