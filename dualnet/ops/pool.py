"""Pooling (NCHW or CHW, PyTorch semantics): max_pool2d, avg_pool2d, adaptive_avg_pool2d, their
gradient kernels, and the 1-D composites.

Windows are read as strided slices of the padded input, one per kernel tap (a loop over the
kernel window, never over pixels). The max-pool gradient goes to the first maximum of each
window, as in PyTorch; max_pool2d_gather (the adjoint of max_pool2d_grad) makes the max-pool
gradient differentiable again.

Attributes (canonical forms): `kernel_size`, `stride` (default: the kernel), `dilation` pairs;
`padding` (ph, pw), or (top, bottom, left, right) when asymmetric (Paddle's 'SAME');
`ceil_mode` bool; avg: `count_include_pad` bool, `divisor_override` int or None;
adaptive: `output_size` (oh, ow), None keeping the input size.
"""
from __future__ import annotations

import numpy as np

from .conv import canon_padding, like_layout, pad2d, pads4, positive_pair, shape_str, to_2d
from .registry import Meta, register


# ---------------------------------------------------------------- geometry

def _check_input(xshape) -> None:
    if len(xshape) not in (3, 4):
        raise ValueError(f"expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                         f"{shape_str(xshape)}")


def _pool_attrs(xshape, kernel_size, stride, padding, dilation, what) -> dict:
    _check_input(xshape)
    k = positive_pair("kernel_size", kernel_size)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else positive_pair("stride", stride)
    d = positive_pair("dilation", dilation)
    p = canon_padding(padding, k, s, d, xshape[-2:])
    for kk, dd, (lo, hi) in zip(k, d, (pads4(p)[:2], pads4(p)[2:])):
        eff = dd * (kk - 1) + 1
        if 2 * max(lo, hi) > eff:
            half = "effective kernel size" if what == "max_pool2d" else "kernel size"
            raise ValueError(f"pad should be at most half of {half}, but got padding={p}, "
                             f"kernel_size={k}" + (f" and dilation={d}" if dd > 1 else ""))
    return {"kernel_size": k, "stride": s, "padding": p, "dilation": d}


def pool_out_len(size, k, s, d, pad_lo, pad_hi, ceil_mode) -> int:
    """PyTorch's pooling_output_shape (-1 stays unknown)."""
    if size < 0:
        return -1
    n = (size + pad_lo + pad_hi - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (n - 1) * s >= size + pad_lo:
        n -= 1  # the last window must start inside the input or the leading padding
    if n <= 0:
        raise ValueError(f"input size {size} with padding ({pad_lo}, {pad_hi}) is too small for "
                         f"kernel size {k} (dilation {d}): the output would be empty")
    return n


def _out_hw(hw, a, ceil_mode) -> tuple:
    pt, pb, pl, pr = pads4(a["padding"])
    k, s, d = a["kernel_size"], a["stride"], a["dilation"]
    return (pool_out_len(hw[0], k[0], s[0], d[0], pt, pb, ceil_mode),
            pool_out_len(hw[1], k[1], s[1], d[1], pl, pr, ceil_mode))


def _geometry(x, a, ceil_mode):
    """(OH, OW), the padding actually applied (extended at the bottom/right so that ceil_mode
    windows fit), and the slices of one tap each, in PyTorch's row-major window order."""
    (kh, kw), (sh, sw), (dh, dw) = a["kernel_size"], a["stride"], a["dilation"]
    pt, pb, pl, pr = pads4(a["padding"])
    h, w = x.shape[-2:]
    oh, ow = _out_hw((h, w), a, ceil_mode)
    pb = max(pb, (oh - 1) * sh + dh * (kh - 1) + 1 - h - pt)
    pr = max(pr, (ow - 1) * sw + dw * (kw - 1) + 1 - w - pl)
    taps = [(slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
             slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))
            for i in range(kh) for j in range(kw)]
    return (oh, ow), (pt, pb, pl, pr), taps


def _disjoint(a) -> bool:
    """True when no input position belongs to two windows (the gradient can be assigned)."""
    return all(s >= d * (k - 1) + 1
               for k, s, d in zip(a["kernel_size"], a["stride"], a["dilation"]))


def _crop(xp, padded, pads, hw):
    pt, _, pl, _ = pads
    return padded[..., pt:pt + hw[0], pl:pl + hw[1]]


def _pool_meta(x: Meta, a, ceil_mode, what) -> Meta:
    if x.dtype.kind not in "fiu":
        raise ValueError(f"{what} expects a real input, got {x.dtype}")
    return Meta(tuple(x.shape[:-2]) + _out_hw(x.shape[-2:], a, ceil_mode), x.dtype)


def _check_g(g: Meta, expected: Meta, x: Meta, what) -> None:
    if len(g.shape) != len(expected.shape) or any(
            d >= 0 and e >= 0 and d != e for d, e in zip(g.shape, expected.shape)):
        raise ValueError(f"gradient {shape_str(g.shape)} does not match the {what} output "
                         f"{shape_str(expected.shape)} of input {shape_str(x.shape)}")


# ---------------------------------------------------------------- max_pool2d

def _max_attrs(xshape, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    a = _pool_attrs(xshape, kernel_size, stride, padding, dilation, "max_pool2d")
    a["ceil_mode"] = bool(ceil_mode)
    return a


def _max_canon(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return _max_attrs(tuple(x.shape), kernel_size, stride, padding, dilation, ceil_mode)


def _max_grad_canon(g, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return _max_attrs(tuple(x.shape), kernel_size, stride, padding, dilation, ceil_mode)


def _max_infer(x: Meta, **attrs) -> Meta:
    a = _max_attrs(x.shape, **attrs)
    return _pool_meta(x, a, a["ceil_mode"], "max_pool2d")


def _lowest(dtype):
    dtype = np.dtype(dtype)
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _max_windows(xp, x, a):
    """(padded x, pads, taps, window maxima)."""
    key = (x.shape[-2:], x.dtype, a["kernel_size"], a["stride"], a["padding"], a["dilation"],
           a["ceil_mode"])
    try:
        plan = _WINDOWS.get(key)
    except TypeError:  # attrs given as lists (not through canon): no memo
        plan = key = None
    if plan is None:
        plan = _window_plan(x, a)
        if key is not None and len(_WINDOWS) < 256:
            _WINDOWS[key] = plan
    pads, taps, rows, cols, lowest = plan
    xpad = pad2d(xp, x, pads, lowest)
    return xpad, pads, taps, _separable_max(xp, xpad, rows, cols)


_WINDOWS: dict = {}  # _max_windows' geometry per (H, W, dtype, attrs): a pooling layer's
#                      Python work (seven helper calls) is done once per input shape


def _window_plan(x, a) -> tuple:
    """(pads, taps, the taps' rows, the taps' columns, the padding value) of max windows."""
    _, pads, taps = _geometry(x, a, a["ceil_mode"])
    kh, kw = a["kernel_size"]
    rows = [taps[i * kw][0] for i in range(kh)]  # taps are in row-major window order
    return pads, tuple(taps), rows, [c for _, c in taps[:kw]], _lowest(x.dtype)


def _separable_max(xp, xpad, rows, cols):
    """The maxima of the windows: over the kernel's rows first (whole padded rows: long runs in
    a batch-last layout), then over its columns; (kh - 1) + (kw - 1) ufunc calls instead of
    kh * kw - 1. NaN propagates, as in PyTorch."""
    by_rows = _maximum_of(xp, [xpad[..., r, :] for r in rows])
    res = _maximum_of(xp, [by_rows[..., c] for c in cols])
    return res if res.base is None else res.copy()  # a 1x1 window: a view so far


def _maximum_of(xp, views):
    """The elementwise maximum of arrays of one shape: a new array unless there is one view."""
    out = views[0] if len(views) == 1 else xp.maximum(views[0], views[1])
    for v in views[2:]:
        xp.maximum(out, v, out=out)
    return out


def _first_max_taps(xpad, out, taps):
    """Yield (rows, cols, mask): mask marks where this tap is the first maximum of its window
    (PyTorch's choice on ties). Each mask is used before the next one is made."""
    taken = None
    for t, (rows, cols) in enumerate(taps):
        hit = xpad[..., rows, cols] == out
        if taken is None:
            first, taken = hit, hit
        else:
            first = hit & ~taken
            if t < len(taps) - 1:
                taken |= hit
        yield rows, cols, first


@register("max_pool2d", infer=_max_infer, canon=_max_canon, saves=(0,))
def max_pool2d(xp, x, *, kernel_size, stride=None, padding=(0, 0), dilation=(1, 1),
               ceil_mode=False):
    """PyTorch's F.max_pool2d (values only)."""
    a = {"kernel_size": kernel_size, "stride": stride or kernel_size, "padding": padding,
         "dilation": dilation, "ceil_mode": ceil_mode}
    return _max_windows(xp, x, a)[3]


@max_pool2d.defvjp
def _max_pool2d_vjp(g, x, out, **attrs):
    return (max_pool2d_grad(g, x, **attrs),)


def _max_grad_infer(g: Meta, x: Meta, **attrs) -> Meta:
    _check_g(g, _max_infer(x, **attrs), x, "max_pool2d")
    return Meta(x.shape, g.dtype)


@register("max_pool2d_grad", infer=_max_grad_infer, canon=_max_grad_canon, promote=True,
          saves=(1,))
def max_pool2d_grad(xp, g, x, *, kernel_size, stride=None, padding=(0, 0), dilation=(1, 1),
                    ceil_mode=False):
    """Gradient of max_pool2d: g goes to the first maximum of each window of x (a g of +-inf or
    NaN also leaves NaN at the window's other positions)."""
    a = {"kernel_size": kernel_size, "stride": stride or kernel_size, "padding": padding,
         "dilation": dilation, "ceil_mode": ceil_mode}
    xpad, pads, taps, out = _max_windows(xp, x, a)
    gx = like_layout(xp, xpad, xpad.shape, g.dtype)
    disjoint = _disjoint(a)
    for rows, cols, first in _first_max_taps(xpad, out, taps):
        if disjoint:
            xp.multiply(g, first, out=gx[..., rows, cols])
        else:
            gx[..., rows, cols] += g * first
    return _crop(xp, gx, pads, x.shape[-2:])


@max_pool2d_grad.defvjp
def _max_pool2d_grad_vjp(h, g, x, out, **attrs):
    return max_pool2d_gather(h, x, **attrs), None


def _gather_infer(h: Meta, x: Meta, **attrs) -> Meta:
    if len(h.shape) != len(x.shape) or any(
            d >= 0 and e >= 0 and d != e for d, e in zip(h.shape, x.shape)):
        raise ValueError(f"values {shape_str(h.shape)} must have the input's shape "
                         f"{shape_str(x.shape)}")
    return Meta(_max_infer(x, **attrs).shape, h.dtype)


@register("max_pool2d_gather", infer=_gather_infer, canon=_max_grad_canon, promote=True,
          saves=(1,))
def max_pool2d_gather(xp, h, x, *, kernel_size, stride=None, padding=(0, 0), dilation=(1, 1),
                      ceil_mode=False):
    """h's values at the positions max_pool2d(x) selects (the adjoint of max_pool2d_grad)."""
    a = {"kernel_size": kernel_size, "stride": stride or kernel_size, "padding": padding,
         "dilation": dilation, "ceil_mode": ceil_mode}
    xpad, pads, taps, out = _max_windows(xp, x, a)
    hpad = pad2d(xp, h, pads)
    res = None
    for rows, cols, first in _first_max_taps(xpad, out, taps):
        term = hpad[..., rows, cols] * first
        if res is None:
            res = term
        else:
            res += term
    return res


@max_pool2d_gather.defvjp
def _max_pool2d_gather_vjp(g, h, x, out, **attrs):
    return max_pool2d_grad(g, x, **attrs), None


# ---------------------------------------------------------------- avg_pool2d

def _avg_attrs(xshape, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    a = _pool_attrs(xshape, kernel_size, stride, padding, 1, "avg_pool2d")
    del a["dilation"]
    if divisor_override is not None:
        divisor_override = int(divisor_override)
        if divisor_override == 0:
            raise ValueError("divisor must be not zero")
    a.update(ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
             divisor_override=divisor_override)
    return a


def _avg_canon(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_attrs(tuple(x.shape), kernel_size, stride, padding, ceil_mode,
                      count_include_pad, divisor_override)


def _avg_grad_canon(g, x, **attrs):
    return _avg_canon(x, **attrs)


def _avg_infer(x: Meta, **attrs) -> Meta:
    a = _avg_attrs(x.shape, **attrs)
    a["dilation"] = (1, 1)
    if x.dtype.kind != "f":
        raise ValueError(f"avg_pool2d expects a floating point input, got {x.dtype}")
    return _pool_meta(x, a, a["ceil_mode"], "avg_pool2d")


def _avg_geometry(x, kernel_size, stride, padding, ceil_mode):
    a = {"kernel_size": kernel_size, "stride": stride or kernel_size, "padding": padding,
         "dilation": (1, 1)}
    return a, _geometry(x, a, ceil_mode)


def _inv_divisor(xp, dtype, hw, a, out_hw, count_include_pad, divisor_override):
    """1 / (the divisor of each window), PyTorch's rule: a Python float when it is the same for
    every window, else an (OH, OW) array (it factors into a row and a column count)."""
    if divisor_override:
        return 1.0 / divisor_override
    pads = pads4(a["padding"])
    counts, uniform = [], True
    for size, k, s, o, lo, hi in zip(hw, a["kernel_size"], a["stride"], out_hw,
                                     pads[0::2], pads[1::2]):
        bounds = (-lo, size + hi) if count_include_pad else (0, size)
        if not (-lo >= bounds[0] and (o - 1) * s - lo + k <= bounds[1]):
            uniform = False
        start = xp.arange(o) * s - lo
        end = xp.minimum(start + k, size + hi)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, size)
        counts.append(end - start)
    if uniform:
        return 1.0 / (a["kernel_size"][0] * a["kernel_size"][1])
    return (1.0 / (counts[0][:, None] * counts[1][None, :])).astype(dtype)


@register("avg_pool2d", infer=_avg_infer, canon=_avg_canon, saves=(0,))
def avg_pool2d(xp, x, *, kernel_size, stride=None, padding=(0, 0), ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """PyTorch's F.avg_pool2d."""
    a, (out_hw, pads, taps) = _avg_geometry(x, kernel_size, stride, padding, ceil_mode)
    xpad = pad2d(xp, x, pads)
    total = None
    for t, (rows, cols) in enumerate(taps):
        v = xpad[..., rows, cols]
        if t == 0:
            total = v
        elif t == 1:
            total = total + v
        else:
            total += v
    inv = _inv_divisor(xp, x.dtype, x.shape[-2:], a, out_hw, count_include_pad,
                       divisor_override)
    return total * inv


@avg_pool2d.defvjp
def _avg_pool2d_vjp(g, x, out, **attrs):
    return (avg_pool2d_grad(g, x, **attrs),)


def _avg_grad_infer(g: Meta, x: Meta, **attrs) -> Meta:
    _check_g(g, _avg_infer(x, **attrs), x, "avg_pool2d")
    return Meta(x.shape, g.dtype)


@register("avg_pool2d_grad", infer=_avg_grad_infer, canon=_avg_grad_canon, promote=True,
          saves=())
def avg_pool2d_grad(xp, g, x, *, kernel_size, stride=None, padding=(0, 0), ceil_mode=False,
                    count_include_pad=True, divisor_override=None):
    """Gradient of avg_pool2d (x is only the shape reference): g / divisor spread over each
    window."""
    a, (out_hw, pads, taps) = _avg_geometry(x, kernel_size, stride, padding, ceil_mode)
    gs = g * _inv_divisor(xp, g.dtype, x.shape[-2:], a, out_hw, count_include_pad,
                          divisor_override)
    hp = x.shape[-2] + pads[0] + pads[1]
    wp = x.shape[-1] + pads[2] + pads[3]
    gx = like_layout(xp, x, tuple(x.shape[:-2]) + (hp, wp), g.dtype)
    disjoint = _disjoint(a)
    for rows, cols in taps:
        if disjoint:
            gx[..., rows, cols] = gs
        else:
            gx[..., rows, cols] += gs
    return _crop(xp, gx, pads, x.shape[-2:])


@avg_pool2d_grad.defvjp
def _avg_pool2d_grad_vjp(h, g, x, out, **attrs):
    # avg_pool2d is linear: its gradient's adjoint is avg_pool2d itself.
    return avg_pool2d(h, **attrs), None


# ---------------------------------------------------------------- adaptive_avg_pool2d

def _adaptive_size(xshape, output_size) -> tuple:
    _check_input(xshape)
    if not isinstance(output_size, (list, tuple)):
        output_size = (output_size, output_size)
    if len(output_size) != 2:
        raise ValueError(f"output_size must be an int or a pair, got {output_size}")
    out = []
    for o, size in zip(output_size, xshape[-2:]):
        if o is None:
            out.append(size if size >= 0 else None)
        elif int(o) < 1:
            raise ValueError(f"output_size must be positive, got {tuple(output_size)}")
        else:
            out.append(int(o))
    return tuple(out)


def _adaptive_canon(x, output_size):
    return {"output_size": _adaptive_size(tuple(x.shape), output_size)}


def _adaptive_grad_canon(g, x, output_size):
    return _adaptive_canon(x, output_size)


def _adaptive_infer(x: Meta, output_size) -> Meta:
    size = _adaptive_size(x.shape, output_size)
    if x.dtype.kind != "f":
        raise ValueError(f"adaptive_avg_pool2d expects a floating point input, got {x.dtype}")
    out = tuple(-1 if o is None else o for o in size)
    return Meta(tuple(x.shape[:-2]) + out, x.dtype)


def _adaptive_matrix(xp, out_len, in_len, dtype):
    """(out_len, in_len) averaging matrix: row o averages [floor(o*I/O), ceil((o+1)*I/O))."""
    o = xp.arange(out_len)[:, None]
    i = xp.arange(in_len)[None, :]
    start = (o * in_len) // out_len
    end = ((o + 1) * in_len + out_len - 1) // out_len
    inside = (i >= start) & (i < end)
    return inside.astype(dtype) / (end - start).astype(dtype)


def adaptive_avg_nd(xp, x, output_size, adjoint=False, in_sizes=None):
    """Adaptive averaging over the trailing len(output_size) dims, one small GEMM per axis with
    its averaging matrix; adjoint=True applies the transpose (the gradient, back to
    `in_sizes`)."""
    n = len(output_size)
    y = x
    for i in range(n):
        axis = x.ndim - n + i
        size = in_sizes[i] if adjoint else x.shape[axis]
        o = size if output_size[i] is None else output_size[i]
        if o == size:
            continue
        m = _adaptive_matrix(xp, o, size, x.dtype)
        moved = xp.moveaxis(y, axis, -1)
        y = xp.moveaxis(xp.matmul(moved, m if adjoint else m.T), -1, axis)
    return y if y is not x else x.copy()


def _resolve(x, output_size):
    return tuple(size if o is None else o for o, size in zip(output_size, x.shape[-2:]))


@register("adaptive_avg_pool2d", infer=_adaptive_infer, canon=_adaptive_canon, saves=(0,))
def adaptive_avg_pool2d(xp, x, *, output_size):
    """PyTorch's F.adaptive_avg_pool2d: two small GEMMs with separable averaging matrices."""
    oh, ow = _resolve(x, output_size)
    h, w = x.shape[-2:]
    if (oh, ow) == (1, 1):
        return x.mean(axis=(-2, -1), keepdims=True)
    if (oh, ow) == (h, w):
        return x.copy()
    return xp.ascontiguousarray(adaptive_avg_nd(xp, x, (oh, ow)))


@adaptive_avg_pool2d.defvjp
def _adaptive_avg_pool2d_vjp(g, x, out, output_size):
    return (adaptive_avg_pool2d_grad(g, x, output_size=output_size),)


def _adaptive_grad_infer(g: Meta, x: Meta, output_size) -> Meta:
    _check_g(g, _adaptive_infer(x, output_size), x, "adaptive_avg_pool2d")
    return Meta(x.shape, g.dtype)


@register("adaptive_avg_pool2d_grad", infer=_adaptive_grad_infer, canon=_adaptive_grad_canon,
          promote=True, saves=())
def adaptive_avg_pool2d_grad(xp, g, x, *, output_size):
    """Gradient of adaptive_avg_pool2d (x is only the shape reference)."""
    oh, ow = _resolve(x, output_size)
    h, w = x.shape[-2:]
    if (oh, ow) == (1, 1):
        gx = xp.empty(x.shape, dtype=g.dtype)
        gx[...] = g * (1.0 / (h * w))
        return gx
    if (oh, ow) == (h, w):
        return g.copy()
    return xp.ascontiguousarray(adaptive_avg_nd(xp, g, (oh, ow), adjoint=True,
                                                in_sizes=x.shape[-2:]))


@adaptive_avg_pool2d_grad.defvjp
def _adaptive_avg_pool2d_grad_vjp(h, g, x, out, output_size):
    return adaptive_avg_pool2d(h, output_size=output_size), None


# ---------------------------------------------------------------- 1-D composites

def _pool1d(fn, x, **attrs):
    from .shape import squeeze, unsqueeze  # H2's ops (the shape family)

    axis = x.ndim - 1
    return squeeze(fn(unsqueeze(x, axis=axis), **attrs), axis=axis)


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """PyTorch's F.max_pool1d (values only): x (N, C, L) or (C, L)."""
    return _pool1d(max_pool2d, x, kernel_size=to_2d(kernel_size, 1),
                   stride=to_2d(stride, 1), padding=to_2d(padding, 0),
                   dilation=to_2d(dilation, 1), ceil_mode=ceil_mode)


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """PyTorch's F.avg_pool1d: x (N, C, L) or (C, L)."""
    return _pool1d(avg_pool2d, x, kernel_size=to_2d(kernel_size, 1),
                   stride=to_2d(stride, 1), padding=to_2d(padding, 0),
                   ceil_mode=ceil_mode, count_include_pad=count_include_pad)


def adaptive_avg_pool1d(x, output_size):
    """PyTorch's F.adaptive_avg_pool1d: x (N, C, L) or (C, L)."""
    return _pool1d(adaptive_avg_pool2d, x, output_size=to_2d(output_size, 1))


# ---------------------------------------------------------------- adaptive max pooling

def adaptive_max_pool2d(x, output_size):
    """PyTorch's / Paddle's adaptive max pooling of (N, C, H, W) (or (C, H, W)), any sizes
    (pool_nd.adaptive_max_pool_nd). output_size: int or pair (None keeps the input size)."""
    from .pool_nd import adaptive_max_pool_nd

    return adaptive_max_pool_nd(x, output_size, 2)


def adaptive_max_pool1d(x, output_size):
    """Adaptive max pooling of (N, C, L) or (C, L)."""
    o = output_size if isinstance(output_size, int) else output_size[0]
    return _pool1d(adaptive_max_pool2d, x, output_size=(1, o))


from . import pool_nd  # noqa: E402,F401  (3-D pooling: rank-generic kernels)
