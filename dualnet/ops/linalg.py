"""Matrix products: matmul (NumPy/PyTorch semantics: 1-D operands, broadcast batch dims; plus
Paddle's transpose_x/transpose_y flags, which also let gradients avoid transposed copies),
linear (x @ w.T + b, PyTorch's weight layout), einsum, and composites (bmm, mm, mv, dot, outer).
"""
from __future__ import annotations

import functools
import math
import os

import numpy as np

from .common import broadcast_shapes
from .elementwise import _kind, mul
from .reduction import sum, sum_grad
from .registry import Meta, OpError, register, user_frame
from .shape import sum_to_like


def _dims(shape) -> str:
    return "[" + ", ".join("?" if d == -1 else str(d) for d in shape) + "]"


def _same_dim(a: int, b: int) -> bool:
    return a == b or a == -1 or b == -1


def _check_dtypes(*metas: Meta) -> np.dtype:
    dts = {m.dtype for m in metas if m is not None}
    if len(dts) > 1:
        raise TypeError("expected operands of one dtype, got "
                        + ", ".join(str(m.dtype) for m in metas if m is not None))
    return dts.pop()


# ---------------------------------------------------------------- GEMM in row blocks

ROW_BLOCK_MNK = 1_000_000  # m * n * k of one row block at most (OpenBLAS's small-kernel bound)
ROW_BLOCK = 8  # rows per block: a multiple of this (other counts run 1.2-2x slower)
ROW_BLOCKS = None  # True/False forces row blocks on/off; None: as the BLAS suits (see below)
SMALL_KERNEL_CORES = ("skylakex", "cooperlake", "sapphirerapids")


@functools.lru_cache(maxsize=None)
def blas_small_kernel() -> bool:
    """Whether NumPy's BLAS is an OpenBLAS on a core with its unpacked small-matrix GEMM
    kernel (the AVX-512 ones). Such a BLAS runs short-and-wide products 1.15-1.4x faster as
    GEMMs of a few rows (the 64x784 @ 784x128 of an MLP: 138 -> 116 us) than as one packed GEMM;
    on other cores row blocks would repeat the packing (1.5x slower). Asks threadpoolctl (False
    when it is missing); DUALNET_GEMM_ROW_BLOCKS=0/1 overrides."""
    env = os.environ.get("DUALNET_GEMM_ROW_BLOCKS", "").strip()
    if env:
        return env.lower() not in ("0", "false", "off")
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return False
    return any(lib.get("internal_api") == "openblas"
               and str(lib.get("architecture", "")).lower() in SMALL_KERNEL_CORES
               for lib in threadpool_info())


def gemm(xp, x, y, out=None):
    """x @ y for 2-D x [m, k] and y [k, n], into `out` when given (a C-contiguous [m, n]
    buffer). On a BLAS with a small-matrix kernel (blas_small_kernel), a row-major x runs as
    blocks of a multiple of ROW_BLOCK rows with m_block * n * k <= ROW_BLOCK_MNK (one batched
    matmul, plus one GEMM for the rows left over; blocks of ROW_BLOCK rows exactly when y is
    transposed); y may be row-major or a transposed row-major matrix (linear's x @ w.T:
    64x784 @ (128x784).T runs in 120-135 us as blocks, 170-195 us whole). The blocks may
    round differently from one GEMM (float tolerance); matmul, fused_linear and matmul's out=
    kernel share this function, so a fused plan keeps the unfused plan's bits."""
    m, k = x.shape
    n = y.shape[1]
    itemsize = y.itemsize
    rows = ROW_BLOCK_MNK // max(n * k, 1) // ROW_BLOCK * ROW_BLOCK
    if rows == 0 or m < 2 * rows or xp is not np or x.dtype.kind != "f" or \
            x.strides[1] != x.itemsize or itemsize not in y.strides or \
            not (blas_small_kernel() if ROW_BLOCKS is None else ROW_BLOCKS):
        return xp.matmul(x, y) if out is None else xp.matmul(x, y, out=out)
    if y.strides[0] == itemsize:  # y transposed (x @ w.T): OpenBLAS's small kernel for that
        rows = ROW_BLOCK          # runs blocks of 8 rows well, 16-32 1.7-2.5x slower (64x256 @
    blocks = m // rows            # (120x256).T: 39 us as 8 blocks of 8 rows, 70 us as 2 of 32)
    if out is None:
        out = xp.empty((m, n), dtype=x.dtype if x.dtype == y.dtype else
                       np.result_type(x.dtype, y.dtype))
    cut = blocks * rows
    if cut == m:  # (no slices to make)
        xp.matmul(x.reshape(blocks, rows, k), y, out=out.reshape(blocks, rows, n))
        return out
    xp.matmul(x[:cut].reshape(blocks, rows, k), y, out=out[:cut].reshape(blocks, rows, n))
    if cut < m:
        xp.matmul(x[cut:], y, out=out[cut:])
    return out


# ---------------------------------------------------------------- matmul

def _matmul_canon(x, y, transpose_x=False, transpose_y=False) -> dict:
    return {"transpose_x": bool(transpose_x) and x.ndim >= 2,
            "transpose_y": bool(transpose_y) and y.ndim >= 2}


def _matmul_infer(x: Meta, y: Meta, transpose_x=False, transpose_y=False) -> Meta:
    dtype = _check_dtypes(x, y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"both arguments to matmul need to be at least 1-D, got shapes "
                         f"{_dims(x.shape)} and {_dims(y.shape)}")
    xs, ys = list(x.shape), list(y.shape)
    if transpose_x:
        xs[-2:] = xs[-1], xs[-2]
    if transpose_y:
        ys[-2:] = ys[-1], ys[-2]
    xm = [1] + xs if x.ndim == 1 else xs
    ym = ys + [1] if y.ndim == 1 else ys
    if not _same_dim(xm[-1], ym[-2]):
        raise ValueError(f"shapes {_dims(x.shape)} and {_dims(y.shape)} cannot be multiplied "
                         f"(inner dims {xm[-1]} != {ym[-2]}"
                         + (", with transpose_x/transpose_y" if transpose_x or transpose_y
                            else "") + ")")
    batch = broadcast_shapes(tuple(xm[:-2]), tuple(ym[:-2]))
    out = batch + (tuple(xm[-2:-1]) if x.ndim > 1 else ()) + (
        tuple(ym[-1:]) if y.ndim > 1 else ())
    return Meta(out, dtype)


@register("matmul", infer=_matmul_infer, canon=_matmul_canon, promote=True)
def matmul(xp, x, y, *, transpose_x=False, transpose_y=False):
    if transpose_x:
        x = xp.swapaxes(x, -1, -2)
    if transpose_y:
        y = xp.swapaxes(y, -1, -2)
    if y.ndim == 2 and x.ndim > 2 and x.flags.c_contiguous:  # one GEMM, not one per matrix
        lead = x.shape[:-1]
        out = gemm(xp, x.reshape(math.prod(lead), x.shape[-1]), y)
        return out.reshape(lead + y.shape[-1:])
    if x.ndim == 2 and y.ndim == 2:
        return gemm(xp, x, y)
    return xp.asarray(xp.matmul(x, y))


@matmul.defvjp
def _matmul_vjp(g, x, y, out, transpose_x=False, transpose_y=False, needs_grad=(True, True)):
    if x.ndim == 1 and y.ndim == 1:
        return mul(g, y), mul(g, x)
    if x.ndim == 1:
        return _vec_mat_vjp(g, x, y, transpose_y)
    if y.ndim == 1:
        return _mat_vec_vjp(g, x, y, transpose_x)
    tx, ty = transpose_x, transpose_y
    gx = gy = None
    if needs_grad[0]:
        gx = matmul(y, g, transpose_x=ty, transpose_y=True) if tx else \
            matmul(g, y, transpose_y=not ty)
        gx = sum_to_like(gx, x)
    if not needs_grad[1]:
        pass
    elif y.ndim == 2 and x.ndim > 2 and not tx:  # y shared by the batch: one GEMM over it
        gy = linear_weight_grad(g, x) if ty else linear_weight_grad(x, g)
    elif ty:
        gy = matmul(g, x, transpose_x=True, transpose_y=tx)
    else:
        gy = matmul(x, g, transpose_x=not tx)
    return gx, None if gy is None else sum_to_like(gy, y)


def _vec_mat_vjp(g, x, y, ty):
    """x [k] @ y [..., k, n] (y stored [..., n, k] when ty) -> g [..., n]."""
    if y.ndim == 2:
        gx = matmul(y, g, transpose_x=ty)
        gy = linear_weight_grad(g, x) if ty else linear_weight_grad(x, g)
        return gx, gy
    k_axis = y.ndim - 1 if ty else y.ndim - 2
    n_axis = y.ndim - 2 if ty else y.ndim - 1
    g_full = sum_grad(g, y, axis=(k_axis,))
    x_full = sum_grad(x, y, axis=tuple(a for a in range(y.ndim) if a != k_axis))
    return sum_to_like(sum(mul(y, g_full), axis=n_axis), x), mul(x_full, g_full)


def _mat_vec_vjp(g, x, y, tx):
    """x [..., m, k] (stored [..., k, m] when tx) @ y [k] -> g [..., m]."""
    if x.ndim == 2:
        gx = linear_weight_grad(y, g) if tx else linear_weight_grad(g, y)
        return gx, matmul(x, g, transpose_x=not tx)
    k_axis = x.ndim - 2 if tx else x.ndim - 1
    m_axis = x.ndim - 1 if tx else x.ndim - 2
    g_full = sum_grad(g, x, axis=(k_axis,))
    y_full = sum_grad(y, x, axis=tuple(a for a in range(x.ndim) if a != k_axis))
    return mul(g_full, y_full), sum_to_like(sum(mul(x, g_full), axis=m_axis), y)


# ---------------------------------------------------------------- linear

def _linear_infer(x: Meta, w: Meta, b: Meta | None) -> Meta:
    dtype = _check_dtypes(x, w, b)
    if w.ndim != 2:
        raise ValueError(f"weight must be 2-D [out_features, in_features], got {_dims(w.shape)}")
    if x.ndim == 0 or not _same_dim(x.shape[-1], w.shape[1]):
        raise ValueError(f"input {_dims(x.shape)} does not match weight {_dims(w.shape)}: "
                         f"its last dim must be in_features = {w.shape[1]}")
    if b is not None and (b.ndim != 1 or not _same_dim(b.shape[0], w.shape[0])):
        raise ValueError(f"bias {_dims(b.shape)} does not match weight {_dims(w.shape)}: "
                         f"expected [{w.shape[0]}]")
    return Meta(tuple(x.shape[:-1]) + (w.shape[0],), dtype)


@register("linear", infer=_linear_infer, promote=True)
def linear(xp, x, w, b):
    """x @ w.T + b with w [out_features, in_features] (PyTorch layout); b may be None."""
    if x.ndim == 2:
        out = gemm(xp, x, w.T)
    elif x.ndim == 1:
        out = w @ x
    else:
        lead = x.shape[:-1]
        out = gemm(xp, x.reshape(math.prod(lead), x.shape[-1]), w.T).reshape(lead + w.shape[:1])
    if b is not None:
        out += b
    return out


@linear.defvjp
def _linear_vjp(g, x, w, b, out, needs_grad=(True, True, True)):
    gx = matmul(g, w) if needs_grad[0] else None  # skipped for a first layer's data
    gw = linear_weight_grad(g, x) if needs_grad[1] else None
    gb = None if b is None or not needs_grad[2] else sum_to_like(g, b)
    return gx, gw, gb


def _outer_sum_infer(a: Meta, b: Meta) -> Meta:
    dtype = _check_dtypes(a, b)
    if a.ndim == 0 or b.ndim == 0 or a.ndim != b.ndim or not all(
            _same_dim(p, q) for p, q in zip(a.shape[:-1], b.shape[:-1])):
        raise ValueError(f"expected two arrays [..., o] and [..., i] with the same leading dims, "
                         f"got {_dims(a.shape)} and {_dims(b.shape)}")
    return Meta((a.shape[-1], b.shape[-1]), dtype)


@register("linear_weight_grad", infer=_outer_sum_infer, promote=True)
def linear_weight_grad(xp, a, b):
    """sum over the leading dims of outer(a, b): [..., o], [..., i] -> [o, i], as one GEMM.
    The weight gradient of linear (a = g, b = x); also outer products and the gradient of a
    matrix shared by a batch in matmul."""
    m = math.prod(a.shape[:-1])
    return a.reshape(m, a.shape[-1]).T @ b.reshape(m, b.shape[-1])


@linear_weight_grad.defvjp
def _linear_weight_grad_vjp(h, a, b, out):
    return linear(b, h, None), matmul(a, h)


# ---------------------------------------------------------------- einsum

def _tokens(term: str) -> list:
    out, i = [], 0
    while i < len(term):
        if term.startswith("...", i):
            out.append("...")
            i += 3
        elif term[i].isalpha():
            out.append(term[i])
            i += 1
        else:
            raise ValueError(f"invalid subscript {term[i]!r} in einsum term {term!r}")
    if out.count("...") > 1:
        raise ValueError(f"more than one ellipsis in einsum term {term!r}")
    return out


def _parse(equation: str):
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    terms = [_tokens(t) for t in lhs.split(",")]
    if not arrow:
        letters = [c for t in terms for c in t if c != "..."]
        ell = ["..."] if any("..." in t for t in terms) else []
        rhs_tokens = ell + sorted(c for c in set(letters) if letters.count(c) == 1)
    else:
        rhs_tokens = _tokens(rhs)
    return terms, rhs_tokens


def _einsum_canon(*xs, equation) -> dict:
    terms, rhs = _parse(equation)
    if len(terms) != len(xs):
        raise ValueError(f"einsum equation {equation!r} has {len(terms)} operand terms but "
                         f"{len(xs)} operands were given")
    for t, x in zip(terms, xs):
        n = len([c for c in t if c != "..."])
        if ("..." in t and n > x.ndim) or ("..." not in t and n != x.ndim):
            raise ValueError(f"einsum term {''.join(t)!r} does not fit an operand of rank "
                             f"{x.ndim}")
    return {"equation": ",".join("".join(t) for t in terms) + "->" + "".join(rhs)}


def _einsum_infer(*xs: Meta, equation) -> Meta:
    dtype = _check_dtypes(*xs)
    terms, rhs = _parse(equation)
    sizes, ells = {}, []
    for t, x in zip(terms, xs):
        n_ell = x.ndim - (len(t) - ("..." in t))
        dims = list(x.shape)
        for tok in t:
            if tok == "...":
                ells.append(tuple(dims[:n_ell]))
                dims = dims[n_ell:]
                continue
            d = dims.pop(0)
            seen = sizes.get(tok, d)
            if not _same_dim(seen, d) and 1 not in (seen, d):
                raise ValueError(f"einsum subscript {tok!r} has sizes {seen} and {d} in "
                                 f"{equation!r} (operands " + ", ".join(
                                     _dims(m.shape) for m in xs) + ")")
            sizes[tok] = d if seen in (1, -1) else seen
    out = []
    for tok in rhs:
        out.extend(broadcast_shapes(*ells) if tok == "..." and ells else
                   () if tok == "..." else (sizes[tok],))
    return Meta(tuple(out), dtype)


@register("einsum", infer=_einsum_infer, canon=_einsum_canon, promote=True)
def einsum(xp, *xs, equation):
    return xp.asarray(xp.einsum(equation, *xs, optimize=len(xs) > 1))


@einsum.defvjp
def _einsum_vjp(g, *xs, out, equation):
    terms, rhs = _parse(equation)
    grads = []
    for i, (x, t) in enumerate(zip(xs, terms)):
        if _kind(x) not in "fc":
            grads.append(None)
            continue
        letters = [c for c in t if c != "..."]
        if len(set(letters)) != len(letters):
            raise ValueError(f"einsum: the gradient of a repeated subscript within one operand "
                             f"({''.join(t)!r} in {equation!r}) is not supported")
        others = [terms[j] for j in range(len(xs)) if j != i]
        avail = set(rhs).union(*others) if others else set(rhs)
        kept = [c for c in t if c == "..." or c in avail]
        eq = ",".join("".join(s) for s in [rhs] + others) + "->" + "".join(kept)
        gx = einsum(g, *(xs[j] for j in range(len(xs)) if j != i), equation=eq)
        if len(kept) < len(t):
            n_ell = x.ndim - len(letters)
            pos, dropped = 0, []
            for tok in t:
                if tok == "...":
                    pos += n_ell
                    continue
                if tok not in avail:
                    dropped.append(pos)
                pos += 1
            gx = sum_grad(gx, x, axis=tuple(dropped))
        grads.append(sum_to_like(gx, x) if "..." in t else gx)
    return tuple(grads)


# ---------------------------------------------------------------- composites

def _need_rank(name: str, x, n: int) -> None:
    if x.ndim != n:
        raise OpError(f"{name}: expected a {n}-D operand, got shape {list(x.shape)}\n"
                      f"  at {user_frame()}")


def bmm(x, y):
    """Batched [b, n, m] @ [b, m, p] (composite)."""
    _need_rank("bmm", x, 3)
    _need_rank("bmm", y, 3)
    return matmul(x, y)


def mm(x, y):
    _need_rank("mm", x, 2)
    _need_rank("mm", y, 2)
    return matmul(x, y)


def mv(x, y):
    _need_rank("mv", x, 2)
    _need_rank("mv", y, 1)
    return matmul(x, y)


def dot(x, y):
    _need_rank("dot", x, 1)
    _need_rank("dot", y, 1)
    return matmul(x, y)


def outer(x, y):
    """[n] x [m] -> [n, m]: a sum of outer products over no leading dims."""
    _need_rank("outer", x, 1)
    _need_rank("outer", y, 1)
    return linear_weight_grad(x, y)
