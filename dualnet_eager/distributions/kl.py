"""torch.distributions.kl: kl_divergence and register_kl (closed forms in dualnet/ops)."""
from __future__ import annotations

from dualnet.ops import distributions as D

from . import families as F
from .transformed import Independent, TransformedDistribution

_KL_REGISTRY: dict = {}


def register_kl(type_p, type_q):
    """Decorator: `@register_kl(P, Q) def kl(p, q)` (the most specific match wins)."""
    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        return fn
    return decorator


def _dispatch(type_p, type_q):
    matches = [(sp, sq) for sp, sq in _KL_REGISTRY
               if issubclass(type_p, sp) and issubclass(type_q, sq)]
    if not matches:
        return None
    best = min(matches, key=lambda m: (type_p.__mro__.index(m[0]), type_q.__mro__.index(m[1])))
    return _KL_REGISTRY[best]


def kl_divergence(p, q):
    """KL(p || q) over the batch shape."""
    fn = _dispatch(type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{type(p).__name__} and q type {type(q).__name__}")
    return fn(p, q)


@register_kl(F.Normal, F.Normal)
def _kl_normal_normal(p, q):
    return D.kl_normal_normal(p.loc, p.scale, q.loc, q.scale)


@register_kl(F.Uniform, F.Uniform)
def _kl_uniform_uniform(p, q):
    return D.kl_uniform_uniform(p.low, p.high, q.low, q.high)


@register_kl(F.Laplace, F.Laplace)
def _kl_laplace_laplace(p, q):
    return D.kl_laplace_laplace(p.loc, p.scale, q.loc, q.scale)


@register_kl(F.Exponential, F.Exponential)
def _kl_exponential_exponential(p, q):
    return D.kl_exponential_exponential(p.rate, q.rate)


@register_kl(F.Exponential, F.Gamma)
def _kl_exponential_gamma(p, q):
    return D.kl_exponential_gamma(p.rate, q.concentration, q.rate)


@register_kl(F.Gamma, F.Gamma)
def _kl_gamma_gamma(p, q):
    return D.kl_gamma_gamma(p.concentration, p.rate, q.concentration, q.rate)


@register_kl(F.Beta, F.Beta)
def _kl_beta_beta(p, q):
    return D.kl_beta_beta(p.concentration1, p.concentration0, q.concentration1,
                          q.concentration0)


@register_kl(F.Dirichlet, F.Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    return D.kl_dirichlet_dirichlet(p.concentration, q.concentration)


@register_kl(F.Bernoulli, F.Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    return D.kl_bernoulli_bernoulli(p.probs, p.logits, q.logits)


@register_kl(F.Binomial, F.Binomial)
def _kl_binomial_binomial(p, q):
    if not bool((p.total_count == q.total_count).all()):
        raise NotImplementedError("KL between Binomials where q.total_count != p.total_count "
                                  "is not implemented")
    return D.kl_binomial_binomial(p.total_count, p.probs, p.logits, q.logits)


@register_kl(F.Categorical, F.Categorical)
def _kl_categorical_categorical(p, q):
    return D.kl_categorical_categorical(p.logits, q.logits)


@register_kl(F.OneHotCategorical, F.OneHotCategorical)
def _kl_onehot_onehot(p, q):
    return D.kl_categorical_categorical(p.logits, q.logits)


@register_kl(F.Poisson, F.Poisson)
def _kl_poisson_poisson(p, q):
    return D.kl_poisson_poisson(p.rate, q.rate)


@register_kl(F.MultivariateNormal, F.MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event "
                         "shapes cannot be computed")
    return D.kl_mvn_mvn(p.loc, p.scale_tril, q.loc, q.scale_tril)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return p._sum(kl_divergence(p.base_dist, q.base_dist))


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise NotImplementedError("KL between TransformedDistributions needs equal transforms")
    return kl_divergence(p.base_dist, q.base_dist)
