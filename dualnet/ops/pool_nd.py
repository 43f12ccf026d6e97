"""3-D pooling (NCDHW or CDHW, PyTorch semantics) on rank-generic kernels: max_pool3d (+ its
gradient, the gradient's adjoint and the argmax indices), avg_pool3d (+ gradient),
adaptive_avg_pool3d (+ gradient); adaptive max pooling as a composite for any rank.

Window maxima and sums are separable: one pass per spatial axis over strided slices of the
padded input (a loop over the kernel's extent along that axis, never over voxels). Gradients
loop over the kernel volume (one strided slice per tap). The max-pool gradient goes to the first
maximum of each window in row-major window order, as in PyTorch.

Attributes (canonical forms): `kernel_size`, `stride` (default: the kernel), `dilation`
triples; `padding` (pd, ph, pw) or (front, back, top, bottom, left, right); `ceil_mode` bool;
avg: `count_include_pad` bool, `divisor_override` int or None; adaptive: `output_size` triple
(None keeps the input size).
"""
from __future__ import annotations

import itertools
import math

from .conv import canon_padding, positive_pair, shape_str
from .conv_nd import pad_nd, pads_nd
from .pool import _lowest, _maximum_of, adaptive_avg_nd, pool_out_len
from .registry import Meta, register


# ---------------------------------------------------------------- geometry

def _check_rank(xshape, n, what) -> None:
    if len(xshape) not in (n + 1, n + 2):
        raise ValueError(f"{what} expects a {n + 1}-D (C, ...) or {n + 2}-D (N, C, ...) "
                         f"input, got {shape_str(xshape)}")


def pool_nd_attrs(xshape, n, what, kernel_size, stride=None, padding=0, dilation=1) -> dict:
    _check_rank(xshape, n, what)
    k = positive_pair("kernel_size", kernel_size, n)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else positive_pair("stride", stride, n)
    d = positive_pair("dilation", dilation, n)
    p = canon_padding(padding, k, s, d, tuple(xshape[-n:]))
    for kk, dd, (lo, hi) in zip(k, d, pads_nd(p, n)):
        if 2 * max(lo, hi) > dd * (kk - 1) + 1:
            raise ValueError(f"{what}: pad should be at most half of the effective kernel "
                             f"size, but got padding={p}, kernel_size={k}, dilation={d}")
    return {"kernel_size": k, "stride": s, "padding": p, "dilation": d}


def _out_sizes(sizes, a, ceil_mode) -> tuple:
    return tuple(pool_out_len(size, k, s, d, lo, hi, ceil_mode) for size, k, s, d, (lo, hi)
                 in zip(sizes, a["kernel_size"], a["stride"], a["dilation"],
                        pads_nd(a["padding"], len(sizes))))


def _geometry(sizes, a, ceil_mode):
    """(output sizes, the padding applied (extended after so that ceil_mode windows fit), the
    slices of each kernel offset per axis)."""
    out = _out_sizes(sizes, a, ceil_mode)
    pads, per_axis = [], []
    for size, o, k, s, d, (lo, hi) in zip(sizes, out, a["kernel_size"], a["stride"],
                                          a["dilation"], pads_nd(a["padding"], len(sizes))):
        pads.append((lo, max(hi, (o - 1) * s + d * (k - 1) + 1 - size - lo)))
        per_axis.append([slice(j * d, j * d + s * (o - 1) + 1, s) for j in range(k)])
    return out, tuple(pads), per_axis


def _at(tap) -> tuple:
    return (slice(None), slice(None)) + tuple(tap)


def _crop(padded, pads, sizes):
    return padded[_at(slice(lo, lo + s) for (lo, _), s in zip(pads, sizes))]


def _disjoint(a) -> bool:
    return all(s >= d * (k - 1) + 1
               for k, s, d in zip(a["kernel_size"], a["stride"], a["dilation"]))


def _batched(x, n, fn):
    """fn on a batched (N, C, *S) view of x (unbatched inputs get a batch dim of 1)."""
    if x.ndim == n + 1:
        res = fn(x[None])
        return tuple(r[0] for r in res) if isinstance(res, tuple) else res[0]
    return fn(x)


def _check_g(g: Meta, expected: tuple, x: Meta, what) -> None:
    if len(g.shape) != len(expected) or any(
            d >= 0 and e >= 0 and d != e for d, e in zip(g.shape, expected)):
        raise ValueError(f"gradient {shape_str(g.shape)} does not match the {what} output "
                         f"{shape_str(expected)} of input {shape_str(x.shape)}")


# ---------------------------------------------------------------- max_pool3d

def _max_attrs(xshape, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    a = pool_nd_attrs(xshape, 3, "max_pool3d", kernel_size, stride, padding, dilation)
    a["ceil_mode"] = bool(ceil_mode)
    return a


def _max_canon(x, **attrs):
    return _max_attrs(tuple(x.shape), **attrs)


def _max_grad_canon(g, x, **attrs):
    return _max_attrs(tuple(x.shape), **attrs)


def _max_out_shape(x: Meta, attrs) -> tuple:
    a = _max_attrs(x.shape, **attrs)
    if x.dtype.kind not in "fiu":
        raise ValueError(f"max_pool3d expects a real input, got {x.dtype}")
    return tuple(x.shape[:-3]) + _out_sizes(x.shape[-3:], a, a["ceil_mode"])


def _max_infer(x: Meta, **attrs) -> Meta:
    return Meta(_max_out_shape(x, attrs), x.dtype)


def max_windows(xp, x, a):
    """(padded x, pads, per-axis tap slices, window maxima) of a batched input."""
    _, pads, per_axis = _geometry(x.shape[2:], a, a["ceil_mode"])
    xpad = pad_nd(xp, x, pads, _lowest(x.dtype))
    res = xpad
    for i, slices in enumerate(per_axis):
        lead = (slice(None),) * (2 + i)
        res = _maximum_of(xp, [res[lead + (sl,)] for sl in slices])
    return xpad, pads, per_axis, (res if res.base is None else res.copy())


def first_max_taps(xpad, out, per_axis):
    """Yield (tap offsets, tap slices, mask): mask marks where this tap is the first maximum
    of its window (PyTorch's choice on ties); each mask is used before the next is made."""
    taken = None
    for offsets in itertools.product(*(range(len(s)) for s in per_axis)):
        tap = tuple(s[j] for s, j in zip(per_axis, offsets))
        hit = xpad[_at(tap)] == out
        if taken is None:
            first, taken = hit, hit.copy()
        else:
            first = hit & ~taken
            taken |= hit
        yield offsets, tap, first


def _max_a(kernel_size, stride, padding, dilation, ceil_mode) -> dict:
    return {"kernel_size": kernel_size, "stride": stride or kernel_size, "padding": padding,
            "dilation": dilation, "ceil_mode": ceil_mode}


@register("max_pool3d", infer=_max_infer, canon=_max_canon, saves=(0,))
def max_pool3d(xp, x, *, kernel_size, stride=None, padding=(0, 0, 0), dilation=(1, 1, 1),
               ceil_mode=False):
    """PyTorch's F.max_pool3d (values; max_pool3d_indices gives the argmax)."""
    a = _max_a(kernel_size, stride, padding, dilation, ceil_mode)
    return _batched(x, 3, lambda v: max_windows(xp, v, a)[3])


@max_pool3d.defvjp
def _max_pool3d_vjp(g, x, out, **attrs):
    return (max_pool3d_grad(g, x, **attrs),)


def _max_grad_infer(g: Meta, x: Meta, **attrs) -> Meta:
    _check_g(g, _max_out_shape(x, attrs), x, "max_pool3d")
    return Meta(x.shape, g.dtype)


def _max_grad_kernel(xp, g, x, a):
    xpad, pads, per_axis, out = max_windows(xp, x, a)
    gx = xp.zeros(xpad.shape, dtype=g.dtype)
    disjoint = _disjoint(a)
    for _, tap, first in first_max_taps(xpad, out, per_axis):
        if disjoint:
            xp.multiply(g, first, out=gx[_at(tap)])
        else:
            gx[_at(tap)] += g * first
    return _crop(gx, pads, x.shape[2:])


@register("max_pool3d_grad", infer=_max_grad_infer, canon=_max_grad_canon, promote=True,
          saves=(1,))
def max_pool3d_grad(xp, g, x, *, kernel_size, stride=None, padding=(0, 0, 0),
                    dilation=(1, 1, 1), ceil_mode=False):
    """Gradient of max_pool3d: g goes to the first maximum of each window of x."""
    a = _max_a(kernel_size, stride, padding, dilation, ceil_mode)
    if x.ndim == 4:
        return _max_grad_kernel(xp, g[None], x[None], a)[0]
    return _max_grad_kernel(xp, g, x, a)


@max_pool3d_grad.defvjp
def _max_pool3d_grad_vjp(h, g, x, out, **attrs):
    return max_pool3d_gather(h, x, **attrs), None


def _gather_infer(h: Meta, x: Meta, **attrs) -> Meta:
    if len(h.shape) != len(x.shape) or any(
            d >= 0 and e >= 0 and d != e for d, e in zip(h.shape, x.shape)):
        raise ValueError(f"values {shape_str(h.shape)} must have the input's shape "
                         f"{shape_str(x.shape)}")
    return Meta(_max_out_shape(x, attrs), h.dtype)


def _gather_kernel(xp, h, x, a):
    xpad, pads, per_axis, out = max_windows(xp, x, a)
    hpad = pad_nd(xp, h, pads)
    res = None
    for _, tap, first in first_max_taps(xpad, out, per_axis):
        term = hpad[_at(tap)] * first
        res = term if res is None else res + term
    return res


@register("max_pool3d_gather", infer=_gather_infer, canon=_max_grad_canon, promote=True,
          saves=(1,))
def max_pool3d_gather(xp, h, x, *, kernel_size, stride=None, padding=(0, 0, 0),
                      dilation=(1, 1, 1), ceil_mode=False):
    """h's values at the positions max_pool3d(x) selects (the adjoint of max_pool3d_grad)."""
    a = _max_a(kernel_size, stride, padding, dilation, ceil_mode)
    if x.ndim == 4:
        return _gather_kernel(xp, h[None], x[None], a)[0]
    return _gather_kernel(xp, h, x, a)


@max_pool3d_gather.defvjp
def _max_pool3d_gather_vjp(g, h, x, out, **attrs):
    return max_pool3d_grad(g, x, **attrs), None


def _indices_infer(x: Meta, **attrs) -> Meta:
    import numpy as np

    return Meta(_max_out_shape(x, attrs), np.dtype("int64"))


def _indices_kernel(xp, x, a):
    xpad, pads, per_axis, out = max_windows(xp, x, a)
    sizes = x.shape[2:]
    flat_strides = [math.prod(sizes[i + 1:]) for i in range(len(sizes))]
    idx = xp.zeros(out.shape, dtype="int64")
    for offsets, _, first in first_max_taps(xpad, out, per_axis):
        flat = 0
        for i, (j, (lo, _)) in enumerate(zip(offsets, pads)):
            o = out.shape[2 + i]
            coord = xp.arange(o) * a["stride"][i] + j * a["dilation"][i] - lo
            shape = [1] * len(sizes)
            shape[i] = o
            flat = flat + coord.reshape(shape) * flat_strides[i]
        idx = xp.where(first, flat, idx)
    return idx


@register("max_pool3d_indices", infer=_indices_infer, canon=_max_canon, saves=(),
          differentiable=False)
def max_pool3d_indices(xp, x, *, kernel_size, stride=None, padding=(0, 0, 0),
                       dilation=(1, 1, 1), ceil_mode=False):
    """The argmax of each max_pool3d window as a flat index into the input's D*H*W (PyTorch's
    return_indices, Paddle's return_mask)."""
    a = _max_a(kernel_size, stride, padding, dilation, ceil_mode)
    return _batched(x, 3, lambda v: _indices_kernel(xp, v, a))


# ---------------------------------------------------------------- avg_pool3d

def _avg_attrs(xshape, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    a = pool_nd_attrs(xshape, 3, "avg_pool3d", kernel_size, stride, padding, 1)
    del a["dilation"]
    if divisor_override is not None:
        divisor_override = int(divisor_override)
        if divisor_override == 0:
            raise ValueError("divisor must be not zero")
    a.update(ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
             divisor_override=divisor_override)
    return a


def _avg_canon(x, **attrs):
    return _avg_attrs(tuple(x.shape), **attrs)


def _avg_grad_canon(g, x, **attrs):
    return _avg_attrs(tuple(x.shape), **attrs)


def _avg_out_shape(x: Meta, attrs) -> tuple:
    a = _avg_attrs(x.shape, **attrs)
    a["dilation"] = (1, 1, 1)
    if x.dtype.kind != "f":
        raise ValueError(f"avg_pool3d expects a floating point input, got {x.dtype}")
    return tuple(x.shape[:-3]) + _out_sizes(x.shape[-3:], a, a["ceil_mode"])


def _avg_infer(x: Meta, **attrs) -> Meta:
    return Meta(_avg_out_shape(x, attrs), x.dtype)


def _avg_a(kernel_size, stride, padding, ceil_mode) -> dict:
    return {"kernel_size": kernel_size, "stride": stride or kernel_size, "padding": padding,
            "dilation": (1,) * len(kernel_size), "ceil_mode": ceil_mode}


def inv_divisor(xp, dtype, sizes, a, out, count_include_pad, divisor_override):
    """1 / (each window's divisor), PyTorch's rule: a float when uniform, else an array over
    the output's spatial dims (the product of one count per axis)."""
    if divisor_override:
        return 1.0 / divisor_override
    inv, uniform = None, True
    for i, (size, k, s, o, (lo, hi)) in enumerate(zip(sizes, a["kernel_size"], a["stride"],
                                                      out, pads_nd(a["padding"], len(sizes)))):
        bounds = (-lo, size + hi) if count_include_pad else (0, size)
        if not (-lo >= bounds[0] and (o - 1) * s - lo + k <= bounds[1]):
            uniform = False
        start = xp.arange(o) * s - lo
        end = xp.minimum(start + k, size + hi)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, size)
        shape = [1] * len(sizes)
        shape[i] = o
        count = (end - start).reshape(shape)
        inv = count if inv is None else inv * count
    if uniform:
        return 1.0 / math.prod(a["kernel_size"])
    return (1.0 / inv).astype(dtype)


def _avg_kernel(xp, x, a, count_include_pad, divisor_override):
    out, pads, per_axis = _geometry(x.shape[2:], a, a["ceil_mode"])
    total = pad_nd(xp, x, pads)
    for i, slices in enumerate(per_axis):
        lead = (slice(None),) * (2 + i)
        views = [total[lead + (sl,)] for sl in slices]
        total = views[0] + views[1] if len(views) > 1 else views[0].copy()
        for v in views[2:]:
            total += v
    return total * inv_divisor(xp, x.dtype, x.shape[2:], a, out, count_include_pad,
                               divisor_override)


@register("avg_pool3d", infer=_avg_infer, canon=_avg_canon, saves=(0,))
def avg_pool3d(xp, x, *, kernel_size, stride=None, padding=(0, 0, 0), ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """PyTorch's F.avg_pool3d."""
    a = _avg_a(kernel_size, stride, padding, ceil_mode)
    return _batched(x, 3, lambda v: _avg_kernel(xp, v, a, count_include_pad, divisor_override))


@avg_pool3d.defvjp
def _avg_pool3d_vjp(g, x, out, **attrs):
    return (avg_pool3d_grad(g, x, **attrs),)


def _avg_grad_infer(g: Meta, x: Meta, **attrs) -> Meta:
    _check_g(g, _avg_out_shape(x, attrs), x, "avg_pool3d")
    return Meta(x.shape, g.dtype)


def _avg_grad_kernel(xp, g, xshape, a, count_include_pad, divisor_override):
    out, pads, per_axis = _geometry(xshape[2:], a, a["ceil_mode"])
    gs = g * inv_divisor(xp, g.dtype, xshape[2:], a, out, count_include_pad, divisor_override)
    gx = xp.zeros(tuple(xshape[:2]) + tuple(s + lo + hi for s, (lo, hi) in
                                            zip(xshape[2:], pads)), dtype=g.dtype)
    disjoint = _disjoint(a)
    for tap in itertools.product(*per_axis):
        if disjoint:
            gx[_at(tap)] = gs
        else:
            gx[_at(tap)] += gs
    return _crop(gx, pads, xshape[2:])


@register("avg_pool3d_grad", infer=_avg_grad_infer, canon=_avg_grad_canon, promote=True,
          saves=())
def avg_pool3d_grad(xp, g, x, *, kernel_size, stride=None, padding=(0, 0, 0), ceil_mode=False,
                    count_include_pad=True, divisor_override=None):
    """Gradient of avg_pool3d (x is only the shape reference)."""
    a = _avg_a(kernel_size, stride, padding, ceil_mode)
    if x.ndim == 4:
        return _avg_grad_kernel(xp, g[None], (1,) + x.shape, a, count_include_pad,
                                divisor_override)[0]
    return _avg_grad_kernel(xp, g, x.shape, a, count_include_pad, divisor_override)


@avg_pool3d_grad.defvjp
def _avg_pool3d_grad_vjp(h, g, x, out, **attrs):
    return avg_pool3d(h, **attrs), None


# ---------------------------------------------------------------- adaptive_avg_pool3d

def adaptive_size(xshape, output_size, n, what) -> tuple:
    _check_rank(xshape, n, what)
    if not isinstance(output_size, (list, tuple)):
        output_size = (output_size,) * n
    if len(output_size) != n:
        raise ValueError(f"{what}: output_size must be an int or {n} values, got "
                         f"{output_size}")
    out = []
    for o, size in zip(output_size, xshape[-n:]):
        if o is None:
            out.append(size if size >= 0 else None)
        elif int(o) < 1:
            raise ValueError(f"{what}: output_size must be positive, got {tuple(output_size)}")
        else:
            out.append(int(o))
    return tuple(out)


def _adaptive_canon(x, output_size):
    return {"output_size": adaptive_size(tuple(x.shape), output_size, 3,
                                         "adaptive_avg_pool3d")}


def _adaptive_grad_canon(g, x, output_size):
    return _adaptive_canon(x, output_size)


def _adaptive_out_shape(x: Meta, output_size) -> tuple:
    size = adaptive_size(x.shape, output_size, 3, "adaptive_avg_pool3d")
    if x.dtype.kind != "f":
        raise ValueError(f"adaptive_avg_pool3d expects a floating point input, got {x.dtype}")
    return tuple(x.shape[:-3]) + tuple(-1 if o is None else o for o in size)


def _adaptive_infer(x: Meta, output_size) -> Meta:
    return Meta(_adaptive_out_shape(x, output_size), x.dtype)


@register("adaptive_avg_pool3d", infer=_adaptive_infer, canon=_adaptive_canon, saves=(0,))
def adaptive_avg_pool3d(xp, x, *, output_size):
    """PyTorch's F.adaptive_avg_pool3d: separable averaging matrices, one GEMM per axis."""
    return xp.ascontiguousarray(adaptive_avg_nd(xp, x, output_size))


@adaptive_avg_pool3d.defvjp
def _adaptive_avg_pool3d_vjp(g, x, out, output_size):
    return (adaptive_avg_pool3d_grad(g, x, output_size=output_size),)


def _adaptive_grad_infer(g: Meta, x: Meta, output_size) -> Meta:
    _check_g(g, _adaptive_out_shape(x, output_size), x, "adaptive_avg_pool3d")
    return Meta(x.shape, g.dtype)


@register("adaptive_avg_pool3d_grad", infer=_adaptive_grad_infer, canon=_adaptive_grad_canon,
          promote=True, saves=())
def adaptive_avg_pool3d_grad(xp, g, x, *, output_size):
    """Gradient of adaptive_avg_pool3d (x is only the shape reference)."""
    return xp.ascontiguousarray(adaptive_avg_nd(xp, g, output_size, adjoint=True,
                                                in_sizes=x.shape[-3:]))


@adaptive_avg_pool3d_grad.defvjp
def _adaptive_avg_pool3d_grad_vjp(h, g, x, out, output_size):
    return adaptive_avg_pool3d(h, output_size=output_size), None


# ---------------------------------------------------------------- adaptive max pooling

def adaptive_bins(in_len: int, out_len: int) -> list:
    """[(start, end)] of each output bin: [floor(o*I/O), ceil((o+1)*I/O))."""
    return [((o * in_len) // out_len, -(-((o + 1) * in_len) // out_len))
            for o in range(out_len)]


def adaptive_max_pool_nd(x, output_size, n: int):
    """Adaptive max pooling over the last n dims of (N, C, *S) or (C, *S), any sizes:
    max_pool2d/3d when the bins tile the input evenly, else a max per bin, one axis at a time
    (a window max is separable). output_size: int or n values (None keeps the size)."""
    from .indexing import parse_index
    from .reduction import max as max_op
    from .registry import get

    what = f"adaptive_max_pool{n}d"
    sizes = tuple(x.shape[-n:])
    if min(sizes) < 0:
        raise ValueError(f"{what} needs known spatial dims, got input of shape "
                         f"{list(x.shape)}")
    size = (output_size,) * n if not isinstance(output_size, (list, tuple)) else \
        tuple(output_size)
    if len(size) != n:
        raise ValueError(f"{what}: output_size must be an int or {n} values, got {size}")
    out = tuple(s if o is None else int(o) for o, s in zip(size, sizes))
    if min(out) < 1:
        raise ValueError(f"{what}: output_size must be positive, got {size}")
    if all(s % o == 0 for s, o in zip(sizes, out)):
        k = tuple(s // o for s, o in zip(sizes, out))
        return get(f"max_pool{n}d")(x, kernel_size=k, stride=k)
    for i, (n_in, n_out) in enumerate(zip(sizes, out)):
        axis = x.ndim - n + i
        if n_in == n_out:
            continue
        pieces = []
        for start, end in adaptive_bins(n_in, n_out):
            key = (Ellipsis, slice(start, end)) + (slice(None),) * (x.ndim - 1 - axis)
            spec, tensors = parse_index(key)
            part = get("getitem")(x, *tensors, index=spec)
            pieces.append(max_op(part, axis=axis, keepdim=True))
        x = get("concat")(*pieces, axis=axis)
    return x


def adaptive_max_pool3d(x, output_size):
    """PyTorch's / Paddle's adaptive max pooling of (N, C, D, H, W) or (C, D, H, W)."""
    return adaptive_max_pool_nd(x, output_size, 3)
