"""Fused primitives and the out= protocol: what the static Executor's passes rewrite plans into
(dualnet_static/passes; DESIGN.md section 2: a composite becomes a primitive only for numerics
or speed).

    fused_linear(x, w, b; transpose_w, activation)      act(x @ w + b); w is [in, out] (Paddle),
                                                        or [out, in] (PyTorch) when transpose_w;
                                                        act may also be log_softmax or softmax
                                                        over the last axis (a classifier head)
    fused_conv2d(x, w, b; conv2d attrs, activation)     act(conv2d(x, w) + b); b broadcasts to the
                                                        output without growing it ([C, 1, 1])
    fused_conv2d_bn(x, w, gamma, beta, mean, var; conv2d attrs, eps)
                                                        batch_norm(conv2d(x, w)) in eval mode
    fused_conv2d_max_pool2d(x, w, b; conv2d attrs, activation, pool_* max_pool2d attrs)
                                                        max_pool2d(act(conv2d(x, w) + b)), b per
                                                        channel, act relu or none (inference)
    log_softmax_nll_loss(x, target, weight; axis, reduction, ignore_index, label_smoothing)
                                                        -> (nll_loss(logp, ...), logp)
    log_softmax_nll_loss_grad(g, logp, target, weight; same attrs)
                                                        log_softmax_grad(nll_loss_grad(...))
    fused_elementwise(*xs; program)                     a chain of elementwise ops in one call

Each kernel computes what the unfused ops compute, in the same arithmetic order (so a plan with
and without fusion agrees bit for bit), writing its intermediates in place. Gradient rules reuse
the rules of the unfused ops, so backward and double backward see the same registered ops.

The out= protocol (used by the memory planner, dualnet_static/passes/memory.py):
`OUT_KERNELS[name] = (forward_out, elementwise)` where `forward_out(xp, out, *arrays, **attrs)`
returns exactly what `forward(xp, *arrays, **attrs)` returns, written into `out` when `out` is an
array of the result's shape and dtype, else into a new array; the result never aliases an input
(unless it is `out`). `elementwise` says `out` may be one of the inputs (a ufunc reads each
element before writing it). Kernels stay pure: a forward_out writes only into `out`, which the
caller owns (a dead intermediate's buffer).
"""
from __future__ import annotations

import math

import numpy as np

from .common import check_same_dtype, maximum_zero
from .conv import conv2d_forward, conv_attrs
from .linalg import gemm
from .nn import log_softmax_columns, short_rows
from .registry import Meta, get, register
from .shape import sum_to_like

ACTIVATIONS = ("none", "relu", "tanh", "sigmoid")
HEADS = ("log_softmax", "softmax")  # fused_linear only: over the last axis


def _activation(name, allowed: tuple = ACTIVATIONS) -> str:
    if name not in allowed:
        raise ValueError(f"activation must be one of {', '.join(allowed)}, got {name!r}")
    return name


def _activate(xp, y, activation: str):
    """act(y), in place: y is a fresh array the kernel owns."""
    if activation == "relu":
        return maximum_zero(xp, y, out=y)
    if activation == "tanh":
        return xp.tanh(y, out=y)
    if activation == "sigmoid":
        return get("sigmoid").forward(xp, y)
    return y


def _activation_vjp(g, out, activation: str):
    """The gradient through act given its output: the activation op's own rule."""
    if activation == "none":
        return g
    if activation in HEADS:
        return get(activation).vjp(g, None, out=out, axis=out.ndim - 1)[0]
    return get(activation).vjp(g, None, out=out)[0]


def _dims(shape) -> str:
    return "[" + ", ".join("?" if d == -1 else str(d) for d in shape) + "]"


def _same_dim(a: int, b: int) -> bool:
    return a == b or a == -1 or b == -1


def _float_dtype(*metas: Meta) -> np.dtype:
    dtype = check_same_dtype(*metas)
    if dtype.kind not in "fc":
        raise TypeError(f"expected floating point inputs, got {dtype}")
    return dtype


# ---------------------------------------------------------------- fused_linear

def _linear_canon(x, w, b, transpose_w=False, activation="none") -> dict:
    return {"transpose_w": bool(transpose_w),
            "activation": _activation(activation, ACTIVATIONS + HEADS)}


def _linear_infer(x: Meta, w: Meta, b: Meta | None, *, transpose_w=False,
                  activation="none") -> Meta:
    dtype = _float_dtype(x, w, b)
    layout = "[out, in]" if transpose_w else "[in, out]"
    if w.ndim != 2:
        raise ValueError(f"weight must be 2-D {layout}, got {_dims(w.shape)}")
    k, n = (w.shape[1], w.shape[0]) if transpose_w else w.shape
    if x.ndim == 0 or not _same_dim(x.shape[-1], k):
        raise ValueError(f"input {_dims(x.shape)} does not match weight {_dims(w.shape)} "
                         f"{layout}: its last dim must be {k}")
    if b is not None and (b.ndim != 1 or not _same_dim(b.shape[0], n)):
        raise ValueError(f"bias {_dims(b.shape)} does not match weight {_dims(w.shape)}: "
                         f"expected [{n}]")
    return Meta(tuple(x.shape[:-1]) + (n,), dtype)


def _product(xp, out, x, w, transpose_w: bool):
    """x @ w (or x @ w.T) exactly as the matmul (or linear) kernel computes it, into `out`
    when that is a buffer of the result's shape and dtype (2-D x only)."""
    if transpose_w:
        if x.ndim == 1:
            return w @ x
        if x.ndim > 2:
            lead = x.shape[:-1]
            y = gemm(xp, x.reshape(math.prod(lead), x.shape[-1]), w.T)
            return y.reshape(lead + w.shape[:1])
        w = w.T
    elif x.ndim > 2 and x.flags.c_contiguous:
        lead = x.shape[:-1]
        y = gemm(xp, x.reshape(math.prod(lead), x.shape[-1]), w)
        return y.reshape(lead + w.shape[-1:])
    if x.ndim == 2:
        if out is not None and not _fits(out, (x.shape[0], w.shape[1]), x.dtype):
            out = None
        return gemm(xp, x, w, out)
    return xp.asarray(xp.matmul(x, w))


def _fits(out, shape: tuple, dtype) -> bool:
    """Whether `out` can take a result of this shape and dtype: C-contiguous too (a strided
    buffer - a convolution's batch-last view - would change the result's layout, and with it
    the path, and the bits, of whatever reads it next)."""
    return out is not None and out.shape == shape and out.dtype == dtype and \
        out.flags.c_contiguous


def _head(xp, y, b, activation: str):
    """log_softmax or softmax of y + b over the last axis, as the unfused ops compute it. On
    the transposed copy that log_softmax takes for a few classes, the bias adds along rows
    (one pass over rows of N, not N passes over rows of C)."""
    axis = y.ndim - 1
    if activation == "log_softmax" and short_rows(y, axis):  # log_softmax's own test: the
        z = y.T.copy()                                       # same path, the same bits
        if b is not None:
            z += b[:, None]
        return log_softmax_columns(xp, z)
    if b is not None:
        y += b
    return get(activation).forward(xp, y, axis=axis)


@register("fused_linear", infer=_linear_infer, canon=_linear_canon, promote=True,
          saves=(0, 1, 2, "out"))
def fused_linear(xp, x, w, b, *, transpose_w=False, activation="none", out=None):
    """act(x @ w + b) in one call: the GEMM's result takes the bias add and the activation in
    place. w [in, out] as matmul's y, or [out, in] as linear's weight (transpose_w). `out`:
    a buffer the product may be written into (the out= kernel's; never an attr)."""
    y = _product(xp, out, x, w, transpose_w)
    if activation in HEADS:
        return _head(xp, y, b, activation)
    if b is not None:
        y += b
    return _activate(xp, y, activation)


@fused_linear.defvjp
def _fused_linear_vjp(g, x, w, b, out, *, transpose_w=False, activation="none",
                      needs_grad=(True, True, True)):
    ga = _activation_vjp(g, out, activation)
    if transpose_w:
        return get("linear").vjp(ga, x, w, b, out=None, needs_grad=needs_grad)
    gx, gw = get("matmul").vjp(ga, x, w, out=None, needs_grad=needs_grad[:2])
    gb = sum_to_like(ga, b) if b is not None and needs_grad[2] else None
    return gx, gw, gb


# ---------------------------------------------------------------- fused_conv2d

def _conv_canon(x, w, b, stride=1, padding=0, dilation=1, groups=1, activation="none"):
    attrs = conv_attrs(tuple(x.shape), tuple(w.shape), stride, padding, dilation, groups)
    attrs["activation"] = _activation(activation)
    return attrs


def _conv_infer(x: Meta, w: Meta, b: Meta | None, *, activation="none", **conv) -> Meta:
    out = get("conv2d").infer(x, w, **conv)
    _float_dtype(x, w, b)
    if b is not None:
        grown = len(b.shape) > len(out.shape) or any(
            d not in (1, -1) and not _same_dim(d, o)
            for d, o in zip(b.shape[::-1], out.shape[::-1]))
        if grown:
            raise ValueError(f"bias {_dims(b.shape)} does not broadcast to the conv2d output "
                             f"{_dims(out.shape)} (expected e.g. [{out.shape[-3]}, 1, 1])")
    return out


@register("fused_conv2d", infer=_conv_infer, canon=_conv_canon, promote=True,
          saves=(0, 1, 2, "out"))
def fused_conv2d(xp, x, w, b, *, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                 activation="none"):
    """act(conv2d(x, w) + b) in one call: the bias add and the activation run in place on the
    GEMM's contiguous result, before it becomes an NCHW view."""
    unbatched = x.ndim == 3
    channels = _channel_bias(b, w.shape[0], x.ndim)
    per_channel = b is None or channels is not None
    y = conv2d_forward(xp, x[None] if unbatched else x, w, stride, padding, dilation, groups,
                       epilogue=_rows_epilogue(xp, channels, activation) if per_channel else None)
    if not per_channel:
        y += b
        y = _activate(xp, y, activation)
    return y[0] if unbatched else y


def _channel_bias(b, channels: int, ndim: int):
    """b as a 1-D per-channel vector (length `channels` or 1) when it broadcasts along the
    channel axis of an output of rank `ndim` only, else None."""
    if b is None or b.ndim > ndim:
        return None
    shape = (1,) * (ndim - b.ndim) + tuple(b.shape)
    spatial = shape[-2:] + shape[:-3]
    if spatial.count(1) != len(spatial) or shape[-3] not in (1, channels):
        return None
    return b.reshape(-1)


def _rows_epilogue(xp, channels, activation: str):
    """The in-place bias add (a per-channel vector, or None) and activation of an (R, O, L)
    array - a convolution's rows: the bias is laid out as one (O, L) row, so that the add runs
    over long contiguous runs (NumPy's broadcast of a (O, 1) column is 1.6x slower)."""
    def epilogue(y):
        if channels is not None:
            row = xp.empty(y.shape[1:], dtype=y.dtype)
            row[...] = channels.reshape(-1, 1)
            y += row
        _activate(xp, y, activation)
    return epilogue


def _nchw_epilogue(xp, y, channels, activation: str):
    """_rows_epilogue on an NCHW array y the kernel owns: on its memory rows when y is in a
    convolution's batch-last layout (H, C, W, N), else with a plain broadcast."""
    rows = y.transpose(2, 1, 3, 0)
    if rows.flags.c_contiguous:
        h, c, w, n = rows.shape
        _rows_epilogue(xp, channels, activation)(rows.reshape(h, c, w * n))
        return y
    if channels is not None:
        y += channels.reshape(-1, 1, 1)
    return _activate(xp, y, activation)


@fused_conv2d.defvjp
def _fused_conv2d_vjp(g, x, w, b, out, *, activation="none", needs_grad=(True, True, True),
                      **conv):
    ga = _activation_vjp(g, out, activation)
    gx, gw = get("conv2d").vjp(ga, x, w, out=None, needs_grad=needs_grad[:2], **conv)
    gb = sum_to_like(ga, b) if b is not None and needs_grad[2] else None
    return gx, gw, gb


# ---------------------------------------------------------------- fused_conv2d_bn

def _conv_bn_canon(x, w, gamma, beta, mean, var, stride=1, padding=0, dilation=1, groups=1,
                   eps=1e-5):
    attrs = conv_attrs(tuple(x.shape), tuple(w.shape), stride, padding, dilation, groups)
    attrs["eps"] = float(eps)
    return attrs


def _conv_bn_infer(x: Meta, w: Meta, gamma, beta, mean: Meta, var: Meta, *, eps, **conv):
    out = get("conv2d").infer(x, w, **conv)
    if len(out.shape) != 4:
        raise ValueError(f"expected a batched NCHW conv2d output, got {_dims(out.shape)}")
    for name, m in (("running mean", mean), ("running var", var), ("weight", gamma),
                    ("bias", beta)):
        if m is not None and len(m.shape) != 1:
            raise ValueError(f"batch norm {name} must be 1-D [C], got {_dims(m.shape)}")
    return out


@register("fused_conv2d_bn", infer=_conv_bn_infer, canon=_conv_bn_canon, differentiable=False)
def fused_conv2d_bn(xp, x, w, gamma, beta, mean, var, *, stride=(1, 1), padding=(0, 0),
                    dilation=(1, 1), groups=1, eps=1e-5):
    """batch_norm(conv2d(x, w)) in eval mode, the statistics folded into the weights:
    conv2d(x, w * s) + (beta - mean * s) with s = weight / sqrt(var + eps), per output channel.
    The folding costs O(weights) per call, so it stays right when the statistics change."""
    scale = 1.0 / xp.sqrt(var + eps)
    if gamma is not None:
        scale = scale * gamma
    shift = -mean * scale
    if beta is not None:
        shift = shift + beta
    folded = w * scale.astype(w.dtype).reshape(-1, 1, 1, 1)
    return conv2d_forward(xp, x, folded, stride, padding, dilation, groups,
                          epilogue=_rows_epilogue(xp, shift.astype(w.dtype), "none"))


# ---------------------------------------------------------------- fused_conv2d_max_pool2d

POOL_ATTRS = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
POOLED_ACTIVATIONS = ("none", "relu")  # exact and monotone: they commute with a maximum


def _pool_attrs(attrs: dict) -> dict:
    return {a: attrs["pool_" + a] for a in POOL_ATTRS}


def _conv_pool_canon(x, w, b, stride=1, padding=0, dilation=1, groups=1, activation="none",
                     pool_kernel_size=2, pool_stride=None, pool_padding=0, pool_dilation=1,
                     pool_ceil_mode=False) -> dict:
    attrs = _conv_canon(x, w, b, stride, padding, dilation, groups, activation)
    if attrs["activation"] not in POOLED_ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(POOLED_ACTIVATIONS)} (it is "
                         f"applied after the pooling), got {activation!r}")
    conv = get("conv2d").infer(Meta(tuple(x.shape), np.dtype(np.float32)),
                               Meta(tuple(w.shape), np.dtype(np.float32)),
                               **{k: v for k, v in attrs.items() if k != "activation"})
    pool = get("max_pool2d").canon(conv, kernel_size=pool_kernel_size, stride=pool_stride,
                                   padding=pool_padding, dilation=pool_dilation,
                                   ceil_mode=pool_ceil_mode)
    attrs.update({"pool_" + a: v for a, v in pool.items()})
    return attrs


def _conv_pool_infer(x: Meta, w: Meta, b: Meta | None, **attrs) -> Meta:
    conv = {k: v for k, v in attrs.items() if k not in ("activation",) and
            not k.startswith("pool_")}
    out = _conv_infer(x, w, b, **conv)
    if b is not None:
        shape = (1,) * (len(out.shape) - len(b.shape)) + tuple(b.shape)
        if any(d not in (1, -1) for d in shape[-2:] + shape[:-3]):
            raise ValueError(f"bias {_dims(b.shape)} must be per channel (e.g. "
                             f"{_dims((out.shape[-3], 1, 1))}): it is added after the pooling")
    return get("max_pool2d").infer(out, **_pool_attrs(attrs))


@register("fused_conv2d_max_pool2d", infer=_conv_pool_infer, canon=_conv_pool_canon,
          promote=True, differentiable=False)
def fused_conv2d_max_pool2d(xp, x, w, b, *, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                            groups=1, activation="none", pool_kernel_size=(2, 2),
                            pool_stride=(2, 2), pool_padding=(0, 0), pool_dilation=(1, 1),
                            pool_ceil_mode=False):
    """max_pool2d(act(conv2d(x, w) + b)) with a per-channel bias and relu (or no activation),
    computed as act(max_pool2d(conv2d(x, w)) + b): a constant add and relu are monotone, so
    they commute with a window's maximum, bit for bit, and run on the pooled result (4x
    smaller for 2x2 windows). Inference only (the unpooled output is what a backward reads)."""
    unbatched = x.ndim == 3
    y = conv2d_forward(xp, x[None] if unbatched else x, w, stride, padding, dilation, groups)
    pooled = get("max_pool2d").forward(xp, y, kernel_size=pool_kernel_size, stride=pool_stride,
                                       padding=pool_padding, dilation=pool_dilation,
                                       ceil_mode=pool_ceil_mode)
    channels = _channel_bias(b, w.shape[0], 4)
    if b is not None and channels is None:
        raise ValueError(f"bias of shape {list(b.shape)} must be per channel: it is added "
                         f"after the pooling")
    pooled = _nchw_epilogue(xp, pooled, channels, activation)
    return pooled[0] if unbatched else pooled


# ---------------------------------------------------------------- log_softmax + nll_loss

def _ce_canon(x, target, weight, *, axis=1, reduction="mean", ignore_index=-100,
              label_smoothing=0.0) -> dict:
    attrs = get("nll_loss").canon(x, target, weight, reduction=reduction,
                                  ignore_index=ignore_index, axis=axis,
                                  label_smoothing=label_smoothing)
    return attrs


def _ce_infer(x: Meta, target: Meta, weight: Meta | None, **attrs):
    logp = get("log_softmax").infer(x, axis=attrs["axis"])
    return get("nll_loss").infer(logp, target, weight, **attrs), logp


@register("log_softmax_nll_loss", infer=_ce_infer, canon=_ce_canon, n_out=2,
          saves=(1, 2, "out"))
def log_softmax_nll_loss(xp, x, target, weight, *, axis=1, reduction="mean",
                         ignore_index=-100, label_smoothing=0.0):
    """(nll_loss(log_softmax(x)), log_softmax(x)): cross-entropy with class indices in one
    call; logp is an output because the backward reads it (and a fetch may too)."""
    logp = get("log_softmax").forward(xp, x, axis=axis)
    if weight is not None or label_smoothing or logp.ndim != 2 or axis != 1:
        loss = get("nll_loss").forward(xp, logp, target, weight, reduction=reduction,
                                       ignore_index=ignore_index, axis=axis,
                                       label_smoothing=label_smoothing)
        return loss, logp
    # nll_loss's arithmetic, picking with one fancy index instead of take_along_axis
    valid, t = _targets(xp, logp, target, ignore_index, axis)
    wt = valid.astype(logp.dtype)
    picked = logp[xp.arange(logp.shape[0]), t]
    loss = xp.where(valid, picked * -wt, 0.0).astype(logp.dtype, copy=False)
    if reduction == "none":
        return loss, logp
    total = xp.asarray(loss.sum()).reshape(())
    if reduction == "mean":
        total = xp.asarray(total / wt.sum()).reshape(())
    return total, logp


def _targets(xp, logp, target, ignore_index: int, axis: int):
    """(target != ignore_index, target with ignored entries 0), classes checked as nll_loss
    does (logp is 2-D [N, C])."""
    n, c = logp.shape
    if target.shape != (n,):
        raise ValueError("bad shapes")  # the registry reports infer's precise message
    valid = target != ignore_index
    t = xp.where(valid, target, 0)
    if n and (int(t.min()) < 0 or int(t.max()) >= c):
        bad = t[(t < 0) | (t >= c)].reshape(-1)[0]
        raise IndexError(f"Target {int(bad)} is out of bounds: input has {c} classes on axis "
                         f"{axis} (ignore_index={ignore_index})")
    return valid, t


@log_softmax_nll_loss.defvjp
def _log_softmax_nll_loss_vjp(g, x, target, weight, out, **attrs):
    g_loss, g_logp = g
    logp = out[1]
    total = g_logp
    if g_loss is not None:
        gl = get("nll_loss_grad")(g_loss, logp, target, weight, **attrs)
        total = gl if total is None else get("add")(total, gl)
    if total is None:
        return None, None, None
    return get("log_softmax_grad")(total, logp, axis=attrs["axis"]), None, None


def _ce_grad_canon(g, logp, target, weight, **attrs) -> dict:
    return _ce_canon(logp, target, weight, **attrs)


def _ce_grad_infer(g: Meta, logp: Meta, target: Meta, weight: Meta | None, **attrs) -> Meta:
    get("nll_loss_grad").infer(g, logp, target, weight, **attrs)
    return Meta(logp.shape, logp.dtype)


@register("log_softmax_nll_loss_grad", infer=_ce_grad_infer, canon=_ce_grad_canon)
def log_softmax_nll_loss_grad(xp, g, logp, target, weight, *, axis=1, reduction="mean",
                              ignore_index=-100, label_smoothing=0.0):
    """The gradient of nll_loss(log_softmax(x)) in x given logp: softmax * scale, minus scale
    at the target (the two gradient kernels' arithmetic, without the one-hot temporaries)."""
    if weight is not None or label_smoothing or logp.ndim != 2 or axis != 1:
        gl = get("nll_loss_grad").forward(xp, g, logp, target, weight, reduction=reduction,
                                          ignore_index=ignore_index, axis=axis,
                                          label_smoothing=label_smoothing)
        return get("log_softmax_grad").forward(xp, gl, logp, axis=axis)
    valid, t = _targets(xp, logp, target, ignore_index, axis)
    scale = g * valid
    if reduction == "mean":
        scale = scale / valid.astype(logp.dtype).sum()
    scale = scale.astype(logp.dtype, copy=False)
    gx = xp.exp(logp)
    gx *= scale[:, None]
    gx[xp.arange(logp.shape[0]), t] -= scale
    return gx


@log_softmax_nll_loss_grad.defvjp
def _log_softmax_nll_loss_grad_vjp(c, g, logp, target, weight, out, **attrs):
    # out = log_softmax_grad(gl, logp) with gl = nll_loss_grad(g, ...), which is linear in g
    # (its rule gives nll_loss(c_gl, ...)) and reads logp for its shape only.
    gl = get("nll_loss_grad")(g, logp, target, weight, **attrs)
    c_gl, c_logp = get("log_softmax_grad").vjp(c, gl, logp, out=None, axis=attrs["axis"])
    return get("nll_loss")(c_gl, target, weight, **attrs), c_logp, None, None


# ---------------------------------------------------------------- fused_elementwise

# name -> arity. A program is a tuple of steps (name, a, b): a and b index the inputs
# (0 .. n-1) or earlier steps' results (n + step); b is -1 for unary ops. The last step's
# result is the output.
ELEMENTWISE = {"add": 2, "sub": 2, "mul": 2, "div": 2, "maximum": 2, "minimum": 2,
               "neg": 1, "exp": 1, "log": 1, "tanh": 1, "sqrt": 1, "abs": 1, "relu": 1,
               "sigmoid": 1, "erf": 1}
_KERNELS = ("sigmoid", "erf")  # steps that run the op's own kernel (not a single ufunc)
_UFUNCS = {"add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide",
           "maximum": "maximum", "minimum": "minimum", "neg": "negative", "exp": "exp",
           "log": "log", "tanh": "tanh", "sqrt": "sqrt", "abs": "abs"}


def _program_canon(*xs, program) -> dict:
    program = tuple((str(name), int(a), int(b)) for name, a, b in program)
    if not program:
        raise ValueError("fused_elementwise needs a non-empty program")
    for k, (name, a, b) in enumerate(program):
        arity = ELEMENTWISE.get(name)
        if arity is None:
            raise ValueError(f"fused_elementwise: {name!r} is not one of "
                             f"{', '.join(sorted(ELEMENTWISE))}")
        refs = (a,) if arity == 1 else (a, b)
        if (arity == 1) != (b == -1) or not all(0 <= r < len(xs) + k for r in refs):
            raise ValueError(f"fused_elementwise: step {k} {(name, a, b)} refers to a value "
                             f"that is not an input or an earlier step")
    return {"program": program}


def _program_infer(*xs: Meta, program) -> Meta:
    metas = list(xs)
    for name, a, b in program:
        args = (metas[a],) if b == -1 else (metas[a], metas[b])
        metas.append(get(name).infer(*args))
    return metas[-1]


def _into(xp, x, other) -> bool:
    """Whether x (an intermediate array) can take the result of `x op other` in place."""
    if not isinstance(x, xp.ndarray):  # NumPy returns scalars from 0-d arithmetic
        return False
    if other is None:
        return True
    if other.shape == x.shape:  # same layout: the unfused op's result would have x's too
        return other.strides == x.strides
    return other.ndim <= x.ndim and all(  # other broadcasts into x without growing it
        d == 1 or d == e for d, e in zip(other.shape[::-1], x.shape[::-1]))


@register("fused_elementwise", infer=_program_infer, canon=_program_canon, promote=True,
          differentiable=False)
def fused_elementwise(xp, *xs, program):
    """Run a chain of elementwise ops; each step writes into an earlier step's result when
    that has the result's shape (every intermediate is read once: the chain owns it)."""
    n = len(xs)
    vals = list(xs)
    for name, a, b in program:
        x, y = vals[a], (None if b == -1 else vals[b])
        out = None
        if a >= n and _into(xp, x, y):
            out = x
        elif b >= n and _into(xp, y, x):
            out = y
        if name == "relu":
            r = maximum_zero(xp, x, out=out)
        elif name in _KERNELS:
            r = get(name).forward(xp, x)
        elif y is None:
            r = getattr(xp, _UFUNCS[name])(x, out=out)
        else:
            r = getattr(xp, _UFUNCS[name])(x, y, out=out)
        vals.append(r)
    return xp.asarray(vals[-1])


# ---------------------------------------------------------------- out= kernels of hot ops

OUT_KERNELS: dict = {}


def _out_kernel(name: str, elementwise: bool = False):
    def deco(fn):
        OUT_KERNELS[name] = (fn, elementwise)
        return fn
    return deco


def forward_out(name: str):
    """(forward_out, elementwise) of op `name`, or None when it has no out= kernel."""
    return OUT_KERNELS.get(name)


def _buffer(xp, out, shape: tuple, dtype):
    """`out` when it is a C-contiguous buffer of exactly this shape and dtype, else a new
    array."""
    return out if _fits(out, shape, dtype) else xp.empty(shape, dtype=dtype)


def _broadcast(a: tuple, b: tuple) -> tuple:
    if a == b:
        return a
    if len(a) < len(b):
        a, b = b, a
    lead = len(a) - len(b)
    out = list(a)
    for i, d in enumerate(b):
        e = a[lead + i]
        if d != e:
            if e == 1:
                out[lead + i] = d
            elif d != 1:
                raise ValueError(f"shapes {list(a)} and {list(b)} cannot be broadcast")
    return tuple(out)


def _binary(ufunc: str):
    def kernel(xp, out, x, y):
        if x.flags.c_contiguous and y.flags.c_contiguous:  # else the result's layout is x's
            shape = _broadcast(x.shape, y.shape)
            if _fits(out, shape, x.dtype):
                return getattr(xp, ufunc)(x, y, out=out)
        return getattr(xp, ufunc)(x, y)
    return kernel


def _unary(ufunc: str):
    def kernel(xp, out, x):
        if x.flags.c_contiguous and _fits(out, x.shape, x.dtype):
            return getattr(xp, ufunc)(x, out=out)
        return getattr(xp, ufunc)(x)
    return kernel


for _name, _ufunc in (("add", "add"), ("sub", "subtract"), ("mul", "multiply")):
    _out_kernel(_name, elementwise=True)(_binary(_ufunc))
for _name in ("neg", "exp", "tanh"):
    _out_kernel(_name, elementwise=True)(_unary(_UFUNCS[_name]))


@_out_kernel("div", elementwise=True)
def _div_out(xp, out, x, y):
    if x.dtype.kind not in "fc":  # the plain kernel's true division picks the dtype
        return get("div").forward(xp, x, y)
    return _true_divide(xp, out, x, y)


_true_divide = _binary("true_divide")


@_out_kernel("relu", elementwise=True)
def _relu_out(xp, out, x):
    if x.flags.c_contiguous and _fits(out, x.shape, x.dtype):
        return maximum_zero(xp, x, out=out)
    return maximum_zero(xp, x)


@_out_kernel("relu_grad", elementwise=True)
def _relu_grad_out(xp, out, g, y):
    if g.flags.c_contiguous and y.flags.c_contiguous and \
            _fits(out, _broadcast(g.shape, y.shape), g.dtype):
        return xp.multiply(g, y > 0, out=out)
    return g * (y > 0)


@_out_kernel("matmul")
def _matmul_out(xp, out, x, y, *, transpose_x=False, transpose_y=False):
    """2-D products into `out` (a product's result is C-contiguous whatever its operands'
    layouts); other ranks run the plain kernel."""
    if x.ndim != 2 or y.ndim != 2:
        return get("matmul").forward(xp, x, y, transpose_x=transpose_x, transpose_y=transpose_y)
    if transpose_x:
        x = x.T
    if transpose_y:
        y = y.T
    return gemm(xp, x, y, out=_buffer(xp, out, (x.shape[0], y.shape[1]), x.dtype))


@_out_kernel("linear")
def _linear_out(xp, out, x, w, b):
    if x.ndim != 2:
        return get("linear").forward(xp, x, w, b)
    y = xp.matmul(x, w.T, out=_buffer(xp, out, (x.shape[0], w.shape[0]), x.dtype))
    if b is not None:
        y += b
    return y


@_out_kernel("fused_linear")
def _fused_linear_out(xp, out, x, w, b, *, transpose_w=False, activation="none"):
    return fused_linear.forward(xp, x, w, b, transpose_w=transpose_w, activation=activation,
                                out=out)
