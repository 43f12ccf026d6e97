"""torch's math, linear-algebra and random functions beyond functions.py (torch.addmm,
atan2, ...), and the Tensor methods of the same names (MathMethods, a Tensor base).

Everything is an op or a composite of ops (dualnet/ops/matrix.py holds the new primitives:
slogdet, inv, solve, cholesky, qr, svd, eigh; dualnet/ops/special.py the trigonometric and
hyperbolic ones, log2/log10, and the composites shared with dualnet_static: hypot, lerp,
logaddexp, logit, frac, heaviside, deg2rad), so gradients come from the registry's rules.
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from dualnet import dtypes
from dualnet import random as _random
from dualnet.ops import apply
from dualnet.ops import composite as C
from dualnet.ops import matrix as _M
from dualnet.ops import special as S
from dualnet.ops import statistics as _S

__all__ = [
    "addmm", "addmv", "addbmm", "baddbmm", "addcmul", "addcdiv", "outer", "ger", "kron",
    "cross", "inner", "vdot", "mv", "chain_matmul", "det", "logdet", "slogdet", "inverse",
    "pinverse", "matrix_power", "cholesky", "cholesky_solve", "qr", "svd", "cdist", "dist",
    "atan2", "arctan2", "hypot", "lerp", "erfinv", "erfc", "expm1", "exp2", "log2", "log10",
    "log1p", "logaddexp", "logaddexp2", "logit", "xlogy", "sinc", "float_power", "signbit",
    "frac", "fix", "heaviside", "deg2rad", "rad2deg", "clamp_min", "clamp_max", "fmod",
    "remainder", "floor_divide", "trunc", "ceil", "tan", "asin", "acos", "atan", "sinh", "cosh",
    "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh",
    "reciprocal", "nanmean", "nansum", "quantile", "nanquantile", "var_mean", "std_mean",
    "aminmax", "cov", "corrcoef", "logspace", "normal", "bernoulli", "multinomial", "poisson",
]

_LN2 = math.log(2.0)
_minmax = namedtuple("aminmax", ["min", "max"])


def _Tensor():
    from .tensor import Tensor

    return Tensor


def _t(x, like=None):
    """Tensors pass; Python numbers become tensors (of `like`'s dtype when given)."""
    T = _Tensor()
    if isinstance(x, T):
        return x
    if like is not None and isinstance(x, (int, float, bool)):
        return like.new_full((), x)
    return T(x) if not isinstance(x, (int, float, bool)) else _Tensor()(x)


def _need_float(name, x):
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"{name}(): expected a floating point tensor, got {x.dtype.name}")


def _linalg():
    from . import linalg

    return linalg


# ---------------------------------------------------------------- fused products

def _axpby(name, input, prod, beta, alpha):
    """beta * input + alpha * prod; beta = 0 ignores input (NaN in it does not propagate)."""
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return (input if beta == 1 else input * beta) + prod


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    return _axpby("addmm", input, C.mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    return _axpby("addmv", input, C.mv(mat, vec), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    return _axpby("addbmm", input, C.bmm(batch1, batch2).sum(0), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    return _axpby("baddbmm", input, C.bmm(batch1, batch2), beta, alpha)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    prod = tensor1 * tensor2
    return input + (prod if value == 1 else prod * value)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    if _t(tensor1)._data.dtype.kind in "biu" and _t(tensor2)._data.dtype.kind in "biu":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future release addcdiv will perform a true division of tensor1 and "
                           "tensor2. Use torch.addcmul(input, tensor1, 1 / tensor2) instead.")
    quot = tensor1 / tensor2
    return input + (quot if value == 1 else quot * value)


def outer(input, vec2):
    return C.outer(input, vec2)


ger = outer


def mv(input, vec):
    return C.mv(input, vec)


def kron(input, other):
    """Kronecker product of tensors of any rank (the shorter shape is padded with 1s)."""
    a, b = _t(input), _t(other)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    a_i = a.reshape(tuple(d for s in sa for d in (s, 1)))
    b_i = b.reshape(tuple(d for s in sb for d in (1, s)))
    return (a_i * b_i).reshape(tuple(p * q for p, q in zip(sa, sb)))


def cross(input, other, dim=None, *, _name="cross"):
    """Cross product of 3-vectors along `dim` (None: the first dim of size 3, as torch.cross)."""
    a, b = _t(input), _t(other)
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    if dim is None:
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"{_name}: no dimension of size 3 in input (shapes "
                               f"{list(a.shape)} and {list(b.shape)})")
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(f"{_name}: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[dim] if a.ndim else 0} and "
                           f"{b.shape[dim] if b.ndim else 0}")
    a, b = a.expand(*shape), b.expand(*shape)
    x1, y1, z1 = a.unbind(dim)
    x2, y2, z2 = b.unbind(dim)
    return C.stack([y1 * z2 - z1 * y2, z1 * x2 - x1 * z2, x1 * y2 - y1 * x2],
                   axis=dim % len(shape))


def inner(input, other):
    a, b = _t(input), _t(other)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(a.shape)} and {list(b.shape)}")
    k = a.shape[-1]
    prod = apply("matmul", a.reshape(-1, k), b.reshape(-1, k), transpose_y=True)
    return prod.reshape(tuple(a.shape[:-1]) + tuple(b.shape[:-1]))


def vdot(input, other):
    return C.dot(input, other)


def chain_matmul(*matrices):
    if len(matrices) == 1:
        return _t(matrices[0])
    return _linalg().multi_dot(matrices)


# ---------------------------------------------------------------- matrix functions

def slogdet(input):
    return _linalg().slogdet(input)


def det(input):
    return _linalg().det(input)


def logdet(input):
    """log det(A): NaN for a negative determinant, -inf for a singular matrix."""
    sign, logabs = _linalg().slogdet(input)
    return apply("where", sign < 0, float("nan"), logabs)


def inverse(input):
    return _linalg().inv(input)


def pinverse(input, rcond=1e-15):
    return _linalg().pinv(input, rtol=rcond)


def matrix_power(input, n):
    return _linalg().matrix_power(input, n)


def cholesky(input, upper=False):
    return _linalg().cholesky(input, upper=upper)


def cholesky_solve(input, input2, upper=False):
    """X with A X = B, A = L L^T (or U^T U when upper), from B = input and the factor input2."""
    return _M.cholesky_solve(input, _linalg()._check("cholesky_solve", input2), upper)


_qr_result = namedtuple("qr", ["Q", "R"])
_svd_result = namedtuple("svd", ["U", "S", "V"])


def qr(input, some=True):
    return _qr_result(*_linalg().qr(input, "reduced" if some else "complete"))


def svd(input, some=True, compute_uv=True):
    """torch.svd: (U, S, V) with V (not Vh); compute_uv=False gives zero U [m, m], V [n, n]."""
    lin = _linalg()
    if not compute_uv:
        A = lin._check("svd", input, square=False)
        m, n = A.shape[-2:]
        batch = tuple(A.shape[:-2])
        return _svd_result(A.new_zeros(batch + (m, m)), lin.svdvals(A),
                           A.new_zeros(batch + (n, n)))
    U, S, Vh = lin.svd(input, full_matrices=not some)
    return _svd_result(U, S, lin.mT(Vh))


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances [..., P, R] between rows of x1 [..., P, M] and x2 [..., R, M];
    the gradient of a zero distance is 0 (as PyTorch)."""
    x1, x2 = _t(x1), _t(x2)
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: X1 and X2 must be [..., P, M] and [..., R, M] with the same "
                           f"M, got {list(x1.shape)} and {list(x2.shape)}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p != 2:
        return C.norm(diff, p=float(p), axis=-1)
    d2 = (diff * diff).sum(-1)
    zero = d2 == 0
    return apply("where", zero, 0.0, apply("where", zero, 1.0, d2).sqrt())


def dist(input, other, p=2):
    return _linalg().vector_norm(_t(input) - other, p)


# ---------------------------------------------------------------- elementwise math

def atan2(input, other):
    return apply("atan2", input, other)


arctan2 = atan2


def hypot(input, other):
    return S.hypot(input, other)


def lerp(input, end, weight):
    return S.lerp(input, end, weight)


def erfinv(input):
    return apply("erfinv", input)


def erfc(input):
    return 1.0 - apply("erf", input)


def expm1(input):
    return apply("expm1", input)


def log1p(input):
    return apply("log1p", input)


def exp2(input):
    return apply("exp", apply("mul", _float(input), _LN2))


def log2(input):
    return apply("log2", input)


def log10(input):
    return apply("log10", input)


def _float(x):
    """Integer tensors become the default float dtype (PyTorch's rule for float functions)."""
    x = _t(x)
    return x if x._data.dtype.kind in "fc" else x.to(dtypes.get_default_dtype())


def logaddexp(input, other):
    """log(exp(x) + exp(y)) without overflow; equal infinities give that infinity."""
    return S.logaddexp(_float(input), _float(_t(other, input)))


def logaddexp2(input, other):
    return logaddexp(_float(input) * _LN2, _float(_t(other, input)) * _LN2) * (1.0 / _LN2)


def logit(input, eps=None):
    return S.logit(_t(input), eps)


def xlogy(input, other):
    """x * log(y), 0 where x == 0 (unless y is NaN)."""
    T = _Tensor()
    x = input if isinstance(input, T) else _t(other).new_full((), input)
    y = _float(other if isinstance(other, T) else x.new_full((), other))
    x = _float(x)
    zero = x == 0
    out = apply("where", zero, 0.0, x * apply("where", zero, 1.0, y).log())  # no log(0) there
    return apply("where", y.isnan(), float("nan"), out)


def sinc(input):
    """sin(pi x) / (pi x), 1 at 0 (gradient 0 there)."""
    x = _float(input)
    zero = x == 0
    px = apply("where", zero, 1.0, x) * math.pi
    return apply("where", zero, 1.0, px.sin() / px)


def float_power(input, exponent):
    base = _t(input).double() if isinstance(input, _Tensor()) else input
    exp_ = exponent.double() if isinstance(exponent, _Tensor()) else float(exponent)
    if not isinstance(base, _Tensor()):
        return apply("pow", _t(exp_).new_full((), float(base)), exp_)
    return apply("pow", base, exp_)


def signbit(input):
    x = _t(input)
    kind = x._data.dtype.kind
    if kind == "b" or kind == "u":
        return apply("zeros_like", x, dtype="bool")
    if kind in "i":
        return x < 0
    return apply("atan2", x, -1.0) < 0  # the sign of zeros too: atan2(-0.0, -1) = -pi


def frac(input):
    return S.frac(input)


def trunc(input):
    return apply("trunc", input)


fix = trunc


def ceil(input):
    return apply("ceil", input)


def heaviside(input, values):
    x, v = _t(input), _t(values)
    if x._data.dtype != v._data.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different "
                           f"dtypes: {x.dtype.name} and {v.dtype.name}")
    return S.heaviside(x, v)


def deg2rad(input):
    return S.deg2rad(_t(input))


def rad2deg(input):
    return S.rad2deg(_t(input))


def clamp_min(input, min):
    if isinstance(min, _Tensor()):
        return apply("maximum", input, min)
    return apply("clip", input, min=min, max=None)


def clamp_max(input, max):
    if isinstance(max, _Tensor()):
        return apply("minimum", input, max)
    return apply("clip", input, min=None, max=max)


def fmod(input, other):
    """C's remainder: the sign of the dividend (torch.fmod)."""
    r = apply("remainder", input, other)
    x = _t(input)
    fix_sign = apply("logical_and", r != 0, (r < 0) != (x < 0))
    return apply("where", fix_sign, r - other, r)


def remainder(input, other):
    """Python's remainder: the sign of the divisor (torch.remainder)."""
    if not isinstance(input, _Tensor()):
        input = _t(other).new_full((), input)
    return apply("remainder", input, other)


def floor_divide(input, other):
    return apply("floor_divide", input, other)


def reciprocal(input):
    return 1.0 / _float(input)


def tan(input):
    return apply("tan", input)


def asin(input):
    return apply("asin", input)


def acos(input):
    return apply("acos", input)


def atan(input):
    return apply("atan", input)


def sinh(input):
    return apply("sinh", input)


def cosh(input):
    return apply("cosh", input)


def asinh(input):
    return apply("asinh", input)


def acosh(input):
    return apply("acosh", input)


def atanh(input):
    return apply("atanh", input)


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


# ---------------------------------------------------------------- reductions and statistics

def _dim(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    x = _t(input) if dtype is None else _t(input).to(dtype)
    return _S.nansum(x, _dim(dim), keepdim)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    x = _t(input) if dtype is None else _t(input).to(dtype)
    _need_float("nanmean", x)
    return _S.nanmean(x, _dim(dim), keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):  # var_mean(input, unbiased)
        dim, unbiased = None, dim
    x = _t(input)
    c = _correction(unbiased, correction)
    return x.var(_dim(dim), keepdim=keepdim, correction=c), x.mean(_dim(dim), keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    x = _t(input)
    c = _correction(unbiased, correction)
    return x.std(_dim(dim), keepdim=keepdim, correction=c), x.mean(_dim(dim), keepdim)


def aminmax(input, *, dim=None, keepdim=False):
    x = _t(input)
    if x.numel() == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    return _minmax(x.amin(dim, keepdim) if dim is not None else apply("min", x, keepdim=keepdim),
                   x.amax(dim, keepdim) if dim is not None else apply("max", x, keepdim=keepdim))


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    """torch's checks and q conventions (a number, a 0-d or a 1-D tensor), then the shared
    quantile composite (dualnet/ops/statistics.py)."""
    x = _t(input)
    _need_float(name, x)
    if interpolation not in _S.INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of {_S.INTERPOLATIONS}. Got "
                           f"'{interpolation}'")
    if isinstance(q, _Tensor()):
        if q._data.dtype != x._data.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor, got shape "
                               f"{list(q.shape)}")
        qs = tuple(q.tolist()) if q.ndim == 1 else float(q.item())
    else:
        qs = float(q)
    if not all(0.0 <= v <= 1.0 for v in (qs if isinstance(qs, tuple) else (qs,))):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    if x.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    return _S.quantile(x, qs, dim, keepdim, interpolation, ignore_nan)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) of input [vars, obs] (or one variable [obs]): torch's
    checks, then the shared composite (dualnet/ops/statistics.py)."""
    x = _t(input)
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {x.ndim} dimensions")
    x = _float(x)
    n = x.shape[-1]
    weights = []
    for name, wt, kinds, what in (("fweights", fweights, "iu", "integral"),
                                  ("aweights", aweights, "fc", "floating point")):
        if wt is None:
            weights.append(None)
            continue
        wt = _t(wt)
        if wt._data.dtype.kind not in kinds:
            raise RuntimeError(f"cov(): expected {name} to have {what} dtype but got {name} "
                               f"with {wt.dtype.name} dtype")
        if wt.ndim != 1 or wt.shape[0] != n:
            raise RuntimeError(f"cov(): expected {name} to have one dimension of size {n} "
                               f"(the number of observations), got shape {list(wt.shape)}")
        weights.append(wt)
    return _S.cov(x, correction, *weights)


def corrcoef(input):
    x = _t(input)
    if x.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {x.ndim} dimensions")
    return _S.corrcoef(_float(x))


# ---------------------------------------------------------------- creation and randomness

def logspace(start, end, steps, base=10.0, *, dtype=None, layout=None, device=None,
             requires_grad=False, out=None):
    from .creation import linspace

    exps = linspace(start, end, steps, dtype="float64", device=device)
    out = apply("pow", exps.new_full((), float(base)), exps)
    out = out.to(dtype or dtypes.get_default_dtype())
    return out.requires_grad_(True) if requires_grad else out


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           layout=None, device=None, pin_memory=False, requires_grad=False):
    """normal(mean: Tensor, std: Tensor), normal(mean: float, std: Tensor),
    normal(mean: Tensor, std=1.0), normal(mean: float, std: float, size)."""
    T = _Tensor()
    tensors = [a for a in (mean, std) if isinstance(a, T)]
    if not tensors:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: with a "
                            "float mean and std, size is required")
        from .creation import randn

        shape = tuple(size) if isinstance(size, (tuple, list)) else (size,)
        out = randn(*shape, dtype=dtype, device=device) * float(std) + float(mean)
        return out.requires_grad_(True) if requires_grad else out
    like = tensors[0]
    if isinstance(std, T) and bool((std._data < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not isinstance(std, T) and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    shape = np.broadcast_shapes(*[tuple(a.shape) for a in tensors])
    ref = mean if isinstance(mean, T) else std
    dt = ref._data.dtype if ref._data.dtype.kind == "f" else dtypes.get_default_dtype().np
    noise = T._wrap(_random.normal(like._xp(), shape, 0.0, 1.0, dt))
    m = mean.detach() if isinstance(mean, T) else mean
    s = std.detach() if isinstance(std, T) else std
    return noise * s + m


def bernoulli(input, p=None, *, generator=None, out=None):
    x = _t(input).detach()
    if p is not None:
        x = x.new_full(tuple(x.shape), float(p))
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"bernoulli(): expected floating point probabilities, got "
                           f"{x.dtype.name}")
    if bool(((x._data < 0) | (x._data > 1)).any()):
        raise RuntimeError("bernoulli(): all probabilities must be in the range [0, 1]")
    return apply("bernoulli", x)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    return apply("multinomial", _t(input).detach(), num_samples=num_samples,
                 replacement=replacement)


def poisson(input, generator=None):
    x = _t(input)
    _need_float("poisson", x)
    if bool((x._data < 0).any()):
        raise RuntimeError("poisson(): rates must be non-negative")
    gen = _random.generator(x._xp())
    return _Tensor()._wrap(gen.poisson(x._data).astype(x._data.dtype))


# ---------------------------------------------------------------- Tensor methods

def _inplace(fn):
    def method(self, *args, **kwargs):
        return self._set_(fn(self, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place {fn.__name__}."
    return method


def _uniform(t):
    """Float64 uniforms in [0, 1) of t's shape from the generator of t's device."""
    return _random.uniform(t._xp(), t._data.shape, 0.0, 1.0, "float64")


class MathMethods:
    """The Tensor methods of this module's functions (self is `input`)."""

    __slots__ = ()

    # functions whose first argument is `input` serve as methods as they are
    addmm, addmv, addbmm, baddbmm = addmm, addmv, addbmm, baddbmm
    addcmul, addcdiv, outer, ger, kron, inner, vdot, mv = (
        addcmul, addcdiv, outer, ger, kron, inner, vdot, mv)
    det, logdet, slogdet, inverse, pinverse = det, logdet, slogdet, inverse, pinverse
    matrix_power, cholesky, cholesky_solve, qr, svd = (
        matrix_power, cholesky, cholesky_solve, qr, svd)
    dist, atan2, arctan2, hypot, erfinv, erfc, expm1 = dist, atan2, arctan2, hypot, erfinv, \
        erfc, expm1
    exp2, log2, log10, logaddexp, logaddexp2, logit, xlogy = (
        exp2, log2, log10, logaddexp, logaddexp2, logit, xlogy)
    sinc, float_power, signbit, frac, fix, trunc, ceil = (
        sinc, float_power, signbit, frac, fix, trunc, ceil)
    heaviside, deg2rad, rad2deg, clamp_min, clamp_max = (
        heaviside, deg2rad, rad2deg, clamp_min, clamp_max)
    fmod, remainder, floor_divide = fmod, remainder, floor_divide
    tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh = (
        tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh)
    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = (
        arcsin, arccos, arctan, arcsinh, arccosh, arctanh)
    nanmean, nansum, quantile, nanquantile, aminmax = (
        nanmean, nansum, quantile, nanquantile, aminmax)
    cov, corrcoef, bernoulli, multinomial = cov, corrcoef, bernoulli, multinomial
    lerp = lerp

    def cross(self, other, dim=None):
        return cross(self, other, dim)

    def sum_to_size(self, *size):
        """Sum this tensor down to `size` (which it must be expandable to)."""
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        shape = tuple(self.shape)
        lead = len(shape) - len(size)
        ok = lead >= 0 and all(s in (1, d) for s, d in zip(size, shape[lead:]))
        if not ok:
            raise RuntimeError(f"size {list(size)} is not expandable to size {list(shape)}")
        out = self.sum(tuple(range(lead))) if lead else self
        keep = tuple(i for i, (s, d) in enumerate(zip(size, shape[lead:])) if s == 1 and d != 1)
        return out.sum(keep, keepdim=True) if keep else out

    # ------------------------------------------------------------ in place
    addmm_, addmv_, addbmm_, baddbmm_ = (_inplace(addmm), _inplace(addmv), _inplace(addbmm),
                                         _inplace(baddbmm))
    addcmul_, addcdiv_, lerp_ = _inplace(addcmul), _inplace(addcdiv), _inplace(lerp)
    clamp_min_, clamp_max_ = _inplace(clamp_min), _inplace(clamp_max)
    fmod_, remainder_, floor_divide_ = _inplace(fmod), _inplace(remainder), \
        _inplace(floor_divide)
    trunc_, fix_, ceil_, frac_ = _inplace(trunc), _inplace(fix), _inplace(ceil), _inplace(frac)
    atan2_, hypot_, logit_, xlogy_ = _inplace(atan2), _inplace(hypot), _inplace(logit), \
        _inplace(xlogy)
    erfinv_, expm1_, exp2_, sinc_ = _inplace(erfinv), _inplace(expm1), _inplace(exp2), \
        _inplace(sinc)
    deg2rad_, rad2deg_, heaviside_ = _inplace(deg2rad), _inplace(rad2deg), _inplace(heaviside)
    tan_, asin_, acos_, atan_, sinh_, cosh_ = (_inplace(tan), _inplace(asin), _inplace(acos),
                                               _inplace(atan), _inplace(sinh), _inplace(cosh))
    asinh_, acosh_, atanh_ = _inplace(asinh), _inplace(acosh), _inplace(atanh)

    # ------------------------------------------------------------ random fills
    def bernoulli_(self, p=0.5, *, generator=None):
        prob = p._data if hasattr(p, "_data") else p
        return self._fill_random(_uniform(self) < prob)

    def exponential_(self, lambd=1.0, *, generator=None):
        xp = self._xp()
        return self._fill_random(-xp.log1p(-_uniform(self)) / lambd)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        xp = self._xp()
        return self._fill_random(median + sigma * xp.tan(math.pi * (_uniform(self) - 0.5)))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        xp = self._xp()
        z = _random.normal(xp, self._data.shape, 0.0, 1.0, "float64")
        return self._fill_random(xp.exp(mean + std * z))

    def geometric_(self, p, *, generator=None):
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        xp = self._xp()
        return self._fill_random(xp.ceil(xp.log1p(-_uniform(self)) / math.log1p(-p)))

    def random_(self, from_=0, to=None, *, generator=None):
        """Integers uniform in [from, to - 1]; random_(to) is [0, to - 1]; random_() spans
        [0, 2^mantissa] for floats and the dtype's range for integers."""
        dt = self._data.dtype
        if to is None and from_ != 0:
            from_, to = 0, from_
        if to is None:
            to = (2 ** (np.finfo(dt).nmant + 1) + 1 if dt.kind == "f" else
                  2 if dt.kind == "b" else int(np.iinfo(dt).max) + 1)
        if from_ >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={from_} >= to={to}")
        return self._fill_random(_random.integers(self._xp(), int(from_), int(to),
                                                  self._data.shape, "int64"))

    # ------------------------------------------------------------ memory layout facts
    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is None:
            return strides
        from dualnet.ops.common import norm_axis

        return strides[norm_axis(dim, self._data.ndim)]

    def storage_offset(self) -> int:
        root = self._data
        while type(getattr(root, "base", None)) is type(root):
            root = root.base
        return (_address(self._data) - _address(root)) // self._data.itemsize

    def data_ptr(self) -> int:
        return _address(self._data)

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    @property
    def itemsize(self) -> int:
        return int(self._data.itemsize)


def _address(array) -> int:
    data = getattr(array, "data", None)
    ptr = getattr(data, "ptr", None)  # CuPy
    return int(ptr) if ptr is not None else int(array.__array_interface__["data"][0])
