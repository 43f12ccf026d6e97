"""Specs for dualnet/ops/elementwise.py (binary arithmetic, basic unary, cast)."""
import numpy as np

from tests.ops.spec import OpSpec, randn, uniform

SPECS = [
    OpSpec("add", lambda r, d: (randn(r, d, 3, 4), randn(r, d, 4)), np.add, name="broadcast"),
    OpSpec("sub", lambda r, d: (randn(r, d, 2, 1, 3), randn(r, d, 4, 1)), np.subtract),
    OpSpec("mul", lambda r, d: (randn(r, d, 3, 4), randn(r, d, 3, 1)), np.multiply),
    OpSpec("div", lambda r, d: (randn(r, d, 3, 4), uniform(r, d, 0.5, 2.0, 4)), np.divide),
    OpSpec("neg", lambda r, d: (randn(r, d, 3, 4),), np.negative, second_order=True),
    OpSpec("exp", lambda r, d: (randn(r, d, 3, 4),), np.exp, second_order=True),
    OpSpec("log", lambda r, d: (uniform(r, d, 0.5, 3.0, 3, 4),), np.log, second_order=True),
    OpSpec("cast", lambda r, d: (randn(r, d, 3, 4),), lambda x, dtype: x.astype(dtype),
           attrs={"dtype": "float64"}),
    OpSpec("sum_to_like", lambda r, d: (randn(r, d, 2, 3, 4), randn(r, d, 3, 1)),
           lambda x, ref: x.sum(axis=(0, 2), keepdims=True)[0], grad=(0,)),
    OpSpec("broadcast_like", lambda r, d: (randn(r, d, 3, 1), randn(r, d, 2, 3, 4)),
           lambda x, ref: np.broadcast_to(x, ref.shape), grad=(0,)),
]

# ---------------------------------------------------------------- H1: more elementwise ops
import math  # noqa: E402

from tests.ops.spec import away_from  # noqa: E402


def _erf_ref(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _near(r, d):
    """Operands equal, within tolerance, far apart, infinite and NaN in places."""
    x = randn(r, d, 3, 4)
    y = x + (r.standard_normal((3, 4)) * 1e-4).astype(d)
    y[0] = x[0] + 1.0
    x[1, 0] = y[1, 0] = np.inf
    x[1, 1], y[1, 1] = np.inf, -np.inf
    x[1, 2] = y[1, 2] = np.nan
    x[1, 3] = np.nan
    return x, y


def _ref_isclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False):
    out = np.zeros(x.shape, dtype=bool)
    for i in np.ndindex(x.shape):
        a, b = float(x[i]), float(y[i])
        if np.isnan(a) or np.isnan(b):
            out[i] = equal_nan and np.isnan(a) and np.isnan(b)
        elif np.isinf(a) or np.isinf(b):
            out[i] = a == b
        else:
            out[i] = abs(a - b) <= atol + rtol * abs(b)
    return out


def _ties(r, d):
    """Two operands equal in some places (gradients split 1/2 each, like finite differences)."""
    x, y = randn(r, d, 3, 4), randn(r, d, 3, 4)
    y[0] = x[0]
    return x, y


def _special(r, d):
    x = randn(r, d, 3, 4)
    x[0, 0], x[1, 1], x[2, 2] = np.nan, np.inf, -np.inf
    return (x,)


def _truthy(r, d, *shape):
    return (r.integers(0, 2, shape) * r.standard_normal(shape)).astype(d)


def _cond(r, *shape):
    return r.random(shape) > 0.5


SPECS += [
    OpSpec("pow", lambda r, d: (uniform(r, d, 0.5, 2.0, 3, 4), randn(r, d, 4)), np.power,
           second_order=True),
    OpSpec("pow", lambda r, d: (randn(r, d, 3, 4), np.array(2.0, d)), np.power, name="square",
           grad=(0,), second_order=True),  # d/dy of x^y is undefined for x < 0
    OpSpec("sqrt", lambda r, d: (uniform(r, d, 0.5, 3.0, 3, 4),), np.sqrt, second_order=True),
    OpSpec("rsqrt", lambda r, d: (uniform(r, d, 0.5, 3.0, 3, 4),), lambda x: 1 / np.sqrt(x),
           second_order=True),
    OpSpec("abs", lambda r, d: (away_from(r, d, (3, 4)),), np.abs, second_order=True),
    OpSpec("sign", lambda r, d: (away_from(r, d, (3, 4)),), np.sign),
    OpSpec("floor", lambda r, d: (randn(r, d, 3, 4) * 3,), np.floor),
    OpSpec("ceil", lambda r, d: (randn(r, d, 3, 4) * 3,), np.ceil),
    OpSpec("round", lambda r, d: (randn(r, d, 3, 4) * 3,), lambda x, decimals: np.round(x),
           attrs={"decimals": 0}),
    OpSpec("round", lambda r, d: (np.array([0.5, 1.5, 2.5, -0.5, -2.5], d),),
           lambda x, decimals: np.array([0.0, 2.0, 2.0, -0.0, -2.0]), name="half_even",
           attrs={"decimals": 0}, grad=()),  # on the jumps: no finite differences
    OpSpec("round", lambda r, d: (np.array([-1.25, 0.26, 3.14159], d),),
           lambda x, decimals: np.array([-1.2, 0.3, 3.1]), name="decimals",
           attrs={"decimals": 1}, dtypes=("float64",), grad=()),
    OpSpec("erf", lambda r, d: (np.concatenate([randn(r, d, 8), uniform(r, d, -6, 6, 8)]),),
           _erf_ref, second_order=True, atol=1e-6, rtol=1e-6),
    OpSpec("sin", lambda r, d: (randn(r, d, 3, 4),), np.sin, second_order=True),
    OpSpec("cos", lambda r, d: (randn(r, d, 3, 4),), np.cos, second_order=True),
    OpSpec("maximum", lambda r, d: (randn(r, d, 3, 4), randn(r, d, 4)), np.maximum,
           second_order=True),
    OpSpec("maximum", _ties, np.maximum, name="ties"),
    OpSpec("minimum", lambda r, d: (randn(r, d, 3, 4), randn(r, d, 3, 1)), np.minimum,
           second_order=True),
    OpSpec("minimum", _ties, np.minimum, name="ties"),
    OpSpec("clip", lambda r, d: (away_from(r, d, (3, 4), (-0.5, 0.5)),),
           lambda x, min, max: np.minimum(np.maximum(x, min), max),
           attrs={"min": -0.5, "max": 0.5}),
    OpSpec("clip", lambda r, d: (away_from(r, d, (3, 4), (-0.5,)),),
           lambda x, min, max: np.where(x < min, min, x), name="min_only",
           attrs={"min": -0.5, "max": None}),
    OpSpec("clip", lambda r, d: (away_from(r, d, (3, 4), (0.5,)),),
           lambda x, min, max: np.where(x > max, max, x), name="max_only",
           attrs={"min": None, "max": 0.5}),
    OpSpec("where", lambda r, d: (_cond(r, 3, 4), randn(r, d, 3, 4), randn(r, d, 3, 4)),
           lambda c, x, y: np.array([a if k else b for k, a, b in
                                     zip(c.ravel(), x.ravel(), y.ravel())]).reshape(3, 4),
           grad=(1, 2)),
    OpSpec("where", lambda r, d: (_cond(r, 3, 1), randn(r, d, 3, 4), randn(r, d, 4)), np.where,
           name="broadcast", grad=(1, 2)),
    OpSpec("isclose", _near, _ref_isclose, attrs={"rtol": 1e-3, "atol": 1e-4}),
    OpSpec("isclose", _near, _ref_isclose, name="equal_nan",
           attrs={"rtol": 1e-3, "atol": 1e-4, "equal_nan": True}),
    OpSpec("equal", _ties, lambda x, y: x == y),
    OpSpec("not_equal", _ties, lambda x, y: x != y),
    OpSpec("less", lambda r, d: (randn(r, d, 3, 4), randn(r, d, 4)), lambda x, y: x < y),
    OpSpec("less_equal", _ties, lambda x, y: x <= y),
    OpSpec("greater", lambda r, d: (randn(r, d, 3, 4), randn(r, d, 3, 1)), lambda x, y: x > y),
    OpSpec("greater_equal", _ties, lambda x, y: x >= y),
    OpSpec("logical_not", lambda r, d: (_truthy(r, d, 3, 4),), lambda x: x == 0),
    OpSpec("logical_and", lambda r, d: (_truthy(r, d, 3, 4), _truthy(r, d, 4)),
           lambda x, y: (x != 0) & (y != 0)),
    OpSpec("logical_or", lambda r, d: (_truthy(r, d, 3, 4), _truthy(r, d, 4)),
           lambda x, y: (x != 0) | (y != 0)),
    OpSpec("logical_xor", lambda r, d: (_truthy(r, d, 3, 4), _truthy(r, d, 4)),
           lambda x, y: (x != 0) ^ (y != 0)),
    OpSpec("isnan", _special, lambda x: x != x),
    OpSpec("isinf", _special, lambda x: (x == np.inf) | (x == -np.inf)),
    OpSpec("isfinite", _special, lambda x: (x == x) & (x != np.inf) & (x != -np.inf)),
    OpSpec("trunc", lambda r, d: (randn(r, d, 3, 4) * 3,), np.trunc),
    OpSpec("floor_divide", lambda r, d: (randn(r, d, 3, 4) * 3, uniform(r, d, 0.5, 2.0, 4)),
           np.floor_divide),
    OpSpec("remainder", lambda r, d: (uniform(r, d, 0.1, 0.9, 3, 4) + np.arange(4, dtype=d),
                                      np.full(4, 1.0, dtype=d)), np.remainder),
]


# ---------------------------------------------------------------- atan2, expm1, log1p, erfinv

def _erfinv_ref(x):
    """Bisection on math.erf, element by element (float64)."""
    out = np.empty(x.shape, dtype=np.float64)
    for i, v in np.ndenumerate(x.astype(np.float64)):
        lo, hi = -6.0, 6.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if math.erf(mid) < v else (lo, mid)
        out[i] = 0.5 * (lo + hi)
    return out.astype(x.dtype)


SPECS += [
    OpSpec("atan2", lambda r, d: (randn(r, d, 3, 4), randn(r, d, 4)), np.arctan2,
           second_order=True),
    OpSpec("expm1", lambda r, d: (randn(r, d, 3, 4),), np.expm1, second_order=True),
    OpSpec("log1p", lambda r, d: (uniform(r, d, -0.5, 2.0, 3, 4),), np.log1p,
           second_order=True),
    OpSpec("erfinv", lambda r, d: (uniform(r, d, -0.95, 0.95, 3, 4),), _erfinv_ref,
           second_order=True, atol=1e-4, rtol=1e-4, grad_atol=1e-5, grad_rtol=1e-4),
]
