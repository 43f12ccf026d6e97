"""Convolutions (NCHW, PyTorch layouts): conv2d, its two gradient kernels, conv_transpose2d, and
the 1-D composites.

A convolution is im2col + one batched GEMM: a strided view of the padded input holds every
kernel window (`windows`), one reshape copies it into columns, and `matmul` contracts them with
the weight (in chunks of output rows only when the columns would exceed COLUMN_BYTES). The
forward copies less: each input row's windows once, the kh rows an output row needs being
consecutive in that copy (`_forward_by_input_rows`), and its GEMMs run in cache-sized column
blocks (`gemm_blocks`). The input gradient is the adjoint: one GEMM, then the columns are added
back with a loop over the kernel window (never over pixels). See "Layout" below for why the
kernels work batch-last.

Attributes (canonical forms): `stride` (sh, sw), `dilation` (dh, dw), `groups` int, `padding`
(ph, pw) when symmetric, else (top, bottom, left, right) (Paddle's 4-list order; PyTorch's
'same' pads the extra row/column at the bottom/right). 'same' and 'valid' are resolved by canon.
"""
from __future__ import annotations

import functools

from .common import pair
from .registry import Meta, register


# ---------------------------------------------------------------- shared kernel helpers
#
# Layout: the kernels work on a "rows-major, batch-last" array (H, C, W, N) in which W and N merge
# into one contiguous run, so the im2col copy and the col2im adds move long rows. Outputs are
# NCHW views of that memory (N, C, H, W with N innermost); elementwise ops and the pools keep the
# layout, so the next convolution reads it without a transposing copy.

def like_layout(xp, x, shape, dtype=None, fill=0):
    """A new array of `shape` (x.ndim dims) filled with `fill`, whose memory order follows x's
    strides (a batch-last activation keeps its layout through padding and gradients)."""
    order = sorted(range(x.ndim), key=lambda a: -abs(x.strides[a]))
    mem_shape = tuple(shape[a] for a in order)
    dtype = x.dtype if dtype is None else dtype
    buf = xp.zeros(mem_shape, dtype=dtype) if fill == 0 else xp.full(mem_shape, fill, dtype=dtype)
    return buf.transpose([order.index(a) for a in range(x.ndim)])


def rows_major(xp, x, pads):
    """NCHW `x` as a zero-padded (Hp, C, Wp, N) array whose (W, N) dims merge into one
    contiguous run: a view when x already has that layout and needs no padding."""
    pt, pb, pl, pr = pads
    xt = x.transpose(2, 1, 3, 0)
    if pt or pb or pl or pr:
        h, c, w, n = xt.shape
        buf = xp.zeros((h + pt + pb, c, w + pl + pr, n), dtype=x.dtype)
        buf[pt:pt + h, :, pl:pl + w] = xt
        return buf
    item = x.dtype.itemsize
    if xt.strides[3] == item and xt.strides[2] == item * xt.shape[3]:
        return xt
    return xp.ascontiguousarray(xt)


def windows(xp, xb, kernel, stride, dilation, out_hw):
    """Strided view (OH, C, kh, kw, OW, N) of a rows-major padded input xb (Hp, C, Wp, N):
    element [oh, c, i, j, ow, n] = xb[oh*sh + i*dh, c, ow*sw + j*dw, n]. No copy."""
    s_h, s_c, s_w, s_n = xb.strides
    _, c, _, n = xb.shape
    (kh, kw), (oh, ow) = kernel, out_hw
    return xp.lib.stride_tricks.as_strided(
        xb, shape=(oh, c, kh, kw, ow, n),
        strides=(s_h * stride[0], s_c, s_h * dilation[0], s_w * dilation[1], s_w * stride[1],
                 s_n))


# The gradient kernels' im2col buffer is built in chunks of output rows of about this size.
# 2 MB: LeNet's training step at batch 256 peaks at 17 MB instead of 24 (its conv1 columns are
# 15 MB), and the chunks stay in cache: the step grows 4.2x from batch 64 to 256, not 5.4x.
COLUMN_BYTES = 1 << 21


def row_chunks(oh: int, row_bytes: int):
    """(start, stop) chunks of output rows whose columns take about COLUMN_BYTES each (one
    chunk for all but large convolutions: this bounds memory, it is not a loop over pixels)."""
    step = max(1, min(oh, COLUMN_BYTES // max(row_bytes, 1)))
    return [(r, min(r + step, oh)) for r in range(0, oh, step)]


def _columns(view, r0, r1, groups):
    """im2col of output rows [r0, r1): (rows, G, K, OW*N) with K = (C/G, kh, kw) (the copy)."""
    _, c, kh, kw, ow, n = view.shape
    return view[r0:r1].reshape(r1 - r0, groups, c // groups * kh * kw, ow * n)


def pads4(padding) -> tuple:
    """Canonical padding -> (top, bottom, left, right)."""
    if len(padding) == 2:
        return (padding[0], padding[0], padding[1], padding[1])
    return tuple(padding)


def pad2d(xp, x, pads, value=0):
    """Constant-pad the last two dims by (top, bottom, left, right): a new array in x's
    layout (x itself when there is nothing to pad)."""
    pt, pb, pl, pr = pads
    if not (pt or pb or pl or pr):
        return x
    h, w = x.shape[-2:]
    out = like_layout(xp, x, tuple(x.shape[:-2]) + (h + pt + pb, w + pl + pr), fill=value)
    out[..., pt:pt + h, pl:pl + w] = x
    return out


def out_len(size: int, k: int, s: int, pad_total: int, d: int, what: str) -> int:
    """Output length of a convolution along one dim (-1 stays unknown)."""
    if size < 0:
        return -1
    n = (size + pad_total - d * (k - 1) - 1) // s + 1
    if n <= 0:
        raise ValueError(f"{what}: input size {size} (padded by {pad_total}) is smaller than the "
                         f"effective kernel size {d * (k - 1) + 1}; the output would be empty")
    return n


def positive_pair(name, v, n: int = 2):
    t = pair(v, n)
    if min(t) < 1:
        raise ValueError(f"{name} must be positive, got {v}")
    return t


def canon_padding(padding, kernel, stride, dilation, sizes) -> tuple:
    """Padding of an n-d window (n = len(kernel)): int / n ints / 2n ints (before, after per
    dim) / nested [[b, a], ...] / 'same' / 'valid' -> n ints when symmetric, else 2n."""
    n = len(kernel)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0,) * n
        if mode != "same":
            raise ValueError(f"padding must be 'same', 'valid' or ints, got {padding!r}")
        pads = []
        for k, s, d, size in zip(kernel, stride, dilation, sizes):
            eff = d * (k - 1) + 1
            if s == 1:
                total = eff - 1
            elif size < 0:
                raise ValueError("padding='same' with stride > 1 needs known spatial sizes")
            else:  # Paddle/TF 'SAME': output = ceil(size / stride)
                total = max(((size + s - 1) // s - 1) * s + eff - size, 0)
            pads += [total // 2, total - total // 2]
        padding = tuple(pads)
    elif isinstance(padding, (list, tuple)) and padding and isinstance(padding[0], (list, tuple)):
        padding = tuple(int(p) for pp in padding for p in pp)[-2 * n:]
    elif isinstance(padding, (list, tuple)) and len(padding) == 2 * n:
        padding = tuple(int(p) for p in padding)
    else:
        padding = pair(padding, n)
    if min(padding) < 0:
        raise ValueError(f"padding must be non-negative, got {padding}")
    if len(padding) == 2 * n and padding[0::2] == padding[1::2]:
        padding = padding[0::2]
    return padding


def shape_str(shape) -> str:
    return "[" + ", ".join("?" if d < 0 else str(d) for d in shape) + "]"


def conv_attrs(xshape, wshape, stride=1, padding=0, dilation=1, groups=1) -> dict:
    """Validate and canonicalize conv2d attributes given the input and weight shapes."""
    if len(xshape) not in (3, 4):
        raise ValueError(f"expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                         f"{shape_str(xshape)}")
    if len(wshape) != 4:
        raise ValueError(f"expected a 4-D weight [out, in/groups, kh, kw], got "
                         f"{shape_str(wshape)}")
    groups = int(groups)
    if groups < 1:
        raise ValueError(f"groups must be positive, got {groups}")
    stride = positive_pair("stride", stride)
    dilation = positive_pair("dilation", dilation)
    padding = canon_padding(padding, wshape[2:], stride, dilation, xshape[-2:])
    return {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


def _conv_canon(x, w, stride=1, padding=0, dilation=1, groups=1):
    return conv_attrs(tuple(x.shape), tuple(w.shape), stride, padding, dilation, groups)


def _check_channels(xshape, wshape, groups, what="input"):
    c, o, cg = xshape[-3], wshape[0], wshape[1]
    if o >= 0 and o % groups:
        raise ValueError(f"weight {shape_str(wshape)}: out channels {o} are not divisible by "
                         f"groups={groups}")
    if c >= 0 and cg >= 0 and c != cg * groups:
        raise ValueError(f"{what} {shape_str(xshape)} has {c} channels but weight "
                         f"{shape_str(wshape)} with groups={groups} expects {cg * groups}")


def conv_out_shape(xshape, wshape, a) -> tuple:
    _check_channels(xshape, wshape, a["groups"])
    pt, pb, pl, pr = pads4(a["padding"])
    what = f"input {shape_str(xshape)} with weight {shape_str(wshape)}"
    oh = out_len(xshape[-2], wshape[2], a["stride"][0], pt + pb, a["dilation"][0], what)
    ow = out_len(xshape[-1], wshape[3], a["stride"][1], pl + pr, a["dilation"][1], what)
    return tuple(xshape[:-3]) + (wshape[0], oh, ow)


def _float_dtype(*metas):
    for m in metas:
        if m.dtype.kind not in "fc":
            raise ValueError(f"conv expects floating point inputs, got {m.dtype}")
    if len({m.dtype for m in metas}) > 1:
        raise ValueError("inputs must have one dtype, got "
                         + ", ".join(str(m.dtype) for m in metas))
    return metas[0].dtype


# ---------------------------------------------------------------- conv2d

def _conv2d_infer(x: Meta, w: Meta, **attrs) -> Meta:
    a = conv_attrs(x.shape, w.shape, **attrs)
    return Meta(conv_out_shape(x.shape, w.shape, a), _float_dtype(x, w))


def conv2d_forward(xp, x, w, stride, padding, dilation, groups, epilogue=None):
    """The conv2d kernel on 4-D arrays: im2col and a GEMM per output row (batched matmul), giving
    an NCHW view of an (OH, O, OW, N) result. `epilogue(y)`, when given, runs in place on the
    contiguous (OH, O, OW*N) result first (a fused bias add and activation)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    pads = pads4(padding)
    oh = (h + pads[0] + pads[1] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + pads[2] + pads[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    xb = rows_major(xp, x, pads)
    y = xp.empty((oh, groups, o // groups, ow * n), dtype=w.dtype)
    if dilation[0] == 1:
        _forward_by_input_rows(xp, xb, w, stride, dilation[1], y)
    else:
        view = windows(xp, xb, (kh, kw), stride, dilation, (oh, ow))
        w_g = w.reshape(groups, o // groups, cg * kh * kw)
        for r0, r1 in row_chunks(oh, c * kh * kw * ow * n * x.dtype.itemsize):
            gemm_blocks(xp, w_g, _columns(view, r0, r1, groups), y[r0:r1])
    if epilogue is not None:
        epilogue(y.reshape(oh, o, ow * n))
    return y.reshape(oh, o, ow, n).transpose(3, 1, 0, 2)


FORWARD_BYTES = 1 << 21  # conv2d's row columns: chunks of about this size (one buffer)


def _forward_by_input_rows(xp, xb, w, stride, dw, y):
    """y (OH, G, O/G, OW*N) = the convolution of a rows-major padded input xb (Hp, C, Wp, N)
    by w without row dilation. im2col per input row: R[g, h] holds the kw shifted windows of
    input row h (C/G, kw, OW*N), copied once, and the columns of output row r are the kh input
    rows of R from r*sh on - consecutive in memory, so an overlapping strided view is each
    GEMM's operand (its K in (kernel row, channel, kernel column) order, the weight permuted
    to match). The copy is kw, not kh*kw, times the input: 4x less for a 5x5 kernel, and it
    stays in cache. Chunks of output rows share one buffer of about FORWARD_BYTES."""
    groups, og = y.shape[1:3]
    _, cg, kh, kw = w.shape
    w_k = w.reshape(groups, og, cg, kh, kw).transpose(0, 1, 3, 2, 4).reshape(groups, og, -1)
    for r0, r1, operand in _row_columns(xp, xb, (groups, cg, kh, kw), stride, dw, y.shape[0],
                                        y.shape[3], FORWARD_BYTES):
        gemm_blocks(xp, w_k, operand, y[r0:r1])


def _row_columns(xp, xb, kernel, stride, dw, oh, cols, chunk_bytes):
    """Yield (r0, r1, operand) over chunks of output rows: operand (r1 - r0, G, K, OW*N) is
    the im2col of those rows with K in (kernel row, channel, kernel column) order, an
    overlapping view of one buffer of about `chunk_bytes` holding each input row's kw windows
    (see _forward_by_input_rows). The buffer is reused: use an operand before the next."""
    n = xb.shape[3]
    groups, cg, kh, kw = kernel
    sh, sw = stride
    k = kh * cg * kw
    row = cg * kw * cols  # elements of one input row of R, per group
    item = xb.dtype.itemsize
    s_h, s_c, s_w, s_n = xb.strides
    strided = xp.lib.stride_tricks.as_strided
    step = max(1, min(oh, (chunk_bytes // (groups * row * item) - kh) // sh + 1))
    buf = None
    for r0 in range(0, oh, step):
        r1 = min(r0 + step, oh)
        h0, rows = r0 * sh, (r1 - r0 - 1) * sh + kh  # the input rows this chunk reads
        shape = (groups, rows, cg, kw, cols // n, n)
        if buf is None:
            buf = xp.empty(groups * rows * row, dtype=xb.dtype)
        r = buf[:groups * rows * row].reshape(shape)
        r[...] = strided(xb[h0:h0 + rows], shape=shape,
                         strides=(cg * s_c, s_h, s_c, dw * s_w, sw * s_w, s_n))
        yield r0, r1, strided(r, shape=(r1 - r0, groups, k, cols),
                              strides=(sh * row * item, rows * row * item, cols * item, item))


GEMM_BYTES = 1 << 18  # a GEMM's column block: (K, about this many bytes / K) at most


def gemm_blocks(xp, a, b, out):
    """out[...] = a @ b for a (..., M, K) and b (..., K, L), the L columns in blocks of about
    GEMM_BYTES: a convolution's K is small and L long, and GEMMs of a few hundred columns keep
    their block in cache (with OpenBLAS on AVX-512 they take its unpacked small-matrix path:
    1.7x faster on LeNet's second convolution; neutral on its AVX2 kernels). A block may round
    differently from one big GEMM (float tolerance); fused and unfused convolutions share it."""
    k, cols = b.shape[-2:]
    p = _column_blocks(cols, k * b.dtype.itemsize)
    if p == 1:
        return xp.matmul(a, b, out=out)
    lead, m = b.shape[:-2], a.shape[-2]
    split = len(lead)
    b = b.reshape(lead + (k, p, cols // p)).swapaxes(split, split + 1)
    view = out.reshape(lead + (m, p, cols // p)).swapaxes(split, split + 1)
    xp.matmul(a[..., None, :, :], b, out=view)
    return out


@functools.lru_cache(maxsize=256)
def _column_blocks(cols: int, col_bytes: int, block_bytes: int = None) -> int:
    """How many equal blocks to cut `cols` columns into (1: the whole, when no divisor gives
    blocks of at least a quarter of the target size, block_bytes or GEMM_BYTES)."""
    block_bytes = GEMM_BYTES if block_bytes is None else block_bytes
    target = max(1, block_bytes // max(col_bytes, 1))
    if cols <= target:
        return 1
    for p in range(-(-cols // target), cols // max(target // 4, 1) + 1):
        if cols % p == 0:
            return p
    return 1


@register("conv2d", infer=_conv2d_infer, canon=_conv_canon, promote=True, saves=(0, 1))
def conv2d(xp, x, w, *, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """2-D cross-correlation, PyTorch's F.conv2d without bias: x (N, C, H, W) or (C, H, W),
    w [out, in/groups, kh, kw]."""
    if x.ndim == 3:
        return conv2d_forward(xp, x[None], w, stride, padding, dilation, groups)[0]
    return conv2d_forward(xp, x, w, stride, padding, dilation, groups)


@conv2d.defvjp
def _conv2d_vjp(g, x, w, out, needs_grad=(True, True), **attrs):
    gx = conv2d_input_grad(g, x, w, **attrs) if needs_grad[0] else None  # not for the data
    gw = conv2d_weight_grad(g, x, w, **attrs) if needs_grad[1] else None
    return gx, gw


# ---------------------------------------------------------------- gradient kernels

def _grad_canon(g, x, w, stride=1, padding=0, dilation=1, groups=1):
    return conv_attrs(tuple(x.shape), tuple(w.shape), stride, padding, dilation, groups)


def _check_grad(g: Meta, x: Meta, w: Meta, attrs) -> None:
    a = conv_attrs(x.shape, w.shape, **attrs)
    expected = conv_out_shape(x.shape, w.shape, a)
    if len(g.shape) != len(expected) or any(
            d >= 0 and e >= 0 and d != e for d, e in zip(g.shape, expected)):
        raise ValueError(f"gradient {shape_str(g.shape)} does not match the conv2d output "
                         f"{shape_str(expected)} of input {shape_str(x.shape)} and weight "
                         f"{shape_str(w.shape)}")
    _float_dtype(g, w)


def _input_grad_infer(g: Meta, x: Meta, w: Meta, **attrs) -> Meta:
    _check_grad(g, x, w, attrs)
    return Meta(x.shape, g.dtype)


def input_grad_forward(xp, g, xshape, w, stride, padding, dilation, groups):
    """The adjoint of conv2d in x for an input of 4-D shape `xshape`, as an NCHW view of
    rows-major memory. With stride 1 it is itself a convolution (of g, padded by the kernel's
    extent less x's padding, by the flipped, transposed weight: conv2d's fast kernel);
    otherwise a batched GEMM gives the columns and col2im adds them back (a loop over the
    kernel window; every add moves (OW, N) rows)."""
    o, cg, kh, kw = w.shape
    pt, pb, pl, pr = pads4(padding)
    (dh, dw) = dilation
    eh, ew = dh * (kh - 1), dw * (kw - 1)
    n, c, h, wd = xshape
    oh, ow = g.shape[2:]
    if stride == (1, 1) and max(pt, pb) <= eh and max(pl, pr) <= ew and 2 * h * wd <= 3 * oh * ow:
        w_t = w.reshape(groups, o // groups, cg, kh, kw)[..., ::-1, ::-1].swapaxes(1, 2)
        w_t = w_t.reshape(groups * cg, o // groups, kh, kw)
        # the far pads make the result x's size: eh - pb, plus a transposed convolution's
        # output_padding (rows past the full correlation, zero when uncovered)
        return conv2d_forward(xp, g, w_t, stride, (eh - pt, h - oh + pt, ew - pl, wd - ow + pl),
                              dilation, groups)
    return _input_grad_col2im(xp, g, xshape, w, stride, padding, dilation, groups)


def _input_grad_col2im(xp, g, xshape, w, stride, padding, dilation, groups):
    """input_grad_forward by columns: a batched GEMM, then col2im adds in a loop over the
    kernel window."""
    n, c, h, wd = xshape
    o, cg, kh, kw = w.shape
    oh, ow = g.shape[2:]
    (sh, sw), (dh, dw) = stride, dilation
    pt, pb, pl, pr = pads4(padding)
    g_rows = g.transpose(2, 1, 3, 0).reshape(oh, groups, o // groups, ow * n)
    w_t = w.reshape(groups, o // groups, cg * kh * kw).transpose(0, 2, 1)
    gx = xp.zeros((h + pt + pb, c, wd + pl + pr, n), dtype=g.dtype)
    for r0, r1 in row_chunks(oh, c * kh * kw * ow * n * g.dtype.itemsize):
        cols = xp.matmul(w_t, g_rows[r0:r1]).reshape(r1 - r0, c, kh, kw, ow, n)
        for i in range(kh):
            rows = slice(r0 * sh + i * dh, (r1 - 1) * sh + i * dh + 1, sh)
            for j in range(kw):
                gx[rows, :, j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return gx[pt:pt + h, :, pl:pl + wd].transpose(3, 1, 0, 2)


@register("conv2d_input_grad", infer=_input_grad_infer, canon=_grad_canon, promote=(0, 2),
          saves=(0, 2))
def conv2d_input_grad(xp, g, x, w, *, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                      groups=1):
    """Gradient of conv2d in its input (x is only the shape reference)."""
    if x.ndim == 3:
        return input_grad_forward(xp, g[None], (1,) + x.shape, w, stride, padding, dilation,
                                  groups)[0]
    return input_grad_forward(xp, g, x.shape, w, stride, padding, dilation, groups)


@conv2d_input_grad.defvjp
def _input_grad_vjp(h, g, x, w, out, needs_grad=(True, False, True), **attrs):
    # gx = A_w^T g is linear in g and in w: <h, A_w^T g> = <conv2d(h, w), g>.
    gg = conv2d(h, w, **attrs) if needs_grad[0] else None
    gw = conv2d_weight_grad(g, h, w, **attrs) if needs_grad[2] else None
    return gg, None, gw


def _weight_grad_infer(g: Meta, x: Meta, w: Meta, **attrs) -> Meta:
    _check_grad(g, x, w, attrs)
    return Meta(w.shape, g.dtype)


def weight_grad_forward(xp, g, x, wshape, stride, padding, dilation, groups):
    """Gradient of conv2d in its weight: a GEMM per output row (its columns against the
    gradient's row), summed over rows. Without row dilation the columns are those of the
    forward (each input row's windows copied once, _row_columns), else a full im2col."""
    o, cg, kh, kw = wshape
    n, c = x.shape[:2]
    oh, ow = g.shape[2:]
    xb = rows_major(xp, x, pads4(padding))
    g_rows = g.transpose(2, 1, 3, 0).reshape(oh, groups, o // groups, ow * n)
    g_t = g_rows.swapaxes(-1, -2)
    gw = xp.zeros((groups, cg * kh * kw, o // groups), dtype=g.dtype)
    if dilation[0] == 1:  # K in (kernel row, channel, kernel column) order
        for r0, r1, operand in _row_columns(xp, xb, (groups, cg, kh, kw), stride, dilation[1],
                                            oh, ow * n, WEIGHT_GRAD_BYTES):
            _add_gemm_sum(xp, operand, g_rows[r0:r1], gw)
        gw = gw.reshape(groups, kh, cg, kw, o // groups).transpose(0, 4, 2, 1, 3)
        return gw.reshape(wshape)
    view = windows(xp, xb, (kh, kw), stride, dilation, (oh, ow))
    for r0, r1 in row_chunks(oh, c * kh * kw * ow * n * x.dtype.itemsize):
        gw += xp.matmul(_columns(view, r0, r1, groups), g_t[r0:r1]).sum(axis=0)
    return gw.swapaxes(1, 2).reshape(wshape)


WEIGHT_GRAD_BYTES = 1 << 21  # the weight gradient's row columns: chunks of about this size
CONTRACT_BYTES = 1 << 18


def _add_gemm_sum(xp, a, b, out):
    """out += the sum over rows of a @ b^T, for a (R, G, K, L) and b (R, G, M, L) sharing a long
    L: the contraction runs in blocks of L (about CONTRACT_BYTES of a each), whose products
    are summed."""
    r, groups, k, cols = a.shape
    m = b.shape[2]
    p = _column_blocks(cols, k * a.dtype.itemsize, CONTRACT_BYTES)
    a = a.reshape(r, groups, k, p, cols // p).swapaxes(2, 3)
    b = b.reshape(r, groups, m, p, cols // p).transpose(0, 1, 3, 4, 2)
    out += xp.matmul(a, b).sum(axis=(0, 2))


@register("conv2d_weight_grad", infer=_weight_grad_infer, canon=_grad_canon, promote=(0, 1),
          saves=(0, 1))
def conv2d_weight_grad(xp, g, x, w, *, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                       groups=1):
    """Gradient of conv2d in its weight (w is only the shape reference)."""
    if x.ndim == 3:
        x, g = x[None], g[None]
    return weight_grad_forward(xp, g, x, w.shape, stride, padding, dilation, groups)


@conv2d_weight_grad.defvjp
def _weight_grad_vjp(h, g, x, w, out, needs_grad=(True, True, False), **attrs):
    # gw = B(g, x) is bilinear: <h, B(g, x)> = <conv2d(x, h), g>.
    gg = conv2d(x, h, **attrs) if needs_grad[0] else None
    gx = conv2d_input_grad(g, x, h, **attrs) if needs_grad[1] else None
    return gg, gx, None


# ---------------------------------------------------------------- conv_transpose2d

def _transpose_attrs(xshape, wshape, stride=1, padding=0, output_padding=0, dilation=1,
                     groups=1) -> dict:
    if isinstance(padding, str):
        raise ValueError(f"conv_transpose2d does not take padding={padding!r}")
    a = conv_attrs(xshape, wshape, stride, padding, dilation, groups)
    a["output_padding"] = output_padding_of(output_padding, a, 2)
    return a


def output_padding_of(output_padding, attrs: dict, nd: int) -> tuple:
    """A transposed convolution's output_padding per dim (PyTorch's rule: non-negative and
    smaller than the stride or the dilation of that dim)."""
    op = pair(output_padding, nd)
    if any(p < 0 or (p >= s and p >= d)
           for p, s, d in zip(op, attrs["stride"], attrs["dilation"])):
        raise ValueError(f"output_padding {op} must be non-negative and smaller than the "
                         f"stride {attrs['stride']} or the dilation {attrs['dilation']}")
    return op


def _transpose_canon(x, w, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    return _transpose_attrs(tuple(x.shape), tuple(w.shape), stride, padding, output_padding,
                            dilation, groups)


def _transpose_out_shape(xshape, wshape, a) -> tuple:
    c, groups = xshape[-3], a["groups"]
    if c >= 0 and wshape[0] >= 0 and c != wshape[0]:
        raise ValueError(f"input {shape_str(xshape)} has {c} channels but weight "
                         f"{shape_str(wshape)} [in, out/groups, kh, kw] expects {wshape[0]}")
    if wshape[0] >= 0 and wshape[0] % groups:
        raise ValueError(f"weight {shape_str(wshape)}: in channels are not divisible by "
                         f"groups={groups}")
    pt, pb, pl, pr = pads4(a["padding"])
    out = []
    for size, k, s, d, p, op in zip(xshape[-2:], wshape[2:], a["stride"], a["dilation"],
                                    (pt + pb, pl + pr), a["output_padding"]):
        n = -1 if size < 0 else (size - 1) * s - p + d * (k - 1) + op + 1
        if n == 0 or n < -1:
            raise ValueError(f"conv_transpose2d of input {shape_str(xshape)} with weight "
                             f"{shape_str(wshape)}: the output would be empty")
        out.append(n)
    return tuple(xshape[:-3]) + (wshape[1] * groups,) + tuple(out)


def _transpose_infer(x: Meta, w: Meta, **attrs) -> Meta:
    a = _transpose_attrs(x.shape, w.shape, **attrs)
    return Meta(_transpose_out_shape(x.shape, w.shape, a), _float_dtype(x, w))


@register("conv_transpose2d", infer=_transpose_infer, canon=_transpose_canon, promote=True,
          saves=(0, 1))
def conv_transpose2d(xp, x, w, *, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                     dilation=(1, 1), groups=1):
    """PyTorch's F.conv_transpose2d without bias: w [in, out/groups, kh, kw]; the adjoint of
    conv2d in its input."""
    a = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
         "output_padding": output_padding}
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    shape = _transpose_out_shape(x.shape, w.shape, a)
    out = input_grad_forward(xp, x, shape, w, stride, padding, dilation, groups)
    return out[0] if unbatched else out


@conv_transpose2d.defvjp
def _conv_transpose2d_vjp(h, x, w, out, needs_grad=(True, True), *, output_padding=(0, 0),
                          **attrs):
    # y = A_w^T x: the cotangent maps back through conv2d; the weight gradient is conv2d's with
    # the roles of input and output exchanged.
    extra = adjoint_extra(output_padding, attrs["stride"])
    gx = end_pad(conv2d(h, w, **attrs), extra, crop=True) if needs_grad[0] else None
    gw = conv2d_weight_grad(end_pad(x, extra), h, w, **attrs) if needs_grad[1] else None
    return gx, gw


def adjoint_extra(output_padding: tuple, stride: tuple) -> tuple:
    """Per spatial dim, how many positions the convolution of a transposed convolution's
    cotangent (its adjoint) has beyond the input: output_padding // stride (nonzero for an
    output_padding not smaller than the stride, which PyTorch allows below the dilation)."""
    return tuple(p // s for p, s in zip(output_padding, stride))


def end_pad(x, extra: tuple, crop: bool = False):
    """x with `extra` zeros appended at the end of each spatial dim (crop: that many removed
    instead)."""
    if not any(extra):
        return x
    from .indexing import pad

    pads = []
    for e in reversed(extra):  # PyTorch's order: the last dim first
        pads += [0, -e if crop else e]
    return pad(x, pads=tuple(pads))


# ---------------------------------------------------------------- 1-D composites

def to_2d(v, fill):
    """A 1-D attribute -> 2-D: the new height dim gets `fill`; a (begin, end) padding pair
    becomes (0, 0, begin, end); strings ('same', 'valid') and None (or []) pass as None."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        if not v:
            return None
        if len(v) == 2:
            return (0, 0) + tuple(int(p) for p in v)
        (v,) = v
    return (fill, int(v))


def conv1d(x, w, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's F.conv1d without bias: x (N, C, L) or (C, L), w [out, in/groups, k]."""
    from .shape import squeeze, unsqueeze  # H2's ops (the shape family)

    axis = x.ndim - 1
    y = conv2d(unsqueeze(x, axis=axis), unsqueeze(w, axis=2), stride=to_2d(stride, 1),
               padding=to_2d(padding, 0), dilation=to_2d(dilation, 1), groups=groups)
    return squeeze(y, axis=axis)


def conv_transpose1d(x, w, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """PyTorch's F.conv_transpose1d without bias: w [in, out/groups, k]."""
    from .shape import squeeze, unsqueeze

    axis = x.ndim - 1
    y = conv_transpose2d(unsqueeze(x, axis=axis), unsqueeze(w, axis=2),
                         stride=to_2d(stride, 1), padding=to_2d(padding, 0),
                         output_padding=to_2d(output_padding, 0),
                         dilation=to_2d(dilation, 1), groups=groups)
    return squeeze(y, axis=axis)


from . import conv_nd  # noqa: E402,F401  (conv3d and its kin: n-d kernels)
