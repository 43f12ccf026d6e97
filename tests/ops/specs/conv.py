"""Specs for dualnet/ops/conv.py: conv2d, its gradient kernels, conv_transpose2d.

The references are direct loops over output positions (PyTorch's definitions), independent of
the im2col/GEMM kernels. Shapes are tiny so the finite-difference checks stay fast.
"""
import numpy as np

from tests.ops.spec import OpSpec, randn


def _pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def _pads(padding, kernel, dilation):
    """(top, bottom, left, right) for a reference call (stride-1 'same' as PyTorch)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        out = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            out += [total // 2, total - total // 2]
        return tuple(out)
    if isinstance(padding, (list, tuple)) and len(padding) == 4:
        return tuple(padding)
    ph, pw = _pair(padding)
    return (ph, ph, pw, pw)


def _geometry(xshape, wshape, stride, padding, dilation):
    s, d = _pair(stride), _pair(dilation)
    pt, pb, pl, pr = _pads(padding, wshape[2:], d)
    oh = (xshape[2] + pt + pb - d[0] * (wshape[2] - 1) - 1) // s[0] + 1
    ow = (xshape[3] + pl + pr - d[1] * (wshape[3] - 1) - 1) // s[1] + 1
    return s, d, (pt, pb, pl, pr), oh, ow


def _window(s, d, k, i, j):
    """Index slices of the padded input seen by output position (i, j)."""
    return (slice(i * s[0], i * s[0] + d[0] * (k[0] - 1) + 1, d[0]),
            slice(j * s[1], j * s[1] + d[1] * (k[1] - 1) + 1, d[1]))


def conv2d_ref(x, w, stride=1, padding=0, dilation=1, groups=1):
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    s, d, (pt, pb, pl, pr), oh, ow = _geometry(x.shape, w.shape, stride, padding, dilation)
    xpad = np.pad(x64, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    og = o // groups
    out = np.zeros((n, o, oh, ow))
    for b in range(n):
        for oc in range(o):
            grp = oc // og
            for i in range(oh):
                for j in range(ow):
                    rows, cols = _window(s, d, (kh, kw), i, j)
                    patch = xpad[b, grp * cg:(grp + 1) * cg, rows, cols]
                    out[b, oc, i, j] = np.sum(patch * w64[oc])
    return out.astype(x.dtype)


def conv2d_input_grad_ref(g, x, w, stride=1, padding=0, dilation=1, groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    s, d, (pt, pb, pl, pr), oh, ow = _geometry(x.shape, w.shape, stride, padding, dilation)
    gx = np.zeros((n, c, h + pt + pb, wd + pl + pr))
    og = o // groups
    for b in range(n):
        for oc in range(o):
            grp = oc // og
            for i in range(oh):
                for j in range(ow):
                    rows, cols = _window(s, d, (kh, kw), i, j)
                    gx[b, grp * cg:(grp + 1) * cg, rows, cols] += g[b, oc, i, j] * w[oc]
    return gx[:, :, pt:pt + h, pl:pl + wd].astype(g.dtype)


def conv2d_weight_grad_ref(g, x, w, stride=1, padding=0, dilation=1, groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    s, d, (pt, pb, pl, pr), oh, ow = _geometry(x.shape, w.shape, stride, padding, dilation)
    xpad = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    gw = np.zeros(w.shape)
    og = o // groups
    for b in range(n):
        for oc in range(o):
            grp = oc // og
            for i in range(oh):
                for j in range(ow):
                    rows, cols = _window(s, d, (kh, kw), i, j)
                    gw[oc] += g[b, oc, i, j] * xpad[b, grp * cg:(grp + 1) * cg, rows, cols]
    return gw.astype(g.dtype)


def conv_transpose2d_ref(x, w, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Scatter each input pixel times the kernel into the output (PyTorch's definition)."""
    n, cin, h, wd = x.shape
    _, cog, kh, kw = w.shape
    s, d, op = _pair(stride), _pair(dilation), _pair(output_padding)
    pt, pb, pl, pr = _pads(padding, (kh, kw), d)
    full_h = (h - 1) * s[0] + d[0] * (kh - 1) + 1 + op[0]
    full_w = (wd - 1) * s[1] + d[1] * (kw - 1) + 1 + op[1]
    out = np.zeros((n, cog * groups, full_h, full_w))
    cig = cin // groups
    for b in range(n):
        for ci in range(cin):
            grp = ci // cig
            for i in range(h):
                for j in range(wd):
                    rows, cols = _window(s, d, (kh, kw), i, j)
                    out[b, grp * cog:(grp + 1) * cog, rows, cols] += x[b, ci, i, j] * w[ci]
    oh, ow = full_h - pt - pb, full_w - pl - pr
    return out[:, :, pt:pt + oh, pl:pl + ow].astype(x.dtype)


def _conv_inputs(xshape, wshape):
    return lambda r, d: (randn(r, d, *xshape), randn(r, d, *wshape))


def _grad_inputs(xshape, wshape, attrs):
    """(g, x, w) with g shaped like conv2d's output."""
    def make(r, d):
        x, w = randn(r, d, *xshape), randn(r, d, *wshape)
        _, _, _, oh, ow = _geometry(xshape, wshape, attrs.get("stride", 1),
                                    attrs.get("padding", 0), attrs.get("dilation", 1))
        return randn(r, d, xshape[0], wshape[0], oh, ow), x, w
    return make


TOL = dict(atol=1e-4, rtol=1e-4)

# (name, x shape, w shape, attrs): the conv2d variants, also used for the gradient kernels.
VARIANTS = [
    ("basic", (2, 3, 6, 5), (4, 3, 3, 3), {}),
    ("stride2-pad1", (2, 2, 7, 6), (3, 2, 3, 3), {"stride": (2, 2), "padding": (1, 1)}),
    ("dilation2-pad2", (1, 2, 8, 7), (3, 2, 3, 2), {"padding": (2, 1), "dilation": (2, 2)}),
    ("groups2", (2, 4, 5, 5), (6, 2, 3, 3), {"groups": 2, "padding": (1, 1)}),
    ("depthwise", (2, 3, 6, 6), (6, 1, 3, 3), {"groups": 3, "stride": (2, 1)}),
    ("asym-stride", (1, 2, 7, 8), (2, 2, 2, 3), {"stride": (3, 2), "padding": (0, 1)}),
    ("pad4", (1, 2, 5, 5), (2, 2, 2, 2), {"padding": (0, 1, 1, 0)}),
]

SPECS = [
    OpSpec("conv2d", _conv_inputs(xs, ws), conv2d_ref, attrs=a, name=name, second_order=True,
           covers=("conv2d_input_grad", "conv2d_weight_grad"), **TOL)
    for name, xs, ws, a in VARIANTS
] + [
    OpSpec("conv2d", _conv_inputs((1, 2, 6, 6), (3, 2, 4, 3)), conv2d_ref,
           attrs={"padding": "same", "dilation": (1, 2)}, name="same-even-kernel", **TOL),
    OpSpec("conv2d", _conv_inputs((2, 5, 4), (3, 2, 3, 3)), lambda x, w, **a: conv2d_ref(
        x[None], w, **a)[0], attrs={"padding": (1, 1)}, name="unbatched", **TOL),
    OpSpec("conv2d", _conv_inputs((2, 2, 5, 5), (2, 2, 1, 1)), conv2d_ref,
           attrs={"padding": "valid"}, name="1x1-valid", **TOL),
] + [
    OpSpec("conv2d_input_grad", _grad_inputs(xs, ws, a), conv2d_input_grad_ref, attrs=a,
           name=name, grad=(0, 2), second_order=True, **TOL)
    for name, xs, ws, a in VARIANTS[1:5]
] + [
    OpSpec("conv2d_weight_grad", _grad_inputs(xs, ws, a), conv2d_weight_grad_ref, attrs=a,
           name=name, grad=(0, 1), second_order=True, **TOL)
    for name, xs, ws, a in VARIANTS[1:5]
] + [
    OpSpec("conv_transpose2d", _conv_inputs((2, 3, 4, 3), (3, 2, 3, 3)), conv_transpose2d_ref,
           name="basic", second_order=True, **TOL),
    OpSpec("conv_transpose2d", _conv_inputs((1, 4, 3, 4), (4, 1, 3, 2)), conv_transpose2d_ref,
           attrs={"stride": (2, 2), "padding": (1, 0), "output_padding": (1, 1),
                  "dilation": (1, 2), "groups": 2}, name="stride2-groups2", **TOL),
    # output_padding 1 with stride 1 is allowed where the dilation is larger (PyTorch)
    OpSpec("conv_transpose2d", _conv_inputs((1, 2, 3, 3), (2, 2, 2, 2)), conv_transpose2d_ref,
           attrs={"output_padding": (1, 0), "dilation": (2, 1)}, name="dilated-outpad",
           **TOL),
    OpSpec("conv_transpose2d", _conv_inputs((1, 2, 3, 3), (2, 2, 3, 2)), conv_transpose2d_ref,
           attrs={"padding": (1, 1), "output_padding": (1, 0), "dilation": (2, 1)},
           name="dilated-outpad-padded", **TOL),
]


# ---------------------------------------------------------------- 3-D (conv_nd.py)

def _triple(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * 3


def _pads3(padding):
    """(before, after) per dim of a symmetric triple or a 6-tuple."""
    p = _triple(padding)
    if len(p) == 6:
        return [(p[0], p[1]), (p[2], p[3]), (p[4], p[5])]
    return [(v, v) for v in p]


def _geometry3(xshape, wshape, stride, padding, dilation):
    s, d = _triple(stride), _triple(dilation)
    if padding == "same":  # stride 1: PyTorch's extra element goes after
        pads = [(dd * (k - 1) // 2, dd * (k - 1) - dd * (k - 1) // 2)
                for dd, k in zip(d, wshape[2:])]
    else:
        pads = _pads3(padding)
    out = tuple((xshape[2 + i] + lo + hi - d[i] * (wshape[2 + i] - 1) - 1) // s[i] + 1
                for i, (lo, hi) in enumerate(pads))
    return s, d, pads, out


def _window3(s, d, k, pos):
    return tuple(slice(p * st + 0, p * st + dd * (kk - 1) + 1, dd)
                 for p, st, dd, kk in zip(pos, s, d, k))


def conv3d_ref(x, w, stride=1, padding=0, dilation=1, groups=1):
    s, d, pads, out = _geometry3(x.shape, w.shape, stride, padding, dilation)
    xpad = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + pads)
    o, cg = w.shape[:2]
    og = o // groups
    y = np.zeros((x.shape[0], o) + out)
    for b in range(x.shape[0]):
        for oc in range(o):
            grp = oc // og
            for pos in np.ndindex(*out):
                patch = xpad[(b, slice(grp * cg, (grp + 1) * cg)) + _window3(s, d, w.shape[2:],
                                                                            pos)]
                y[(b, oc) + pos] = np.sum(patch * w[oc])
    return y.astype(x.dtype)


def conv3d_input_grad_ref(g, x, w, stride=1, padding=0, dilation=1, groups=1):
    s, d, pads, out = _geometry3(x.shape, w.shape, stride, padding, dilation)
    gx = np.zeros(x.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads)))
    o, cg = w.shape[:2]
    og = o // groups
    for b in range(x.shape[0]):
        for oc in range(o):
            grp = oc // og
            for pos in np.ndindex(*out):
                gx[(b, slice(grp * cg, (grp + 1) * cg)) + _window3(s, d, w.shape[2:], pos)] += \
                    g[(b, oc) + pos] * w[oc]
    crop = tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:], pads))
    return gx[(slice(None), slice(None)) + crop].astype(g.dtype)


def conv3d_weight_grad_ref(g, x, w, stride=1, padding=0, dilation=1, groups=1):
    s, d, pads, out = _geometry3(x.shape, w.shape, stride, padding, dilation)
    xpad = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + pads)
    o, cg = w.shape[:2]
    og = o // groups
    gw = np.zeros(w.shape)
    for b in range(x.shape[0]):
        for oc in range(o):
            grp = oc // og
            for pos in np.ndindex(*out):
                gw[oc] += g[(b, oc) + pos] * xpad[(b, slice(grp * cg, (grp + 1) * cg))
                                                  + _window3(s, d, w.shape[2:], pos)]
    return gw.astype(g.dtype)


def conv_transpose3d_ref(x, w, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    cin, cog = w.shape[:2]
    s, d, op, pads = _triple(stride), _triple(dilation), _triple(output_padding), \
        _pads3(padding)
    k = w.shape[2:]
    full = tuple((n - 1) * s[i] + d[i] * (k[i] - 1) + 1 + op[i]
                 for i, n in enumerate(x.shape[2:]))
    out = np.zeros((x.shape[0], cog * groups) + full)
    cig = cin // groups
    for b in range(x.shape[0]):
        for ci in range(cin):
            grp = ci // cig
            for pos in np.ndindex(*x.shape[2:]):
                out[(b, slice(grp * cog, (grp + 1) * cog)) + _window3(s, d, k, pos)] += \
                    x[(b, ci) + pos] * w[ci]
    crop = tuple(slice(lo, f - hi) for f, (lo, hi) in zip(full, pads))
    return out[(slice(None), slice(None)) + crop].astype(x.dtype)


def _grad3_inputs(xshape, wshape, attrs):
    def make(r, d):
        x, w = randn(r, d, *xshape), randn(r, d, *wshape)
        *_, out = _geometry3(xshape, wshape, attrs.get("stride", 1), attrs.get("padding", 0),
                             attrs.get("dilation", 1))
        return randn(r, d, xshape[0], wshape[0], *out), x, w
    return make


VARIANTS_3D = [
    ("basic", (2, 2, 3, 4, 3), (3, 2, 2, 2, 2), {}),
    ("stride-pad-dil-groups", (1, 4, 5, 4, 4), (4, 2, 2, 2, 2),
     {"stride": (2, 1, 2), "padding": (1, 0, 1), "dilation": (1, 2, 1), "groups": 2}),
    ("pad6", (1, 2, 3, 3, 4), (2, 2, 2, 2, 3), {"padding": (1, 0, 0, 1, 2, 1)}),
]

SPECS += [
    OpSpec("conv3d", _conv_inputs(xs, ws), conv3d_ref, attrs=a, name=name, second_order=True,
           covers=("conv3d_input_grad", "conv3d_weight_grad"), **TOL)
    for name, xs, ws, a in VARIANTS_3D
] + [
    OpSpec("conv3d", _conv_inputs((2, 3, 3, 4), (2, 2, 2, 2, 2)), lambda x, w, **a: conv3d_ref(
        x[None], w, **a)[0], attrs={"padding": "same"}, name="unbatched-same", **TOL),
    OpSpec("conv3d_input_grad", _grad3_inputs(*VARIANTS_3D[1][1:]), conv3d_input_grad_ref,
           attrs=VARIANTS_3D[1][3], name="strided", grad=(0, 2), second_order=True, **TOL),
    OpSpec("conv3d_weight_grad", _grad3_inputs(*VARIANTS_3D[1][1:]), conv3d_weight_grad_ref,
           attrs=VARIANTS_3D[1][3], name="strided", grad=(0, 1), second_order=True, **TOL),
    OpSpec("conv_transpose3d", _conv_inputs((1, 2, 2, 3, 2), (2, 3, 2, 2, 3)),
           conv_transpose3d_ref, name="basic", second_order=True, **TOL),
    OpSpec("conv_transpose3d", _conv_inputs((1, 4, 2, 3, 3), (4, 1, 3, 2, 2)),
           conv_transpose3d_ref, attrs={"stride": (2, 1, 2), "padding": (1, 0, 1),
                                        "output_padding": (1, 0, 1), "dilation": (1, 2, 1),
                                        "groups": 2}, name="stride-groups", **TOL),
    OpSpec("conv_transpose3d", _conv_inputs((1, 2, 2, 2, 2), (2, 2, 2, 2, 2)),
           conv_transpose3d_ref, attrs={"output_padding": (0, 1, 0), "dilation": (1, 2, 1)},
           name="dilated-outpad", **TOL),
    OpSpec("conv_transpose3d", _conv_inputs((1, 2, 2, 3, 2), (2, 2, 2, 3, 2)),
           conv_transpose3d_ref, attrs={"padding": (0, 1, 1), "output_padding": (0, 1, 0),
                                        "dilation": (1, 2, 1)},
           name="dilated-outpad-padded", **TOL),
]
