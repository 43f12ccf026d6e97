"""The paddle.distribution families (shared math: dualnet/ops/distributions.py)."""
from __future__ import annotations

import numpy as np

from dualnet.ops import apply
from dualnet.ops import distributions as D

from .distribution import Distribution, broadcast_all, sample_shape as _ss, stop, to_var


def _shape(v) -> tuple:
    return tuple(v.shape)


class _Elementwise(Distribution):
    """Parameters broadcast together; batch_shape is their shape."""

    _params: tuple = ()

    def __init__(self, *values):
        vs = broadcast_all(*values)
        for name, v in zip(self._params, vs):
            setattr(self, name, v)
        super().__init__(_shape(vs[0]))

    def _first(self):
        return getattr(self, self._params[0])


class Normal(_Elementwise):
    _params = ("loc", "scale")

    def __init__(self, loc, scale, name=None):
        super().__init__(loc, scale)

    mean = property(lambda self: self.loc)
    variance = property(lambda self: self.scale ** 2)
    stddev = property(lambda self: self.scale)

    def sample(self, shape=(), seed=0):
        return stop(self.rsample(shape))

    def rsample(self, shape=()):
        return D.normal_rsample(self.loc, self.scale, _ss(shape))

    def log_prob(self, value):
        return D.normal_log_prob(self.loc, self.scale, self._value(value, self.loc))

    def entropy(self):
        return D.normal_entropy(self.scale)

    def cdf(self, value):
        return D.normal_cdf(self.loc, self.scale, self._value(value, self.loc))

    def icdf(self, value):
        return D.normal_icdf(self.loc, self.scale, self._value(value, self.loc))


class Uniform(_Elementwise):
    _params = ("low", "high")

    def __init__(self, low, high, name=None):
        super().__init__(low, high)

    mean = property(lambda self: (self.low + self.high) / 2.0)
    variance = property(lambda self: (self.high - self.low) ** 2 / 12.0)

    def sample(self, shape=(), seed=0):
        return stop(self.rsample(shape))

    def rsample(self, shape=()):
        return D.uniform_rsample(self.low, self.high, _ss(shape))

    def log_prob(self, value):
        return D.uniform_log_prob(self.low, self.high, self._value(value, self.low))

    def entropy(self):
        return D.uniform_entropy(self.low, self.high)

    def cdf(self, value):
        return D.uniform_cdf(self.low, self.high, self._value(value, self.low))


class Laplace(_Elementwise):
    _params = ("loc", "scale")

    def __init__(self, loc, scale):
        super().__init__(loc, scale)

    mean = property(lambda self: self.loc)
    variance = property(lambda self: 2.0 * self.scale ** 2)
    stddev = property(lambda self: self.scale * 2 ** 0.5)

    def rsample(self, shape=()):
        return D.laplace_rsample(self.loc, self.scale, _ss(shape))

    def log_prob(self, value):
        return D.laplace_log_prob(self.loc, self.scale, self._value(value, self.loc))

    def entropy(self):
        return D.laplace_entropy(self.scale)

    def cdf(self, value):
        return D.laplace_cdf(self.loc, self.scale, self._value(value, self.loc))

    def icdf(self, value):
        return D.laplace_icdf(self.loc, self.scale, self._value(value, self.loc))


class Exponential(_Elementwise):
    _params = ("rate",)

    def __init__(self, rate):
        super().__init__(rate)

    mean = property(lambda self: 1.0 / self.rate)
    variance = property(lambda self: self.rate ** -2.0)

    def rsample(self, shape=()):
        return D.exponential_rsample(self.rate, _ss(shape))

    def log_prob(self, value):
        return D.exponential_log_prob(self.rate, self._value(value, self.rate))

    def entropy(self):
        return D.exponential_entropy(self.rate)

    def cdf(self, value):
        return D.exponential_cdf(self.rate, self._value(value, self.rate))

    def icdf(self, value):
        return D.exponential_icdf(self.rate, self._value(value, self.rate))


class Gamma(_Elementwise):
    _params = ("concentration", "rate")

    def __init__(self, concentration, rate):
        super().__init__(concentration, rate)

    mean = property(lambda self: self.concentration / self.rate)
    variance = property(lambda self: self.concentration / self.rate ** 2)

    def sample(self, shape=()):
        g = D.standard_gamma_sample(stop(self.concentration), _ss(shape))
        return stop(g / stop(self.rate))

    def rsample(self, shape=()):
        raise NotImplementedError("Gamma.rsample: implicit reparameterization is not "
                                  "implemented; use sample()")

    def log_prob(self, value):
        return D.gamma_log_prob(self.concentration, self.rate,
                                self._value(value, self.concentration))

    def entropy(self):
        return D.gamma_entropy(self.concentration, self.rate)


class Beta(_Elementwise):
    _params = ("alpha", "beta")

    def __init__(self, alpha, beta):
        super().__init__(alpha, beta)

    mean = property(lambda self: D.beta_mean(self.alpha, self.beta))
    variance = property(lambda self: D.beta_variance(self.alpha, self.beta))

    def sample(self, shape=()):
        return stop(D.beta_sample(stop(self.alpha), stop(self.beta), _ss(shape)))

    def rsample(self, shape=()):
        raise NotImplementedError("Beta.rsample: implicit reparameterization is not "
                                  "implemented; use sample()")

    def log_prob(self, value):
        return D.beta_log_prob(self.alpha, self.beta, self._value(value, self.alpha))

    def entropy(self):
        return D.beta_entropy(self.alpha, self.beta)


class Dirichlet(Distribution):
    def __init__(self, concentration):
        concentration = to_var(concentration)
        if len(concentration.shape) < 1:
            raise ValueError("Dirichlet: `concentration` must be at least 1-D, got shape "
                             f"{list(concentration.shape)}")
        self.concentration = concentration
        super().__init__(_shape(concentration)[:-1], _shape(concentration)[-1:])

    mean = property(lambda self: D.dirichlet_mean(self.concentration))
    variance = property(lambda self: D.dirichlet_variance(self.concentration))

    def sample(self, shape=()):
        return stop(D.dirichlet_sample(stop(self.concentration), _ss(shape)))

    def log_prob(self, value):
        return D.dirichlet_log_prob(self.concentration, self._value(value, self.concentration))

    def entropy(self):
        return D.dirichlet_entropy(self.concentration)


class Bernoulli(_Elementwise):
    _params = ("probs",)

    def __init__(self, probs, name=None):
        super().__init__(probs)
        self.logits = D.probs_to_logits(self.probs, binary=True)

    mean = property(lambda self: self.probs)
    variance = property(lambda self: self.probs * (1.0 - self.probs))

    def sample(self, shape=()):
        return stop(D.bernoulli_sample(stop(self.probs), _ss(shape)))

    def log_prob(self, value):
        return D.bernoulli_log_prob(self.logits, self._value(value, self.probs))

    def prob(self, value):
        return apply("exp", self.log_prob(value))

    def entropy(self):
        return D.bernoulli_entropy(self.logits, self.probs)


class Categorical(Distribution):
    """Paddle's Categorical: `logits` are unnormalized; probs(value) divides them by their sum
    (Paddle's rule), while entropy, kl_divergence and sample use softmax(logits)."""

    def __init__(self, logits, name=None):
        self.logits = to_var(logits)
        self._prob = self.logits / apply("sum", self.logits, axis=-1, keepdim=True)
        super().__init__(_shape(self.logits)[:-1])

    def sample(self, shape=()):
        return stop(D.categorical_sample(D.logits_to_probs(stop(self.logits)), _ss(shape)))

    def entropy(self):
        return D.categorical_entropy(self.logits)

    def kl_divergence(self, other):
        return apply("unsqueeze", D.kl_categorical_categorical(self.logits, other.logits),
                     axis=-1)

    def probs(self, value):
        """The (sum-normalized) probability of each category index in `value`."""
        k = int(self.logits.shape[-1])
        value = apply("cast", value, dtype="int64")
        hot = apply("one_hot", value, num_classes=k, dtype=D.np_dtype(self.logits).name)
        if len(self._prob.shape) > 1 and len(value.shape) == 1:
            hot = apply("unsqueeze", hot, axis=tuple(range(len(self._prob.shape) - 1)))
            prob = apply("unsqueeze", self._prob, axis=-2)
            return apply("sum", hot * prob, axis=-1)
        return apply("sum", hot * self._prob, axis=-1)

    def prob(self, value):
        return self.probs(value)

    def log_prob(self, value):
        return apply("log", self.probs(value))


class Poisson(_Elementwise):
    _params = ("rate",)

    def __init__(self, rate):
        super().__init__(rate)

    mean = property(lambda self: self.rate)
    variance = property(lambda self: self.rate)

    def sample(self, shape=()):
        return stop(D.poisson_sample(stop(self.rate), _ss(shape)))

    def log_prob(self, value):
        return D.poisson_log_prob(self.rate, self._value(value, self.rate))


class Binomial(_Elementwise):
    _params = ("total_count", "probs")

    def __init__(self, total_count, probs):
        super().__init__(total_count, probs)
        self.logits = D.probs_to_logits(self.probs, binary=True)

    mean = property(lambda self: self.total_count * self.probs)
    variance = property(lambda self: self.total_count * self.probs * (1.0 - self.probs))

    def sample(self, shape=()):
        return stop(D.binomial_sample(stop(self.total_count), stop(self.probs), _ss(shape)))

    def log_prob(self, value):
        return D.binomial_log_prob(self.total_count, self.logits, self._value(value, self.probs))

    def entropy(self):
        from ..framework import in_dynamic_mode

        if not in_dynamic_mode():
            raise NotImplementedError("Binomial.entropy needs the value of total_count: "
                                      "only in dynamic mode")
        n_max = int(np.max(self.total_count.numpy()))
        return D.binomial_entropy(self.total_count, self.logits, n_max)


class Multinomial(Distribution):
    def __init__(self, total_count, probs):
        if not isinstance(total_count, (int, np.integer)) or total_count < 1:
            raise ValueError(f"Multinomial: total_count must be a positive int, got "
                             f"{total_count!r}")
        self.total_count = int(total_count)
        probs = to_var(probs)
        self.probs = probs / apply("sum", probs, axis=-1, keepdim=True)
        self.logits = D.probs_to_logits(self.probs)
        super().__init__(_shape(probs)[:-1], _shape(probs)[-1:])

    mean = property(lambda self: self.probs * float(self.total_count))
    variance = property(lambda self: self.total_count * self.probs * (1.0 - self.probs))

    def sample(self, shape=()):
        return stop(D.multinomial_sample(stop(self.probs), self.total_count, _ss(shape)))

    def log_prob(self, value):
        return D.multinomial_log_prob(self.logits, float(self.total_count),
                                      self._value(value, self.probs))


class MultivariateNormal(Distribution):
    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None):
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError("MultivariateNormal: exactly one of covariance_matrix, "
                             "precision_matrix or scale_tril must be given")
        self.loc = to_var(loc)
        matrix = to_var(given[0], self.loc)
        self.scale_tril = D.mvn_scale_tril(
            matrix if covariance_matrix is not None else None,
            matrix if precision_matrix is not None else None,
            matrix if scale_tril is not None else None)
        k = int(self.loc.shape[-1])
        # loc broadcast against the batch of matrices (loc + L 0)
        zeros = apply("sum", apply("zeros_like", self.scale_tril), axis=-1)
        self.loc = self.loc + zeros
        super().__init__(_shape(self.loc)[:-1], (k,))

    mean = property(lambda self: self.loc)
    variance = property(lambda self: D.mvn_variance(self.scale_tril))
    covariance_matrix = property(lambda self: D.mvn_covariance(self.scale_tril))

    def rsample(self, shape=()):
        return D.mvn_rsample(self.loc, self.scale_tril, _ss(shape))

    def log_prob(self, value):
        return D.mvn_log_prob(self.loc, self.scale_tril, self._value(value, self.loc))

    def entropy(self):
        return D.mvn_entropy(self.scale_tril)
