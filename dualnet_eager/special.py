"""torch.special: special functions over the registry ops and the composites of
dualnet/ops/special.py (shared with dualnet_static), so each has its gradient."""
from __future__ import annotations

from dualnet.ops import apply
from dualnet.ops import special as S

from . import _mathx

__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1",
           "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit",
           "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc",
           "softmax", "xlog1py", "xlogy"]


def _t(x):
    return _mathx._float(x)


def erf(input, *, out=None):
    return apply("erf", _t(input))


def erfc(input, *, out=None):
    """1 - erf(x), accurate in the upper tail."""
    return S.erfc(_t(input))


def erfcx(input, *, out=None):
    """exp(x^2) erfc(x)."""
    return S.erfcx(_t(input))


def erfinv(input, *, out=None):
    return apply("erfinv", _t(input))


def expit(input, *, out=None):
    """The logistic sigmoid 1 / (1 + exp(-x))."""
    return apply("sigmoid", _t(input))


def logit(input, eps=None, *, out=None):
    return S.logit(_t(input), eps)


def gammaln(input, *, out=None):
    """log |Gamma(x)|."""
    return apply("lgamma", _t(input))


def digamma(input, *, out=None):
    return apply("digamma", _t(input))


psi = digamma


def polygamma(n: int, input, *, out=None):
    """The n-th derivative of digamma (n = 0: digamma itself)."""
    if int(n) != n or n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n, got n = {n}")
    if n == 0:
        return digamma(input)
    return apply("polygamma", _t(input), n=int(n))


def multigammaln(input, p: int, *, out=None):
    """log of the multivariate gamma function of dimension p."""
    x = _t(input)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if bool((x <= (p - 1) / 2).any()):
        raise RuntimeError(f"All elements must be greater than (p-1)/2 = {(p - 1) / 2}")
    return S.multigammaln(x, p)


def xlogy(input, other, *, out=None):
    return _mathx.xlogy(input, other)


def xlog1py(input, other, *, out=None):
    """x * log1p(y), 0 where x == 0."""
    x = input if not isinstance(input, (int, float)) else _t(other).new_full((), input)
    y = other if not isinstance(other, (int, float)) else _t(x).new_full((), other)
    return S.xlog1py(_t(x), _t(y))


def entr(input, *, out=None):
    """-x log x (0 at 0, -inf below)."""
    return S.entr(_t(input))


def sinc(input, *, out=None):
    return _mathx.sinc(input)


def ndtr(input, *, out=None):
    """The standard normal CDF."""
    return S.ndtr(_t(input))


def ndtri(input, *, out=None):
    """The standard normal quantile function."""
    return S.ndtri(_t(input))


def log_ndtr(input, *, out=None):
    """log of the standard normal CDF, finite far into the lower tail."""
    return S.log_ndtr(_t(input))


def log1p(input, *, out=None):
    return apply("log1p", _t(input))


def expm1(input, *, out=None):
    return apply("expm1", _t(input))


def exp2(input, *, out=None):
    return _mathx.exp2(input)


def logsumexp(input, dim, keepdim: bool = False, *, out=None):
    return input.logsumexp(dim, keepdim)


def softmax(input, dim, *, dtype=None):
    return input.softmax(dim, dtype)


def log_softmax(input, dim, *, dtype=None):
    return input.log_softmax(dim, dtype)


def round(input, *, decimals: int = 0, out=None):  # noqa: A001 (PyTorch's name)
    """Round half to even, at `decimals` places (negative: to tens, hundreds, ...)."""
    if decimals == 0:
        return apply("round", input)
    scale = 10.0 ** decimals
    return apply("round", input * scale) / scale


def i0(input, *, out=None):
    """The modified Bessel function of the first kind, order 0."""
    return S.i0(_t(input))


def i0e(input, *, out=None):
    """exp(-|x|) I0(x)."""
    return S.i0e(_t(input))


def i1(input, *, out=None):
    """The modified Bessel function of the first kind, order 1."""
    return S.i1(_t(input))


def i1e(input, *, out=None):
    """exp(-|x|) I1(x)."""
    return S.i1e(_t(input))
