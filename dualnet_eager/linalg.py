"""torch.linalg (imported lazily as `torch.linalg`): PyTorch's signatures, defaults and return
types over the registry's matrix ops (dualnet/ops/matrix.py) and composites of them."""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from dualnet.ops import apply
from dualnet.ops import composite as C

from .tensor import Tensor

__all__ = ["norm", "vector_norm", "matrix_norm", "det", "slogdet", "inv", "solve", "cholesky",
           "qr", "svd", "svdvals", "eigh", "eigvalsh", "matrix_rank", "pinv", "lstsq", "cross",
           "multi_dot", "matrix_power", "vecdot"]

slogdet_result = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
qr_result = namedtuple("linalg_qr", ["Q", "R"])
svd_result = namedtuple("linalg_svd", ["U", "S", "Vh"])
eigh_result = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
lstsq_result = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check(name: str, A, square: bool = True) -> Tensor:
    """A float tensor of matrices [..., m, n] (square when asked), else PyTorch's error."""
    A = _t(A)
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions, got "
                           f"shape {list(A.shape)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if A._data.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {A.dtype.name}")
    return A


def mT(x):
    return C.swapaxes(x, -1, -2)


# ---------------------------------------------------------------- determinants and inverses

def slogdet(A, *, out=None):
    A = _check("linalg.slogdet", A)
    return slogdet_result(*apply("slogdet", A))


def det(A, *, out=None):
    sign, logabs = slogdet(A)
    return sign * logabs.exp()


def inv(A, *, out=None):
    return apply("inv", _check("linalg.inv", A))


def solve(A, B, *, left=True, out=None):
    """X with A X = B (left) or X A = B; B [..., n] is a (batch of) vector(s) as in PyTorch."""
    A, B = _check("linalg.solve", A), _t(B)
    if not left:
        return mT(solve(mT(A), mT(B)))
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vector:
        return apply("solve", A, B.unsqueeze(-1)).squeeze(-1)
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({A.shape[-2]}x{A.shape[-1]} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    return apply("solve", A, B)


def cholesky(A, *, upper=False, out=None):
    L = apply("cholesky", _check("linalg.cholesky", A))
    return mT(L) if upper else L


def qr(A, mode="reduced", *, out=None):
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    return qr_result(*apply("qr", _check("linalg.qr", A, square=False), mode=mode))


def svd(A, full_matrices=True, *, driver=None, out=None):
    """(U, S, Vh). With full_matrices and a non-square A, gradients reach only the reduced
    factors (PyTorch ignores the extra columns of U / rows of Vh as well)."""
    A = _check("linalg.svd", A, square=False)
    m, n = A.shape[-2:]
    if not full_matrices or m == n:
        return svd_result(*apply("svd", A, full_matrices=False))
    if not (A.requires_grad and _grad_enabled()):
        return svd_result(*apply("svd", A, full_matrices=True))
    U, S, Vh = apply("svd", A, full_matrices=False)
    Uf, _, Vhf = apply("svd", A.detach(), full_matrices=True)
    k = min(m, n)
    if m > n:
        U = apply("concat", U, Uf[..., :, k:], axis=-1)
    else:
        Vh = apply("concat", Vh, Vhf[..., k:, :], axis=-2)
    return svd_result(U, S, Vh)


def svdvals(A, *, driver=None, out=None):
    return apply("svd", _check("linalg.svdvals", A, square=False), full_matrices=False)[1]


def eigh(A, UPLO="L", *, out=None):
    return eigh_result(*apply("eigh", _check("linalg.eigh", A), UPLO=UPLO))


def eigvalsh(A, UPLO="L", *, out=None):
    return apply("eigh", _check("linalg.eigvalsh", A), UPLO=UPLO)[0]


def _tolerance(name, S, A, atol, rtol):
    """max(atol, rtol * largest singular value), PyTorch's defaults (rtol = eps * max(m, n)
    when neither is given)."""
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else \
            float(np.finfo(A._data.dtype).eps) * max(A.shape[-2:])
    smax = S.amax(-1, keepdim=True) if S.shape[-1] else S.sum(-1, keepdim=True)
    tol = smax * rtol
    if atol is not None:
        tol = apply("maximum", tol, _as_like(atol, tol))
    return tol


def _as_like(v, like):
    return v if isinstance(v, Tensor) else like.new_full(tuple(like.shape), float(v))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None, out=None):
    A = _check("linalg.matrix_rank", A, square=hermitian)
    if tol is not None:
        atol, rtol = tol, 0.0
    S = eigvalsh(A).abs() if hermitian else svdvals(A)
    S = S.detach()
    return (S > _tolerance("linalg.matrix_rank", S, A, atol, rtol)).sum(-1)


def pinv(A, *, atol=None, rtol=None, hermitian=False, rcond=None, out=None):
    """Moore-Penrose inverse through the SVD (differentiable where the singular values are
    distinct); singular values at or below the tolerance are dropped."""
    A = _check("linalg.pinv", A, square=hermitian)
    if rcond is not None:
        rtol = rcond
    U, S, Vh = apply("svd", A, full_matrices=False)
    tol = _tolerance("linalg.pinv", S.detach(), A, atol, rtol)
    keep = S > tol
    s_inv = apply("where", keep, 1.0 / apply("where", keep, S, 1.0), 0.0)
    return mT(Vh) @ (s_inv.unsqueeze(-1) * mT(U))


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of A X = B through the pseudo-inverse (gradients included)."""
    A, B = _check("linalg.lstsq", A, square=False), _t(B)
    vector = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    if Bm.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2), "
                           f"got A {list(A.shape)} and B {list(B.shape)}")
    X = pinv(A, rtol=rcond) @ Bm
    m, n = A.shape[-2:]
    S = svdvals(A).detach()
    rank = (S > _tolerance("linalg.lstsq", S, A, None, rcond)).sum(-1)
    empty = A.new_zeros(0)
    residuals = empty
    if m > n and bool((rank == n).all()):
        residuals = ((A @ X - Bm) ** 2).sum(-2)
        if vector:
            residuals = residuals.squeeze(-1)
    driver = driver or "gelsy"
    values = S if driver in ("gelsd", "gelss") else empty
    rank = rank if driver != "gels" else empty.long()
    return lstsq_result(X.squeeze(-1) if vector else X, residuals, rank, values)


def matrix_power(A, n):
    A = _check("linalg.matrix_power", A)
    if n < 0:
        A, n = inv(A), -n
    if n == 0:
        from .creation import eye

        return eye(A.shape[-1], dtype=A.dtype, device=A.device).expand(*A.shape)
    result = None
    while n:
        if n & 1:
            result = A if result is None else result @ A
        n >>= 1
        if n:
            A = A @ A
    return result


def multi_dot(tensors, *, out=None):
    tensors = [_t(t) for t in tensors]
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0].ndim == 1, tensors[-1].ndim == 1
    mats = list(tensors)
    if first:
        mats[0] = mats[0].unsqueeze(0)
    if last:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i, t in enumerate(mats):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D"
                               + (" (only the first and last may be 1D)" if t.ndim == 1
                                  else ""))
    out = mats[0]
    for t in mats[1:]:
        if out.shape[-1] != t.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors cannot be chained: shapes "
                               f"{list(out.shape)} and {list(t.shape)}")
        out = out @ t
    if first:
        out = out.squeeze(0)
    if last:
        out = out.squeeze(-1)
    return out


def cross(input, other, *, dim=-1, out=None):
    from ._mathx import cross as _cross

    return _cross(input, other, dim=dim, _name="linalg.cross")


def vecdot(x, y, *, dim=-1, out=None):
    return (_t(x) * y).sum(dim)


# ---------------------------------------------------------------- norms

def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    x = _t(x)
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {x.dtype.name}")
    if isinstance(dim, list):
        dim = tuple(dim)
    return C.norm(x, p=float(ord), axis=dim, keepdim=keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    A = _t(A) if dtype is None else _t(A).to(dtype)
    A = _check("linalg.matrix_norm", A, square=False)
    d0, d1 = (d % A.ndim for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        S = svdvals(C.movedim(A, (d0, d1), (-2, -1)))
        out = S.sum(-1) if ord == "nuc" else S.amax(-1) if ord == 2 else S.amin(-1)
        return _keep(out, (d0, d1), keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        col, row = (d0, d1) if abs(ord) == 1 else (d1, d0)
        sums = A.abs().sum(col, keepdim=True)
        out = sums.amax(row, keepdim=True) if ord > 0 else sums.amin(row, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def _keep(out, dims, keepdim):
    if not keepdim:
        return out
    for d in sorted(dims):
        out = out.unsqueeze(d)
    return out


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    A = _t(A)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is None and ord is not None:
        if A.ndim == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        if A.ndim != 1:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input "
                               f"must be 1D or 2D. Got {A.ndim}D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def _grad_enabled() -> bool:
    from .autograd.grad_mode import state

    return state.grad_enabled
