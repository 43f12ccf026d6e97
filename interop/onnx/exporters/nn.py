"""Network-layer exporters: conv2d/3d, conv_transpose2d/3d, pooling (2-D and 3-D), batch_norm
(inference), layer_norm, softmax, log_softmax."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from . import exporter
from .reduce import reduce_node


def _pads(padding, n: int = 2) -> list:
    """dualnet padding (n per-dim values, or (before, after) per dim) -> ONNX [begins...,
    ends...]."""
    pairs = [(p, p) for p in padding] if len(padding) == n else \
        [(padding[2 * i], padding[2 * i + 1]) for i in range(n)]
    return [int(lo) for lo, _ in pairs] + [int(hi) for _, hi in pairs]


def _spatial(op) -> int:
    """The number of spatial dims of a conv/pool op (from its name: conv3d, max_pool2d...)."""
    return 3 if op.type.endswith("3d") else 2


def _batched(ctx, op, x: str):
    """Unbatched (C, *S) inputs get a batch dim for ONNX's Conv/Pool; returns (x, unbatch?)."""
    if len(ctx.shape(op.inputs[0])) == _spatial(op) + 1:
        return ctx.node("Unsqueeze", [x, ctx.ints([0])]), True
    return x, False


def _finish(ctx, op, y: str, unbatch: bool) -> None:
    if unbatch:
        ctx.node("Squeeze", [y, ctx.ints([0])], [ctx.output(op)])
    else:
        ctx.finish(y, ctx.output(op))


@exporter("conv2d")
@exporter("conv3d")
def conv(ctx, op):
    x, w = ctx.inputs(op)
    x, unbatch = _batched(ctx, op, x)
    a = op.attrs
    y = ctx.node("Conv", [x, w], kernel_shape=list(ctx.shape(op.inputs[1])[2:]),
                 strides=list(a["stride"]), pads=_pads(a["padding"], _spatial(op)),
                 dilations=list(a["dilation"]), group=int(a["groups"]))
    _finish(ctx, op, y, unbatch)


@exporter("conv_transpose2d")
@exporter("conv_transpose3d")
def conv_transpose(ctx, op):
    x, w = ctx.inputs(op)
    x, unbatch = _batched(ctx, op, x)
    a = op.attrs
    n = _spatial(op)
    pads, out_pad, zeros = _pads(a["padding"], n), list(a["output_padding"]), [0] * n
    for i, (p, s) in enumerate(zip(out_pad, a["stride"])):
        if p >= s:  # onnxruntime takes output_padding < stride only: the same rows come from
            end = pads[n + i]  # cropping less at the end, and zeros past the full result
            pads[n + i], zeros[i], out_pad[i] = max(end - p, 0), max(p - end, 0), 0
    y = ctx.node("ConvTranspose", [x, w], kernel_shape=list(ctx.shape(op.inputs[1])[2:]),
                 strides=list(a["stride"]), pads=pads, dilations=list(a["dilation"]),
                 group=int(a["groups"]), output_padding=out_pad)
    if any(zeros):
        y = ctx.node("Pad", [y, ctx.ints([0] * (2 + n) + [0, 0] + zeros)], mode="constant")
    _finish(ctx, op, y, unbatch)


def _onnx_ceil_len(size, k, s, d, lo, hi) -> int:
    return -(-(size + lo + hi - d * (k - 1) - 1) // s) + 1


def _crop_ceil(ctx, op, y: str, dilation=None) -> str:
    """ONNX's ceil_mode keeps a last window that starts in the trailing padding; PyTorch (and
    dualnet) drop it: slice it off when the output sizes differ."""
    a = op.attrs
    if not a["ceil_mode"]:
        return y
    n = _spatial(op)
    dilation = dilation or (1,) * n
    sizes = ctx.shape(op.inputs[0])[-n:]
    want = ctx.shape(op.outputs[0])[-n:]
    pads = _pads(a["padding"], n)
    k, s = a["kernel_size"], a["stride"] or a["kernel_size"]
    crop_axes, ends = [], []
    for i, (size, w) in enumerate(zip(sizes, want)):
        if size == -1:
            raise ctx.error(op, "ceil_mode needs known spatial sizes")
        if _onnx_ceil_len(size, k[i], s[i], dilation[i], pads[i], pads[n + i]) != w:
            crop_axes.append(2 + i)
            ends.append(w)
    if not crop_axes:
        return y
    return ctx.node("Slice", [y, ctx.ints([0] * len(ends)), ctx.ints(ends),
                              ctx.ints(crop_axes)])


@exporter("max_pool2d")
@exporter("max_pool3d")
def max_pool(ctx, op):
    (x,) = ctx.inputs(op)
    x, unbatch = _batched(ctx, op, x)
    a = op.attrs
    y = ctx.node("MaxPool", [x], kernel_shape=list(a["kernel_size"]),
                 strides=list(a["stride"] or a["kernel_size"]),
                 pads=_pads(a["padding"], _spatial(op)), dilations=list(a["dilation"]),
                 ceil_mode=int(a["ceil_mode"]))
    _finish(ctx, op, _crop_ceil(ctx, op, y, a["dilation"]), unbatch)


@exporter("avg_pool2d")
@exporter("avg_pool3d")
def avg_pool(ctx, op):
    (x,) = ctx.inputs(op)
    x, unbatch = _batched(ctx, op, x)
    a = op.attrs
    k = list(a["kernel_size"])
    divisor = a.get("divisor_override")
    y = ctx.node("AveragePool", [x], kernel_shape=k, strides=list(a["stride"] or k),
                 pads=_pads(a["padding"], _spatial(op)), ceil_mode=int(a["ceil_mode"]),
                 count_include_pad=int(a["count_include_pad"] or bool(divisor)))
    if divisor:  # windows are averaged over prod(k) (all inside the padded input): rescale
        if a["ceil_mode"]:
            raise ctx.error(op, "divisor_override with ceil_mode cannot be exported")
        scale = np.asarray(float(np.prod(k)) / divisor, ctx.dtype(op.inputs[0]))
        y = ctx.node("Mul", [y, ctx.const(scale)])
    _finish(ctx, op, _crop_ceil(ctx, op, y), unbatch)


@exporter("adaptive_avg_pool2d")
@exporter("adaptive_avg_pool3d")
def adaptive_avg_pool(ctx, op):
    (x,) = ctx.inputs(op)
    x, unbatch = _batched(ctx, op, x)
    n = _spatial(op)
    sizes = ctx.shape(op.inputs[0])[-n:]
    out = [h if o is None else o for o, h in zip(op.attrs["output_size"], sizes)]
    if out == [1] * n:
        y = ctx.node("GlobalAveragePool", [x])
    elif -1 in sizes:
        raise ctx.error(op, f"output size {out} needs the known input size, got {list(sizes)}")
    elif not any(h % o for h, o in zip(sizes, out)):
        k = [h // o for h, o in zip(sizes, out)]
        y = ctx.node("AveragePool", [x], kernel_shape=k, strides=k)
    else:  # PyTorch's windows [floor(i h / o), ceil((i + 1) h / o)): a mean per bin and axis
        y = x
        for axis, (h, o) in enumerate(zip(sizes, out)):
            if h == o:
                continue
            pieces = []
            for i in range(o):
                lo, hi = (i * h) // o, -(-((i + 1) * h) // o)
                part = ctx.node("Slice", [y, ctx.ints([lo]), ctx.ints([hi]),
                                          ctx.ints([2 + axis])])
                pieces.append(reduce_node(ctx, "ReduceMean", part, [2 + axis], True))
            y = ctx.node("Concat", pieces, axis=2 + axis)
    _finish(ctx, op, y, unbatch)


def _channel_vector(ctx, op, name: str, fill: float, x_var) -> str:
    """A per-channel input, or a constant when the op got None."""
    if name:
        return name
    c = ctx.shape(x_var)[1]
    if c == -1:
        raise ctx.error(op, "the channel count must be known")
    return ctx.const(np.full((c,), fill, ctx.dtype(x_var)))


@exporter("batch_norm")
def batch_norm(ctx, op):
    x, w, b, mean, var = ctx.inputs(op)
    a = op.attrs
    xv = op.inputs[0]
    w = _channel_vector(ctx, op, w, 1.0, xv)
    b = _channel_vector(ctx, op, b, 0.0, xv)
    if a["training"]:  # no running statistics: normalize with the batch's own
        _batch_stats_norm(ctx, op, x, w, b)
        return
    ctx.node("BatchNormalization", [x, w, b, mean, var], [ctx.output(op)],
             epsilon=float(a["eps"]))
    for i, src in ((1, mean), (2, var)):  # the (unchanged) running statistics, if read
        if ctx.needed(op.outputs[i]):
            ctx.node("Identity", [src], [ctx.output(op, i)])


def _batch_stats_norm(ctx, op, x, w, b) -> None:
    """Batch norm with the batch's statistics; outputs 1 and 2 are the batch mean and the
    unbiased batch variance, or the biased one with unbiased=False (what dualnet returns
    without running statistics)."""
    xv = op.inputs[0]
    dtype = ctx.dtype(xv)
    ndim = len(ctx.shape(xv))
    axes = [0] + list(range(2, ndim))
    m = reduce_node(ctx, "ReduceMean", x, axes, True)
    centered = ctx.node("Sub", [x, m])
    v = reduce_node(ctx, "ReduceMean", ctx.node("Mul", [centered, centered]), axes, True)
    eps = ctx.const(np.asarray(op.attrs["eps"], dtype))
    y = ctx.node("Div", [centered, ctx.node("Sqrt", [ctx.node("Add", [v, eps])])])
    shape = ctx.ints([-1] + [1] * (ndim - 2))
    y = ctx.node("Mul", [y, ctx.node("Reshape", [w, shape])])
    ctx.node("Add", [y, ctx.node("Reshape", [b, shape])], [ctx.output(op)])
    if ctx.needed(op.outputs[1]):
        ctx.node("Reshape", [m, ctx.ints([-1])], [ctx.output(op, 1)])
    if ctx.needed(op.outputs[2]) and not op.attrs.get("unbiased", True):
        ctx.node("Reshape", [v, ctx.ints([-1])], [ctx.output(op, 2)])
    elif ctx.needed(op.outputs[2]):  # n / (n - 1) with n = size / channels, read at run time
        n = ctx.node("Cast", [ctx.node("Size", [x])], to=onnx_type(dtype))
        n = ctx.node("Div", [n, ctx.node("Cast", [ctx.shape_of(x, 1, 2)],
                                         to=onnx_type(dtype))])
        one = ctx.const(np.asarray(1.0, dtype))
        ratio = ctx.node("Div", [n, ctx.node("Sub", [n, one])])
        ctx.node("Mul", [ctx.node("Reshape", [v, ctx.ints([-1])]), ratio],
                 [ctx.output(op, 2)])


def onnx_type(dtype) -> int:
    return dtypes.np_to_onnx(dtype)


def _layer_norm_parts(ctx, op):
    x, w, b = ctx.inputs(op)
    xv = op.inputs[0]
    k = op.attrs["normalized_ndim"]
    shape = ctx.shape(xv)[-k:]
    if not w:
        if -1 in shape:
            raise ctx.error(op, "layer_norm without weight needs known normalized dims")
        w = ctx.const(np.ones(shape, ctx.dtype(xv)))
    return x, w, b, k


@exporter("layer_norm")
def layer_norm_decomposed(ctx, op):
    x, w, b, k = _layer_norm_parts(ctx, op)
    xv = op.inputs[0]
    axes = list(range(len(ctx.shape(xv)) - k, len(ctx.shape(xv))))
    centered = ctx.node("Sub", [x, reduce_node(ctx, "ReduceMean", x, axes, True)])
    var = reduce_node(ctx, "ReduceMean", ctx.node("Mul", [centered, centered]), axes, True)
    eps = ctx.const(np.asarray(op.attrs["eps"], ctx.dtype(xv)))
    y = ctx.node("Div", [centered, ctx.node("Sqrt", [ctx.node("Add", [var, eps])])])
    y = ctx.node("Mul", [y, w])
    if b:
        ctx.node("Add", [y, b], [ctx.output(op)])
    else:
        ctx.finish(y, ctx.output(op))


@exporter("layer_norm", since=17)
def layer_norm(ctx, op):
    x, w, b, k = _layer_norm_parts(ctx, op)
    ctx.node("LayerNormalization", [x, w] + ([b] if b else []), [ctx.output(op)], axis=-k,
             epsilon=float(op.attrs["eps"]))


@exporter("softmax")
def softmax(ctx, op):
    ctx.node("Softmax", ctx.inputs(op), [ctx.output(op)], axis=int(op.attrs["axis"]))


@exporter("log_softmax")
def log_softmax(ctx, op):
    ctx.node("LogSoftmax", ctx.inputs(op), [ctx.output(op)], axis=int(op.attrs["axis"]))


# ---------------------------------------------------------------- losses and random values

@exporter("nll_loss")
def nll_loss(ctx, op):
    logp, target, weight = ctx.inputs(op)
    a = op.attrs
    if a.get("label_smoothing"):
        raise ctx.error(op, "label smoothing has no ONNX counterpart")
    ndim = len(ctx.shape(op.inputs[0]))
    if a["axis"] != 1 and ndim > 1:  # ONNX puts the classes on axis 1
        rest = [d for d in range(1, ndim) if d != a["axis"]]
        logp = ctx.node("Transpose", [logp], perm=[0, a["axis"]] + rest)
    ins = [logp, target] + ([weight] if weight else [])
    ctx.node("NegativeLogLikelihoodLoss", ins, [ctx.output(op)], reduction=a["reduction"],
             ignore_index=int(a["ignore_index"]))


@exporter("binary_cross_entropy")
def binary_cross_entropy(ctx, op):
    """-w (t log x + (1 - t) log(1 - x)), logs clamped at -100 (PyTorch), then reduced."""
    x, t, w = ctx.inputs(op)
    dtype = ctx.dtype(op.inputs[0])
    one, floor = ctx.const(np.asarray(1.0, dtype)), ctx.const(np.asarray(-100.0, dtype))
    log_x = ctx.node("Max", [ctx.node("Log", [x]), floor])
    log_1mx = ctx.node("Max", [ctx.node("Log", [ctx.node("Sub", [one, x])]), floor])
    loss = ctx.node("Add", [ctx.node("Mul", [log_x, t]),
                            ctx.node("Mul", [log_1mx, ctx.node("Sub", [one, t])])])
    loss = ctx.node("Neg", [loss])
    if w:
        loss = ctx.node("Mul", [loss, w])
    reduction = op.attrs.get("reduction", "mean")
    if reduction != "none":
        loss = reduce_node(ctx, "ReduceSum" if reduction == "sum" else "ReduceMean", loss,
                           None, False)
    ctx.finish(loss, ctx.output(op))


def _random(node_type: str, params):
    def export(ctx, op):
        a = op.attrs
        ctx.node(node_type, [], [ctx.output(op)], shape=list(a["shape"]),
                 dtype=dtypes.np_to_onnx(a["dtype"]), **params(a))
    return export


exporter("uniform_random")(_random("RandomUniform",
                                   lambda a: {"low": float(a["low"]), "high": float(a["high"])}))
exporter("gaussian_random")(_random("RandomNormal",
                                    lambda a: {"mean": float(a["mean"]), "scale": float(a["std"])}))
