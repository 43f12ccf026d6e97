"""torch.linalg (imported lazily as `torch.linalg`): PyTorch's signatures, defaults and return
types over the registry's matrix ops (dualnet/ops/matrix.py) and composites of them."""
from __future__ import annotations

import math
from collections import namedtuple

from dualnet.ops import apply
from dualnet.ops import composite as C
from dualnet.ops import matrix as M

from .tensor import Tensor

__all__ = ["matrix_exp", "norm", "vector_norm", "matrix_norm", "det", "slogdet", "inv", "solve",
           "cholesky", "qr", "svd", "svdvals", "eigh", "eigvalsh", "matrix_rank", "pinv", "lstsq", "cross",
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
    return M.det(_check("linalg.det", A))


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


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None, out=None):
    A = _check("linalg.matrix_rank", A, square=hermitian)
    if tol is not None:
        atol, rtol = tol, 0.0
    return M.matrix_rank(A, atol, rtol, hermitian)


def pinv(A, *, atol=None, rtol=None, hermitian=False, rcond=None, out=None):
    """Moore-Penrose inverse through the SVD (differentiable where the singular values are
    distinct); singular values at or below the tolerance are dropped."""
    A = _check("linalg.pinv", A, square=hermitian)
    return M.pinv(A, atol, rcond if rcond is not None else rtol, hermitian)


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of A X = B through the pseudo-inverse (gradients included)."""
    A, B = _check("linalg.lstsq", A, square=False), _t(B)
    vector = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    if Bm.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2), "
                           f"got A {list(A.shape)} and B {list(B.shape)}")
    X, residuals, rank, S = M.lstsq(A, Bm, rcond)
    empty = A.new_zeros(0)
    if residuals is None or not bool((rank == A.shape[-1]).all()):
        residuals = empty
    elif vector:
        residuals = residuals.squeeze(-1)
    driver = driver or "gelsy"
    values = S.detach() if driver in ("gelsd", "gelss") else empty
    rank = rank if driver != "gels" else empty.long()
    return lstsq_result(X.squeeze(-1) if vector else X, residuals, rank, values)


def matrix_power(A, n):
    return M.matrix_power(_check("linalg.matrix_power", A), n)


def multi_dot(tensors, *, out=None):
    tensors = [_t(t) for t in tensors]
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    try:
        return M.multi_dot(tensors)
    except ValueError as e:
        raise RuntimeError(str(e).replace("multi_dot:", "multi_dot():")) from None


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
    if ord not in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return M.matrix_norm(A, ord, (d0, d1), keepdim)


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


def matrix_exp(A):
    """torch.linalg.matrix_exp: torch.matrix_exp (scaling and squaring, Pade 13)."""
    from .functions import matrix_exp as _matrix_exp

    return _matrix_exp(A)
