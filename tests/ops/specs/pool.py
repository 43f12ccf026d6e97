"""Specs for dualnet/ops/pool.py: max/avg/adaptive-avg pooling and their gradient kernels.

The references loop over output positions with PyTorch's formulas (pooling_output_shape, the
avg-pool divisor, the adaptive start/end indices), independent of the strided-slice kernels.
"""
import math

import numpy as np

from tests.ops.spec import OpSpec, distinct, randn


def _pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def _out_len(size, k, s, pad, d, ceil_mode):
    span = size + 2 * pad - d * (k - 1) - 1
    n = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (n - 1) * s >= size + pad:
        n -= 1
    return n


def _windows(shape, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Yield (index of the output element, [(h, w) input positions of its window, row-major])."""
    k = _pair(kernel_size)
    s = _pair(stride) if stride is not None else k
    p, d = _pair(padding), _pair(dilation)
    h, w = shape[-2:]
    oh = _out_len(h, k[0], s[0], p[0], d[0], ceil_mode)
    ow = _out_len(w, k[1], s[1], p[1], d[1], ceil_mode)
    for lead in np.ndindex(*shape[:-2]):
        for i in range(oh):
            for j in range(ow):
                taps = [(i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + b * d[1])
                        for a in range(k[0]) for b in range(k[1])]
                yield lead + (i, j), [(r, c) for r, c in taps if 0 <= r < h and 0 <= c < w]
    return oh, ow


def _out_shape(shape, **attrs):
    gen = _windows(shape, **attrs)
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return tuple(shape[:-2]) + stop.value


def max_pool2d_ref(x, **attrs):
    out = np.zeros(_out_shape(x.shape, **attrs), x.dtype)
    for idx, taps in _windows(x.shape, **attrs):
        out[idx] = max(x[idx[:-2] + t] for t in taps)
    return out


def _argmax(x, lead, taps):
    values = [x[lead + t] for t in taps]
    return taps[int(np.argmax(values))]  # the first maximum, as PyTorch


def max_pool2d_grad_ref(g, x, **attrs):
    gx = np.zeros(x.shape)
    for idx, taps in _windows(x.shape, **attrs):
        lead = idx[:-2]
        gx[lead + _argmax(x, lead, taps)] += g[idx]
    return gx.astype(g.dtype)


def max_pool2d_gather_ref(h, x, **attrs):
    out = np.zeros(_out_shape(x.shape, **attrs), h.dtype)
    for idx, taps in _windows(x.shape, **attrs):
        lead = idx[:-2]
        out[idx] = h[lead + _argmax(x, lead, taps)]
    return out


def _avg_divisors(shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                  count_include_pad=True, divisor_override=None):
    """Yield (output index, input positions, divisor) by PyTorch's avg_pool2d rule."""
    k = _pair(kernel_size)
    s = _pair(stride) if stride is not None else k
    p = _pair(padding)
    h, w = shape[-2:]
    for idx, taps in _windows(shape, k, s, p, 1, ceil_mode):
        i, j = idx[-2:]
        h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
        pool_size = (min(h0 + k[0], h + p[0]) - h0) * (min(w0 + k[1], w + p[1]) - w0)
        if divisor_override:
            div = divisor_override
        elif count_include_pad:
            div = pool_size
        else:
            div = len(taps)
        yield idx, taps, div


def avg_pool2d_ref(x, **attrs):
    out = np.zeros(_out_shape(x.shape, kernel_size=attrs["kernel_size"],
                              stride=attrs.get("stride"), padding=attrs.get("padding", 0),
                              ceil_mode=attrs.get("ceil_mode", False)))
    for idx, taps, div in _avg_divisors(x.shape, **attrs):
        out[idx] = sum(float(x[idx[:-2] + t]) for t in taps) / div
    return out.astype(x.dtype)


def avg_pool2d_grad_ref(g, x, **attrs):
    gx = np.zeros(x.shape)
    for idx, taps, div in _avg_divisors(x.shape, **attrs):
        for t in taps:
            gx[idx[:-2] + t] += g[idx] / div
    return gx.astype(g.dtype)


def _adaptive_ranges(in_len, out_len):
    return [(math.floor(o * in_len / out_len), math.ceil((o + 1) * in_len / out_len))
            for o in range(out_len)]


def _adaptive_cells(shape, output_size):
    oh, ow = (output_size if isinstance(output_size, (list, tuple))
              else (output_size, output_size))
    oh = shape[-2] if oh is None else oh
    ow = shape[-1] if ow is None else ow
    for lead in np.ndindex(*shape[:-2]):
        for i, (h0, h1) in enumerate(_adaptive_ranges(shape[-2], oh)):
            for j, (w0, w1) in enumerate(_adaptive_ranges(shape[-1], ow)):
                yield lead + (i, j), lead + (slice(h0, h1), slice(w0, w1))
    return tuple(shape[:-2]) + (oh, ow)


def adaptive_avg_pool2d_ref(x, output_size):
    out = np.zeros(_adaptive_out_shape(x.shape, output_size))
    for idx, window in _adaptive_cells(x.shape, output_size):
        out[idx] = x[window].astype(np.float64).mean()
    return out.astype(x.dtype)


def adaptive_avg_pool2d_grad_ref(g, x, output_size):
    gx = np.zeros(x.shape)
    for idx, window in _adaptive_cells(x.shape, output_size):
        region = gx[window]
        region += g[idx] / region.size
    return gx.astype(g.dtype)


def _distinct_x(shape):
    return lambda r, d: (distinct(r, d, *shape),)


def _grad_inputs(shape, attrs, out_shape_fn, x_maker):
    def make(r, d):
        x = x_maker(r, d, *shape)
        return randn(r, d, *out_shape_fn(shape, **attrs)), x
    return make


def _h_inputs(shape):
    return lambda r, d: (randn(r, d, *shape), distinct(r, d, *shape))


def _avg_out_shape(shape, **attrs):
    return _out_shape(shape, kernel_size=attrs["kernel_size"], stride=attrs.get("stride"),
                      padding=attrs.get("padding", 0), ceil_mode=attrs.get("ceil_mode", False))


def _adaptive_out_shape(shape, output_size):
    gen = _adaptive_cells(shape, output_size)
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value


MAX_VARIANTS = [
    ("k2", (2, 3, 6, 6), {"kernel_size": (2, 2)}),
    ("k3-s2-ceil", (1, 2, 6, 6), {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
    ("k3-s2-pad1-ceil", (1, 2, 7, 7), {"kernel_size": (3, 3), "stride": (2, 2),
                                       "padding": (1, 1), "ceil_mode": True}),
    ("overlap-pad1", (2, 2, 5, 5), {"kernel_size": (3, 3), "stride": (1, 1),
                                    "padding": (1, 1)}),
    ("dilation2", (1, 2, 7, 7), {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 2),
                                 "dilation": (2, 2)}),
    ("unbatched", (2, 5, 5), {"kernel_size": (2, 2), "stride": (1, 1)}),
    ("k1-s2", (1, 2, 5, 5), {"kernel_size": 1, "stride": 2}),  # one tap: a copy, not a view
    ("k3x1", (2, 2, 7, 5), {"kernel_size": (3, 1), "stride": (2, 1)}),
]

AVG_VARIANTS = [
    ("k2", (2, 3, 6, 6), {"kernel_size": (2, 2)}),
    ("k3-s2-pad1", (1, 2, 7, 6), {"kernel_size": (3, 3), "stride": (2, 2), "padding": (1, 1)}),
    ("ceil-exclude-pad", (1, 2, 6, 6), {"kernel_size": (3, 3), "stride": (2, 2),
                                        "padding": (1, 1), "ceil_mode": True,
                                        "count_include_pad": False}),
    ("ceil-include-pad", (1, 2, 6, 5), {"kernel_size": (3, 2), "stride": (2, 2),
                                        "padding": (1, 1), "ceil_mode": True}),
    ("divisor-override", (2, 2, 5, 5), {"kernel_size": (3, 3), "stride": (1, 1),
                                        "padding": (1, 1), "divisor_override": 4}),
    ("asym", (1, 3, 5, 7), {"kernel_size": (2, 3), "stride": (1, 2)}),
]

ADAPTIVE_VARIANTS = [
    ("nondivisible", (2, 3, 7, 5), (3, 2)),
    ("divisible", (2, 2, 6, 4), (3, 2)),
    ("global", (2, 3, 5, 4), (1, 1)),
    ("keep-width", (1, 2, 5, 7), (4, None)),
    ("upsample", (1, 2, 3, 2), (5, 3)),
]

SPECS = [
    OpSpec("max_pool2d", _distinct_x(shape), max_pool2d_ref, attrs=a, name=name,
           covers=("max_pool2d_grad",))
    for name, shape, a in MAX_VARIANTS
] + [
    OpSpec("max_pool2d_grad", _grad_inputs(shape, a, _out_shape, distinct), max_pool2d_grad_ref,
           attrs=a, name=name, grad=(0,), covers=("max_pool2d_gather",))
    for name, shape, a in MAX_VARIANTS[1:4]
] + [
    OpSpec("max_pool2d_gather", _h_inputs(shape), max_pool2d_gather_ref, attrs=a, name=name,
           grad=(0,))
    for name, shape, a in MAX_VARIANTS[2:4]
] + [
    OpSpec("avg_pool2d", lambda r, d, s=shape: (randn(r, d, *s),), avg_pool2d_ref, attrs=a,
           name=name, second_order=True, covers=("avg_pool2d_grad",))
    for name, shape, a in AVG_VARIANTS
] + [
    OpSpec("avg_pool2d_grad", _grad_inputs(shape, a, _avg_out_shape, randn), avg_pool2d_grad_ref,
           attrs=a, name=name, grad=(0,), second_order=True)
    for name, shape, a in AVG_VARIANTS[1:5]
] + [
    OpSpec("adaptive_avg_pool2d", lambda r, d, s=shape: (randn(r, d, *s),),
           adaptive_avg_pool2d_ref, attrs={"output_size": size}, name=name, second_order=True,
           covers=("adaptive_avg_pool2d_grad",))
    for name, shape, size in ADAPTIVE_VARIANTS
] + [
    OpSpec("adaptive_avg_pool2d_grad",
           _grad_inputs(shape, {"output_size": size}, _adaptive_out_shape, randn),
           adaptive_avg_pool2d_grad_ref, attrs={"output_size": size}, name=name, grad=(0,),
           second_order=True)
    for name, shape, size in ADAPTIVE_VARIANTS[:2] + ADAPTIVE_VARIANTS[3:]
]


# ---------------------------------------------------------------- 3-D (pool_nd.py)

def _triple(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * 3


def _windows3(shape, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """(output spatial sizes, [(output index, [in-bounds (d, h, w) taps, row-major],
    number of taps inside the padded input)])."""
    k = _triple(kernel_size)
    s = _triple(stride) if stride is not None else k
    p, d = _triple(padding), _triple(dilation)
    sizes = shape[-3:]
    out = tuple(_out_len(n, k[i], s[i], p[i], d[i], ceil_mode) for i, n in enumerate(sizes))
    cells = []
    for lead in np.ndindex(*shape[:-3]):
        for pos in np.ndindex(*out):
            taps, padded = [], 0
            for off in np.ndindex(*k):
                t = tuple(pos[i] * s[i] - p[i] + off[i] * d[i] for i in range(3))
                if all(-p[i] <= t[i] < sizes[i] + p[i] for i in range(3)):
                    padded += 1
                if all(0 <= t[i] < sizes[i] for i in range(3)):
                    taps.append(t)
            cells.append((lead + pos, lead, taps, padded))
    return out, cells


def max_pool3d_ref(x, **attrs):
    out, cells = _windows3(x.shape, **attrs)
    y = np.zeros(x.shape[:-3] + out, x.dtype)
    for idx, lead, taps, _ in cells:
        y[idx] = max(x[lead + t] for t in taps)
    return y


def max_pool3d_indices_ref(x, **attrs):
    out, cells = _windows3(x.shape, **attrs)
    y = np.zeros(x.shape[:-3] + out, np.int64)
    dd, hh, ww = x.shape[-3:]
    for idx, lead, taps, _ in cells:
        t = _argmax(x, lead, taps)
        y[idx] = (t[0] * hh + t[1]) * ww + t[2]
    return y


def max_pool3d_grad_ref(g, x, **attrs):
    _, cells = _windows3(x.shape, **attrs)
    gx = np.zeros(x.shape)
    for idx, lead, taps, _ in cells:
        gx[lead + _argmax(x, lead, taps)] += g[idx]
    return gx.astype(g.dtype)


def max_pool3d_gather_ref(h, x, **attrs):
    out, cells = _windows3(x.shape, **attrs)
    y = np.zeros(x.shape[:-3] + out, h.dtype)
    for idx, lead, taps, _ in cells:
        y[idx] = h[lead + _argmax(x, lead, taps)]
    return y


def _avg3_divisor(taps, padded, count_include_pad=True, divisor_override=None):
    if divisor_override:
        return divisor_override
    return padded if count_include_pad else len(taps)


def avg_pool3d_ref(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                   count_include_pad=True, divisor_override=None):
    out, cells = _windows3(x.shape, kernel_size, stride, padding, 1, ceil_mode)
    y = np.zeros(x.shape[:-3] + out)
    for idx, lead, taps, padded in cells:
        y[idx] = sum(x[lead + t] for t in taps) / _avg3_divisor(taps, padded, count_include_pad,
                                                               divisor_override)
    return y.astype(x.dtype)


def avg_pool3d_grad_ref(g, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                        count_include_pad=True, divisor_override=None):
    _, cells = _windows3(x.shape, kernel_size, stride, padding, 1, ceil_mode)
    gx = np.zeros(x.shape)
    for idx, lead, taps, padded in cells:
        for t in taps:
            gx[lead + t] += g[idx] / _avg3_divisor(taps, padded, count_include_pad,
                                                   divisor_override)
    return gx.astype(g.dtype)


def _adaptive3_cells(shape, output_size):
    sizes = shape[-3:]
    out = tuple(n if o is None else o for o, n in zip(_triple(output_size), sizes))
    ranges = [_adaptive_ranges(n, o) for n, o in zip(sizes, out)]
    cells = []
    for lead in np.ndindex(*shape[:-3]):
        for pos in np.ndindex(*out):
            box = tuple(slice(*ranges[i][pos[i]]) for i in range(3))
            cells.append((lead + pos, lead + box))
    return out, cells


def adaptive_avg_pool3d_ref(x, output_size):
    out, cells = _adaptive3_cells(x.shape, output_size)
    y = np.zeros(x.shape[:-3] + out, x.dtype)
    for idx, box in cells:
        y[idx] = x[box].mean()
    return y


def adaptive_avg_pool3d_grad_ref(g, x, output_size):
    _, cells = _adaptive3_cells(x.shape, output_size)
    gx = np.zeros(x.shape)
    for idx, box in cells:
        gx[box] += g[idx] / x[box].size
    return gx.astype(g.dtype)


def _shape3(fn, shape, attrs):
    return fn(np.zeros(shape), **attrs).shape


MAX3_VARIANTS = [
    ("basic", (2, 2, 4, 4, 4), {"kernel_size": (2, 2, 2)}),
    ("overlap-pad-dil-ceil", (1, 2, 5, 6, 5),
     {"kernel_size": (3, 2, 3), "stride": (2, 1, 2), "padding": (1, 1, 1),
      "dilation": (1, 2, 1), "ceil_mode": True}),
    ("unbatched", (2, 3, 4, 5), {"kernel_size": (2, 3, 2), "stride": (1, 1, 2)}),
]
AVG3_VARIANTS = [
    ("basic", (2, 2, 4, 4, 4), {"kernel_size": (2, 2, 2)}),
    ("pad-exclusive-ceil", (1, 2, 5, 4, 5),
     {"kernel_size": (3, 2, 3), "stride": (2, 2, 2), "padding": (1, 1, 1), "ceil_mode": True,
      "count_include_pad": False}),
    ("pad-include", (1, 2, 4, 5, 3), {"kernel_size": (2, 3, 2), "stride": (1, 2, 1),
                                      "padding": (1, 1, 1)}),
    ("divisor", (1, 1, 4, 4, 4), {"kernel_size": 2, "stride": 1, "divisor_override": 3}),
]
ADAPTIVE3_VARIANTS = [
    ("uneven", (2, 2, 5, 4, 7), (2, 3, 3)),
    ("global", (1, 3, 3, 4, 2), (1, 1, 1)),
    ("keep-dim", (1, 2, 4, 3, 5), (None, 2, 3)),
]


def _g_and_x(shape, attrs, ref, x_maker):
    def make(r, d):
        x = x_maker(r, d, *shape)
        return randn(r, d, *ref(np.zeros(shape), **attrs).shape), x
    return make


SPECS += [
    OpSpec("max_pool3d", _distinct_x(shape), max_pool3d_ref, attrs=a, name=name,
           covers=("max_pool3d_grad",))
    for name, shape, a in MAX3_VARIANTS
] + [
    OpSpec("max_pool3d_indices", _distinct_x(shape), max_pool3d_indices_ref, attrs=a,
           name=name, grad=())
    for name, shape, a in MAX3_VARIANTS[1:]
] + [
    OpSpec("max_pool3d_grad", _g_and_x(MAX3_VARIANTS[1][1], MAX3_VARIANTS[1][2],
                                       max_pool3d_ref, distinct),
           max_pool3d_grad_ref, attrs=MAX3_VARIANTS[1][2], name="overlap", grad=(0,),
           covers=("max_pool3d_gather",)),
    OpSpec("max_pool3d_gather", _h_inputs(MAX3_VARIANTS[1][1]), max_pool3d_gather_ref,
           attrs=MAX3_VARIANTS[1][2], name="overlap", grad=(0,)),
] + [
    OpSpec("avg_pool3d", lambda r, d, s=shape: (randn(r, d, *s),), avg_pool3d_ref, attrs=a,
           name=name, second_order=True, covers=("avg_pool3d_grad",))
    for name, shape, a in AVG3_VARIANTS
] + [
    OpSpec("avg_pool3d_grad", _g_and_x(shape, a, avg_pool3d_ref, randn), avg_pool3d_grad_ref,
           attrs=a, name=name, grad=(0,), second_order=True)
    for name, shape, a in AVG3_VARIANTS[1:3]
] + [
    OpSpec("adaptive_avg_pool3d", lambda r, d, s=shape: (randn(r, d, *s),),
           adaptive_avg_pool3d_ref, attrs={"output_size": size}, name=name, second_order=True,
           covers=("adaptive_avg_pool3d_grad",))
    for name, shape, size in ADAPTIVE3_VARIANTS
] + [
    OpSpec("adaptive_avg_pool3d_grad",
           _g_and_x(shape, {"output_size": size}, adaptive_avg_pool3d_ref, randn),
           adaptive_avg_pool3d_grad_ref, attrs={"output_size": size}, name=name, grad=(0,),
           second_order=True)
    for name, shape, size in ADAPTIVE3_VARIANTS[:1]
]
