"""3-D convolutions (NCDHW, PyTorch layouts): conv3d, its two gradient kernels and
conv_transpose3d, on rank-generic im2col kernels.

The kernels take any number of spatial dims (they read it from the weight): a strided view of
the padded input holds every kernel window (`nd_windows`, no copy); chunks of the first output
spatial dim (about COLUMN_BYTES of columns each, so memory stays bounded) are copied into
columns and contracted with the weight by one batched GEMM. The input gradient is the adjoint:
a GEMM per chunk, then col2im adds the columns back in a loop over the kernel volume (never
over output voxels). conv2d keeps its own row-major fast path (conv.py); conv3d, its gradients
and conv_transpose3d all go through the functions here.

Attributes (canonical forms): `stride` and `dilation` (sd, sh, sw), `groups` int, `padding`
(pd, ph, pw) when symmetric, else (front, back, top, bottom, left, right).
"""
from __future__ import annotations

import itertools
import math

from .conv import (_float_dtype, adjoint_extra, canon_padding, end_pad, output_padding_of,
                   positive_pair, row_chunks, shape_str)
from .registry import Meta, register


# ---------------------------------------------------------------- attributes and shapes

def pads_nd(padding, n: int) -> tuple:
    """Canonical padding -> ((before, after), ...) per spatial dim."""
    if len(padding) == n:
        return tuple((p, p) for p in padding)
    return tuple((padding[2 * i], padding[2 * i + 1]) for i in range(n))


def conv_nd_attrs(xshape, wshape, n, stride=1, padding=0, dilation=1, groups=1) -> dict:
    """Validate and canonicalize the attributes of an n-d convolution."""
    names = "(C, " + ", ".join("DHW"[3 - n:]) + ")"
    if len(xshape) not in (n + 1, n + 2):
        raise ValueError(f"expected a {n + 1}-D {names} or {n + 2}-D (N, ...) input, got "
                         f"{shape_str(xshape)}")
    if len(wshape) != n + 2:
        raise ValueError(f"expected a {n + 2}-D weight [out, in/groups, k...], got "
                         f"{shape_str(wshape)}")
    groups = int(groups)
    if groups < 1:
        raise ValueError(f"groups must be positive, got {groups}")
    stride = positive_pair("stride", stride, n)
    dilation = positive_pair("dilation", dilation, n)
    padding = canon_padding(padding, tuple(wshape[2:]), stride, dilation, tuple(xshape[-n:]))
    return {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


def _out_len(size, k, s, pads, d, what) -> int:
    if size < 0:
        return -1
    n = (size + pads[0] + pads[1] - d * (k - 1) - 1) // s + 1
    if n <= 0:
        raise ValueError(f"{what}: input size {size} (padded by {pads}) is smaller than the "
                         f"effective kernel size {d * (k - 1) + 1}; the output would be empty")
    return n


def conv_nd_out_shape(xshape, wshape, a) -> tuple:
    n = len(wshape) - 2
    c, o, cg, groups = xshape[-n - 1], wshape[0], wshape[1], a["groups"]
    if o >= 0 and o % groups:
        raise ValueError(f"weight {shape_str(wshape)}: out channels {o} are not divisible by "
                         f"groups={groups}")
    if c >= 0 and cg >= 0 and c != cg * groups:
        raise ValueError(f"input {shape_str(xshape)} has {c} channels but weight "
                         f"{shape_str(wshape)} with groups={groups} expects {cg * groups}")
    what = f"input {shape_str(xshape)} with weight {shape_str(wshape)}"
    out = tuple(_out_len(size, k, s, p, d, what) for size, k, s, p, d in zip(
        xshape[-n:], wshape[2:], a["stride"], pads_nd(a["padding"], n), a["dilation"]))
    return tuple(xshape[:-n - 1]) + (o,) + out


# ---------------------------------------------------------------- rank-generic kernels

def pad_nd(xp, x, pads, value=0):
    """x (N, C, *S) constant-padded by ((before, after), ...) (x itself when nothing to pad)."""
    if not any(lo or hi for lo, hi in pads):
        return x
    shape = tuple(x.shape[:2]) + tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads))
    out = xp.full(shape, value, dtype=x.dtype)
    out[(slice(None),) * 2 + tuple(slice(lo, lo + s) for s, (lo, _) in
                                   zip(x.shape[2:], pads))] = x
    return out


def nd_windows(xp, xpad, kernel, stride, dilation, out):
    """Strided view (N, C, *kernel, *out) of a padded input (N, C, *S): element
    [n, c, k..., o...] = xpad[n, c, o * stride + k * dilation ...]. No copy."""
    st = xpad.strides
    spatial = st[2:]
    return xp.lib.stride_tricks.as_strided(
        xpad, shape=tuple(xpad.shape[:2]) + tuple(kernel) + tuple(out),
        strides=st[:2] + tuple(s * d for s, d in zip(spatial, dilation))
        + tuple(s * t for s, t in zip(spatial, stride)))


def _chunks(out, n_batch, k_elems, itemsize):
    """Chunks of the first output spatial dim whose columns take about COLUMN_BYTES."""
    return row_chunks(out[0], n_batch * k_elems * math.prod(out[1:]) * itemsize)


def conv_nd_forward(xp, x, w, stride, padding, dilation, groups):
    """The convolution of batched x (N, C, *S) by w (O, C/G, *K): im2col per chunk of the first
    output dim + one batched GEMM (N, G, O/G, K) x (N, G, K, L)."""
    n_sp = w.ndim - 2
    nb, c = x.shape[:2]
    o, cg = w.shape[:2]
    kernel = tuple(w.shape[2:])
    pads = pads_nd(padding, n_sp)
    out = tuple((size + lo + hi - d * (k - 1) - 1) // s + 1 for size, (lo, hi), k, s, d in zip(
        x.shape[2:], pads, kernel, stride, dilation))
    view = nd_windows(xp, pad_nd(xp, x, pads), kernel, stride, dilation, out)
    k_elems = cg * math.prod(kernel)
    rest = math.prod(out[1:])
    w_g = w.reshape(groups, o // groups, k_elems)
    y = xp.empty((nb, groups, o // groups, out[0], rest), dtype=w.dtype)
    for r0, r1 in _chunks(out, nb, c * math.prod(kernel), x.dtype.itemsize):
        cols = view[(Ellipsis, slice(r0, r1)) + (slice(None),) * (n_sp - 1)]
        cols = cols.reshape(nb, groups, k_elems, (r1 - r0) * rest)
        y[:, :, :, r0:r1] = xp.matmul(w_g, cols).reshape(nb, groups, o // groups, r1 - r0,
                                                         rest)
    return y.reshape((nb, o) + out)


def conv_nd_input_grad(xp, g, xshape, w, stride, padding, dilation, groups):
    """The adjoint of conv_nd_forward in x for a batched input of shape `xshape`: a GEMM per
    chunk gives the columns, col2im adds them back in a loop over the kernel volume."""
    n_sp = w.ndim - 2
    nb, c = xshape[:2]
    o, cg = w.shape[:2]
    kernel = tuple(w.shape[2:])
    pads = pads_nd(padding, n_sp)
    out = tuple(g.shape[2:])
    rest = math.prod(out[1:])
    gx = xp.zeros((nb, c) + tuple(s + lo + hi for s, (lo, hi) in zip(xshape[2:], pads)),
                  dtype=g.dtype)
    g_g = g.reshape(nb, groups, o // groups, out[0], rest)
    w_t = w.reshape(groups, o // groups, cg * math.prod(kernel)).swapaxes(1, 2)
    for r0, r1 in _chunks(out, nb, c * math.prod(kernel), g.dtype.itemsize):
        cols = xp.matmul(w_t, g_g[:, :, :, r0:r1].reshape(nb, groups, o // groups, -1))
        cols = cols.reshape((nb, c) + kernel + (r1 - r0,) + out[1:])
        span = (r1 - r0,) + out[1:]
        first = (r0,) + (0,) * (n_sp - 1)
        for tap in itertools.product(*(range(k) for k in kernel)):
            target = tuple(slice(f * s + t * d, f * s + t * d + s * (m - 1) + 1, s)
                           for f, t, s, d, m in zip(first, tap, stride, dilation, span))
            gx[(slice(None), slice(None)) + target] += cols[(slice(None), slice(None)) + tap]
    crop = tuple(slice(lo, lo + s) for s, (lo, _) in zip(xshape[2:], pads))
    return gx[(slice(None), slice(None)) + crop]


def conv_nd_weight_grad(xp, g, x, wshape, stride, padding, dilation, groups):
    """Gradient of conv_nd_forward in its weight: per chunk, the gradient's rows against the
    input's columns (a batched GEMM), summed over the batch and the chunks."""
    n_sp = len(wshape) - 2
    nb, c = x.shape[:2]
    o, cg = wshape[:2]
    kernel = tuple(wshape[2:])
    out = tuple(g.shape[2:])
    rest = math.prod(out[1:])
    view = nd_windows(xp, pad_nd(xp, x, pads_nd(padding, n_sp)), kernel, stride, dilation, out)
    k_elems = cg * math.prod(kernel)
    g_g = g.reshape(nb, groups, o // groups, out[0], rest)
    gw = xp.zeros((groups, o // groups, k_elems), dtype=g.dtype)
    for r0, r1 in _chunks(out, nb, c * math.prod(kernel), x.dtype.itemsize):
        cols = view[(Ellipsis, slice(r0, r1)) + (slice(None),) * (n_sp - 1)]
        cols = cols.reshape(nb, groups, k_elems, (r1 - r0) * rest)
        rows = g_g[:, :, :, r0:r1].reshape(nb, groups, o // groups, -1)
        gw += xp.matmul(rows, cols.swapaxes(-1, -2)).sum(axis=0)
    return gw.reshape(wshape)


# ---------------------------------------------------------------- conv3d

def _conv3d_canon(x, w, stride=1, padding=0, dilation=1, groups=1):
    return conv_nd_attrs(tuple(x.shape), tuple(w.shape), 3, stride, padding, dilation, groups)


def _conv3d_infer(x: Meta, w: Meta, **attrs) -> Meta:
    a = conv_nd_attrs(x.shape, w.shape, 3, **attrs)
    return Meta(conv_nd_out_shape(x.shape, w.shape, a), _float_dtype(x, w))


@register("conv3d", infer=_conv3d_infer, canon=_conv3d_canon, promote=True, saves=(0, 1))
def conv3d(xp, x, w, *, stride=(1, 1, 1), padding=(0, 0, 0), dilation=(1, 1, 1), groups=1):
    """3-D cross-correlation, PyTorch's F.conv3d without bias: x (N, C, D, H, W) or
    (C, D, H, W), w [out, in/groups, kd, kh, kw]."""
    if x.ndim == 4:
        return conv_nd_forward(xp, x[None], w, stride, padding, dilation, groups)[0]
    return conv_nd_forward(xp, x, w, stride, padding, dilation, groups)


@conv3d.defvjp
def _conv3d_vjp(g, x, w, out, needs_grad=(True, True), **attrs):
    gx = conv3d_input_grad(g, x, w, **attrs) if needs_grad[0] else None
    gw = conv3d_weight_grad(g, x, w, **attrs) if needs_grad[1] else None
    return gx, gw


def _grad3d_canon(g, x, w, stride=1, padding=0, dilation=1, groups=1):
    return conv_nd_attrs(tuple(x.shape), tuple(w.shape), 3, stride, padding, dilation, groups)


def _check_grad3d(g: Meta, x: Meta, w: Meta, attrs) -> None:
    a = conv_nd_attrs(x.shape, w.shape, 3, **attrs)
    expected = conv_nd_out_shape(x.shape, w.shape, a)
    if len(g.shape) != len(expected) or any(
            d >= 0 and e >= 0 and d != e for d, e in zip(g.shape, expected)):
        raise ValueError(f"gradient {shape_str(g.shape)} does not match the conv3d output "
                         f"{shape_str(expected)} of input {shape_str(x.shape)} and weight "
                         f"{shape_str(w.shape)}")
    _float_dtype(g, w)


def _input_grad3d_infer(g: Meta, x: Meta, w: Meta, **attrs) -> Meta:
    _check_grad3d(g, x, w, attrs)
    return Meta(x.shape, g.dtype)


def _weight_grad3d_infer(g: Meta, x: Meta, w: Meta, **attrs) -> Meta:
    _check_grad3d(g, x, w, attrs)
    return Meta(w.shape, g.dtype)


@register("conv3d_input_grad", infer=_input_grad3d_infer, canon=_grad3d_canon, promote=(0, 2),
          saves=(0, 2))
def conv3d_input_grad(xp, g, x, w, *, stride=(1, 1, 1), padding=(0, 0, 0),
                      dilation=(1, 1, 1), groups=1):
    """Gradient of conv3d in its input (x is only the shape reference)."""
    if x.ndim == 4:
        return conv_nd_input_grad(xp, g[None], (1,) + x.shape, w, stride, padding, dilation,
                                  groups)[0]
    return conv_nd_input_grad(xp, g, x.shape, w, stride, padding, dilation, groups)


@conv3d_input_grad.defvjp
def _input_grad3d_vjp(h, g, x, w, out, needs_grad=(True, False, True), **attrs):
    gg = conv3d(h, w, **attrs) if needs_grad[0] else None
    gw = conv3d_weight_grad(g, h, w, **attrs) if needs_grad[2] else None
    return gg, None, gw


@register("conv3d_weight_grad", infer=_weight_grad3d_infer, canon=_grad3d_canon,
          promote=(0, 1), saves=(0, 1))
def conv3d_weight_grad(xp, g, x, w, *, stride=(1, 1, 1), padding=(0, 0, 0),
                       dilation=(1, 1, 1), groups=1):
    """Gradient of conv3d in its weight (w is only the shape reference)."""
    if x.ndim == 4:
        x, g = x[None], g[None]
    return conv_nd_weight_grad(xp, g, x, w.shape, stride, padding, dilation, groups)


@conv3d_weight_grad.defvjp
def _weight_grad3d_vjp(h, g, x, w, out, needs_grad=(True, True, False), **attrs):
    gg = conv3d(x, h, **attrs) if needs_grad[0] else None
    gx = conv3d_input_grad(g, x, h, **attrs) if needs_grad[1] else None
    return gg, gx, None


# ---------------------------------------------------------------- conv_transpose3d

def _transpose3d_attrs(xshape, wshape, stride=1, padding=0, output_padding=0, dilation=1,
                       groups=1) -> dict:
    if isinstance(padding, str):
        raise ValueError(f"conv_transpose3d does not take padding={padding!r}")
    a = conv_nd_attrs(xshape, wshape, 3, stride, padding, dilation, groups)
    a["output_padding"] = output_padding_of(output_padding, a, 3)
    return a


def _transpose3d_canon(x, w, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    return _transpose3d_attrs(tuple(x.shape), tuple(w.shape), stride, padding, output_padding,
                              dilation, groups)


def _transpose3d_out_shape(xshape, wshape, a) -> tuple:
    c, groups = xshape[-4], a["groups"]
    if c >= 0 and wshape[0] >= 0 and c != wshape[0]:
        raise ValueError(f"input {shape_str(xshape)} has {c} channels but weight "
                         f"{shape_str(wshape)} [in, out/groups, kd, kh, kw] expects "
                         f"{wshape[0]}")
    if wshape[0] >= 0 and wshape[0] % groups:
        raise ValueError(f"weight {shape_str(wshape)}: in channels are not divisible by "
                         f"groups={groups}")
    out = []
    for size, k, s, d, (lo, hi), op in zip(xshape[-3:], wshape[2:], a["stride"],
                                           a["dilation"], pads_nd(a["padding"], 3),
                                           a["output_padding"]):
        n = -1 if size < 0 else (size - 1) * s - lo - hi + d * (k - 1) + op + 1
        if n == 0 or n < -1:
            raise ValueError(f"conv_transpose3d of input {shape_str(xshape)} with weight "
                             f"{shape_str(wshape)}: the output would be empty")
        out.append(n)
    return tuple(xshape[:-4]) + (wshape[1] * groups,) + tuple(out)


def _transpose3d_infer(x: Meta, w: Meta, **attrs) -> Meta:
    a = _transpose3d_attrs(x.shape, w.shape, **attrs)
    return Meta(_transpose3d_out_shape(x.shape, w.shape, a), _float_dtype(x, w))


@register("conv_transpose3d", infer=_transpose3d_infer, canon=_transpose3d_canon, promote=True,
          saves=(0, 1))
def conv_transpose3d(xp, x, w, *, stride=(1, 1, 1), padding=(0, 0, 0),
                     output_padding=(0, 0, 0), dilation=(1, 1, 1), groups=1):
    """PyTorch's F.conv_transpose3d without bias: w [in, out/groups, kd, kh, kw]; the adjoint
    of conv3d in its input."""
    a = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
         "output_padding": output_padding}
    unbatched = x.ndim == 4
    if unbatched:
        x = x[None]
    shape = _transpose3d_out_shape(x.shape, w.shape, a)
    out = conv_nd_input_grad(xp, x, shape, w, stride, padding, dilation, groups)
    return out[0] if unbatched else out


@conv_transpose3d.defvjp
def _conv_transpose3d_vjp(h, x, w, out, needs_grad=(True, True), *, output_padding=(0, 0, 0),
                          **attrs):
    extra = adjoint_extra(output_padding, attrs["stride"])
    gx = end_pad(conv3d(h, w, **attrs), extra, crop=True) if needs_grad[0] else None
    gw = conv3d_weight_grad(end_pad(x, extra), h, w, **attrs) if needs_grad[1] else None
    return gx, gw
