"""Special functions and the rest of elementwise math: inverse trigonometric and hyperbolic
functions, log2/log10, the gamma family (lgamma, digamma, polygamma), integer bit operations
and gcd/lcm, plus composites both front ends call (hypot, lerp, logaddexp, logit, nan_to_num,
fmax/fmin, heaviside, ...).

The gamma family is xp-generic (no SciPy): in float64, shift the argument up with the
recurrence, evaluate the asymptotic (Stirling / Euler-Maclaurin) series, and use the reflection
formula below 1/2. Each one's gradient is the next: lgamma -> digamma -> polygamma(1) ->
polygamma(2) ..., so derivatives of any order exist.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from .common import broadcast_shapes, same
from .elementwise import (abs, add, cast, clip, div, equal, exp, float_unary_infer, greater,
                          greater_equal, isinf, isnan, less_equal, log, log1p, logical_and,
                          logical_or, maximum, mul, neg, rsqrt, sqrt, sub, trunc, where)
from .registry import Meta, register

# ---------------------------------------------------------------- helpers


def _np_dtype(x) -> np.dtype:
    """dtype of an array, eager Tensor or static Variable (whose `.dtype` may be a DType)."""
    return dtypes.as_np(x.dtype)


def to_float(x):
    """Integer and bool values become the default float dtype (floats pass)."""
    if _np_dtype(x).kind in "fc":
        return x
    return cast(x, dtype=dtypes.get_default_dtype().np.name)


def _one_minus_sq(x):
    """(1 - x)(1 + x): 1 - x^2 without cancellation near |x| = 1."""
    return mul(sub(1.0, x), add(x, 1.0))


# ---------------------------------------------------------------- trigonometric, hyperbolic


def _unary(name: str, fn, doc: str, saves=(0,)):
    def forward(xp, x):
        return getattr(xp, fn)(x)

    forward.__name__, forward.__doc__ = name, doc
    return register(name, infer=float_unary_infer, to_float=True, saves=saves)(forward)


tan = _unary("tan", "tan", "tan(x).", saves=("out",))
asin = _unary("asin", "arcsin", "arcsin on [-1, 1] (NaN outside).")
acos = _unary("acos", "arccos", "arccos on [-1, 1] (NaN outside).")
atan = _unary("atan", "arctan", "arctan(x) in (-pi/2, pi/2).")
sinh = _unary("sinh", "sinh", "sinh(x).")
cosh = _unary("cosh", "cosh", "cosh(x).")
asinh = _unary("asinh", "arcsinh", "arcsinh(x).")
acosh = _unary("acosh", "arccosh", "arccosh on [1, inf) (NaN below).")
atanh = _unary("atanh", "arctanh", "arctanh on (-1, 1) (+-inf at +-1, NaN outside).")
log2 = _unary("log2", "log2", "Base-2 logarithm (exact at powers of two).")
log10 = _unary("log10", "log10", "Base-10 logarithm (exact at powers of ten).")


@tan.defvjp
def _tan_vjp(g, x, out):
    return (mul(g, add(mul(out, out), 1.0)),)


@asin.defvjp
def _asin_vjp(g, x, out):
    return (mul(g, rsqrt(_one_minus_sq(x))),)


@acos.defvjp
def _acos_vjp(g, x, out):
    return (neg(mul(g, rsqrt(_one_minus_sq(x)))),)


@atan.defvjp
def _atan_vjp(g, x, out):
    return (div(g, add(mul(x, x), 1.0)),)


@sinh.defvjp
def _sinh_vjp(g, x, out):
    return (mul(g, cosh(x)),)


@cosh.defvjp
def _cosh_vjp(g, x, out):
    return (mul(g, sinh(x)),)


@asinh.defvjp
def _asinh_vjp(g, x, out):
    return (mul(g, rsqrt(add(mul(x, x), 1.0))),)


@acosh.defvjp
def _acosh_vjp(g, x, out):
    return (mul(g, rsqrt(mul(sub(x, 1.0), add(x, 1.0)))),)


@atanh.defvjp
def _atanh_vjp(g, x, out):
    return (div(g, _one_minus_sq(x)),)


@log2.defvjp
def _log2_vjp(g, x, out):
    return (div(g, mul(x, math.log(2.0))),)


@log10.defvjp
def _log10_vjp(g, x, out):
    return (div(g, mul(x, math.log(10.0))),)


# ---------------------------------------------------------------- the gamma family

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)
# B_2k / (2k (2k - 1)), k = 1..7: Stirling's series of lgamma
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156)
# B_2k / (2k), k = 1..7: the asymptotic series of digamma
_DIGAMMA = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
# B_2j / (2j)!, j = 1..7: the Euler-Maclaurin tail of the Hurwitz zeta function
_ZETA = (1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160, -691 / 1307674368000,
         1 / 74724249600)
_ASYMPTOTIC_FROM = 10.0  # the series above are accurate to float64 from here on


def _series(r2, coefs):
    """coefs[0] r2 + coefs[1] r2^2 + ... (Horner)."""
    acc = r2 * coefs[-1]
    for c in coefs[-2::-1]:
        acc = (acc + c) * r2
    return acc


def _shift_up(xp, z, step_fn, start=None):
    """Apply the recurrence until every z >= _ASYMPTOTIC_FROM (z >= 0.5 on entry: at most 10
    steps); step_fn(acc, z, mask) accumulates the terms shifted out."""
    acc = start
    for _ in range(int(_ASYMPTOTIC_FROM)):
        small = z < _ASYMPTOTIC_FROM
        acc = step_fn(acc, z, small)
        z = xp.where(small, z + 1.0, z)
    return z, acc


def _reflected(xp, x):
    """(x < 1/2 mask, z = 1 - x there else x, with non-finite values parked at 1)."""
    reflect = x < 0.5
    z = xp.where(reflect, 1.0 - x, x)
    return reflect, xp.where(xp.isfinite(z), z, 1.0)


def _reduced(xp, x):
    """x - round(x) in [-1/2, 1/2] (0 for non-finite x): sin(pi x) and tan(pi x) of it are
    exact zeros at the integers and keep their precision for large |x|."""
    x = xp.where(xp.isfinite(x), x, 0.5)
    return x - xp.round(x)


def _lgamma64(xp, x):
    reflect, z = _reflected(xp, x)
    z, prod = _shift_up(xp, z, lambda p, z, m: xp.where(m, p * z, p), xp.ones_like(z))
    r = 1.0 / z
    stirling = (z - 0.5) * xp.log(z) - z + _HALF_LOG_2PI + _series(r * r, _STIRLING) * z
    out = stirling - xp.log(prod)  # lgamma(x) = lgamma(x + k) - log(x (x+1) ... (x+k-1))
    s = xp.abs(xp.sin(math.pi * _reduced(xp, x)))
    pole = s == 0.0
    refl = _LOG_PI - xp.log(xp.where(pole, 1.0, s)) - out  # log(pi / |sin(pi x)|) - lgamma(1-x)
    out = xp.where(reflect, xp.where(pole, xp.inf, refl), out)
    # the exact zeros (the shift's cancellation would leave ~1e-15 there)
    out = xp.where((x == 1.0) | (x == 2.0), 0.0, out)
    return xp.where(xp.isinf(x), xp.inf, xp.where(xp.isnan(x), xp.nan, out))


@register("lgamma", infer=float_unary_infer, to_float=True, saves=(0,))
def lgamma(xp, x):
    """log |Gamma(x)| (+inf at 0 and the negative integers)."""
    return _lgamma64(xp, x.astype(xp.float64)).astype(x.dtype, copy=False)


def _digamma64(xp, x):
    reflect, z = _reflected(xp, x)
    z, acc = _shift_up(xp, z, lambda a, z, m: xp.where(m, a + 1.0 / z, a), xp.zeros_like(z))
    r = 1.0 / z
    out = xp.log(z) - 0.5 * r - _series(r * r, _DIGAMMA) - acc
    t = xp.tan(math.pi * _reduced(xp, x))  # tan has period pi
    pole = t == 0.0
    refl = out - math.pi / xp.where(pole, 1.0, t)  # psi(x) = psi(1 - x) - pi cot(pi x)
    out = xp.where(reflect, xp.where(pole, xp.nan, refl), out)
    out = xp.where(x == 0.0, -xp.inf, out)
    out = xp.where(x == xp.inf, xp.inf, out)
    return xp.where(xp.isnan(x) | (x == -xp.inf), xp.nan, out)


@register("digamma", infer=float_unary_infer, to_float=True, saves=(0,))
def digamma(xp, x):
    """psi(x) = d/dx lgamma(x); -inf at 0 and NaN at the negative integers (the poles,
    as torch and SciPy)."""
    return _digamma64(xp, x.astype(xp.float64)).astype(x.dtype, copy=False)


def _polygamma_canon(x, n):
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"polygamma: the order n must be an integer >= 1 here (n = 0 is "
                         f"digamma), got {n!r}")
    return {"n": int(n)}


def _polygamma64(xp, x, n: int):
    """(-1)^(n+1) n! zeta(n + 1, x): shift x up past `edge` summing (x + k)^-(n+1), then the
    Euler-Maclaurin tail of the Hurwitz zeta function. No reflection formula here: a negative
    x costs about |x| vectorized steps."""
    s = float(n + 1)
    edge = _ASYMPTOTIC_FROM + 2 * n  # the tail's terms grow with n: start it further out
    finite = xp.isfinite(x)
    z = xp.where(finite, x, edge)
    low = float(z.min()) if z.size else edge
    total = xp.zeros_like(z)
    for _ in range(max(0, math.ceil(edge - low))):  # negative x: more steps
        small = z < edge
        term = xp.where(z == 0.0, xp.inf, xp.where(z == 0.0, 1.0, z) ** -s)  # a pole
        total = xp.where(small, total + term, total)
        z = xp.where(small, z + 1.0, z)
    r = 1.0 / z
    tail = z ** (1.0 - s) / (s - 1.0) + 0.5 * z ** -s
    poch, power = s, z ** -(s + 1.0)  # s (s+1) ... (s+2j-2) and z^-(s+2j-1)
    for j, c in enumerate(_ZETA, start=1):
        tail = tail + c * poch * power
        poch, power = poch * (s + 2 * j - 1) * (s + 2 * j), power * r * r
    out = (-1.0) ** (n + 1) * math.factorial(n) * (total + tail)
    out = xp.where(x == xp.inf, 0.0, out)
    return xp.where(xp.isnan(x) | (x == -xp.inf), xp.nan, out)


@register("polygamma", infer=lambda x, n: float_unary_infer(x), canon=_polygamma_canon,
          to_float=True, saves=(0,))
def polygamma(xp, x, *, n):
    """The n-th derivative of digamma (n >= 1); +-inf at the poles 0, -1, -2, ..."""
    return _polygamma64(xp, x.astype(xp.float64), n).astype(x.dtype, copy=False)


@lgamma.defvjp
def _lgamma_vjp(g, x, out):
    return (mul(g, digamma(x)),)


@digamma.defvjp
def _digamma_vjp(g, x, out):
    return (mul(g, polygamma(x, n=1)),)


@polygamma.defvjp
def _polygamma_vjp(g, x, out, n):
    return (mul(g, polygamma(x, n=n + 1)),)


# ---------------------------------------------------------------- integers: bits, gcd, lcm


def _int_binary_infer(what: str, kinds: str):
    def infer(x: Meta, y: Meta) -> Meta:
        if x.dtype != y.dtype:
            raise ValueError(f"inputs must have one dtype after promotion, got {x.dtype} and "
                             f"{y.dtype}")
        if x.dtype.kind not in kinds:
            raise TypeError(f"expected {what} inputs, got {x.dtype}")
        return Meta(broadcast_shapes(x.shape, y.shape), x.dtype)
    return infer


def _int_binary(name: str, fn: str, kinds: str, what: str, doc: str):
    def forward(xp, x, y):
        return getattr(xp, fn)(x, y)

    forward.__name__, forward.__doc__ = name, doc
    return register(name, infer=_int_binary_infer(what, kinds), promote=True,
                    differentiable=False, saves=())(forward)


bitwise_and = _int_binary("bitwise_and", "bitwise_and", "biu", "integer or bool", "x & y.")
bitwise_or = _int_binary("bitwise_or", "bitwise_or", "biu", "integer or bool", "x | y.")
bitwise_xor = _int_binary("bitwise_xor", "bitwise_xor", "biu", "integer or bool", "x ^ y.")
gcd = _int_binary("gcd", "gcd", "iu", "integer",
                  "Greatest common divisor of |x| and |y| (gcd(0, 0) = 0).")
lcm = _int_binary("lcm", "lcm", "iu", "integer",
                  "Least common multiple of |x| and |y| (0 when either is 0).")


def _bitwise_not_infer(x: Meta) -> Meta:
    if x.dtype.kind not in "biu":
        raise TypeError(f"expected an integer or bool input, got {x.dtype}")
    return same(x)


@register("bitwise_not", infer=_bitwise_not_infer, differentiable=False, saves=())
def bitwise_not(xp, x):
    """~x (logical not for bool)."""
    return xp.invert(x)


# ---------------------------------------------------------------- composites


def hypot(x, y):
    """sqrt(x^2 + y^2)."""
    return sqrt(add(mul(x, x), mul(y, y)))


def lerp(x, y, weight):
    """x + weight (y - x)."""
    return add(x, mul(weight, sub(y, x)))


def logaddexp(x, y):
    """log(exp(x) + exp(y)) without overflow; equal infinities give that infinity."""
    x, y = _float_pair(x, y)
    m = maximum(x, y)
    out = add(m, log1p(exp(neg(abs(sub(x, y))))))
    return where(logical_and(isinf(m), equal(x, y)), m, out)


def _float_pair(x, y):
    """Integer tensors become the default float (Python numbers stay weak)."""
    return tuple(v if isinstance(v, (int, float)) else to_float(v) for v in (x, y))


def logit(x, eps=None):
    """log(x / (1 - x)), x clamped to [eps, 1 - eps] first when eps is given (the gradient
    is 0 where it clamps); NaN outside [0, 1] without eps."""
    x = to_float(x)
    if eps is not None:
        x = clip(x, min=float(eps), max=1.0 - float(eps))
    return log(div(x, sub(1.0, x)))


def deg2rad(x):
    return mul(to_float(x), math.pi / 180.0)


def rad2deg(x):
    return mul(to_float(x), 180.0 / math.pi)


def frac(x):
    """x - trunc(x): the fractional part, with x's sign (gradient 1)."""
    return sub(x, trunc(x))


def heaviside(x, values):
    """0 where x < 0, `values` where x == 0, 1 where x > 0 (gradient only to values)."""
    step = cast(greater(x, 0), dtype=_np_dtype(x).name)
    return where(equal(x, 0), values, step)


def fmax(x, y):
    """Elementwise max ignoring NaN (NaN only where both are); ties give x the gradient."""
    return where(logical_or(greater_equal(x, y), isnan(y)), x, y)


def fmin(x, y):
    """Elementwise min ignoring NaN (NaN only where both are); ties give x the gradient."""
    return where(logical_or(less_equal(x, y), isnan(y)), x, y)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN -> nan, +inf -> posinf, -inf -> neginf (None: the dtype's largest / lowest finite
    value). Integer inputs pass unchanged; the gradient flows where x is finite."""
    dt = _np_dtype(x)
    if dt.kind not in "fc":
        return x
    info = np.finfo(dt)
    posinf = float(info.max) if posinf is None else float(posinf)
    neginf = float(info.min) if neginf is None else float(neginf)
    out = where(isnan(x), float(nan), x)
    out = where(equal(x, math.inf), posinf, out)
    return where(equal(x, -math.inf), neginf, out)


def stanh(x, scale_a=0.67, scale_b=1.7159):
    """scale_b * tanh(scale_a * x)."""
    from .activation import tanh

    return mul(tanh(mul(to_float(x), float(scale_a))), float(scale_b))



# ---------------------------------------------------------------- normal-distribution and
# Bessel composites (torch.special): the tails use series that need no cancellation.

from .elementwise import erf, erfinv, less, minimum, sign  # noqa: E402

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_MILLS_FROM = 4.0  # the continued fraction below is accurate to float64 from here on
_MILLS_DEPTH = 48


def _mills_ratio(t):
    """Q(t) / phi(t) (upper normal tail over the density) for t >= _MILLS_FROM, by Laplace's
    continued fraction 1 / (t + 1 / (t + 2 / (t + 3 / ...))), evaluated from the bottom."""
    r = t
    for k in range(_MILLS_DEPTH, 0, -1):
        r = add(t, div(float(k), r))
    return div(1.0, r)


def _tail_split(x, edge: float):
    """(x below edge, x clamped to <= edge, x clamped to >= edge): each branch of a `where`
    sees only arguments it is accurate (and finite, for the gradient) on."""
    return less(x, edge), minimum(x, edge), maximum(x, edge)


def erfc(x):
    """1 - erf(x), accurate in the upper tail (erfc(10) = 2.1e-45, not 0)."""
    x = to_float(x)
    edge = _MILLS_FROM / _SQRT2
    low, x_lo, x_hi = _tail_split(x, edge)
    z = mul(x_hi, _SQRT2)  # erfc(x) = 2 Q(x sqrt 2) = 2 phi(z) R(z)
    tail = mul(exp(sub(mul(mul(z, z), -0.5), _LOG_SQRT_2PI)), mul(_mills_ratio(z), 2.0))
    return where(low, sub(1.0, erf(x_lo)), tail)


def erfcx(x):
    """exp(x^2) erfc(x), finite for large x (-> 1 / (x sqrt(pi)))."""
    x = to_float(x)
    edge = _MILLS_FROM / _SQRT2
    low, x_lo, x_hi = _tail_split(x, edge)
    tail = mul(_mills_ratio(mul(x_hi, _SQRT2)), math.sqrt(2.0 / math.pi))
    return where(low, mul(exp(mul(x_lo, x_lo)), sub(1.0, erf(x_lo))), tail)


def ndtr(x):
    """The standard normal CDF, accurate in the lower tail."""
    return mul(erfc(mul(to_float(x), -1.0 / _SQRT2)), 0.5)


def ndtri(p):
    """The standard normal quantile (the inverse of ndtr): sqrt(2) erfinv(2p - 1)."""
    return mul(erfinv(sub(mul(to_float(p), 2.0), 1.0)), _SQRT2)


def log_ndtr(x):
    """log(ndtr(x)) for every x: the continued fraction below -4, log1p(-Q) above 0."""
    x = to_float(x)
    low, x_lo, x_mid = _tail_split(x, -_MILLS_FROM)
    t = neg(x_lo)
    tail = sub(sub(log(_mills_ratio(t)), mul(mul(t, t), 0.5)), _LOG_SQRT_2PI)
    upper = greater(x_mid, 0.0)
    x_neg = minimum(x_mid, 0.0)
    x_pos = maximum(x_mid, 0.0)
    mid = where(upper, log1p(neg(ndtr(neg(x_pos)))), log(ndtr(x_neg)))
    return where(low, tail, mid)


def xlog1py(x, y):
    """x * log1p(y), 0 where x == 0 (unless y is NaN)."""
    x, y = _float_pair(x, y)
    zero = equal(x, 0.0)
    out = where(zero, 0.0, mul(x, log1p(where(zero, 0.0, y))))
    return where(isnan(y), math.nan, out)


def entr(x):
    """-x log(x) for x > 0, 0 at 0, -inf for x < 0 (NaN stays NaN)."""
    x = to_float(x)
    pos = greater(x, 0.0)
    safe = where(pos, x, 1.0)
    out = where(pos, neg(mul(safe, log(safe))), where(equal(x, 0.0), 0.0, -math.inf))
    return where(isnan(x), math.nan, out)


def multigammaln(x, p: int):
    """log of the multivariate gamma function of dimension p: sum_i lgamma(x - i/2) +
    p (p - 1) / 4 log(pi) (x > (p - 1) / 2 everywhere)."""
    x = to_float(x)
    out = lgamma(x)
    for i in range(1, int(p)):
        out = add(out, lgamma(sub(x, 0.5 * i)))
    return add(out, p * (p - 1) / 4.0 * _LOG_PI)


_BESSEL_FROM = 15.0  # power series below, Hankel's asymptotic expansion above
_BESSEL_SERIES_TERMS = 42
_BESSEL_ASYMPTOTIC_TERMS = 12


def _bessel_series(a, order: int):
    """sum_k (a^2/4)^k / (k! (k + order)!) (times (a/2)^order / order!) for 0 <= a <= 15."""
    q = mul(mul(a, a), 0.25)
    term = mul(a, 0.5) if order == 1 else add(mul(q, 0.0), 1.0)
    total = term
    for k in range(1, _BESSEL_SERIES_TERMS):
        term = mul(term, div(q, float(k * (k + order))))
        total = add(total, term)
    return total


def _bessel_asymptotic(a, order: int):
    """exp(-a) I_order(a) for a >= 15: (2 pi a)^-1/2 sum_k (-1)^k prod_j (mu - (2j-1)^2)
    / (k! (8a)^k), mu = 4 order^2."""
    mu = 4.0 * order * order
    r = div(1.0, mul(a, 8.0))
    coef, power, total = 1.0, r, add(mul(r, 0.0), 1.0)
    for k in range(1, _BESSEL_ASYMPTOTIC_TERMS):
        coef *= -(mu - (2 * k - 1) ** 2) / k
        total = add(total, mul(power, coef))
        power = mul(power, r)
    return mul(total, rsqrt(mul(a, 2.0 * math.pi)))


def _bessel_scaled(x, order: int):
    """exp(-|x|) I_order(|x|) from the two regimes."""
    a = abs(to_float(x))
    low, a_lo, a_hi = _tail_split(a, _BESSEL_FROM)
    series = mul(_bessel_series(a_lo, order), exp(neg(a_lo)))
    return where(low, series, _bessel_asymptotic(a_hi, order))


def i0e(x):
    """exp(-|x|) I0(x), the exponentially scaled modified Bessel function of order 0."""
    return _bessel_scaled(x, 0)


def i0(x):
    """I0(x), the modified Bessel function of the first kind of order 0."""
    x = to_float(x)
    return mul(_bessel_scaled(x, 0), exp(abs(x)))


def i1e(x):
    """exp(-|x|) I1(x) (odd in x)."""
    x = to_float(x)
    return mul(_bessel_scaled(x, 1), sign(x))


def i1(x):
    """I1(x), the modified Bessel function of the first kind of order 1 (odd in x)."""
    x = to_float(x)
    return mul(mul(_bessel_scaled(x, 1), sign(x)), exp(abs(x)))
