"""Neural-network building blocks: softmax and log_softmax (numerically stable, with gradient
kernels that have vjps of their own so second order works), dropout (randomness drawn when the
kernel runs, the mask is an output saved for backward), embedding (+ scatter-add gradient).
"""
from __future__ import annotations

import numpy as np

from .common import constant_like, last_axes_sum, last_axis_max, norm_axis
from .elementwise import exp, mul, neg, sub
from .registry import Meta, get, register
from .. import random as _random


def np_dtype(value) -> np.dtype:
    """The NumPy dtype of an array, eager Tensor or static Variable (whose dtype may be a
    dualnet DType)."""
    dt = getattr(value, "_dtype", None)  # a static Variable keeps its NumPy dtype here
    if isinstance(dt, np.dtype):
        return dt
    dt = value.dtype
    return np.dtype(getattr(dt, "np", dt))


def _axis_canon(x, *, axis=-1):
    if x.ndim == 0:
        raise ValueError("expected an input with at least one dimension, got a 0-d tensor")
    return {"axis": norm_axis(axis, x.ndim)}


def _float_infer(x: Meta, *, axis) -> Meta:
    if x.dtype.kind != "f":
        raise TypeError(f"expected a floating point input, got {x.dtype}")
    if not 0 <= axis < max(x.ndim, 1):
        raise ValueError(f"axis {axis} out of range for input of shape {list(x.shape)}")
    return Meta(x.shape, x.dtype)


def _grad_infer(g: Meta, out: Meta, *, axis) -> Meta:
    if g.ndim != out.ndim or any(a != b and -1 not in (a, b) for a, b in zip(g.shape, out.shape)):
        raise ValueError(f"gradient shape {list(g.shape)} does not match output "
                         f"{list(out.shape)}")
    return _float_infer(out, axis=axis)


def _sum_keep(v, axis):
    return get("sum")(v, axis=axis, keepdim=True)


def _sum_along(xp, v, axis: int):
    """v summed along `axis`, keepdims: the last axis by rows in one pass (last_axes_sum)."""
    if axis == v.ndim - 1:
        return last_axes_sum(xp, v)
    return v.sum(axis=axis, keepdims=True)


def _max_along(xp, v, axis: int):
    """v's maximum along `axis`, keepdims (short last rows: last_axis_max)."""
    if axis == v.ndim - 1:
        return last_axis_max(xp, v)
    return v.max(axis=axis, keepdims=True)


# ---------------------------------------------------------------- softmax / log_softmax

@register("softmax", infer=_float_infer, canon=_axis_canon, saves=("out",))
def softmax(xp, x, *, axis):
    """exp(x - max) / sum(exp(x - max)) along `axis`."""
    e = xp.subtract(x, _max_along(xp, x, axis))
    xp.exp(e, out=e)
    e /= _sum_along(xp, e, axis)
    return e


@softmax.defvjp
def _softmax_vjp(g, x, out, *, axis):
    return (softmax_grad(g, out, axis=axis),)


def _grad_axis_canon(g, y, *, axis=-1):
    return _axis_canon(y, axis=axis)


@register("softmax_grad", infer=_grad_infer, canon=_grad_axis_canon)
def softmax_grad(xp, g, y, *, axis):
    """Vjp of softmax given its output y: y * (g - sum(g * y))."""
    gy = g * y
    gy -= y * _sum_along(xp, gy, axis)
    return gy


@softmax_grad.defvjp
def _softmax_grad_vjp(c, g, y, out, *, axis):
    # out = y*g - y*s with s = sum(g*y): linear in g (self-adjoint), and
    # d/dy = c*(g - s) - sum(c*y)*g
    s = _sum_keep(mul(g, y), axis)
    t = _sum_keep(mul(c, y), axis)
    return softmax_grad(c, y, axis=axis), sub(mul(c, sub(g, s)), mul(t, g))


SHORT_ROWS = 16  # a 2-D log_softmax over rows this short runs on the transposed copy


@register("log_softmax", infer=_float_infer, canon=_axis_canon, saves=("out",))
def log_softmax(xp, x, *, axis):
    """(x - max) - log(sum(exp(x - max))) along `axis`. Logits (N, C) of a few classes are
    reduced on a (C, N) copy: NumPy reduces a short contiguous axis one row at a time, and
    across rows with whole-vector ops (2.4x faster at 256 x 10)."""
    if short_rows(x, axis):
        return log_softmax_columns(xp, x.T.copy())
    z = xp.subtract(x, _max_along(xp, x, axis))
    return _minus_log_sum_exp(xp, z, axis)


def short_rows(x, axis: int) -> bool:
    """Whether log_softmax of x along `axis` runs on the transposed copy (log_softmax_columns):
    2-D logits (N, C) of a few classes, many rows."""
    return x.ndim == 2 and axis == 1 and x.shape[1] <= SHORT_ROWS < x.shape[0]


def log_softmax_columns(xp, z):
    """log_softmax along axis 1 of z.T, computed on z (C, N: owned, C-contiguous) in place
    and returned as a C-contiguous (N, C) array."""
    if xp is np:  # the ufuncs' reduce: what the methods call, minus their Python layer
        z -= np.maximum.reduce(z, axis=0)
        s = np.add.reduce(xp.exp(z), axis=0)
    else:
        z -= z.max(axis=0)
        s = xp.exp(z).sum(axis=0)
    z -= xp.log(s, out=s)
    return z.T.copy()


def _minus_log_sum_exp(xp, z, axis: int):
    """z - log(sum(exp(z))) along `axis`, in place (z: shifted by its maximum, owned)."""
    s = _sum_along(xp, xp.exp(z), axis)
    z -= xp.log(s, out=s)
    return z


@log_softmax.defvjp
def _log_softmax_vjp(g, x, out, *, axis):
    return (log_softmax_grad(g, out, axis=axis),)


@register("log_softmax_grad", infer=_grad_infer, canon=_grad_axis_canon)
def log_softmax_grad(xp, g, z, *, axis):
    """Vjp of log_softmax given its output z: g - exp(z) * sum(g)."""
    gx = xp.exp(z)
    gx *= _sum_along(xp, g, axis)
    return xp.subtract(g, gx, out=gx)


@log_softmax_grad.defvjp
def _log_softmax_grad_vjp(c, g, z, out, *, axis):
    p = exp(z)
    gg = sub(c, _sum_keep(mul(c, p), axis))
    gz = neg(mul(mul(c, p), _sum_keep(g, axis)))
    return gg, gz


# ---------------------------------------------------------------- dropout

def _dropout_canon(x, *, p=0.5, training=True, broadcast_axes=()):
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if isinstance(broadcast_axes, int):
        broadcast_axes = (broadcast_axes,)
    axes = tuple(sorted({norm_axis(a, x.ndim) for a in broadcast_axes}))
    if not training or p == 0.0:  # identity: one canonical form
        return {"p": 0.0, "training": False, "broadcast_axes": ()}
    return {"p": p, "training": True, "broadcast_axes": axes}


def _mask_shape(shape: tuple, p: float, training: bool, broadcast_axes: tuple) -> tuple:
    if not training or p == 0.0:
        return (1,) * len(shape)
    return tuple(1 if i in broadcast_axes else d for i, d in enumerate(shape))


def _dropout_infer(x, *, p, training, broadcast_axes):
    if x.dtype.kind != "f":
        raise TypeError(f"dropout expects a floating point input, got {x.dtype}")
    return Meta(x.shape, x.dtype), Meta(_mask_shape(x.shape, p, training, broadcast_axes),
                                        x.dtype)


@register("dropout", infer=_dropout_infer, canon=_dropout_canon, n_out=2, random=True,
          saves=("out",))
def dropout(xp, x, *, p=0.5, training=True, broadcast_axes=()):
    """(x * mask, mask): mask is 0 with probability p, else 1/(1-p), drawn from the device's
    generator when the kernel runs and shared along `broadcast_axes` (dropout2d: (2, 3)).
    Identity (mask of ones, shape (1,)*ndim) when p == 0 or not training; zeros when p == 1."""
    shape = _mask_shape(x.shape, p, training, broadcast_axes)
    if not training or p == 0.0:
        return x, xp.ones(shape, dtype=x.dtype)
    if p == 1.0:
        mask = xp.zeros(shape, dtype=x.dtype)
    else:
        keep = _random.uniform(xp, shape, dtype=x.dtype) >= p
        mask = keep.astype(x.dtype)
        mask *= 1.0 / (1.0 - p)
    return x * mask, mask


@dropout.defvjp
def _dropout_vjp(g, x, out, *, p=0.5, training=True, broadcast_axes=()):
    gy, mask = g[0], out[1]
    if gy is None:
        return (None,)
    return (mul(gy, mask),)


# ---------------------------------------------------------------- embedding

def index_add_rows(xp, out, ids, values):
    """out[ids[i]] += values[i] with repeated ids accumulating (np.add.at / cupyx)."""
    if xp is np:
        np.add.at(out, ids, values)
    else:
        import cupyx  # type: ignore

        cupyx.scatter_add(out, ids, values)
    return out


def _embedding_canon(ids, w, *, padding_idx=None):
    if padding_idx is not None:
        n = w.shape[0]
        padding_idx = int(padding_idx)
        if n != -1:
            if not -n <= padding_idx < n:
                raise ValueError(f"padding_idx {padding_idx} must be within num_embeddings {n}")
            padding_idx %= n
        elif padding_idx < 0:
            raise ValueError("a negative padding_idx needs a known num_embeddings")
    return {"padding_idx": padding_idx}


def _embedding_infer(ids, w, *, padding_idx=None):
    if ids.dtype.kind not in "iu":
        raise TypeError(f"embedding ids must be an integer tensor, got {ids.dtype}")
    if w.ndim != 2:
        raise ValueError(f"embedding weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"{list(w.shape)}")
    return Meta(tuple(ids.shape) + (w.shape[1],), w.dtype)


def _check_ids(xp, ids, n):
    """A clear error for ids outside the table (CuPy's take would wrap them silently)."""
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= n):
        bad = ids[(ids < 0) | (ids >= n)].reshape(-1)[0]
        raise IndexError(f"embedding id {int(bad)} is out of range for a table of {n} rows")


@register("embedding", infer=_embedding_infer, canon=_embedding_canon, saves=(0, 1))
def embedding(xp, ids, w, *, padding_idx=None):
    """Rows of `w` looked up by integer `ids`: shape ids.shape + (embedding_dim,). The padding
    row is returned as stored (the front end initializes it to zeros); it gets no gradient."""
    _check_ids(xp, ids, w.shape[0])
    return xp.take(w, ids, axis=0)


@embedding.defvjp
def _embedding_vjp(g, ids, w, out, *, padding_idx=None):
    return None, embedding_grad(g, ids, w, padding_idx=padding_idx)


def _embedding_grad_infer(g, ids, w, *, padding_idx=None):
    out = _embedding_infer(ids, w, padding_idx=padding_idx)
    if g.ndim != len(out.shape):
        raise ValueError(f"gradient shape {list(g.shape)} does not match the embedding output "
                         f"{list(out.shape)}")
    return Meta(w.shape, w.dtype)


def _embedding_grad_canon(g, ids, w, *, padding_idx=None):
    return _embedding_canon(ids, w, padding_idx=padding_idx)


@register("embedding_grad", infer=_embedding_grad_infer, canon=_embedding_grad_canon,
          saves=(1, 2))
def embedding_grad(xp, g, ids, w, *, padding_idx=None):
    """Scatter-add of g's rows into zeros shaped like w (w is the shape reference); the
    padding row stays zero."""
    gw = xp.zeros(w.shape, dtype=g.dtype)
    index_add_rows(xp, gw, ids.reshape(-1), g.reshape(-1, w.shape[1]))
    if padding_idx is not None:
        gw[padding_idx] = 0
    return gw


@embedding_grad.defvjp
def _embedding_grad_vjp(c, g, ids, w, out, *, padding_idx=None):
    gg = embedding(ids, c)
    if padding_idx is not None:
        keep = get("cast")(get("not_equal")(ids, padding_idx), dtype=np_dtype(c).name)
        gg = mul(gg, get("unsqueeze")(keep, axis=-1))
    return gg, None, None


# ---------------------------------------------------------------- composites

def dropout2d(x, p: float = 0.5, training: bool = True):
    """Drop whole channels of (N, C, H, W) (or (C, H, W)) input: the mask is shared over the
    spatial axes."""
    axes = tuple(range(x.ndim - 2, x.ndim))
    return dropout(x, p=p, training=training, broadcast_axes=axes)[0]


def scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None, training: bool = True):
    """softmax(q k^T * scale + mask) v over the last two axes (torch's F.sdpa). A boolean
    mask marks positions that take part; a float mask is added to the scores."""
    matmul, transpose = get("matmul"), get("transpose")
    d = q.shape[-1]
    if scale is None:
        if d == -1:
            raise ValueError("scaled_dot_product_attention needs a known head dim or scale=")
        scale = 1.0 / float(np.sqrt(d))
    perm = tuple(range(k.ndim - 2)) + (k.ndim - 1, k.ndim - 2)
    scores = mul(matmul(q, transpose(k, perm=perm)), scale)
    where = get("where")
    if is_causal:
        allowed = get("cast")(get("tril")(get("ones_like")(scores)), dtype="bool")
        scores = where(allowed, scores, float("-inf"))
    if attn_mask is not None:
        if np_dtype(attn_mask) == np.bool_:
            scores = where(attn_mask, scores, float("-inf"))
        else:
            scores = get("add")(scores, attn_mask)
    attn = softmax(scores, axis=-1)
    if dropout_p > 0.0 and training:
        attn = dropout(attn, p=dropout_p, training=True)[0]
    return matmul(attn, v)


# ---------------------------------------------------------------- composites shared by the
# torch.nn.functional and paddle.nn.functional front ends

def _op(name):
    return get(name)


def glu(x, axis: int = -1):
    """a * sigmoid(b), (a, b) the two halves of x along `axis` (its size must be even)."""
    from .shape import chunk

    axis = norm_axis(axis, x.ndim)
    if x.shape[axis] % 2:
        raise ValueError(f"glu: the size of dim {axis} of input {list(x.shape)} must be even")
    a, b = chunk(x, 2, axis)
    return mul(a, _op("sigmoid")(b))


def cosine_similarity(x1, x2, axis: int = 1, eps: float = 1e-8, clamp: str = "each"):
    """sum(x1 * x2) / (|x1| |x2|) along `axis`. clamp='each' bounds each norm below by eps
    (PyTorch); 'product' bounds |x1|^2 |x2|^2 below by eps^2 (Paddle)."""
    ssum, sqrt = _op("sum"), _op("sqrt")
    dot = ssum(mul(x1, x2), axis=axis, keepdim=False)
    w1 = ssum(mul(x1, x1), axis=axis, keepdim=False)
    w2 = ssum(mul(x2, x2), axis=axis, keepdim=False)
    if clamp == "each":
        n1 = _op("clip")(sqrt(w1), min=eps, max=None)
        n2 = _op("clip")(sqrt(w2), min=eps, max=None)
        return _op("div")(dot, mul(n1, n2))
    if clamp != "product":
        raise ValueError(f"cosine_similarity: clamp must be 'each' or 'product', got {clamp!r}")
    return _op("div")(dot, sqrt(_op("clip")(mul(w1, w2), min=eps * eps, max=None)))


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """||x1 - x2 + eps||_p over the last dim."""
    from .reduction import norm

    return norm(_op("add")(sub(x1, x2), eps), p, axis=-1, keepdim=keepdim)


def bilinear(x1, x2, w, b=None):
    """y[..., o] = sum_ij x1[..., i] w[o, i, j] x2[..., j] (+ b); w [out, in1, in2]; leading
    dims are batch dims (unknown ones too)."""
    out, in1, in2 = tuple(w.shape)
    w2 = _op("reshape")(_op("transpose")(w, perm=(1, 0, 2)), shape=(in1, out * in2))
    t = _op("matmul")(x1, w2)  # (..., out * in2)
    lead = (0,) * (x1.ndim - 1)  # Paddle's reshape rule: 0 copies the input dim
    t = _op("reshape")(t, shape=lead + (out, in2))
    y = _op("sum")(mul(t, _op("unsqueeze")(x2, axis=-2)), axis=-1, keepdim=False)
    return y if b is None else _op("add")(y, b)


_SELU_NEG = -1.7580993408473766  # -scale * alpha of SELU


def alpha_dropout(x, p: float = 0.5, training: bool = True, broadcast_axes: tuple = ()):
    """Dropout that keeps SELU's self-normalizing mean and variance: dropped units are set to
    SELU's negative saturation, then an affine map restores the statistics. The mask is
    shared along `broadcast_axes` (feature_alpha_dropout: the spatial dims)."""
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return mul(x, 0.0)
    a = ((1 - p) * (1 + p * _SELU_NEG ** 2)) ** -0.5
    b = -a * _SELU_NEG * p
    mask = dropout(x, p=p, training=True, broadcast_axes=broadcast_axes)[1]
    keep = mul(mask, 1.0 - p)  # 1 where kept, 0 where dropped
    dropped = mul(sub(1.0, keep), _SELU_NEG)
    return _op("add")(mul(_op("add")(mul(x, keep), dropped), a), b)


def prelu(x, w, channel_axis: int = 1):
    """max(0, x) + w * min(0, x) with w of one value or one per channel (on channel_axis)."""
    if x.ndim >= 2 and w.shape[0] != 1:
        axis = norm_axis(channel_axis, x.ndim)
        w = _op("reshape")(w, shape=(-1,) + (1,) * (x.ndim - 1 - axis))
    return _op("where")(_op("greater")(x, 0.0), x, mul(x, w))


def hardshrink(x, threshold: float = 0.5):
    """x where |x| > threshold, else 0."""
    return _op("where")(_op("greater")(_op("abs")(x), threshold), x, 0.0)


def softshrink(x, threshold: float = 0.5):
    """x - sign(x) * threshold where |x| > threshold, else 0."""
    shrunk = sub(x, mul(_op("sign")(x), threshold))
    return _op("where")(_op("greater")(_op("abs")(x), threshold), shrunk, 0.0)


def threshold(x, threshold: float, value: float):
    """x where x > threshold, else value."""
    return _op("where")(_op("greater")(x, threshold), x, value)


def maxout(x, groups: int, axis: int = 1):
    """Max over `groups` consecutive channels: C channels on `axis` -> C / groups."""
    axis = norm_axis(axis, x.ndim)
    c = x.shape[axis]
    if c < 0 or c % groups:
        raise ValueError(f"maxout: the channel dim {axis} of input {list(x.shape)} must be a "
                         f"known multiple of groups={groups}")
    after = tuple(x.shape[axis + 1:])  # Paddle's 0 would copy the dim at the same index
    if sum(d == -1 for d in after) > 1:
        raise ValueError(f"maxout: input {list(x.shape)} has too many unknown dims")
    shape = (0,) * axis + (c // groups, groups) + after
    return _op("max")(_op("reshape")(x, shape=shape), axis=axis + 1, keepdim=False)


def instance_norm(x, weight=None, bias=None, eps: float = 1e-5):
    """Normalize each (sample, channel) of (N, C, *spatial) x over its spatial dims (biased
    variance), then scale and shift per channel: batch_norm of x seen as one sample with N*C
    channels."""
    y = _op("unsqueeze")(_op("flatten")(x, start_axis=0, stop_axis=1), axis=0)
    y = _op("batch_norm")(y, None, None, None, None, training=True, eps=eps)[0]
    y = _op("reshape_like")(y, x)
    shape = (-1,) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = mul(y, _op("reshape")(weight, shape=shape))
    if bias is not None:
        y = _op("add")(y, _op("reshape")(bias, shape=shape))
    return y


def local_response_norm(x, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0):
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta, channels on
    axis 1 of (N, C, *spatial)."""
    if x.ndim < 3:
        raise ValueError(f"local_response_norm expects an input of 3 or more dims, got shape "
                         f"{list(x.shape)}")
    sq = _op("unsqueeze")(_op("flatten")(mul(x, x), start_axis=2), axis=1)  # (N, 1, C, S)
    sq = _op("pad")(sq, pads=(0, 0, size // 2, (size - 1) // 2))
    div = _op("avg_pool2d")(sq, kernel_size=(size, 1), stride=(1, 1))
    div = _op("reshape_like")(_op("squeeze")(div, axis=1), x)
    div = _op("pow")(_op("add")(mul(div, alpha), k), beta)
    return _op("div")(x, div)


def _eye_filters(c: int, kh: int, kw: int, like):
    """[c * kh * kw, 1, kh, kw] one-hot filters: output channel (ci, i, j) picks tap (i, j)."""
    w = np.zeros((c * kh * kw, 1, kh, kw), dtype=np_dtype(like))
    for ch in range(c):
        for t in range(kh * kw):
            w[ch * kh * kw + t, 0, t // kw, t % kw] = 1.0
    return constant_like(like, w)


def unfold(x, kernel_size, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1)):
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L) with rows ordered (channel, kernel row, kernel
    column) - a grouped conv2d with one-hot filters, so the gradient is conv2d's. padding is
    (top, bottom, left, right)."""
    c = x.shape[1]
    if x.ndim != 4 or c < 0:
        raise ValueError(f"unfold expects a 4-D input with known channels, got shape "
                         f"{list(x.shape)}")
    kh, kw = kernel_size
    y = _op("conv2d")(x, _eye_filters(c, kh, kw, x), stride=tuple(stride),
                      padding=tuple(padding), dilation=tuple(dilation), groups=c)
    return _op("flatten")(y, start_axis=2)


def fold(cols, output_size, kernel_size, stride=(1, 1), padding=(0, 0, 0, 0),
         dilation=(1, 1)):
    """col2im, the adjoint of unfold: (N, C*kh*kw, L) -> (N, C, H, W), overlapping taps summed
    (a grouped conv_transpose2d with one-hot filters)."""
    kh, kw = kernel_size
    ckk = cols.shape[1]
    if cols.ndim != 3 or ckk < 0 or ckk % (kh * kw):
        raise ValueError(f"fold expects input (N, C*kh*kw, L) with a known second dim "
                         f"divisible by {kh * kw}, got shape {list(cols.shape)}")
    (oh, ow), (sh, sw), (dh, dw) = output_size, stride, dilation
    pt, pb, pl, pr = padding
    bh = (oh + pt + pb - (dh * (kh - 1) + 1)) // sh + 1
    bw = (ow + pl + pr - (dw * (kw - 1) + 1)) // sw + 1
    if bh < 1 or bw < 1 or (cols.shape[2] >= 0 and cols.shape[2] != bh * bw):
        raise ValueError(f"fold: input {list(cols.shape)} does not hold the {bh} x {bw} = "
                         f"{bh * bw} blocks of output_size {[oh, ow]} with kernel "
                         f"{[kh, kw]}, stride {[sh, sw]}, padding {list(padding)}, dilation "
                         f"{[dh, dw]}")
    c = ckk // (kh * kw)
    y = _op("reshape")(cols, shape=(0, ckk, bh, bw))
    full_h = (bh - 1) * sh + dh * (kh - 1) + 1 - pt - pb
    full_w = (bw - 1) * sw + dw * (kw - 1) + 1 - pl - pr
    return _op("conv_transpose2d")(y, _eye_filters(c, kh, kw, cols), stride=(sh, sw),
                                   padding=(pt, pb, pl, pr), dilation=(dh, dw), groups=c,
                                   output_padding=(oh - full_h, ow - full_w))


def gumbel_softmax(x, uniform, temperature: float = 1.0, axis: int = -1):
    """softmax((x + g) / temperature) with Gumbel noise g = -log(-log(u)) from `uniform` (x's
    shape, in [0, 1)). The hard (straight-through) variant combines this with
    `one_hot_argmax` and the front end's detach."""
    info = np.finfo(np_dtype(x))
    u = _op("clip")(uniform, min=float(info.tiny), max=1.0 - float(info.epsneg))
    g = neg(_op("log")(neg(_op("log")(u))))
    return softmax(_op("div")(_op("add")(x, g), float(temperature)), axis=axis)


def one_hot_argmax(y, axis: int = -1):
    """1.0 at the first maximum of y along `axis`, 0.0 elsewhere (no gradient)."""
    axis = norm_axis(axis, y.ndim)
    hit = _op("equal")(y, _op("max")(y, axis=axis, keepdim=True))
    first = _op("equal")(_op("cumsum")(_op("cast")(hit, dtype="int64"), axis=axis), 1)
    return _op("cast")(_op("logical_and")(hit, first), dtype=np_dtype(y).name)


# ---------------------------------------------------------------- more activations shared by
# torch.nn.functional and paddle.nn.functional

def feature_alpha_dropout(x, p: float = 0.5, training: bool = True):
    """alpha_dropout of whole channels of (N, C, *spatial): one mask value per (n, c)."""
    return alpha_dropout(x, p, training, broadcast_axes=tuple(range(2, x.ndim)))


def rrelu(x, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          noise=None):
    """x where x >= 0, else x * a: a = lower + (upper - lower) * noise (uniform [0, 1) samples
    of x's shape, drawn by the front end) when training, (lower + upper) / 2 otherwise."""
    if training:
        if noise is None:
            raise ValueError("rrelu(training=True) needs uniform noise of the input's shape")
        slope = _op("add")(mul(noise, float(upper) - float(lower)), float(lower))
    else:
        slope = (float(lower) + float(upper)) / 2.0
    return _op("where")(_op("greater_equal")(x, 0.0), x, mul(x, slope))


def softmax2d(x):
    """softmax over the channels (dim -3) of (N, C, H, W) or (C, H, W) input."""
    if x.ndim not in (3, 4):
        raise ValueError(f"softmax2d expects a 3-D or 4-D input, got shape {list(x.shape)}")
    return softmax(x, axis=-3)
