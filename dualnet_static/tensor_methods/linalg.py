"""Paddle's products (also Variable methods): `paddle.mm`, `bmm`, `dot`, `outer`, `einsum`,
`kron`, `inner`, `cross`, `addmm`.

Thin compositions of registry ops (matmul, mul, sum, einsum), so gradients come from their
rules.
"""
from __future__ import annotations

from dualnet.ops import apply
from dualnet.ops import composite as C
from dualnet.ops.common import norm_axis
from dualnet.ops.indexing import parse_index

__all__ = ["mm", "bmm", "dot", "outer", "einsum", "kron", "inner", "cross", "addmm"]


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
    """[n] x [m] -> [n, m] (inputs of other ranks are flattened first): the core's outer,
    as torch.outer."""
    return C.outer(apply("reshape", x, shape=(-1,)), apply("reshape", y, shape=(-1,)))


def einsum(equation, *operands):
    """Einstein summation, e.g. einsum('bij,bjk->bik', x, y)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: at least one operand is needed")
    return apply("einsum", *operands, equation=equation)


def kron(x, y, name=None):
    """The Kronecker product: block (i, j) of the result is x[i, j] * y (any rank; the
    smaller rank is padded with leading 1s). The shapes must be known."""
    if -1 in (*x.shape, *y.shape):
        raise ValueError(f"kron: the shapes must be known, got {list(x.shape)} and "
                         f"{list(y.shape)}")
    ndim = max(x.ndim, y.ndim)
    xs = (1,) * (ndim - x.ndim) + tuple(x.shape)
    ys = (1,) * (ndim - y.ndim) + tuple(y.shape)
    xr = apply("reshape", x, shape=tuple(d for n in xs for d in (n, 1)))
    yr = apply("reshape", y, shape=tuple(d for n in ys for d in (1, n)))
    return apply("reshape", apply("mul", xr, yr), shape=tuple(a * b for a, b in zip(xs, ys)))


def inner(x, y, name=None):
    """Sums of products over the last dims: x [..a, n], y [..b, n] -> [..a, ..b] (a 0-D
    operand just scales the other)."""
    if x.ndim == 0 or y.ndim == 0:
        return apply("mul", x, y)
    n, m = x.shape[-1], y.shape[-1]
    if -1 not in (n, m) and n != m:
        raise ValueError(f"inner: the last dims of x {list(x.shape)} and y {list(y.shape)} "
                         f"differ")
    if y.ndim > 1:  # x [..a, n] -> [..a, 1 (per batch dim of y), n]
        x = apply("unsqueeze", x, axis=tuple(range(x.ndim - 1, x.ndim + y.ndim - 2)))
    return apply("sum", apply("mul", x, y), axis=-1, keepdim=False)


def cross(x, y, axis=9, name=None):
    """The cross product of 3-vectors along `axis` (x and y of the same shape); by default
    (None, or Paddle's 9) the first axis of size 3."""
    if tuple(x.shape) != tuple(y.shape):
        raise ValueError(f"cross: x and y must have the same shape, got {list(x.shape)} and "
                         f"{list(y.shape)}")
    if axis is None or axis == 9:
        found = [d for d, n in enumerate(x.shape) if n == 3]
        if not found:
            raise ValueError(f"cross: no axis of size 3 in shape {list(x.shape)}")
        axis = found[0]
    axis = norm_axis(int(axis), x.ndim)
    if x.shape[axis] != 3:
        raise ValueError(f"cross: axis {axis} of shape {list(x.shape)} must have size 3")

    def part(v, i):
        spec, tensors = parse_index((slice(None),) * axis + (slice(i, i + 1),))
        return apply("getitem", v, *tensors, index=spec)

    a, b = [part(x, i) for i in range(3)], [part(y, i) for i in range(3)]
    terms = [apply("sub", apply("mul", a[j], b[k]), apply("mul", a[k], b[j]))
             for j, k in ((1, 2), (2, 0), (0, 1))]
    return apply("concat", *terms, axis=axis)


def addmm(input, x, y, beta=1.0, alpha=1.0, name=None):  # noqa: A002 (Paddle's name)
    """beta * input + alpha * (x @ y) for 2-D x [m, k] and y [k, n]; input broadcasts to
    [m, n]."""
    if x.ndim != 2 or y.ndim != 2:
        raise ValueError(f"addmm: x and y must be 2-D, got shapes {list(x.shape)} and "
                         f"{list(y.shape)}")
    if -1 not in (x.shape[1], y.shape[0]) and x.shape[1] != y.shape[0]:
        raise ValueError(f"addmm: cannot multiply x {list(x.shape)} by y {list(y.shape)}")
    product = apply("matmul", x, y)
    if input.ndim > 2:
        raise ValueError(f"addmm: input must broadcast to [m, n], got {list(input.shape)}")
    return apply("add", apply("mul", input, float(beta)), apply("mul", product, float(alpha)))
