"""Elementwise arithmetic with broadcasting and PyTorch type promotion."""
from __future__ import annotations

import numpy as np

from .common import broadcast_shapes, same
from .registry import Meta, register
from .shape import sum_to_like


def binary_infer(x: Meta, y: Meta) -> Meta:
    if x.dtype != y.dtype:
        raise ValueError(f"inputs must have one dtype after promotion, got {x.dtype} and {y.dtype}")
    return Meta(broadcast_shapes(x.shape, y.shape), x.dtype)


def unary_infer(x: Meta) -> Meta:
    return same(x)


def float_unary_infer(x: Meta) -> Meta:
    if x.dtype.kind not in "fc":
        raise ValueError(f"expected a floating point input, got {x.dtype}")
    return same(x)


@register("add", infer=binary_infer, promote=True, saves=(0, 1))
def add(xp, x, y):
    return xp.add(x, y)


@add.defvjp
def _add_vjp(g, x, y, out):
    return sum_to_like(g, x), sum_to_like(g, y)


@register("sub", infer=binary_infer, promote=True, saves=(0, 1))
def sub(xp, x, y):
    return xp.subtract(x, y)


@sub.defvjp
def _sub_vjp(g, x, y, out):
    return sum_to_like(g, x), sum_to_like(neg(g), y)


@register("mul", infer=binary_infer, promote=True)
def mul(xp, x, y):
    return xp.multiply(x, y)


@mul.defvjp
def _mul_vjp(g, x, y, out):
    return sum_to_like(mul(g, y), x), sum_to_like(mul(g, x), y)


@register("div", infer=binary_infer, promote=True, to_float=True)
def div(xp, x, y):
    return xp.true_divide(x, y)


@div.defvjp
def _div_vjp(g, x, y, out):
    gx = div(g, y)
    return sum_to_like(gx, x), sum_to_like(neg(mul(gx, div(x, y))), y)


@register("neg", infer=unary_infer, saves=())
def neg(xp, x):
    return xp.negative(x)


@neg.defvjp
def _neg_vjp(g, x, out):
    return (neg(g),)


@register("exp", infer=float_unary_infer, to_float=True, saves=("out",))
def exp(xp, x):
    return xp.exp(x)


@exp.defvjp
def _exp_vjp(g, x, out):
    return (mul(g, out),)


@register("log", infer=float_unary_infer, to_float=True)
def log(xp, x):
    return xp.log(x)


@log.defvjp
def _log_vjp(g, x, out):
    return (div(g, x),)


def cast_infer(x: Meta, dtype: str) -> Meta:
    return Meta(x.shape, np.dtype(dtype))


def _cast_canon(x, dtype):
    return {"dtype": np.dtype(getattr(dtype, "np", dtype)).name}


@register("cast", infer=cast_infer, canon=_cast_canon, saves=(0,))
def cast(xp, x, dtype):
    return x.astype(dtype, copy=False)


@cast.defvjp
def _cast_vjp(g, x, out, dtype):
    if np.dtype(x.dtype).kind not in "fc":
        return (None,)
    return (cast(g, dtype=np.dtype(x.dtype).name),)


# ---------------------------------------------------------------- helpers (H1)

def _kind(x) -> str:
    """dtype kind of an input (array, eager Tensor or static Variable; `.dtype` may be a DType)."""
    return np.dtype(getattr(x.dtype, "np", x.dtype)).kind


def _float_attr(value, what: str):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {value!r}")
    return float(value)


def bool_binary_infer(x: Meta, y: Meta) -> Meta:
    return Meta(broadcast_shapes(x.shape, y.shape), np.dtype(bool))


def bool_unary_infer(x: Meta) -> Meta:
    return same(x, bool)


# ---------------------------------------------------------------- powers and roots

@register("pow", infer=binary_infer, promote=True, saves=(0, 1, "out"))
def pow(xp, x, y):  # noqa: A001 - the op's name is NumPy's and PyTorch's
    return xp.power(x, y)


@pow.defvjp
def _pow_vjp(g, x, y, out, needs_grad=(True, True)):
    # d/dx = y x^(y-1) (0 where y == 0, as torch); d/dy = x^y log x (0 where x == 0, y >= 0).
    # log|x| with 1 at x == 0 keeps a tensor exponent's gradient finite at x == 0.
    gx = gy = None
    if needs_grad[0]:
        dx = where(equal(y, 0), 0.0, mul(y, pow(x, sub(y, 1))))
        gx = sum_to_like(mul(g, dx), x)
    if needs_grad[1]:
        safe = where(equal(x, 0), 1.0, abs(x))
        gy = sum_to_like(mul(g, mul(out, log(safe))), y)
    return gx, gy


@register("sqrt", infer=float_unary_infer, to_float=True, saves=("out",))
def sqrt(xp, x):
    return xp.sqrt(x)


@sqrt.defvjp
def _sqrt_vjp(g, x, out):
    return (div(g, mul(out, 2.0)),)


@register("rsqrt", infer=float_unary_infer, to_float=True, saves=(0, "out"))
def rsqrt(xp, x):
    out = xp.sqrt(x)
    return xp.reciprocal(out, out=out) if out.ndim else xp.reciprocal(out)


@rsqrt.defvjp
def _rsqrt_vjp(g, x, out):
    return (mul(g, mul(div(out, x), -0.5)),)


def square(x):
    """x * x (composite)."""
    return mul(x, x)


def reciprocal(x):
    """1 / x (composite; integer input gives the default float dtype)."""
    return div(1.0, x)


# ---------------------------------------------------------------- sign-like and rounding

@register("abs", infer=unary_infer, saves=(0,))
def abs(xp, x):  # noqa: A001
    return xp.abs(x)


@abs.defvjp
def _abs_vjp(g, x, out):
    return (mul(g, sign(x)),)


@register("sign", infer=unary_infer, saves=())
def sign(xp, x):
    """-1, 0 or 1 (piecewise constant: a zero gradient, as in PyTorch and Paddle)."""
    return xp.sign(x)


def _zero_vjp(g, x, out, **attrs):
    """The gradient of a piecewise-constant function: zero (torch's floor/ceil/round/trunc/
    sign give x.grad zeros, not an error)."""
    from .shape import zeros_like

    return (zeros_like(g),)


sign.defvjp(_zero_vjp)


@register("floor", infer=unary_infer, saves=())
def floor(xp, x):
    return x if x.dtype.kind in "biu" else xp.floor(x)


@register("ceil", infer=unary_infer, saves=())
def ceil(xp, x):
    return x if x.dtype.kind in "biu" else xp.ceil(x)


floor.defvjp(_zero_vjp)
ceil.defvjp(_zero_vjp)


def _round_canon(x, decimals=0):
    return {"decimals": int(decimals)}


@register("round", infer=lambda x, decimals: same(x), canon=_round_canon, saves=())
def round(xp, x, *, decimals):  # noqa: A001
    """Round half to even, as torch.round and numpy.round."""
    return xp.round(x, decimals)


@register("trunc", infer=unary_infer, saves=())
def trunc(xp, x):
    return x if x.dtype.kind in "biu" else xp.trunc(x)


round.defvjp(_zero_vjp)
trunc.defvjp(_zero_vjp)


@register("floor_divide", infer=binary_infer, promote=True, differentiable=False, saves=())
def floor_divide(xp, x, y):
    """torch.floor_divide / `//`: rounds toward negative infinity (zero gradient, as torch)."""
    return xp.floor_divide(x, y)


@register("remainder", infer=binary_infer, promote=True, saves=(0, 1))
def remainder(xp, x, y):
    """torch.remainder / `%`: the result has the sign of the divisor (Python's rule)."""
    return xp.remainder(x, y)


@remainder.defvjp
def _remainder_vjp(g, x, y, out):
    # x - floor(x / y) * y: d/dx = 1, d/dy = -floor(x / y) (piecewise, away from the jumps)
    return sum_to_like(g, x), sum_to_like(neg(mul(g, floor_divide(x, y))), y)


# ---------------------------------------------------------------- transcendental

_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRT_PI_INV = 5.6418958354775628695e-1


def _erf_small(x):
    """erf on |x| < 0.46875 (Cody's first interval)."""
    z = x * x
    num, den = _ERF_A[4] * z, z
    for a, b in zip(_ERF_A[:3], _ERF_B[:3]):
        num, den = (num + a) * z, (den + b) * z
    return x * (num + _ERF_A[3]) / (den + _ERF_B[3])


def _erfc_mid(xp, y):
    """erfc on 0.46875 <= y <= 4 (second interval)."""
    num, den = _ERF_C[8] * y, y
    for c, d in zip(_ERF_C[:7], _ERF_D[:7]):
        num, den = (num + c) * y, (den + d) * y
    return xp.exp(-y * y) * (num + _ERF_C[7]) / (den + _ERF_D[7])


def _erfc_large(xp, y):
    """erfc on y > 4 (asymptotic third interval)."""
    z = 1.0 / (y * y)
    num, den = _ERF_P[5] * z, z
    for p, q in zip(_ERF_P[:4], _ERF_Q[:4]):
        num, den = (num + p) * z, (den + q) * z
    r = z * (num + _ERF_P[4]) / (den + _ERF_Q[4])
    return xp.exp(-y * y) * (_SQRT_PI_INV - r) / y


# float32: erf(x) = x alpha(x^2) / beta(x^2) on x clamped to [-4, 4] (Eigen's and XLA's
# approximation, a few ulp): one branch-free rational, no masks.
_ERF32_ALPHA = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
                -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
                -1.60960333262415e-02)
_ERF32_BETA = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
               -7.37332916720468e-03, -1.42647390514189e-02)


def _horner(z, coefs):
    """coefs[0] z^n + ... + coefs[n], evaluated in place on one new array."""
    p = z * coefs[0]
    for c in coefs[1:-1]:
        p += c
        p *= z
    p += coefs[-1]
    return p


def _erf_float32(xp, x):
    v = xp.clip(x, x.dtype.type(-4.0), x.dtype.type(4.0))
    z = v * v
    p = _horner(z, _ERF32_ALPHA)
    p *= v
    p /= _horner(z, _ERF32_BETA)
    return p


@register("erf", infer=float_unary_infer, to_float=True, saves=(0,))
def erf(xp, x):
    """The error function. float64: W. J. Cody's rational Chebyshev approximations (Math. Comp.
    23, 1969; netlib specfun CALERF), |error| < 1e-15, each interval evaluated only on its own
    elements. float32 and float16: one clamped rational (error a few float32 ulp)."""
    if x.dtype.itemsize <= 4:
        flat = x.astype(xp.float32, copy=False).reshape(-1)  # 1-D: in-place steps need arrays
        return _erf_float32(xp, flat).reshape(x.shape).astype(x.dtype, copy=False)
    y = xp.abs(x)
    small = y < 0.46875
    large = y > 4.0
    mid = ~(small | large)  # NaN lands here and stays NaN
    out = xp.empty_like(x)
    out[small] = _erf_small(x[small])
    erfc = xp.empty_like(y)
    erfc[mid] = _erfc_mid(xp, y[mid])
    erfc[large] = _erfc_large(xp, y[large])
    rest = ~small
    out[rest] = xp.copysign(1.0 - erfc[rest], x[rest])
    return out


@erf.defvjp
def _erf_vjp(g, x, out):
    return (mul(g, mul(exp(neg(mul(x, x))), 1.1283791670955126)),)  # 2/sqrt(pi) e^(-x^2)


@register("sin", infer=float_unary_infer, to_float=True, saves=(0,))
def sin(xp, x):
    return xp.sin(x)


@sin.defvjp
def _sin_vjp(g, x, out):
    return (mul(g, cos(x)),)


@register("cos", infer=float_unary_infer, to_float=True, saves=(0,))
def cos(xp, x):
    return xp.cos(x)


@cos.defvjp
def _cos_vjp(g, x, out):
    return (neg(mul(g, sin(x))),)


# ---------------------------------------------------------------- selection

@register("maximum", infer=binary_infer, promote=True, saves=(0, 1))
def maximum(xp, x, y):
    """Elementwise max, NaN-propagating (torch.maximum)."""
    return xp.maximum(x, y)


def _split_ties(g, x, y, first_wins):
    """Gradient of maximum/minimum: to the winner, halved between equal values (torch)."""
    w = add(cast(first_wins, dtype=g.dtype), mul(cast(equal(x, y), dtype=g.dtype), 0.5))
    return sum_to_like(mul(g, w), x), sum_to_like(mul(g, sub(1.0, w)), y)


@maximum.defvjp
def _maximum_vjp(g, x, y, out):
    return _split_ties(g, x, y, greater(x, y))


@register("minimum", infer=binary_infer, promote=True, saves=(0, 1))
def minimum(xp, x, y):
    return xp.minimum(x, y)


@minimum.defvjp
def _minimum_vjp(g, x, y, out):
    return _split_ties(g, x, y, less(x, y))


def _clip_canon(x, min=None, max=None):  # noqa: A002 - PyTorch's argument names
    lo, hi = _float_attr(min, "clip min"), _float_attr(max, "clip max")
    if _kind(x) in "biu":  # an integer tensor keeps its dtype: round the bounds inwards
        lo = None if lo is None else int(np.ceil(lo))
        hi = None if hi is None else int(np.floor(hi))
    return {"min": lo, "max": hi}


@register("clip", infer=lambda x, min, max: same(x), canon=_clip_canon, saves=(0,))
def clip(xp, x, *, min, max):  # noqa: A002
    """torch.clamp with scalar bounds (either may be None; min > max gives max everywhere)."""
    if min is None and max is None:
        return x
    if max is None:
        return xp.maximum(x, x.dtype.type(min))
    if min is None:
        return xp.minimum(x, x.dtype.type(max))
    return xp.clip(x, x.dtype.type(min), x.dtype.type(max))


@clip.defvjp
def _clip_vjp(g, x, out, min, max):  # noqa: A002
    if min is None and max is None:
        return (g,)
    if min is None:
        inside = less_equal(x, max)
    elif max is None:
        inside = greater_equal(x, min)
    else:
        inside = logical_and(greater_equal(x, min), less_equal(x, max))
    return (where(inside, g, 0.0),)


def _where_infer(cond: Meta, x: Meta, y: Meta) -> Meta:
    if cond.dtype != np.dtype(bool):
        raise TypeError(f"where expects a bool condition, got {cond.dtype}")
    if x.dtype != y.dtype:
        raise ValueError(f"where: x and y must share a dtype after promotion, got {x.dtype} "
                         f"and {y.dtype}")
    return Meta(broadcast_shapes(cond.shape, x.shape, y.shape), x.dtype)


@register("where", infer=_where_infer, promote=(1, 2))
def where(xp, cond, x, y):
    if cond.dtype != bool:
        raise TypeError(f"where expects a bool condition, got {cond.dtype}")
    return xp.where(cond, x, y)


@where.defvjp
def _where_vjp(g, cond, x, y, out):
    return None, sum_to_like(where(cond, g, 0.0), x), sum_to_like(where(cond, 0.0, g), y)


# ---------------------------------------------------------------- comparisons (bool, no grad)

def _isclose_canon(x, y, *, rtol=1e-05, atol=1e-08, equal_nan=False):
    return {"rtol": float(rtol), "atol": float(atol), "equal_nan": bool(equal_nan)}


def _isclose_infer(x: Meta, y: Meta, **attrs) -> Meta:
    return bool_binary_infer(x, y)


@register("isclose", infer=_isclose_infer, canon=_isclose_canon, promote=True,
          differentiable=False, saves=())
def isclose(xp, x, y, *, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|x - y| <= atol + rtol * |y| entry by entry (equal infinities close; NaNs close to
    each other only with equal_nan): torch.isclose / paddle.isclose."""
    return xp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan)


@register("equal", infer=bool_binary_infer, promote=True, differentiable=False, saves=())
def equal(xp, x, y):
    return xp.equal(x, y)


@register("not_equal", infer=bool_binary_infer, promote=True, differentiable=False, saves=())
def not_equal(xp, x, y):
    return xp.not_equal(x, y)


@register("less", infer=bool_binary_infer, promote=True, differentiable=False, saves=())
def less(xp, x, y):
    return xp.less(x, y)


@register("less_equal", infer=bool_binary_infer, promote=True, differentiable=False, saves=())
def less_equal(xp, x, y):
    return xp.less_equal(x, y)


@register("greater", infer=bool_binary_infer, promote=True, differentiable=False, saves=())
def greater(xp, x, y):
    return xp.greater(x, y)


@register("greater_equal", infer=bool_binary_infer, promote=True, differentiable=False,
          saves=())
def greater_equal(xp, x, y):
    return xp.greater_equal(x, y)


# ---------------------------------------------------------------- logical and float classes

@register("logical_not", infer=bool_unary_infer, differentiable=False, saves=())
def logical_not(xp, x):
    return xp.logical_not(x)


@register("logical_and", infer=bool_binary_infer, differentiable=False, saves=())
def logical_and(xp, x, y):
    return xp.logical_and(x, y)


@register("logical_or", infer=bool_binary_infer, differentiable=False, saves=())
def logical_or(xp, x, y):
    return xp.logical_or(x, y)


@register("logical_xor", infer=bool_binary_infer, differentiable=False, saves=())
def logical_xor(xp, x, y):
    return xp.logical_xor(x, y)


@register("isnan", infer=bool_unary_infer, differentiable=False, saves=())
def isnan(xp, x):
    return xp.isnan(x)


@register("isinf", infer=bool_unary_infer, differentiable=False, saves=())
def isinf(xp, x):
    return xp.isinf(x)


@register("isfinite", infer=bool_unary_infer, differentiable=False, saves=())
def isfinite(xp, x):
    return xp.isfinite(x)


# ---------------------------------------------------------------- atan2, expm1, log1p, erfinv

def _float_binary_infer(y: Meta, x: Meta) -> Meta:
    out = binary_infer(y, x)
    if out.dtype.kind not in "fc":
        raise ValueError(f"expected floating point inputs, got {out.dtype}")
    return out


@register("atan2", infer=_float_binary_infer, promote=True, to_float=True, saves=(0, 1))
def atan2(xp, y, x):
    """The angle of the point (x, y), in (-pi, pi] (torch.atan2(input=y, other=x))."""
    return xp.arctan2(y, x)


@atan2.defvjp
def _atan2_vjp(g, y, x, out):
    r2 = add(mul(x, x), mul(y, y))
    return sum_to_like(div(mul(g, x), r2), y), sum_to_like(neg(div(mul(g, y), r2)), x)


@register("expm1", infer=float_unary_infer, to_float=True, saves=("out",))
def expm1(xp, x):
    """exp(x) - 1, exact near 0."""
    return xp.expm1(x)


@expm1.defvjp
def _expm1_vjp(g, x, out):
    return (mul(g, add(out, 1.0)),)


@register("log1p", infer=float_unary_infer, to_float=True, saves=(0,))
def log1p(xp, x):
    """log(1 + x), exact near 0."""
    return xp.log1p(x)


@log1p.defvjp
def _log1p_vjp(g, x, out):
    return (div(g, add(x, 1.0)),)


# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2010), single precision
_ERFINV_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                   0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _poly(w, coefs):
    p = w * 0.0 + coefs[0]
    for c in coefs[1:]:
        p = p * w + c
    return p


@register("erfinv", infer=float_unary_infer, to_float=True, saves=("out",))
def erfinv(xp, x):
    """The inverse error function on (-1, 1) (+-inf at +-1, NaN outside): Giles' rational
    initial guess, then two Halley steps on erf in float64."""
    z = x.astype(xp.float64)
    inside = xp.abs(z) < 1.0
    z = xp.where(inside, z, 0.0)  # +-1, outside and NaN are set at the end
    w = -xp.log(xp.maximum((1.0 - z) * (1.0 + z), 1e-300))
    central = w < 5.0
    y = xp.where(central, _poly(w - 2.5, _ERFINV_CENTRAL),
                 _poly(xp.sqrt(w) - 3.0, _ERFINV_TAIL)) * z
    for _ in range(2):
        f = erf.forward(xp, y) - z
        step = f / (1.1283791670955126 * xp.exp(-y * y))  # f / f'
        y = y - step / (1.0 + y * step)  # Halley: f'' = -2 y f'
    edge = xp.abs(x) == 1.0
    y = xp.where(edge, xp.where(x > 0, xp.inf, -xp.inf), xp.where(inside, y, xp.nan))
    return y.astype(x.dtype)


@erfinv.defvjp
def _erfinv_vjp(g, x, out):
    return (mul(g, mul(exp(mul(out, out)), 0.8862269254527580)),)  # sqrt(pi)/2 e^(y^2)
