"""Paddle's products (also Variable methods): `paddle.mm`, `bmm`, `dot`, `outer`, `einsum`.

Thin compositions of registry ops (matmul, mul, sum, einsum), so gradients come from their
rules.
"""
from __future__ import annotations

from dualnet.ops import apply

__all__ = ["mm", "bmm", "dot", "outer", "einsum"]


def mm(input, mat2, name=None):  # noqa: A002 (Paddle's name)
    """Matrix product with matmul's broadcasting (Paddle's mm)."""
    return apply("matmul", input, mat2)


def bmm(x, y, name=None):
    """[b, n, m] @ [b, m, p] -> [b, n, p]; the batch sizes must match."""
    if x.ndim != 3 or y.ndim != 3:
        raise ValueError(f"bmm: x and y must be 3-D, got shapes {list(x.shape)} and "
                         f"{list(y.shape)}")
    if -1 not in (x.shape[0], y.shape[0]) and x.shape[0] != y.shape[0]:
        raise ValueError(f"bmm: batch sizes differ: {list(x.shape)} and {list(y.shape)}")
    return apply("matmul", x, y)


def dot(x, y, name=None):
    """Inner product of 1-D x and y (a 0-D result), or row by row for 2-D [N, D] ones ([N])."""
    if x.ndim not in (1, 2) or x.ndim != y.ndim:
        raise ValueError(f"dot: x and y must both be 1-D or both 2-D, got shapes "
                         f"{list(x.shape)} and {list(y.shape)}")
    return apply("sum", apply("mul", x, y), axis=-1, keepdim=False)


def outer(x, y, name=None):
    """[n] x [m] -> [n, m] (inputs of other ranks are flattened first)."""
    x = apply("reshape", x, shape=(-1, 1))
    y = apply("reshape", y, shape=(1, -1))
    return apply("mul", x, y)


def einsum(equation, *operands):
    """Einstein summation, e.g. einsum('bij,bjk->bik', x, y)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: at least one operand is needed")
    return apply("einsum", *operands, equation=equation)
