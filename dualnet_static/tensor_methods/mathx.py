"""Paddle's elementwise math and special functions beyond math.py (also Variable methods):
`paddle.acos`, `lgamma`, `logit`, `nan_to_num`, `bitwise_and`, `increment`, ...

The math lives in the registry: primitives of dualnet/ops/special.py and elementwise.py
(asin, lgamma, digamma, polygamma, bitwise_*, gcd, atan2, expm1, remainder, ...) and the
composites of dualnet/ops/special.py that dualnet_eager calls too (hypot, lerp, logaddexp,
logit, fmax, nan_to_num, ...). What is here is Paddle's signatures and dtype rules.

Complex dtypes (real, imag, conj, angle, as_complex, as_real) are not provided: the registry
has complex64 only, its rules are not conjugate-aware and some infers assume real outputs.
"""
from __future__ import annotations

import numpy as np

from dualnet import dtypes
from dualnet.ops import apply
from dualnet.ops import elementwise as E
from dualnet.ops import special as S

from . import creation

__all__ = [
    "acos", "acosh", "asin", "asinh", "atan", "atanh", "cosh", "sinh", "tan", "atan2",
    "deg2rad", "rad2deg", "digamma", "lgamma", "polygamma", "erfinv", "expm1", "log1p",
    "log2", "log10", "logaddexp", "logit", "frac", "trunc", "floor_divide", "floor_mod",
    "mod", "remainder", "fmax", "fmin", "gcd", "lcm", "heaviside", "hypot", "lerp",
    "nan_to_num", "reciprocal", "sgn", "stanh", "add_n", "increment", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "is_complex", "is_floating_point",
    "is_integer", "is_empty", "rank", "standard_normal", "randint_like",
]


def _kind(x) -> str:
    return dtypes.as_np(x.dtype).kind


def _check_kinds(fn: str, kinds: str, what: str, *xs) -> None:
    """TypeError naming the function when an input's dtype is not allowed (Paddle's rule);
    Python ints pass (weak scalars)."""
    seen = [type(x).__name__ if isinstance(x, (int, float)) else dtypes.as_np(x.dtype).name
            for x in xs]
    for x in xs:
        kind = "i" if isinstance(x, int) else "f" if isinstance(x, float) else _kind(x)
        if kind not in kinds:
            raise TypeError(f"{fn}: expected {what} tensors, got {seen}")


def _unary(op: str, doc: str):
    def fn(x, name=None):
        return apply(op, x)

    fn.__name__, fn.__doc__ = op, doc
    return fn


acos = _unary("acos", "arccos(x), NaN outside [-1, 1].")
asin = _unary("asin", "arcsin(x), NaN outside [-1, 1].")
atan = _unary("atan", "arctan(x).")
acosh = _unary("acosh", "arccosh(x), NaN below 1.")
asinh = _unary("asinh", "arcsinh(x).")
atanh = _unary("atanh", "arctanh(x), +-inf at +-1.")
cosh = _unary("cosh", "cosh(x).")
sinh = _unary("sinh", "sinh(x).")
tan = _unary("tan", "tan(x).")
lgamma = _unary("lgamma", "log |Gamma(x)|; its gradient is digamma.")
digamma = _unary("digamma", "psi(x) = d/dx lgamma(x); -inf at 0, NaN at negative integers.")
erfinv = _unary("erfinv", "The inverse error function on (-1, 1).")
expm1 = _unary("expm1", "exp(x) - 1, exact near 0.")
log1p = _unary("log1p", "log(1 + x), exact near 0.")
log2 = _unary("log2", "Base-2 logarithm.")
log10 = _unary("log10", "Base-10 logarithm.")
trunc = _unary("trunc", "Round toward zero (integers pass; no gradient).")


def polygamma(x, n, name=None):
    """The n-th derivative of digamma (n = 0 is digamma itself)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"polygamma: n must be a non-negative integer, got {n!r}")
    return apply("digamma", x) if n == 0 else apply("polygamma", x, n=int(n))


def atan2(x, y, name=None):
    """The angle of the point (y, x) in (-pi, pi] (Paddle: atan2(x, y) = arctan(x / y));
    integer inputs give float64, as Paddle."""
    if _kind(x) in "biu" and _kind(y) in "biu":
        x, y = apply("cast", x, dtype="float64"), apply("cast", y, dtype="float64")
    return apply("atan2", x, y)


def deg2rad(x, name=None):
    return S.deg2rad(x)


def rad2deg(x, name=None):
    return S.rad2deg(x)


def logaddexp(x, y, name=None):
    return S.logaddexp(x, y)


def logit(x, eps=None, name=None):
    """log(x / (1 - x)); with eps, x is clamped to [eps, 1 - eps] first."""
    return S.logit(x, eps)


def frac(x, name=None):
    return S.frac(x)


def floor_divide(x, y, name=None):
    """x / y rounded toward negative infinity (no gradient)."""
    return apply("floor_divide", x, y)


def remainder(x, y, name=None):
    """x mod y with the sign of the divisor y (Python's rule)."""
    return apply("remainder", x, y)


floor_mod = mod = remainder


def fmax(x, y, name=None):
    """Elementwise maximum ignoring NaN (NaN only where both are)."""
    return S.fmax(x, y)


def fmin(x, y, name=None):
    """Elementwise minimum ignoring NaN (NaN only where both are)."""
    return S.fmin(x, y)


def gcd(x, y, name=None):
    """Greatest common divisor of |x| and |y| (integers; gcd(0, 0) = 0)."""
    _check_kinds("gcd", "iu", "integer", x, y)
    return apply("gcd", x, y)


def lcm(x, y, name=None):
    """Least common multiple of |x| and |y| (integers; 0 when either is 0)."""
    _check_kinds("lcm", "iu", "integer", x, y)
    return apply("lcm", x, y)


def heaviside(x, y, name=None):
    """0 where x < 0, y where x == 0, 1 where x > 0."""
    return S.heaviside(x, y)


def hypot(x, y, name=None):
    return S.hypot(x, y)


def lerp(x, y, weight, name=None):
    """x + weight * (y - x) (weight a number or a tensor)."""
    return S.lerp(x, y, weight)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None, name=None):
    """NaN -> nan, +inf -> posinf, -inf -> neginf (None: the dtype's largest/lowest value)."""
    return S.nan_to_num(x, nan, posinf, neginf)


def reciprocal(x, name=None):
    return E.reciprocal(x)


def sgn(x, name=None):
    """The sign of real x (-1, 0, 1); complex x is not supported (see the module doc)."""
    if _kind(x) == "c":
        raise TypeError("sgn: complex tensors are not supported")
    if _kind(x) != "f":
        raise TypeError(f"sgn: x must be float16, float32 or float64, got "
                        f"{dtypes.as_np(x.dtype)}")
    return apply("sign", x)


def stanh(x, scale_a=0.67, scale_b=1.7159, name=None):
    """scale_b * tanh(scale_a * x) (integers become float32)."""
    return S.stanh(x, scale_a, scale_b)


# ---------------------------------------------------------------- sums and counters


def add_n(inputs, name=None):
    """The sum of a list of tensors of one shape and dtype."""
    if not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    if not inputs:
        raise ValueError("add_n: inputs must hold at least one tensor")
    first = inputs[0]
    for v in inputs[1:]:
        if dtypes.as_np(v.dtype) != dtypes.as_np(first.dtype):
            raise TypeError(f"add_n: all inputs must have one dtype, got "
                            f"{[dtypes.as_np(t.dtype).name for t in inputs]}")
        if len(v.shape) != len(first.shape) or any(
                a != b and -1 not in (a, b) for a, b in zip(v.shape, first.shape)):
            raise ValueError(f"add_n: all inputs must have one shape, got "
                             f"{[list(t.shape) for t in inputs]}")
    out = first if len(inputs) > 1 else apply("assign", first)
    for v in inputs[1:]:
        out = apply("add", out, v)
    return out


def increment(x, value=1.0, name=None):
    """x + value for a one-element x, written back into x as Paddle does: into a persistable
    variable (a global counter) in any mode, into a tensor made by to_tensor in dynamic mode.
    A temporary of an explicit static program cannot be rebound (its producer is fixed):
    there the result is only returned."""
    from ..binder import write_to
    from ..dygraph import set_value
    from ..framework import in_implicit_mode

    if -1 not in x.shape and int(np.prod(x.shape)) != 1:
        raise ValueError(f"increment: x must have exactly one element, got shape "
                         f"{list(x.shape)}")
    if _kind(x) in "iu":
        value = int(value)
    out = apply("add", x, value)
    if x.persistable:
        return write_to(out, x)
    if in_implicit_mode() and x._bound is not None and x.op is None:
        set_value(x, out)
        return x
    return out


# ---------------------------------------------------------------- bits


def _store(out, target):
    return out if target is None else creation.assign(out, target)


def _bitwise(op: str, *xs, out=None):
    _check_kinds(op, "biu", "integer or bool", *xs)
    return _store(apply(op, *xs), out)


def bitwise_and(x, y, out=None, name=None):
    """x & y (integers or bool; no gradient); `out` receives the result when given."""
    return _bitwise("bitwise_and", x, y, out=out)


def bitwise_or(x, y, out=None, name=None):
    """x | y (integers or bool; no gradient)."""
    return _bitwise("bitwise_or", x, y, out=out)


def bitwise_xor(x, y, out=None, name=None):
    """x ^ y (integers or bool; no gradient)."""
    return _bitwise("bitwise_xor", x, y, out=out)


def bitwise_not(x, out=None, name=None):
    """~x (integers; logical not for bool; no gradient)."""
    return _bitwise("bitwise_not", x, out=out)


# ---------------------------------------------------------------- dtype and shape facts


def is_complex(x) -> bool:
    return _kind(x) == "c"


def is_floating_point(x) -> bool:
    return _kind(x) == "f"


def is_integer(x) -> bool:
    return _kind(x) in "iu"


def is_empty(x, name=None):
    """A 0-D bool tensor: whether x has no elements (known at run time for -1 dims)."""
    return apply("any", apply("equal", apply("shape_of", x), 0), axis=None, keepdim=False)


def rank(input):
    """The number of dimensions of input, as a 0-D int32 tensor."""
    return creation.full([], len(input.shape), dtype="int32")


# ---------------------------------------------------------------- random


def standard_normal(shape, dtype=None, name=None):
    """N(0, 1) samples of the given shape (the default float dtype)."""
    return creation.randn(shape, dtype)


def randint_like(x, low=0, high=None, dtype=None, name=None):
    """Integers uniform in [low, high) (randint_like(x, n): [0, n)) of x's shape, in `dtype`
    (default: x's dtype)."""
    if high is None:
        low, high = 0, low
    if low >= high:
        raise ValueError(f"randint_like: low must be less than high, got low={low}, "
                         f"high={high}")
    if -1 in x.shape:
        raise ValueError(f"randint_like: the shape of x must be known, got {list(x.shape)}")
    dtype = dtypes.as_np(x.dtype if dtype is None else dtype).name
    out = creation.randint(low, high, list(x.shape), dtype="int64")
    return out if dtype == "int64" else apply("cast", out, dtype=dtype)
