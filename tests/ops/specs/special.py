"""Specs for dualnet/ops/special.py: inverse trigonometric and hyperbolic functions, log2/log10,
the gamma family, bit operations, gcd/lcm. References are plain Python/NumPy: math.lgamma, and
digamma/polygamma summed from their series definitions."""
import math

import numpy as np

from tests.ops.spec import OpSpec, randn, uniform

_K = 4000  # terms summed explicitly by the series references


def _digamma_ref(x):
    """psi(x) = log(x+K) - 1/(2(x+K)) - 1/(12(x+K)^2) - sum_{k<K} 1/(x+k) (error ~ K^-4)."""
    x64 = x.astype(np.float64)[..., None]
    k = np.arange(_K, dtype=np.float64)
    t = x64[..., 0] + _K
    out = np.log(t) - 0.5 / t - 1.0 / (12 * t * t) - (1.0 / (x64 + k)).sum(-1)
    return out.astype(x.dtype)


def _polygamma_ref(x, n):
    """(-1)^(n+1) n! sum_k (x+k)^-(n+1), the tail after K terms by Euler-Maclaurin."""
    s = n + 1
    x64 = x.astype(np.float64)[..., None]
    k = np.arange(_K, dtype=np.float64)
    t = x64[..., 0] + _K
    tail = t ** (1 - s) / (s - 1) + 0.5 * t ** -s + s * t ** (-s - 1) / 12
    total = ((x64 + k) ** -s).sum(-1) + tail
    return ((-1) ** (n + 1) * math.factorial(n) * total).astype(x.dtype)


def _lgamma_ref(x):
    return np.vectorize(math.lgamma, otypes=[np.float64])(x).astype(x.dtype)


def _gamma_inputs(r, d):
    """Positive values, small and large, and negative non-integers (the reflection)."""
    pos = np.concatenate([uniform(r, d, 0.05, 3.0, 6), uniform(r, d, 3.0, 40.0, 4)])
    neg = -uniform(r, d, 0.1, 0.9, 4) - r.integers(0, 4, 4).astype(d)
    return (np.concatenate([pos, neg]).reshape(2, 7),)


def _ints(r, d, *shape, lo=-50, hi=50):
    return r.integers(lo, hi, shape).astype(d)


def _bools(r, *shape):
    return r.random(shape) > 0.5


def _gcd_ref(x, y):
    x, y = np.broadcast_arrays(x, y)
    return np.array([math.gcd(int(a), int(b)) for a, b in zip(x.ravel(), y.ravel())],
                    dtype=x.dtype).reshape(x.shape)


def _lcm_ref(x, y):
    x, y = np.broadcast_arrays(x, y)
    out = [0 if a == 0 or b == 0 else abs(int(a) * int(b)) // math.gcd(int(a), int(b))
           for a, b in zip(x.ravel(), y.ravel())]
    return np.array(out, dtype=x.dtype).reshape(x.shape)


def _with_zeros(r, d):
    x, y = _ints(r, d, 3, 4), _ints(r, d, 4, lo=-12, hi=13)
    x[0, 0], y[1] = 0, 0
    return x, y


_INT = ("int32", "int64")

SPECS = [
    OpSpec("tan", lambda r, d: (uniform(r, d, -1.3, 1.3, 3, 4),), np.tan, second_order=True),
    OpSpec("asin", lambda r, d: (uniform(r, d, -0.9, 0.9, 3, 4),), np.arcsin,
           second_order=True),
    OpSpec("acos", lambda r, d: (uniform(r, d, -0.9, 0.9, 3, 4),), np.arccos,
           second_order=True),
    OpSpec("atan", lambda r, d: (randn(r, d, 3, 4) * 3,), np.arctan, second_order=True),
    OpSpec("sinh", lambda r, d: (randn(r, d, 3, 4),), np.sinh, second_order=True),
    OpSpec("cosh", lambda r, d: (randn(r, d, 3, 4),), np.cosh, second_order=True),
    OpSpec("asinh", lambda r, d: (randn(r, d, 3, 4) * 3,), np.arcsinh, second_order=True),
    OpSpec("acosh", lambda r, d: (uniform(r, d, 1.2, 5.0, 3, 4),), np.arccosh,
           second_order=True),
    OpSpec("atanh", lambda r, d: (uniform(r, d, -0.9, 0.9, 3, 4),), np.arctanh,
           second_order=True),
    OpSpec("log2", lambda r, d: (uniform(r, d, 0.2, 9.0, 3, 4),), np.log2, second_order=True),
    OpSpec("log2", lambda r, d: (np.array([1.0, 2.0, 8.0, 1024.0, 0.5], d),),
           lambda x: np.array([0.0, 1.0, 3.0, 10.0, -1.0], x.dtype), name="exact",
           atol=0, rtol=0),
    OpSpec("log10", lambda r, d: (uniform(r, d, 0.2, 9.0, 3, 4),), np.log10,
           second_order=True),
    OpSpec("lgamma", _gamma_inputs, _lgamma_ref, second_order=True, atol=1e-5, rtol=1e-5),
    OpSpec("digamma", _gamma_inputs, _digamma_ref, second_order=True, atol=1e-5, rtol=1e-5),
    OpSpec("polygamma", _gamma_inputs, _polygamma_ref, attrs={"n": 1}, name="trigamma",
           second_order=True, rtol=1e-5),
    OpSpec("polygamma", _gamma_inputs, _polygamma_ref, attrs={"n": 3}, name="n3", rtol=1e-5),
    OpSpec("bitwise_and", lambda r, d: (_ints(r, d, 3, 4), _ints(r, d, 4)), np.bitwise_and,
           dtypes=_INT),
    OpSpec("bitwise_or", lambda r, d: (_ints(r, d, 3, 4), _ints(r, d, 3, 1)), np.bitwise_or,
           dtypes=_INT),
    OpSpec("bitwise_xor", lambda r, d: (_ints(r, d, 3, 4), _ints(r, d, 4)), np.bitwise_xor,
           dtypes=_INT),
    OpSpec("bitwise_not", lambda r, d: (_ints(r, d, 3, 4),), np.invert, dtypes=_INT + ("uint8",)),
    OpSpec("bitwise_and", lambda r, d: (_bools(r, 3, 4), _bools(r, 4)),
           lambda x, y: x & y, name="bool", dtypes=("bool",)),
    OpSpec("bitwise_xor", lambda r, d: (_bools(r, 3, 4), _bools(r, 3, 4)),
           lambda x, y: x ^ y, name="bool", dtypes=("bool",)),
    OpSpec("bitwise_not", lambda r, d: (_bools(r, 3, 4),), lambda x: ~x, name="bool",
           dtypes=("bool",)),
    OpSpec("gcd", _with_zeros, _gcd_ref, dtypes=_INT),
    OpSpec("lcm", _with_zeros, _lcm_ref, dtypes=_INT),
]
