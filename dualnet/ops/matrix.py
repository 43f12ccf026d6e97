"""Matrix functions (registered on import): decompositions, inverses and solves, plus the few
elementwise functions that cannot be composed precisely from other primitives (atan2, expm1,
log1p, erfinv).

Every matrix op works on stacks of matrices (leading batch dims). Gradients follow PyTorch's
(derivatives of the real case): slogdet, inv, solve, cholesky, qr (reduced, rows >= cols),
svd (distinct singular values) and eigh (distinct eigenvalues). cholesky and eigh read the
symmetric part (A + A^T) / 2 of their input, so their gradient is the symmetric one PyTorch
returns and central differences agree with it.
"""
from __future__ import annotations

import numpy as np

from .common import broadcast_shapes, same
from .elementwise import add, div, equal, mul, neg, sub, where
from .linalg import matmul
from .registry import Meta, OpError, register
from .shape import sum_to_like, transpose, tril, unsqueeze


def _dims(shape) -> str:
    return "[" + ", ".join("?" if d == -1 else str(d) for d in shape) + "]"


def _float_matrix(what: str, x: Meta, square: bool = True) -> None:
    if x.dtype.kind not in "fc":
        raise TypeError(f"{what}: expected a floating point tensor, got {x.dtype}")
    if x.ndim < 2:
        raise ValueError(f"{what}: expected a matrix or a batch of matrices [..., m, n], got "
                         f"shape {_dims(x.shape)}")
    m, n = x.shape[-2:]
    if square and m != n and -1 not in (m, n):
        raise ValueError(f"{what}: expected square matrices [..., n, n], got shape "
                         f"{_dims(x.shape)}")


def _known_min(a: int, b: int) -> int:
    return -1 if -1 in (a, b) else min(a, b)


def _mT(x):
    """Swap the last two dims (a registry transpose, so vjps stay symbolic)."""
    perm = list(range(len(x.shape)))
    perm[-2:] = perm[-1], perm[-2]
    return transpose(x, perm=tuple(perm))


def _sym(xp, a):
    return (a + xp.swapaxes(a, -1, -2)) * a.dtype.type(0.5)


def _safe(x):
    """x with exact zeros replaced by 1 (the diagonal of an eigenvalue-difference matrix)."""
    return where(equal(x, 0.0), 1.0, x)


def _linalg_error(xp, name: str, message: str, fn):
    """Run fn(); LinAlgError becomes a ValueError naming the op (the registry adds the line)."""
    try:
        return fn()
    except np.linalg.LinAlgError as e:
        raise ValueError(f"{name}: {message} ({e})") from None


# ---------------------------------------------------------------- determinants and inverses

def _slogdet_infer(a: Meta):
    _float_matrix("slogdet", a)
    return Meta(a.shape[:-2], a.dtype), Meta(a.shape[:-2], a.dtype)


@register("slogdet", infer=_slogdet_infer, n_out=2, saves=(0,))
def slogdet(xp, a):
    """(sign, log|det|) of each square matrix; a singular matrix gives (0, -inf)."""
    sign, logabs = xp.linalg.slogdet(a)
    return xp.asarray(sign, dtype=a.dtype), xp.asarray(logabs, dtype=a.dtype)


@slogdet.defvjp
def _slogdet_vjp(g, a, out):
    g_logabs = g[1]
    if g_logabs is None:
        return (None,)
    return (mul(unsqueeze(g_logabs, axis=(-1, -2)), _mT(inv(a))),)


def _square_infer(name):
    def infer(a: Meta) -> Meta:
        _float_matrix(name, a)
        return same(a)
    return infer


@register("inv", infer=_square_infer("inv"), saves=("out",))
def inv(xp, a):
    """The inverse of each square matrix (torch.linalg.inv); singular matrices raise."""
    return _linalg_error(xp, "inv", f"a matrix of the batch {list(a.shape)} is singular",
                         lambda: xp.linalg.inv(a))


@inv.defvjp
def _inv_vjp(g, a, out):
    out_t = _mT(out)
    return (neg(matmul(out_t, matmul(g, out_t))),)


def _solve_infer(a: Meta, b: Meta) -> Meta:
    _float_matrix("solve", a)
    if b.ndim < 2:
        raise ValueError(f"solve: B must be [..., n, k], got shape {_dims(b.shape)}")
    if a.dtype != b.dtype:
        raise TypeError(f"solve: A and B must have one dtype, got {a.dtype} and {b.dtype}")
    n, nb = a.shape[-1], b.shape[-2]
    if n != nb and -1 not in (n, nb):
        raise ValueError(f"solve: A {_dims(a.shape)} and B {_dims(b.shape)} do not match "
                         f"(A is {n} x {n}, B has {nb} rows)")
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return Meta(batch + tuple(b.shape[-2:]), a.dtype)


@register("solve", infer=_solve_infer, promote=True, saves=(0, 1, "out"))
def solve(xp, a, b):
    """X with A X = B for square A [..., n, n] and B [..., n, k] (batch dims broadcast)."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = xp.broadcast_to(a, batch + a.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    return _linalg_error(xp, "solve", f"a matrix of A {list(a.shape)} is singular",
                         lambda: xp.linalg.solve(a, b))


@solve.defvjp
def _solve_vjp(g, a, b, out, needs_grad=(True, True)):
    gb = solve(_mT(a), g)
    ga = neg(matmul(gb, _mT(out))) if needs_grad[0] else None
    return (None if ga is None else sum_to_like(ga, a),
            sum_to_like(gb, b) if needs_grad[1] else None)


# ---------------------------------------------------------------- decompositions

@register("cholesky", infer=_square_infer("cholesky"), saves=("out",))
def cholesky(xp, a):
    """Lower-triangular L with L L^T = (A + A^T) / 2 (torch.linalg.cholesky)."""
    return _linalg_error(xp, "cholesky", "the input is not positive-definite",
                         lambda: xp.linalg.cholesky(_sym(xp, a)))


@cholesky.defvjp
def _cholesky_vjp(g, a, out):
    # PyTorch's rule: gA = L^-T P L^-1, P = (M + tril(M, -1)^T) / 2, M = tril(L^T gL)
    m = tril(matmul(_mT(out), g))
    p = mul(add(m, _mT(tril(m, diagonal=-1))), 0.5)
    l_inv = inv(out)
    return (matmul(_mT(l_inv), matmul(p, l_inv)),)


_QR_MODES = ("reduced", "complete", "r")


def _qr_canon(a, mode="reduced"):
    if mode not in _QR_MODES:
        raise ValueError(f"qr: mode must be one of {_QR_MODES}, got {mode!r}")
    return {"mode": mode}


def _qr_infer(a: Meta, mode="reduced"):
    _float_matrix("qr", a, square=False)
    m, n = a.shape[-2:]
    k = m if mode == "complete" else _known_min(m, n)
    q = Meta((0,), a.dtype) if mode == "r" else Meta(a.shape[:-2] + (m, k), a.dtype)
    return q, Meta(a.shape[:-2] + (k, n), a.dtype)


@register("qr", infer=_qr_infer, canon=_qr_canon, n_out=2, saves=("out",))
def qr(xp, a, *, mode="reduced"):
    """(Q, R) with A = Q R (torch.linalg.qr); mode 'r' gives an empty Q."""
    if mode == "r":
        return xp.empty((0,), dtype=a.dtype), xp.linalg.qr(a, mode="r")
    q, r = xp.linalg.qr(a, mode=mode)
    return q, r


@qr.defvjp
def _qr_vjp(g, a, out, mode="reduced"):
    """Reduced QR with rows >= cols: gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q."""
    if mode == "r":
        raise ValueError("qr: the derivative of mode='r' is not defined (Q is not computed); "
                         "use mode='reduced'")
    gq, gr = g
    q, r = out
    m = None
    if gr is not None:
        m = matmul(r, _mT(gr))
    if gq is not None:
        qgq = matmul(_mT(gq), q)
        m = neg(qgq) if m is None else sub(m, qgq)
    low = tril(m, diagonal=-1)
    sym = add(add(low, _mT(low)), sub(tril(m), low))  # copyltu: lower copied to upper
    b = matmul(q, sym)
    if gq is not None:
        b = add(b, gq)
    try:
        return (_mT(solve(r, _mT(b))),)  # b R^-T
    except OpError:  # R is not square: a wide A (rows < cols)
        raise ValueError("qr: the derivative for a matrix with fewer rows than columns is not "
                         "implemented (differentiate the QR of the transpose, or of the leading "
                         "square block)") from None


def _svd_canon(a, full_matrices=True):
    return {"full_matrices": bool(full_matrices)}


def _svd_infer(a: Meta, full_matrices=True):
    _float_matrix("svd", a, square=False)
    m, n = a.shape[-2:]
    k = _known_min(m, n)
    batch = a.shape[:-2]
    if full_matrices:
        return Meta(batch + (m, m), a.dtype), Meta(batch + (k,), a.dtype), \
            Meta(batch + (n, n), a.dtype)
    return Meta(batch + (m, k), a.dtype), Meta(batch + (k,), a.dtype), \
        Meta(batch + (k, n), a.dtype)


@register("svd", infer=_svd_infer, canon=_svd_canon, n_out=3, saves=(0, "out"))
def svd(xp, a, *, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh, S descending (torch.linalg.svd)."""
    u, s, vh = _linalg_error(xp, "svd", "the SVD did not converge",
                             lambda: xp.linalg.svd(a, full_matrices=full_matrices))
    return u, s.astype(a.dtype, copy=False), vh


@svd.defvjp
def _svd_vjp(g, a, out, full_matrices=True):
    """PyTorch's svd_backward (real case) for the reduced factors; both orthogonal-complement
    terms are added (each vanishes when its factor is square), so no shape is read."""
    gu, gs, gvh = g
    u, s, vh = out
    if full_matrices and (gu is not None or gvh is not None):
        raise ValueError("svd: the derivative through U or Vh needs full_matrices=False "
                         "(torch.linalg.svd narrows them to the reduced factors first)")
    if gu is None and gvh is None:
        if gs is None:
            return (None,)
        if full_matrices:  # the reduced factors, without reading a shape
            u, _, vh = svd(a, full_matrices=False)
        return (matmul(mul(u, unsqueeze(gs, axis=-2)), vh),)
    v = _mT(vh)
    s_row, s_col = unsqueeze(s, axis=-2), unsqueeze(s, axis=-1)
    s2 = mul(s, s)
    e = _safe(sub(unsqueeze(s2, axis=-2), unsqueeze(s2, axis=-1)))  # E_jk = s_k^2 - s_j^2
    inner = None
    if gu is not None:
        ugu = matmul(_mT(u), gu)
        inner = mul(div(sub(ugu, _mT(ugu)), e), s_row)
    if gvh is not None:
        gv = _mT(gvh)
        vgv = matmul(vh, gv)
        term = mul(s_col, div(sub(vgv, _mT(vgv)), e))
        inner = term if inner is None else add(inner, term)
    if gs is not None:
        inner = add(inner, mul(unsqueeze(gs, axis=-1), _eye_like(s)))
    ga = matmul(u, matmul(inner, vh))
    if gu is not None:  # (I - U U^T) gU S^-1 V^T
        gu_s = div(gu, s_row)
        ga = add(ga, matmul(sub(gu_s, matmul(u, matmul(_mT(u), gu_s))), vh))
    if gvh is not None:  # U S^-1 gV^T (I - V V^T)
        gv_s = _mT(div(_mT(gvh), s_row))
        ga = add(ga, matmul(u, sub(gv_s, matmul(matmul(gv_s, v), vh))))
    return (ga,)


def _eye_like(s):
    """[..., k, k] identity for a vector s [..., k] (diag(1) built from s alone)."""
    col = unsqueeze(s, axis=-1)
    return _eq_float(sub(unsqueeze(_arange_like(s), axis=-1), unsqueeze(_arange_like(s),
                                                                         axis=-2)), col)


def _arange_like(s):
    """0, 1, ..., k-1 along s's last dim, in s's dtype (a cumsum of ones)."""
    from .reduction import cumsum
    from .shape import ones_like

    return sub(cumsum(ones_like(s), axis=-1), 1.0)


def _eq_float(d, like):
    from .elementwise import cast

    return cast(equal(d, 0.0), dtype=np.dtype(like.dtype).name)


def _eigh_canon(a, UPLO="L"):
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return {"UPLO": UPLO}


def _eigh_infer(a: Meta, UPLO="L"):
    _float_matrix("eigh", a)
    n = a.shape[-1] if a.shape[-1] != -1 else a.shape[-2]
    return Meta(a.shape[:-2] + (n,), a.dtype), Meta(a.shape[:-2] + (n, n), a.dtype)


@register("eigh", infer=_eigh_infer, canon=_eigh_canon, n_out=2, saves=("out",))
def eigh(xp, a, *, UPLO="L"):
    """(eigenvalues ascending, eigenvectors as columns) of symmetric matrices (the symmetric
    part of A: UPLO only names the triangle PyTorch would read from a symmetric input)."""
    w, v = _linalg_error(xp, "eigh", "the eigenvalue algorithm did not converge",
                         lambda: xp.linalg.eigh(_sym(xp, a), UPLO=UPLO))
    return w.astype(a.dtype, copy=False), v


@eigh.defvjp
def _eigh_vjp(g, a, out, UPLO="L"):
    """gA = V (skew(V^T gV) / 2 / E + diag(gL)) V^T, E_jk = L_k - L_j."""
    gl, gv = g
    w, v = out
    ga = None
    if gv is not None:
        vgv = matmul(_mT(v), gv)
        e = _safe(sub(unsqueeze(w, axis=-2), unsqueeze(w, axis=-1)))
        ga = div(mul(sub(vgv, _mT(vgv)), 0.5), e)
    if gl is not None:
        diag = mul(unsqueeze(gl, axis=-1), _eye_like(w))
        ga = diag if ga is None else add(ga, diag)
    return (matmul(v, matmul(ga, _mT(v))),)


# ---------------------------------------------------------------- composites (both front ends)

def det(a):
    """The determinant of each square matrix: sign * exp(log|det|)."""
    from .elementwise import exp

    sign, logabs = slogdet(a)
    return mul(sign, exp(logabs))


def _axes2(ndim: int, axis) -> tuple:
    from .common import norm_axis

    if len(axis) != 2:
        raise ValueError(f"a matrix norm needs two axes, got {axis}")
    d0, d1 = (norm_axis(a, ndim) for a in axis)
    if d0 == d1:
        raise ValueError(f"a matrix norm needs two different axes, got {tuple(axis)}")
    return d0, d1


def _singular_values(a, axes=(-2, -1)):
    from .shape import movedim

    if tuple(axes) != (len(a.shape) - 2, len(a.shape) - 1):
        a = movedim(a, axes, (-2, -1))
    return svd(a, full_matrices=False)[1]


def matrix_norm(a, ord="fro", axis=(-2, -1), keepdim=False):
    """Matrix norm over the two `axis` dims: 'fro', 'nuc', 2 / -2 (largest / smallest singular
    value), 1 / -1 (max / min column sum of |a|), inf / -inf (max / min row sum)."""
    import math

    from .elementwise import abs as abs_op, sqrt
    from .reduction import max as max_op, min as min_op, sum as sum_op
    from .shape import squeeze

    d0, d1 = _axes2(len(a.shape), axis)
    if ord == "fro":
        return sqrt(sum_op(mul(a, a), axis=(d0, d1), keepdim=keepdim))
    if ord in ("nuc", 2, -2):
        s = _singular_values(a, (d0, d1))
        reduce = sum_op if ord == "nuc" else max_op if ord == 2 else min_op
        out = reduce(s, axis=-1, keepdim=False)
        return unsqueeze(out, axis=tuple(sorted((d0, d1)))) if keepdim else out
    if ord in (1, -1, math.inf, -math.inf):
        col, row = (d0, d1) if abs(ord) == 1 else (d1, d0)
        sums = sum_op(abs_op(a), axis=col, keepdim=True)
        out = (max_op if ord > 0 else min_op)(sums, axis=row, keepdim=True)
        return out if keepdim else squeeze(out, axis=(d0, d1))
    raise ValueError(f"matrix norm: order {ord!r} is not supported (use 'fro', 'nuc', 1, -1, 2, "
                     "-2, inf or -inf)")


def cond(a, p=None):
    """The condition number of square (any, for p None / 2 / -2) matrices in the norm `p`:
    the ratio of extreme singular values, else norm(A) * norm(inv(A))."""
    from .reduction import max as max_op, min as min_op

    if p in (None, 2, -2):
        s = _singular_values(a)
        hi, lo = max_op(s, axis=-1, keepdim=False), min_op(s, axis=-1, keepdim=False)
        return div(hi, lo) if p != -2 else div(lo, hi)
    return mul(matrix_norm(a, p), matrix_norm(inv(a), p))


def _tolerance(s, a, atol, rtol):
    """max(atol, rtol * largest singular value); rtol defaults to eps * max(m, n) when atol is
    not given (or 0), PyTorch's and Paddle's rule."""
    from .elementwise import maximum
    from .reduction import max as max_op

    if rtol is None:
        if atol is not None and not _is_zero(atol):
            rtol = 0.0
        else:
            m, n = a.shape[-2:]
            if -1 in (m, n):
                raise ValueError(f"the default tolerance needs the matrix size, got shape "
                                 f"{_dims(a.shape)}: pass rtol (or tol)")
            rtol = float(np.finfo(np.dtype(a.dtype)).eps) * max(m, n)
    tol = mul(max_op(s, axis=-1, keepdim=True), rtol) if isinstance(rtol, (int, float)) else \
        mul(max_op(s, axis=-1, keepdim=True), unsqueeze(rtol, axis=-1))
    if atol is not None:
        tol = maximum(tol, atol if isinstance(atol, (int, float)) else unsqueeze(atol, axis=-1))
    return tol


def _is_zero(v) -> bool:
    return isinstance(v, (int, float)) and v == 0


def matrix_rank(a, atol=None, rtol=None, hermitian=False):
    """The number of singular values (|eigenvalues| when hermitian) above the tolerance
    (int64)."""
    from .elementwise import abs as abs_op, cast, greater
    from .reduction import sum as sum_op

    s = abs_op(eigh(a)[0]) if hermitian else _singular_values(a)
    return sum_op(cast(greater(s, _tolerance(s, a, atol, rtol)), dtype="int64"), axis=-1,
                  keepdim=False)


def pinv(a, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose inverse through the SVD (differentiable where the singular values are
    distinct); singular values at or below the tolerance are dropped."""
    from .elementwise import greater

    u, s, vh = svd(a, full_matrices=False)
    keep = greater(s, _tolerance(s, a, atol, rtol))
    s_inv = where(keep, div(1.0, where(keep, s, 1.0)), 0.0)
    return matmul(_mT(vh), mul(unsqueeze(s_inv, axis=-1), _mT(u)))


def lstsq(a, b, rcond=None):
    """(solution, residuals, rank, singular values) of min ||A X - B|| for A [..., m, n] and B
    [..., m, k], through the pseudo-inverse (gradients included). residuals are the squared
    column norms of A X - B when m > n (None otherwise: the front end decides what a
    rank-deficient A gives)."""
    from .elementwise import cast, greater
    from .reduction import sum as sum_op

    x = matmul(pinv(a, rtol=rcond), b)
    s = _singular_values(a)
    rank = sum_op(cast(greater(s, _tolerance(s, a, None, rcond)), dtype="int64"), axis=-1,
                  keepdim=False)
    m, n = a.shape[-2:]
    residuals = None
    if m > n and n != -1:
        r = sub(matmul(a, x), b)
        residuals = sum_op(mul(r, r), axis=-2, keepdim=False)
    return x, residuals, rank, s


def eye_like(a):
    """The identity of a's trailing square matrices [..., n, n], in a's dtype."""
    from .reduction import sum as sum_op

    return _eye_like(sum_op(a, axis=-1, keepdim=False))


def matrix_power(a, n: int):
    """A^n for an integer n by repeated squaring (A^-n = inv(A)^n, A^0 the identity)."""
    n = int(n)
    if n < 0:
        a, n = inv(a), -n
    if n == 0:
        return eye_like(a)
    result = None
    while n:
        if n & 1:
            result = a if result is None else matmul(result, a)
        n >>= 1
        if n:
            a = matmul(a, a)
    return result


def multi_dot(mats):
    """The chained product of 2-D matrices (the first may be a row vector, the last a column
    vector, given 1-D), left to right."""
    from .shape import squeeze

    mats = list(mats)
    if len(mats) < 2:
        raise ValueError(f"multi_dot expects at least 2 tensors, got {len(mats)}")
    first, last = len(mats[0].shape) == 1, len(mats[-1].shape) == 1
    if first:
        mats[0] = unsqueeze(mats[0], axis=0)
    if last:
        mats[-1] = unsqueeze(mats[-1], axis=-1)
    for i, m in enumerate(mats):
        if len(m.shape) != 2:
            raise ValueError(f"multi_dot: tensor {i} must be 2-D (only the first and the last "
                             f"may be 1-D), got shape {_dims(m.shape)}")
    out = mats[0]
    for m in mats[1:]:
        k, k2 = out.shape[-1], m.shape[0]
        if -1 not in (k, k2) and k != k2:
            raise ValueError(f"multi_dot: tensors cannot be chained: shapes "
                             f"{_dims(out.shape)} and {_dims(m.shape)}")
        out = matmul(out, m)
    if first:
        out = squeeze(out, axis=0)
    if last:
        out = squeeze(out, axis=-1)
    return out


def cholesky_solve(b, factor, upper=False):
    """X with A X = B, A = L L^T from its lower factor L (or U^T U from the upper one)."""
    lower = _mT(factor) if upper else factor
    return solve(_mT(lower), solve(lower, b))


def triangle(a, upper: bool, unitriangular: bool = False):
    """The upper (lower) triangle of a, with a unit diagonal when `unitriangular`."""
    from .shape import triu

    t = triu(a) if upper else tril(a)
    if unitriangular:
        eye = eye_like(a)
        t = add(mul(t, sub(1.0, eye)), eye)
    return t


def hermitian_part(a, UPLO="L"):
    """The symmetric matrix read from a's lower ('L') or upper ('U') triangle only."""
    from .shape import triu

    if UPLO == "L":
        return add(tril(a), _mT(tril(a, diagonal=-1)))
    return add(triu(a), _mT(triu(a, diagonal=1)))
