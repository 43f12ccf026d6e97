"""Probability distributions' math, shared by torch.distributions and paddle.distribution.

Front-end-neutral composites: every function takes values (eager Tensors, static Variables or
raw arrays) that the front end has already broadcast, and builds its result from registry ops,
so the same formula runs eagerly, in a static program (with -1 dims) and in implicit mode, and
gradients come from the ops' vjps.

- log_prob / entropy / cdf / icdf / moments per family (`normal_log_prob`, `beta_entropy`, ...)
- KL divergences between two members of a family (`kl_normal_normal`, ...)
- sampling: `standard_uniform` / `standard_normal` draw at run time from the registry's random
  ops (shape `sample_shape + ref.shape`); reparameterized samples are differentiable functions
  of those draws (`normal_rsample`, ...). Gamma, Poisson and Binomial draws use vectorized
  rejection samplers with a fixed number of rounds (Marsaglia-Tsang, Hoermann's PTRS / BTRS),
  so no data-dependent control flow is needed; they are not differentiable.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from .. import dtypes
from .activation import sigmoid, softplus
from .common import constant_like
from .creation import bernoulli, gaussian_random, multinomial, uniform_random
from .elementwise import (abs, cast, clip, equal, erf, erfinv, exp, expm1, floor, greater,
                          greater_equal, less, less_equal, log, log1p, logical_and,
                          logical_not, logical_or, maximum, minimum, pow, sign, sqrt, where)
from .linalg import matmul
from .matrix import cholesky, inv, solve
from .nn import log_softmax, softmax
from .reduction import cumsum, sum
from .registry import binder_for_type, default_binder
from .shape import (broadcast_to, full_like, one_hot, reshape, reshape_like, unsqueeze,
                    zeros_like)
from .special import digamma, lgamma
from .statistics import diagonal

LOG_2PI = math.log(2.0 * math.pi)
REJECTION_ROUNDS = 12  # failure probability per entry below ~1e-12 for the samplers below
INVERSION_TERMS = 48  # support points for inversion sampling of small-mean counts


def np_dtype(x) -> np.dtype:
    return dtypes.as_np(x.dtype)


def finfo(x):
    return np.finfo(np_dtype(x))


def _shape(x) -> tuple:
    return tuple(int(d) for d in x.shape)


# ---------------------------------------------------------------- random draws


def _recording(ref):
    """Zero-input random ops must be run/recorded by `ref`'s front end."""
    binder = binder_for_type(type(ref))
    return default_binder(binder) if binder is not None else contextlib.nullcontext()


def _expand_front(x, sample_shape: tuple):
    """x broadcast to sample_shape + x.shape (dims of x may be -1)."""
    if not sample_shape:
        return x
    x = unsqueeze(x, axis=tuple(range(len(sample_shape))))
    return broadcast_to(x, shape=tuple(sample_shape) + (-1,) * (len(x.shape) - len(sample_shape)))


def expand_front(x, sample_shape):
    return _expand_front(x, tuple(int(s) for s in sample_shape))


def standard_uniform(ref, sample_shape=()):
    """Uniform draws in [0, 1) of shape sample_shape + ref.shape in ref's float dtype.

    Known shapes use `uniform_random`; a -1 dim (static batch) builds each number from fair
    `bernoulli` bits of the right run-time shape (as many bits as the dtype's mantissa)."""
    sample_shape = tuple(int(s) for s in sample_shape)
    shape = sample_shape + _shape(ref)
    dt = np_dtype(ref).name
    if -1 not in shape:
        with _recording(ref):
            return uniform_random(shape=shape, low=0.0, high=1.0, dtype=dt)
    bits = np.finfo(dt).nmant + 1
    half = _expand_front(full_like(ref, value=0.5, dtype=dt), sample_shape)
    half = broadcast_to(unsqueeze(half, axis=-1), shape=(-1,) * len(shape) + (bits,))
    weights = constant_like(ref, 0.5 ** np.arange(1, bits + 1, dtype=dt))
    return matmul(bernoulli(half), weights)


def open_uniform(ref, sample_shape=()):
    """Uniform draws in the open interval (0, 1): safe for log(u) and log(1 - u)."""
    fi = finfo(ref)
    return clip(standard_uniform(ref, sample_shape), min=float(fi.tiny), max=1.0 - float(fi.eps))


def standard_normal(ref, sample_shape=()):
    """N(0, 1) draws of shape sample_shape + ref.shape in ref's dtype."""
    sample_shape = tuple(int(s) for s in sample_shape)
    shape = sample_shape + _shape(ref)
    if -1 not in shape:
        with _recording(ref):
            return gaussian_random(shape=shape, mean=0.0, std=1.0, dtype=np_dtype(ref).name)
    u = open_uniform(ref, sample_shape)
    return erfinv(u * 2.0 - 1.0) * math.sqrt(2.0)


def _first_accepted(rounds):
    """Combine (candidate, accepted) pairs: each entry takes its first accepted candidate."""
    out, done = None, None
    for cand, ok in rounds:
        if out is None:
            out, done = cand, ok
            continue
        out = where(logical_and(ok, logical_not(done)), cand, out)
        done = logical_or(done, ok)
    return out


# ---------------------------------------------------------------- Normal and friends


def normal_log_prob(loc, scale, x):
    return -((x - loc) ** 2) / (2.0 * scale ** 2) - log(scale) - 0.5 * LOG_2PI


def normal_entropy(scale):
    return 0.5 + 0.5 * LOG_2PI + log(scale)


def normal_cdf(loc, scale, x):
    return 0.5 * (1.0 + erf((x - loc) / (scale * math.sqrt(2.0))))


def normal_icdf(loc, scale, p):
    return loc + scale * erfinv(2.0 * p - 1.0) * math.sqrt(2.0)


def normal_rsample(loc, scale, sample_shape=()):
    """loc + scale * eps: differentiable in loc and scale (loc, scale broadcast already)."""
    return loc + scale * standard_normal(loc, sample_shape)


def kl_normal_normal(loc1, scale1, loc2, scale2):
    var_ratio = (scale1 / scale2) ** 2
    t1 = ((loc1 - loc2) / scale2) ** 2
    return 0.5 * (var_ratio + t1 - 1.0 - log(var_ratio))


def lognormal_mean(loc, scale):
    return exp(loc + scale ** 2 / 2.0)


def lognormal_variance(loc, scale):
    s2 = scale ** 2
    return expm1(s2) * exp(2.0 * loc + s2)


def lognormal_mode(loc, scale):
    return exp(loc - scale ** 2)


def lognormal_entropy(loc, scale):
    return normal_entropy(scale) + loc


def lognormal_log_prob(loc, scale, x):
    logx = log(x)
    return normal_log_prob(loc, scale, logx) - logx


# ---------------------------------------------------------------- Uniform


def uniform_log_prob(low, high, x):
    inside = cast(logical_and(less_equal(low, x), greater(high, x)), dtype=np_dtype(low).name)
    return log(inside) - log(high - low)


def uniform_entropy(low, high):
    return log(high - low)


def uniform_cdf(low, high, x):
    return clip((x - low) / (high - low), min=0.0, max=1.0)


def uniform_icdf(low, high, p):
    return low + p * (high - low)


def uniform_rsample(low, high, sample_shape=()):
    return low + standard_uniform(low, sample_shape) * (high - low)


def kl_uniform_uniform(low1, high1, low2, high2):
    """log((h2 - l2) / (h1 - l1)) when [l1, h1] lies inside [l2, h2], else inf."""
    kl = log((high2 - low2) / (high1 - low1))
    outside = logical_or(greater(low2, low1), less(high2, high1))
    return where(outside, math.inf, kl)


# ---------------------------------------------------------------- Laplace, Exponential


def laplace_log_prob(loc, scale, x):
    return -log(2.0 * scale) - abs(x - loc) / scale


def laplace_entropy(scale):
    return 1.0 + log(2.0 * scale)


def laplace_cdf(loc, scale, x):
    return 0.5 - 0.5 * sign(x - loc) * expm1(-abs(x - loc) / scale)


def laplace_icdf(loc, scale, p):
    t = p - 0.5
    return loc - scale * sign(t) * log1p(-2.0 * abs(t))


def laplace_rsample(loc, scale, sample_shape=()):
    """Inverse CDF of a uniform in (-1, 1), kept away from the ends."""
    fi = finfo(loc)
    u = standard_uniform(loc, sample_shape) * 2.0 - 1.0
    u = clip(u, min=float(fi.eps) - 1.0, max=1.0)
    return loc - scale * sign(u) * log1p(-abs(u))


def kl_laplace_laplace(loc1, scale1, loc2, scale2):
    ratio = scale1 / scale2
    d = abs(loc1 - loc2)
    return -log(ratio) + d / scale2 + ratio * exp(-d / scale1) - 1.0


def exponential_log_prob(rate, x):
    return log(rate) - rate * x


def exponential_entropy(rate):
    return 1.0 - log(rate)


def exponential_cdf(rate, x):
    return 1.0 - exp(-rate * x)


def exponential_icdf(rate, p):
    return -log1p(-p) / rate


def exponential_rsample(rate, sample_shape=()):
    return -log(open_uniform(rate, sample_shape)) / rate


def kl_exponential_exponential(rate1, rate2):
    ratio = rate2 / rate1
    return ratio - log(ratio) - 1.0


# ---------------------------------------------------------------- Bernoulli, Categorical


def clamp_probs(p):
    fi = finfo(p)
    return clip(p, min=float(fi.eps), max=1.0 - float(fi.eps))


def probs_to_logits(p, binary=False):
    """log(p) (categorical) or log(p / (1 - p)) (binary), with p clamped away from 0 and 1."""
    p = clamp_probs(p)
    return log(p) - log1p(-p) if binary else log(p)


def logits_to_probs(logits, binary=False):
    return sigmoid(logits) if binary else softmax(logits, axis=-1)


def bernoulli_log_prob(logits, x):
    """x log sigmoid(l) + (1 - x) log sigmoid(-l) = x l - softplus(l)."""
    return x * logits - softplus(logits, beta=1.0, threshold=20.0)


def bernoulli_entropy(logits, probs):
    return softplus(logits, beta=1.0, threshold=20.0) - probs * logits


def bernoulli_sample(probs, sample_shape=()):
    return cast(less(standard_uniform(probs, sample_shape), probs), dtype=np_dtype(probs).name)


def kl_bernoulli_bernoulli(probs1, logits1, logits2):
    sp = lambda v: softplus(v, beta=1.0, threshold=20.0)  # noqa: E731
    return probs1 * (sp(-logits2) - sp(-logits1)) + (1.0 - probs1) * (sp(logits2) - sp(logits1))


def categorical_log_prob(logits, value):
    """log_softmax(logits)[value] (logits [..., K], integer value broadcasting with [...])."""
    k = int(logits.shape[-1])
    hot = one_hot(cast(value, dtype="int64"), num_classes=k, dtype=np_dtype(logits).name)
    return sum(hot * log_softmax(logits, axis=-1), axis=-1)


def categorical_entropy(logits):
    logp = log_softmax(logits, axis=-1)
    logp = maximum(logp, float(finfo(logits).min))
    return -sum(exp(logp) * logp, axis=-1)


def kl_categorical_categorical(logits1, logits2):
    logp, logq = log_softmax(logits1, axis=-1), log_softmax(logits2, axis=-1)
    p = exp(logp)
    t = where(equal(p, 0.0), 0.0, p * (logp - logq))
    return sum(t, axis=-1)


def _draw_categories(probs, sample_shape, num_samples):
    """Indices [sample_shape + batch, num_samples] drawn with `multinomial` (replacement)."""
    wide = _expand_front(probs, tuple(sample_shape))
    k = int(probs.shape[-1])
    flat = reshape(wide, shape=(-1, k))
    return wide, multinomial(flat, num_samples=num_samples, replacement=True)


def categorical_sample(probs, sample_shape=()):
    """int64 category indices of shape sample_shape + batch_shape."""
    wide, idx = _draw_categories(probs, sample_shape, 1)
    return reshape_like(idx, sum(wide, axis=-1))


def multinomial_sample(probs, total_count: int, sample_shape=()):
    """Counts [sample_shape + batch, K] of `total_count` categorical draws, in probs' dtype."""
    wide, idx = _draw_categories(probs, sample_shape, int(total_count))
    k = int(probs.shape[-1])
    counts = sum(one_hot(idx, num_classes=k, dtype=np_dtype(probs).name), axis=-2)
    return reshape_like(counts, wide)


def multinomial_log_prob(logits, total_count, x):
    """log n! - sum log x_i! + sum x_i log p_i (logits normalized; 0 * -inf counts as 0)."""
    logp = log_softmax(logits, axis=-1)
    logp = maximum(logp, float(finfo(logits).min))
    return lgamma(total_count + 1.0) - sum(lgamma(x + 1.0), axis=-1) + sum(x * logp, axis=-1)


# ---------------------------------------------------------------- Gamma family


def log_beta(a, b):
    return lgamma(a) + lgamma(b) - lgamma(a + b)


def beta_log_prob(a, b, x):
    return (a - 1.0) * log(x) + (b - 1.0) * log1p(-x) - log_beta(a, b)


def beta_entropy(a, b):
    total = a + b
    return (log_beta(a, b) - (a - 1.0) * digamma(a) - (b - 1.0) * digamma(b)
            + (total - 2.0) * digamma(total))


def beta_mean(a, b):
    return a / (a + b)


def beta_variance(a, b):
    total = a + b
    return a * b / (total ** 2 * (total + 1.0))


def kl_beta_beta(a1, b1, a2, b2):
    s1 = a1 + b1
    return (log_beta(a2, b2) - log_beta(a1, b1) + (a1 - a2) * digamma(a1)
            + (b1 - b2) * digamma(b1) + (a2 - a1 + b2 - b1) * digamma(s1))


def gamma_log_prob(concentration, rate, x):
    return (concentration * log(rate) + (concentration - 1.0) * log(x) - rate * x
            - lgamma(concentration))


def gamma_entropy(concentration, rate):
    return (concentration - log(rate) + lgamma(concentration)
            + (1.0 - concentration) * digamma(concentration))


def gamma_cdf_unsupported(name):
    raise NotImplementedError(f"{name}: cdf needs the incomplete gamma function")


def kl_gamma_gamma(a1, r1, a2, r2):
    return ((a1 - a2) * digamma(a1) - lgamma(a1) + lgamma(a2)
            + a2 * (log(r1) - log(r2)) + a1 * (r2 - r1) / r1)


def kl_exponential_gamma(rate1, a2, r2):
    """KL(Exponential(rate1) || Gamma(a2, r2))."""
    return (-1.0 + log(rate1) + lgamma(a2) - a2 * log(r2) - (a2 - 1.0) * (-0.5772156649015329
            - log(rate1)) + r2 / rate1)


def dirichlet_log_prob(conc, x):
    return (sum((conc - 1.0) * log(x), axis=-1) + lgamma(sum(conc, axis=-1))
            - sum(lgamma(conc), axis=-1))


def dirichlet_entropy(conc):
    k = float(conc.shape[-1])
    a0 = sum(conc, axis=-1)
    log_b = sum(lgamma(conc), axis=-1) - lgamma(a0)
    return log_b + (a0 - k) * digamma(a0) - sum((conc - 1.0) * digamma(conc), axis=-1)


def dirichlet_mean(conc):
    return conc / sum(conc, axis=-1, keepdim=True)


def dirichlet_variance(conc):
    a0 = sum(conc, axis=-1, keepdim=True)
    return conc * (a0 - conc) / (a0 ** 2 * (a0 + 1.0))


def kl_dirichlet_dirichlet(c1, c2):
    s1, s2 = sum(c1, axis=-1), sum(c2, axis=-1)
    t = sum((c1 - c2) * (digamma(c1) - unsqueeze(digamma(s1), axis=-1)), axis=-1)
    return lgamma(s1) - lgamma(s2) - sum(lgamma(c1), axis=-1) + sum(lgamma(c2), axis=-1) + t


def standard_gamma_sample(concentration, sample_shape=()):
    """Gamma(concentration, 1) draws of shape sample_shape + concentration.shape.

    Marsaglia-Tsang for shape >= 1 (concentration < 1 is boosted: G(a) = G(a+1) U^(1/a));
    REJECTION_ROUNDS candidate rounds, each entry keeps its first accepted one. Not
    differentiable (pass a detached concentration)."""
    a = _expand_front(concentration, tuple(sample_shape))
    small = less(a, 1.0)
    a1 = where(small, a + 1.0, a)
    d = a1 - 1.0 / 3.0
    c = 1.0 / sqrt(9.0 * d)
    rounds = []
    for _ in range(REJECTION_ROUNDS):
        z = standard_normal(a)
        u = open_uniform(a)
        v = (1.0 + c * z) ** 3
        positive = greater(v, 0.0)
        safe_v = where(positive, v, 1.0)
        ok = logical_and(positive, less(log(u), 0.5 * z * z + d - d * safe_v + d * log(safe_v)))
        rounds.append((d * safe_v, ok))
    g = _first_accepted(rounds)
    boost = pow(open_uniform(a), 1.0 / where(small, a, 1.0))
    g = g * where(small, boost, 1.0)
    return maximum(g, float(finfo(a).tiny))


def beta_sample(a, b, sample_shape=()):
    x = standard_gamma_sample(a, sample_shape)
    y = standard_gamma_sample(b, sample_shape)
    return clip(x / (x + y), min=float(finfo(a).tiny), max=1.0 - float(finfo(a).eps))


def dirichlet_sample(conc, sample_shape=()):
    g = standard_gamma_sample(conc, sample_shape)
    return clip(g / sum(g, axis=-1, keepdim=True), min=float(finfo(conc).tiny), max=1.0)


# ---------------------------------------------------------------- Poisson, Binomial


def xlogy(x, y):
    """x log y with 0 log 0 = 0."""
    return where(equal(x, 0.0), 0.0, x * log(where(equal(x, 0.0), 1.0, y)))


def poisson_log_prob(rate, x):
    return xlogy(x, rate) - rate - lgamma(x + 1.0)


def kl_poisson_poisson(rate1, rate2):
    return xlogy(rate1, rate1) - rate1 * log(rate2) - (rate1 - rate2)


def _support(ref, n: int):
    """0, 1, ..., n-1 in ref's dtype as a constant, to broadcast against ref[..., None]."""
    return constant_like(ref, np.arange(n, dtype=np_dtype(ref)))


def _inversion(log_pmf, ref):
    """Count of support points whose CDF stays below one uniform per entry of ref."""
    cdf = cumsum(exp(log_pmf), axis=-1)
    u = unsqueeze(standard_uniform(ref), axis=-1)
    return sum(cast(less(cdf, u), dtype=np_dtype(ref).name), axis=-1)


def poisson_sample(rate, sample_shape=()):
    """Inversion for rate < 10, Hoermann's PTRS (transformed rejection) above."""
    lam = _expand_front(rate, tuple(sample_shape))
    k = _support(lam, INVERSION_TERMS)
    small_lam = unsqueeze(maximum(minimum(lam, 10.0), float(finfo(lam).tiny)), axis=-1)
    small = _inversion(k * log(small_lam) - small_lam - lgamma(k + 1.0), lam)
    big = maximum(lam, 10.0)
    slam, loglam = sqrt(big), log(big)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    rounds = []
    for _ in range(REJECTION_ROUNDS):
        u = standard_uniform(big) - 0.5
        v = open_uniform(big)
        us = maximum(0.5 - abs(u), 1e-7)
        cand = floor((2.0 * a / us + b) * u + big + 0.43)
        quick = logical_and(greater_equal(us, 0.07), less_equal(v, vr))
        bound = log(v) + log(inv_alpha) - log(a / (us * us) + b)
        exact = less_equal(bound, -big + cand * loglam - lgamma(maximum(cand, 0.0) + 1.0))
        ok = logical_and(greater_equal(cand, 0.0), logical_or(quick, exact))
        rounds.append((cand, ok))
    return where(less(lam, 10.0), small, _first_accepted(rounds))


def binomial_log_prob(total_count, logits, x):
    """log C(n, k) + k l - n softplus(l), written to stay finite at p = 0 and p = 1."""
    log_norm = lgamma(total_count + 1.0) - lgamma(x + 1.0) - lgamma(total_count - x + 1.0)
    neg = softplus(-logits, beta=1.0, threshold=20.0)
    pos = softplus(logits, beta=1.0, threshold=20.0)
    return log_norm - x * neg - (total_count - x) * pos


def binomial_sample(total_count, probs, sample_shape=()):
    """Inversion when n min(p, q) < 10, Hoermann's BTRS above (symmetric in p <-> 1 - p)."""
    n = _expand_front(total_count, tuple(sample_shape))
    p = _expand_front(probs, tuple(sample_shape))
    flip = greater(p, 0.5)
    fi = finfo(p)
    q = clip(where(flip, 1.0 - p, p), min=float(fi.tiny), max=0.5)
    small = _binomial_inversion(n, q)
    big = _binomial_btrs(n, q)
    draw = where(less(n * q, 10.0), small, big)
    return where(flip, n - draw, draw)


def _binomial_inversion(n, q):
    k = _support(n, INVERSION_TERMS)
    n1, q1 = unsqueeze(n, axis=-1), unsqueeze(q, axis=-1)
    inside = less_equal(k, n1)
    rest = maximum(n1 - k, 0.0)
    log_pmf = (lgamma(n1 + 1.0) - lgamma(k + 1.0) - lgamma(rest + 1.0) + k * log(q1)
               + rest * log1p(-q1))
    log_pmf = where(inside, log_pmf, -math.inf)
    return minimum(_inversion(log_pmf, n), n)


def _binomial_btrs(n, q):
    n = maximum(n, 10.0 / q)  # only used where n q >= 10; keeps the constants finite elsewhere
    spq = sqrt(n * q * (1.0 - q))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * q
    c = n * q + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = log(q) - log1p(-q)
    m = floor((n + 1.0) * q)
    h = lgamma(m + 1.0) + lgamma(n - m + 1.0)
    rounds = []
    for _ in range(REJECTION_ROUNDS):
        u = standard_uniform(n) - 0.5
        v = open_uniform(n)
        us = maximum(0.5 - abs(u), 1e-7)
        cand = floor((2.0 * a / us + b) * u + c)
        valid = logical_and(greater_equal(cand, 0.0), less_equal(cand, n))
        quick = logical_and(greater_equal(us, 0.07), less_equal(v, vr))
        kk = clip(cand, min=0.0, max=None)
        kk = minimum(kk, n)
        bound = log(v * alpha / (a / (us * us) + b))
        exact = less_equal(bound, h - lgamma(kk + 1.0) - lgamma(n - kk + 1.0) + (kk - m) * lpq)
        rounds.append((cand, logical_and(valid, logical_or(quick, exact))))
    return _first_accepted(rounds)


def binomial_entropy(total_count, logits, n_max: int):
    """-sum_k pmf(k) log pmf(k) over k = 0..n_max (n_max: the largest total_count)."""
    k = _support(logits, int(n_max) + 1)
    lp = binomial_log_prob(unsqueeze(total_count, axis=-1), unsqueeze(logits, axis=-1), k)
    lp = where(less_equal(k, unsqueeze(total_count, axis=-1)), lp, -math.inf)
    pmf = exp(lp)
    return -sum(where(equal(pmf, 0.0), 0.0, pmf * lp), axis=-1)


def kl_binomial_binomial(total_count, probs1, logits1, logits2):
    return total_count * kl_bernoulli_bernoulli(probs1, logits1, logits2)


# ---------------------------------------------------------------- MultivariateNormal


def _mv(m, v):
    """Matrix [..., k, k] times vectors [..., k] (batch dims broadcast)."""
    return sum(m * unsqueeze(v, axis=-2), axis=-1)


def _solve_vec(m, v):
    """m^-1 v for vectors v [..., k]: solve with v as a column."""
    return sum(solve(m, unsqueeze(v, axis=-1)), axis=-1)


def mvn_scale_tril(covariance_matrix=None, precision_matrix=None, scale_tril=None):
    """The Cholesky factor from whichever parameter is given."""
    if scale_tril is not None:
        return scale_tril
    if covariance_matrix is not None:
        return cholesky(covariance_matrix)
    return cholesky(inv(precision_matrix))


def mvn_half_log_det(scale_tril):
    return sum(log(diagonal(scale_tril, 0, -2, -1)), axis=-1)


def mvn_log_prob(loc, scale_tril, x):
    k = float(loc.shape[-1])
    z = _solve_vec(scale_tril, x - loc)
    maha = sum(z * z, axis=-1)
    return -0.5 * (k * LOG_2PI + maha) - mvn_half_log_det(scale_tril)


def mvn_entropy(scale_tril):
    k = float(scale_tril.shape[-1])
    return 0.5 * k * (1.0 + LOG_2PI) + mvn_half_log_det(scale_tril)


def mvn_rsample(loc, scale_tril, sample_shape=()):
    """loc + L eps (loc already broadcast to batch_shape + event_shape)."""
    eps = standard_normal(loc, sample_shape)
    return loc + _mv(scale_tril, eps)


def mvn_covariance(scale_tril):
    return matmul(scale_tril, scale_tril, transpose_y=True)


def mvn_variance(scale_tril):
    return sum(scale_tril * scale_tril, axis=-1)


def kl_mvn_mvn(loc1, tril1, loc2, tril2):
    k = float(loc1.shape[-1])
    m = solve(tril2, tril1)
    trace = sum(sum(m * m, axis=-1), axis=-1)
    z = _solve_vec(tril2, loc2 - loc1)
    maha = sum(z * z, axis=-1)
    return 0.5 * (trace + maha - k) + mvn_half_log_det(tril2) - mvn_half_log_det(tril1)


# ---------------------------------------------------------------- transforms


def sigmoid_log_abs_det(x):
    """log sigmoid'(x) = -softplus(-x) - softplus(x)."""
    return -softplus(-x, beta=1.0, threshold=20.0) - softplus(x, beta=1.0, threshold=20.0)


def tanh_log_abs_det(x):
    """log(1 - tanh(x)^2) = 2 (log 2 - x - softplus(-2x))."""
    return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x, beta=1.0, threshold=20.0))


def atanh(y):
    return 0.5 * (log1p(y) - log1p(-y))


def logit(y):
    return log(y) - log1p(-y)


def zeros_as(x):
    return zeros_like(x)


__all__ = [n for n in dir() if not n.startswith("_")]
