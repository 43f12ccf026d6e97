"""Specs of dualnet/ops/matrix.py: decompositions, inverses and solves. Inputs are well conditioned (A + 3I, X X^T + 3I, distinct
singular values and eigenvalues) so finite differences are meaningful."""
import numpy as np

from tests.ops.spec import OpSpec, randn


def _well(r, d, *shape):
    """Random square matrices, diagonally shifted: comfortably invertible."""
    n = shape[-1]
    return (r.standard_normal(shape) + 3.0 * np.eye(n)).astype(d)


def _spd(r, d, *shape):
    x = r.standard_normal(shape)
    return (x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(d)


def _sym(r, d, *shape):
    """Symmetric matrices with well separated eigenvalues."""
    n = shape[-1]
    q, _ = np.linalg.qr(r.standard_normal(shape))
    w = np.arange(1, n + 1) * 1.5 - n * 0.6
    return (q * w[..., None, :] @ np.swapaxes(q, -1, -2)).astype(d)


def _spread(r, d, m, n):
    """A matrix with singular values 1, 2, ... (well separated)."""
    u, _ = np.linalg.qr(r.standard_normal((m, m)))
    v, _ = np.linalg.qr(r.standard_normal((n, n)))
    k = min(m, n)
    s = np.zeros((m, n))
    s[range(k), range(k)] = np.arange(k, 0, -1) + 0.5
    return (u @ s @ v.T).astype(d)


def _slogdet_ref(a):
    sign, logabs = np.linalg.slogdet(a.astype(np.float64))
    return sign.astype(a.dtype), logabs.astype(a.dtype)


def _qr_ref(a, mode="reduced"):
    return np.linalg.qr(a.astype(np.float64), mode=mode)


def _svd_ref(a, full_matrices=True):
    return np.linalg.svd(a.astype(np.float64), full_matrices=full_matrices)


def _eigh_ref(a, UPLO="L"):
    return np.linalg.eigh(a.astype(np.float64))


_LOOSE = {"atol": 1e-4, "rtol": 1e-4, "grad_atol": 1e-5, "grad_rtol": 1e-4}

SPECS = [
    OpSpec("slogdet", lambda r, d: (randn(r, d, 2, 3, 3),), _slogdet_ref, grad_outputs=(1,),
           **_LOOSE),
    OpSpec("inv", lambda r, d: (_well(r, d, 2, 3, 3),), np.linalg.inv, second_order=True,
           **_LOOSE),
    OpSpec("solve", lambda r, d: (_well(r, d, 2, 3, 3), randn(r, d, 3, 2)),
           lambda a, b: np.linalg.solve(a, np.broadcast_to(b, (2, 3, 2))), name="broadcast",
           second_order=True, **_LOOSE),
    OpSpec("solve", lambda r, d: (_well(r, d, 4, 4), randn(r, d, 2, 4, 1)),
           lambda a, b: np.linalg.solve(np.broadcast_to(a, (2, 4, 4)), b), name="batch-b",
           **_LOOSE),
    OpSpec("cholesky", lambda r, d: (_spd(r, d, 2, 3, 3),), np.linalg.cholesky, **_LOOSE),
    OpSpec("qr", lambda r, d: (randn(r, d, 4, 3),), _qr_ref, name="reduced-tall", **_LOOSE),
    OpSpec("qr", lambda r, d: (randn(r, d, 2, 3, 3),), _qr_ref, attrs={"mode": "complete"},
           name="complete-square", **_LOOSE),
    OpSpec("svd", lambda r, d: (_spread(r, d, 4, 3),), _svd_ref,
           attrs={"full_matrices": False}, name="reduced-tall", **_LOOSE),
    OpSpec("svd", lambda r, d: (_spread(r, d, 3, 5),), _svd_ref,
           attrs={"full_matrices": False}, name="reduced-wide", **_LOOSE),
    OpSpec("svd", lambda r, d: (_spread(r, d, 4, 3),), _svd_ref, grad_outputs=(1,),
           name="full-values", **_LOOSE),
    OpSpec("eigh", lambda r, d: (_sym(r, d, 2, 3, 3),), _eigh_ref, **_LOOSE),
]
