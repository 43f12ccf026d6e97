"""The distribution families of torch.distributions (math in dualnet/ops/distributions.py)."""
from __future__ import annotations

import numpy as np

from dualnet.ops import apply
from dualnet.ops import distributions as D

from ..autograd import no_grad
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, _as_float, broadcast_all, sample_shape as _ss


def _lazy_pair(self, probs, logits, binary):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    if probs is not None:
        self.probs = _as_float(probs)
    else:
        self.logits = _as_float(logits)
        if not binary:
            self.logits = self.logits - self.logits.logsumexp(dim=-1, keepdim=True)
    return self.probs if probs is not None else self.logits


class _ProbsLogits:
    """probs and logits of Bernoulli / Categorical-like families, each derived on demand."""

    _binary = False

    @property
    def probs(self):
        if "probs" not in self.__dict__:
            self.__dict__["probs"] = D.logits_to_probs(self.__dict__["logits"], self._binary)
        return self.__dict__["probs"]

    @probs.setter
    def probs(self, value):
        self.__dict__["probs"] = value

    @property
    def logits(self):
        if "logits" not in self.__dict__:
            self.__dict__["logits"] = D.probs_to_logits(self.__dict__["probs"], self._binary)
        return self.__dict__["logits"]

    @logits.setter
    def logits(self, value):
        self.__dict__["logits"] = value

    @property
    def param_shape(self):
        return (self.__dict__.get("probs") if "probs" in self.__dict__ else self.logits).size()


# ---------------------------------------------------------------- continuous


class Normal(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.size(), validate_args=validate_args)

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)
    stddev = property(lambda self: self.scale)
    variance = property(lambda self: self.scale ** 2)

    def rsample(self, sample_shape=()):
        return D.normal_rsample(self.loc, self.scale, _ss(sample_shape))

    def log_prob(self, value):
        return D.normal_log_prob(self.loc, self.scale, self._value(value))

    def cdf(self, value):
        return D.normal_cdf(self.loc, self.scale, self._value(value))

    def icdf(self, value):
        return D.normal_icdf(self.loc, self.scale, _as_float(value, self.loc))

    def entropy(self):
        return D.normal_entropy(self.scale)


class Uniform(Distribution):
    arg_constraints = {"low": constraints.real, "high": constraints.real}
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.size(), validate_args=validate_args)
        if self._validate_args and not bool((self.low < self.high).all()):
            raise ValueError(f"Expected parameter low of distribution {self!r} to satisfy "
                             f"low < high, but found invalid values:\n{self.low}")

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    mean = property(lambda self: (self.high + self.low) / 2)
    mode = property(lambda self: self.low * float("nan"))
    stddev = property(lambda self: (self.high - self.low) / 12 ** 0.5)
    variance = property(lambda self: (self.high - self.low) ** 2 / 12)

    def rsample(self, sample_shape=()):
        return D.uniform_rsample(self.low, self.high, _ss(sample_shape))

    def log_prob(self, value):
        return D.uniform_log_prob(self.low, self.high, self._value(value))

    def cdf(self, value):
        return D.uniform_cdf(self.low, self.high, self._value(value))

    def icdf(self, value):
        return D.uniform_icdf(self.low, self.high, _as_float(value, self.low))

    def entropy(self):
        return D.uniform_entropy(self.low, self.high)


class Laplace(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.size(), validate_args=validate_args)

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)
    stddev = property(lambda self: self.scale * 2 ** 0.5)
    variance = property(lambda self: 2 * self.scale ** 2)

    def rsample(self, sample_shape=()):
        return D.laplace_rsample(self.loc, self.scale, _ss(sample_shape))

    def log_prob(self, value):
        return D.laplace_log_prob(self.loc, self.scale, self._value(value))

    def cdf(self, value):
        return D.laplace_cdf(self.loc, self.scale, self._value(value))

    def icdf(self, value):
        return D.laplace_icdf(self.loc, self.scale, _as_float(value, self.loc))

    def entropy(self):
        return D.laplace_entropy(self.scale)


class Exponential(Distribution):
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.size(), validate_args=validate_args)

    mean = property(lambda self: self.rate.reciprocal())
    mode = property(lambda self: self.rate * 0)
    stddev = property(lambda self: self.rate.reciprocal())
    variance = property(lambda self: self.rate ** -2)

    def rsample(self, sample_shape=()):
        return D.exponential_rsample(self.rate, _ss(sample_shape))

    def log_prob(self, value):
        return D.exponential_log_prob(self.rate, self._value(value))

    def cdf(self, value):
        return D.exponential_cdf(self.rate, self._value(value))

    def icdf(self, value):
        return D.exponential_icdf(self.rate, _as_float(value, self.rate))

    def entropy(self):
        return D.exponential_entropy(self.rate)


class Gamma(Distribution):
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = False  # implicit reparameterization is not implemented

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.size(), validate_args=validate_args)

    mean = property(lambda self: self.concentration / self.rate)
    mode = property(lambda self: ((self.concentration - 1) / self.rate).clamp(min=0))
    variance = property(lambda self: self.concentration / self.rate ** 2)

    def rsample(self, sample_shape=()):
        raise NotImplementedError("Gamma.rsample: implicit reparameterization gradients are not "
                                  "implemented; use sample()")

    def sample(self, sample_shape=()):
        with no_grad():
            g = D.standard_gamma_sample(self.concentration.detach(), _ss(sample_shape))
            return (g / self.rate.detach()).detach()

    def log_prob(self, value):
        return D.gamma_log_prob(self.concentration, self.rate, self._value(value))

    def entropy(self):
        return D.gamma_entropy(self.concentration, self.rate)


class Beta(Distribution):
    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = False

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(self.concentration1.size(), validate_args=validate_args)

    mean = property(lambda self: D.beta_mean(self.concentration1, self.concentration0))
    variance = property(lambda self: D.beta_variance(self.concentration1, self.concentration0))

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        return (a - 1) / (a + b - 2)

    def rsample(self, sample_shape=()):
        raise NotImplementedError("Beta.rsample: implicit reparameterization gradients are not "
                                  "implemented; use sample()")

    def sample(self, sample_shape=()):
        with no_grad():
            return D.beta_sample(self.concentration1.detach(), self.concentration0.detach(),
                                 _ss(sample_shape)).detach()

    def log_prob(self, value):
        return D.beta_log_prob(self.concentration1, self.concentration0, self._value(value))

    def entropy(self):
        return D.beta_entropy(self.concentration1, self.concentration0)


class Dirichlet(Distribution):
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = False

    def __init__(self, concentration, validate_args=None):
        concentration = _as_float(concentration)
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = concentration.size()
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    mean = property(lambda self: D.dirichlet_mean(self.concentration))
    variance = property(lambda self: D.dirichlet_variance(self.concentration))

    @property
    def mode(self):
        c = self.concentration - 1
        return c / c.sum(-1, keepdim=True)

    def rsample(self, sample_shape=()):
        raise NotImplementedError("Dirichlet.rsample: implicit reparameterization gradients are "
                                  "not implemented; use sample()")

    def sample(self, sample_shape=()):
        with no_grad():
            return D.dirichlet_sample(self.concentration.detach(), _ss(sample_shape)).detach()

    def log_prob(self, value):
        return D.dirichlet_log_prob(self.concentration, self._value(value))

    def entropy(self):
        return D.dirichlet_entropy(self.concentration)


# ---------------------------------------------------------------- discrete


class Bernoulli(_ProbsLogits, Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _binary = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = _lazy_pair(self, probs, logits, True)
        super().__init__(param.size(), validate_args=validate_args)

    mean = property(lambda self: self.probs)
    variance = property(lambda self: self.probs * (1 - self.probs))

    @property
    def mode(self):
        return (self.probs >= 0.5).to(self.probs.dtype)

    def sample(self, sample_shape=()):
        with no_grad():
            return D.bernoulli_sample(self.probs.detach(), _ss(sample_shape)).detach()

    def log_prob(self, value):
        return D.bernoulli_log_prob(self.logits, self._value(value))

    def entropy(self):
        return D.bernoulli_entropy(self.logits, self.probs)

    def enumerate_support(self, expand=True):
        values = Tensor(np.arange(2, dtype=np.dtype(self.probs.dtype)))
        values = values.reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand((2,) + tuple(self.batch_shape)) if expand else values


class Categorical(_ProbsLogits, Distribution):
    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = _lazy_pair(self, probs, logits, False)
        if param.dim() < 1:
            raise ValueError("`probs` parameter must be at least one-dimensional.")
        if probs is not None:
            self.probs = param / param.sum(-1, keepdim=True)
        self._num_events = param.size()[-1]
        super().__init__(param.size()[:-1], validate_args=validate_args)

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    mean = property(lambda self: self.probs * float("nan"))
    mode = property(lambda self: self.probs.argmax(dim=-1))
    variance = property(lambda self: self.probs * float("nan"))

    def sample(self, sample_shape=()):
        with no_grad():
            return D.categorical_sample(self.probs.detach(), _ss(sample_shape)).detach()

    def log_prob(self, value):
        return D.categorical_log_prob(self.logits, self._value(value))

    def entropy(self):
        return D.categorical_entropy(self.logits)

    def enumerate_support(self, expand=True):
        values = Tensor(np.arange(self._num_events, dtype=np.int64))
        values = values.reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand((-1,) + tuple(self.batch_shape)) if expand else values


class OneHotCategorical(Distribution):
    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        shape = self._categorical.param_shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    mean = property(lambda self: self.probs)
    variance = property(lambda self: self.probs * (1 - self.probs))

    @property
    def mode(self):
        k = self.event_shape[0]
        return apply("one_hot", self.probs.argmax(dim=-1), num_classes=k,
                     dtype=np.dtype(self.probs.dtype).name)

    def sample(self, sample_shape=()):
        idx = self._categorical.sample(sample_shape)
        return apply("one_hot", idx, num_classes=self.event_shape[0],
                     dtype=np.dtype(self.probs.dtype).name)

    def log_prob(self, value):
        value = self._value(value)
        return self._categorical.log_prob(value.argmax(dim=-1))

    def entropy(self):
        return self._categorical.entropy()


class Poisson(Distribution):
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.size(), validate_args=validate_args)

    mean = property(lambda self: self.rate)
    mode = property(lambda self: self.rate.floor())
    variance = property(lambda self: self.rate)

    def sample(self, sample_shape=()):
        with no_grad():
            return D.poisson_sample(self.rate.detach(), _ss(sample_shape)).detach()

    def log_prob(self, value):
        return D.poisson_log_prob(self.rate, self._value(value))


class Binomial(_ProbsLogits, Distribution):
    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True
    _binary = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        param = _lazy_pair(self, probs, logits, True)
        self.total_count, param = broadcast_all(total_count, param)
        self.__dict__["probs" if probs is not None else "logits"] = param
        super().__init__(param.size(), validate_args=validate_args)

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    mean = property(lambda self: self.total_count * self.probs)
    variance = property(lambda self: self.total_count * self.probs * (1 - self.probs))

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    def sample(self, sample_shape=()):
        with no_grad():
            return D.binomial_sample(self.total_count.detach(), self.probs.detach(),
                                     _ss(sample_shape)).detach()

    def log_prob(self, value):
        return D.binomial_log_prob(self.total_count, self.logits, self._value(value))

    def entropy(self):
        n_max = int(self.total_count.max().item())
        return D.binomial_entropy(self.total_count, self.logits, n_max)


class Multinomial(Distribution):
    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, (int, np.integer)):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = int(total_count)
        self._categorical = Categorical(probs=probs, logits=logits, validate_args=validate_args)
        shape = self._categorical.param_shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    mean = property(lambda self: self.probs * self.total_count)
    variance = property(lambda self: self.total_count * self.probs * (1 - self.probs))

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    def sample(self, sample_shape=()):
        with no_grad():
            return D.multinomial_sample(self.probs.detach(), self.total_count,
                                        _ss(sample_shape)).detach()

    def log_prob(self, value):
        value = self._value(value)
        return D.multinomial_log_prob(self.logits, float(self.total_count), value)


# ---------------------------------------------------------------- multivariate normal


class MultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        loc = _as_float(loc)
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        matrix = _as_float(given[0], loc)
        if matrix.dim() < 2:
            raise ValueError("scale_tril matrix must be at least two-dimensional, with "
                             "optional leading batch dimensions")
        batch = np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        k = loc.shape[-1]
        matrix = matrix.expand(batch + (k, k))
        self.loc = loc.expand(batch + (k,))
        if scale_tril is not None:
            self.scale_tril = matrix
        elif covariance_matrix is not None:
            self.covariance_matrix = matrix
        else:
            self.precision_matrix = matrix
        super().__init__(batch, (k,), validate_args=validate_args)
        self._unbroadcasted_scale_tril = D.mvn_scale_tril(
            self.__dict__.get("covariance_matrix"), self.__dict__.get("precision_matrix"),
            self.__dict__.get("scale_tril"))
        self.__dict__.setdefault("scale_tril", self._unbroadcasted_scale_tril)

    @property
    def covariance_matrix(self):
        if "covariance_matrix" not in self.__dict__:
            self.__dict__["covariance_matrix"] = D.mvn_covariance(self.scale_tril)
        return self.__dict__["covariance_matrix"]

    @covariance_matrix.setter
    def covariance_matrix(self, value):
        self.__dict__["covariance_matrix"] = value

    @property
    def precision_matrix(self):
        if "precision_matrix" not in self.__dict__:
            self.__dict__["precision_matrix"] = apply("inv", self.covariance_matrix)
        return self.__dict__["precision_matrix"]

    @precision_matrix.setter
    def precision_matrix(self, value):
        self.__dict__["precision_matrix"] = value

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)
    variance = property(lambda self: D.mvn_variance(self.scale_tril))

    def rsample(self, sample_shape=()):
        return D.mvn_rsample(self.loc, self.scale_tril, _ss(sample_shape))

    def log_prob(self, value):
        return D.mvn_log_prob(self.loc, self.scale_tril, self._value(value))

    def entropy(self):
        return D.mvn_entropy(self.scale_tril)


__all__ = ["Normal", "Uniform", "Laplace", "Exponential", "Gamma", "Beta", "Dirichlet",
           "Bernoulli", "Categorical", "OneHotCategorical", "Poisson", "Binomial",
           "Multinomial", "MultivariateNormal"]
