"""torch.distributions (imported lazily as `torch.distributions`).

Classes follow PyTorch; their math is shared with paddle.distribution through
dualnet/ops/distributions.py. Gamma, Beta and Dirichlet have sample() but no rsample()
(implicit reparameterization is not implemented).
"""
from . import constraints  # noqa: F401
from .distribution import Distribution  # noqa: F401
from .families import (Bernoulli, Beta, Binomial, Categorical, Dirichlet,  # noqa: F401
                       Exponential, Gamma, Laplace, Multinomial, MultivariateNormal, Normal,
                       OneHotCategorical, Poisson, Uniform)
from .transformed import (AffineTransform, ExpTransform, Independent, LogNormal,  # noqa: F401
                          SigmoidTransform, TanhTransform, Transform, TransformedDistribution)
from . import kl  # noqa: F401
from .kl import kl_divergence, register_kl  # noqa: F401
from . import transformed as transforms  # noqa: F401
