"""paddle.linalg: Paddle's signatures over the registry's matrix ops (dualnet/ops/matrix.py:
slogdet, inv, solve, cholesky, qr, svd, eigh) and the composites both front ends share (norms,
pinv, lstsq, matrix_rank, matrix_power, cond, multi_dot, cov, ...).

Paddle's return conventions: slogdet is one stacked tensor [2, *] (sign, log|det|); svd
gives (U, S, VH) with full_matrices=False by default; qr(mode='r') gives R alone; lstsq gives
(solution, residuals, rank, singular_values).
"""
from __future__ import annotations

import math

import numpy as np

from dualnet import dtypes
from dualnet.ops import apply
from dualnet.ops import composite as C
from dualnet.ops import matrix as M
from dualnet.ops import statistics as S
from dualnet.ops.indexing import parse_index

from .tensor_methods.linalg import cross
from .tensor_methods.math import matmul
from .tensor_methods.statx import norm

__all__ = [
    "inv", "det", "slogdet", "solve", "cholesky", "cholesky_solve", "qr", "svd", "svdvals",
    "eigh", "eigvalsh", "norm", "matrix_norm", "vector_norm", "cond", "matrix_power",
    "matrix_rank", "pinv", "lstsq", "multi_dot", "cross", "cov", "corrcoef",
    "triangular_solve", "matmul",
]


def _matrix(name: str, x, square: bool = True):
    """x must be a float tensor of (batches of) matrices, square when asked."""
    if dtypes.as_np(x.dtype).kind != "f":
        raise TypeError(f"linalg.{name}: expected a float32 or float64 tensor, got "
                        f"{dtypes.as_np(x.dtype)}")
    if x.ndim < 2:
        raise ValueError(f"linalg.{name}: expected a matrix or a batch of matrices [*, M, N], "
                         f"got shape {list(x.shape)}")
    m, n = x.shape[-2:]
    if square and -1 not in (m, n) and m != n:
        raise ValueError(f"linalg.{name}: expected square matrices [*, N, N], got shape "
                         f"{list(x.shape)}")
    return x


# ---------------------------------------------------------------- inverses and determinants

def inv(x, name=None):
    """The inverse of each square matrix."""
    return apply("inv", _matrix("inv", x))


def det(x, name=None):
    """The determinant of each square matrix."""
    return M.det(_matrix("det", x))


def slogdet(x, name=None):
    """One tensor [2, *]: the signs of the determinants and the logs of their absolute values
    (a singular matrix gives 0 and -inf)."""
    sign, logabs = apply("slogdet", _matrix("slogdet", x))
    return C.stack([sign, logabs], axis=0)


def solve(x, y, left=True, name=None):
    """out with x @ out = y (left) or out @ x = y; y is [*, M, K] or a vector [M]."""
    x = _matrix("solve", x)
    if not left:
        return C.swapaxes(solve(C.swapaxes(x, -1, -2), C.swapaxes(y, -1, -2)), -1, -2)
    if y.ndim == 1:
        return apply("squeeze", apply("solve", x, apply("unsqueeze", y, axis=-1)), axis=-1)
    return apply("solve", x, y)


def cholesky(x, upper=False, name=None):
    """The Cholesky factor of symmetric positive-definite matrices (lower, or upper)."""
    lower = apply("cholesky", _matrix("cholesky", x))
    return C.swapaxes(lower, -1, -2) if upper else lower


def cholesky_solve(x, y, upper=False, name=None):
    """out with A @ out = x, where y is A's Cholesky factor (lower, or upper when `upper`)."""
    return M.cholesky_solve(x, _matrix("cholesky_solve", y), upper=bool(upper))


def triangular_solve(x, y, upper=True, transpose=False, unitriangular=False, name=None):
    """out with T @ out = y for the upper (lower) triangle T of x (transposed when asked;
    with a unit diagonal when `unitriangular`); x's other triangle is not read."""
    t = M.triangle(_matrix("triangular_solve", x), bool(upper), bool(unitriangular))
    if transpose:
        t = C.swapaxes(t, -1, -2)
    return apply("solve", t, y)


# ---------------------------------------------------------------- decompositions

def qr(x, mode="reduced", name=None):
    """(Q, R) with x = Q R; mode 'complete' gives a square Q, mode 'r' returns R alone."""
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    q, r = apply("qr", _matrix("qr", x, square=False), mode=mode)
    return r if mode == "r" else (q, r)


def svd(x, full_matrices=False, name=None):
    """(U, S, VH) with x = U diag(S) VH, S descending."""
    return apply("svd", _matrix("svd", x, square=False), full_matrices=bool(full_matrices))


def svdvals(x, name=None):
    """The singular values of each matrix, descending."""
    return apply("svd", _matrix("svdvals", x, square=False), full_matrices=False)[1]


def _uplo(name, UPLO):
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.{name}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO


def eigh(x, UPLO="L", name=None):
    """(eigenvalues ascending, eigenvectors as columns) of the symmetric matrices read from
    x's lower (UPLO='L') or upper triangle."""
    sym = M.hermitian_part(_matrix("eigh", x), _uplo("eigh", UPLO))
    return apply("eigh", sym, UPLO=UPLO)


def eigvalsh(x, UPLO="L", name=None):
    """The eigenvalues (ascending) of the symmetric matrices read from x's UPLO triangle."""
    return eigh(x, UPLO)[0]


# ---------------------------------------------------------------- norms and ranks

def vector_norm(x, p=2.0, axis=None, keepdim=False, name=None):
    """The vector p-norm over `axis` (an int, a list, or None: all entries)."""
    if isinstance(p, str):
        raise ValueError(f"linalg.vector_norm: p must be a number, got {p!r}")
    axis = tuple(axis) if isinstance(axis, list) else axis
    return C.norm(x, p=float(p), axis=axis, keepdim=keepdim)


def matrix_norm(x, p="fro", axis=[-2, -1], keepdim=False, name=None):  # noqa: B006 (Paddle)
    """The matrix norm over the two `axis` dims: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2."""
    if not isinstance(axis, (list, tuple)) or len(axis) != 2:
        raise ValueError(f"linalg.matrix_norm: axis must be a pair of ints, got {axis}")
    return M.matrix_norm(x, p, tuple(axis), keepdim)


def cond(x, p=None, name=None):
    """The condition number in the norm `p` (None / 2 / -2: singular values; 'fro', 'nuc',
    inf, -inf, 1, -1: norm(x) * norm(inv(x)), square x)."""
    if p not in (None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf):
        raise ValueError(f"linalg.cond: p must be None, 'fro', 'nuc', inf, -inf, 1, -1, 2 or "
                         f"-2, got {p!r}")
    return M.cond(_matrix("cond", x, square=p not in (None, 2, -2)), p)


def matrix_power(x, n, name=None):
    """x to the integer power n (negative: of the inverse; 0: the identity)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {n!r}")
    return M.matrix_power(_matrix("matrix_power", x), int(n))


def matrix_rank(x, tol=None, hermitian=False, atol=None, rtol=None, name=None):
    """The number of singular values above max(atol, rtol * the largest) (int64); `tol` is
    an absolute tolerance; the default rtol is eps * max(M, N)."""
    if tol is not None:
        atol, rtol = tol, 0.0
    return M.matrix_rank(_matrix("matrix_rank", x, square=bool(hermitian)), atol, rtol,
                         bool(hermitian))


def pinv(x, rcond=1e-15, hermitian=False, name=None):
    """The Moore-Penrose pseudo-inverse; singular values below rcond times the largest are
    dropped."""
    return M.pinv(_matrix("pinv", x, square=bool(hermitian)), rtol=float(rcond),
                  hermitian=bool(hermitian))


def lstsq(x, y, rcond=None, driver=None, name=None):
    """(solution, residuals, rank, singular_values) of min ||x @ out - y||. residuals (the
    squared residual norms) are given when M > N, else an empty tensor; singular values only
    for the 'gelsd' and 'gelss' drivers (an empty tensor otherwise), as Paddle."""
    driver = driver or "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise ValueError(f"linalg.lstsq: driver must be gels, gelsy, gelsd or gelss, got "
                         f"{driver!r}")
    x = _matrix("lstsq", x, square=False)
    vector = y.ndim == x.ndim - 1
    ym = apply("unsqueeze", y, axis=-1) if vector else y
    solution, residuals, rank, s = M.lstsq(x, ym, rcond)
    empty = _empty_like(x)
    if residuals is None:
        residuals = empty
    elif vector:
        residuals = apply("squeeze", residuals, axis=-1)
    if vector:
        solution = apply("squeeze", solution, axis=-1)
    values = s if driver in ("gelsd", "gelss") else empty
    return solution, residuals, rank, values


def _empty_like(x):
    """A 1-D empty tensor of x's dtype."""
    spec, _ = parse_index((slice(0, 0),))
    return apply("getitem", apply("reshape", x, shape=(-1,)), index=spec)


def multi_dot(x, name=None):
    """The chained matrix product of a list of tensors (the first and last may be 1-D)."""
    return M.multi_dot(list(x))


# ---------------------------------------------------------------- statistics

def cov(x, rowvar=True, ddof=True, fweights=None, aweights=None, name=None):
    """Covariance of the variables in x's rows (columns when not rowvar); ddof divides by
    N - 1 (else N)."""
    if x.ndim > 2:
        raise ValueError(f"linalg.cov: x must have at most 2 dims, got shape {list(x.shape)}")
    if x.ndim == 2 and not rowvar:
        x = C.swapaxes(x, 0, 1)
    x = x if dtypes.as_np(x.dtype).kind == "f" else apply("cast", x, dtype="float32")
    for what, w in (("fweights", fweights), ("aweights", aweights)):
        if w is not None and w.ndim != 1:
            raise ValueError(f"linalg.cov: {what} must be 1-D, got shape {list(w.shape)}")
    return S.cov(x, 1 if ddof else 0, fweights, aweights)


def corrcoef(x, rowvar=True, name=None):
    """Pearson correlation coefficients of the variables in x's rows (columns when not
    rowvar)."""
    if x.ndim > 2:
        raise ValueError(f"linalg.corrcoef: x must have at most 2 dims, got shape "
                         f"{list(x.shape)}")
    if x.ndim == 2 and not rowvar:
        x = C.swapaxes(x, 0, 1)
    x = x if dtypes.as_np(x.dtype).kind == "f" else apply("cast", x, dtype="float32")
    return S.corrcoef(x)
