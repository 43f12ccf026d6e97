"""paddle.linalg (inv, det, solve, cholesky, qr, svd, eigh, norm, ...)."""
from __future__ import annotations
