"""paddle.distribution (imported lazily as `paddle.distribution`).

Classes follow Paddle's names and methods (sample(shape), rsample, log_prob, prob, entropy,
mean, variance, kl_divergence); their math is shared with torch.distributions through
dualnet/ops/distributions.py, so they work in implicit mode and in explicit static programs.
Gamma, Beta and Dirichlet have sample() but no rsample().
"""
from .distribution import Distribution  # noqa: F401
from .families import (Bernoulli, Beta, Binomial, Categorical, Dirichlet,  # noqa: F401
                       Exponential, Gamma, Laplace, Multinomial, MultivariateNormal, Normal,
                       Poisson, Uniform)
from .transformed import (AffineTransform, ExpTransform, Independent, LogNormal,  # noqa: F401
                          SigmoidTransform, TanhTransform, Transform, TransformedDistribution)
from .kl import kl_divergence, register_kl  # noqa: F401
