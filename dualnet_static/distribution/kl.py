"""paddle.distribution.kl_divergence / register_kl (closed forms in dualnet/ops)."""
from __future__ import annotations

from dualnet.ops import distributions as D

from . import families as F
from .transformed import Independent

_REGISTRY: dict = {}


def register_kl(cls_p, cls_q):
    def decorator(fn):
        _REGISTRY[cls_p, cls_q] = fn
        return fn
    return decorator


def kl_divergence(p, q):
    matches = [(a, b) for a, b in _REGISTRY if isinstance(p, a) and isinstance(q, b)]
    if not matches:
        raise NotImplementedError(f"kl_divergence: no KL registered for {type(p).__name__} "
                                  f"and {type(q).__name__}")
    best = min(matches, key=lambda m: (type(p).__mro__.index(m[0]), type(q).__mro__.index(m[1])))
    return _REGISTRY[best](p, q)


_PAIRS = {
    F.Normal: lambda p, q: D.kl_normal_normal(p.loc, p.scale, q.loc, q.scale),
    F.Uniform: lambda p, q: D.kl_uniform_uniform(p.low, p.high, q.low, q.high),
    F.Laplace: lambda p, q: D.kl_laplace_laplace(p.loc, p.scale, q.loc, q.scale),
    F.Exponential: lambda p, q: D.kl_exponential_exponential(p.rate, q.rate),
    F.Gamma: lambda p, q: D.kl_gamma_gamma(p.concentration, p.rate, q.concentration, q.rate),
    F.Beta: lambda p, q: D.kl_beta_beta(p.alpha, p.beta, q.alpha, q.beta),
    F.Dirichlet: lambda p, q: D.kl_dirichlet_dirichlet(p.concentration, q.concentration),
    F.Bernoulli: lambda p, q: D.kl_bernoulli_bernoulli(p.probs, p.logits, q.logits),
    F.Categorical: lambda p, q: D.kl_categorical_categorical(p.logits, q.logits),
    F.Poisson: lambda p, q: D.kl_poisson_poisson(p.rate, q.rate),
    F.Binomial: lambda p, q: D.kl_binomial_binomial(p.total_count, p.probs, p.logits,
                                                    q.logits),
    F.MultivariateNormal: lambda p, q: D.kl_mvn_mvn(p.loc, p.scale_tril, q.loc, q.scale_tril),
    Independent: lambda p, q: p._sum(kl_divergence(p._base, q._base)),
}
for _cls, _fn in _PAIRS.items():
    register_kl(_cls, _cls)(_fn)


@register_kl(F.Exponential, F.Gamma)
def _kl_exponential_gamma(p, q):
    return D.kl_exponential_gamma(p.rate, q.concentration, q.rate)


def _kl_lognormal(p, q):
    return D.kl_normal_normal(p.loc, p.scale, q.loc, q.scale)


from .transformed import LogNormal  # noqa: E402

register_kl(LogNormal, LogNormal)(_kl_lognormal)
