"""Transforms, TransformedDistribution, LogNormal and Independent (torch.distributions)."""
from __future__ import annotations

import math
import numbers

from dualnet.ops import distributions as D

from . import constraints
from .distribution import Distribution, sample_shape as _ss
from .families import Normal


class Transform:
    """A bijection y = f(x) with log|df/dx| (elementwise: event_dim 0)."""

    bijective = True
    sign = 1

    def __call__(self, x):
        return self._call(x)

    def inv(self, y):
        return self._inverse(y)

    def log_abs_det_jacobian(self, x, y):
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))


class ExpTransform(Transform):
    domain, codomain = constraints.real, constraints.positive

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class SigmoidTransform(Transform):
    domain, codomain = constraints.real, constraints.unit_interval

    def _call(self, x):
        return x.sigmoid()

    def _inverse(self, y):
        return D.logit(y)

    def log_abs_det_jacobian(self, x, y):
        return D.sigmoid_log_abs_det(x)


class TanhTransform(Transform):
    domain, codomain = constraints.real, constraints.interval(-1.0, 1.0)

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return D.atanh(y)

    def log_abs_det_jacobian(self, x, y):
        return D.tanh_log_abs_det(x)


class AffineTransform(Transform):
    domain = codomain = constraints.real

    def __init__(self, loc, scale, event_dim=0):
        self.loc, self.scale, self.event_dim = loc, scale, event_dim

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        scale = self.scale
        if isinstance(scale, numbers.Number):
            out = (x * 0.0) + math.log(abs(scale))
        else:
            out = (x * 0.0) + scale.abs().log()
        for _ in range(self.event_dim):
            out = out.sum(-1)
        return out

    def __eq__(self, other):
        return isinstance(other, AffineTransform) and other.loc is self.loc \
            and other.scale is self.scale

    __hash__ = Transform.__hash__


class TransformedDistribution(Distribution):
    """base pushed through transforms: log p(y) = log p_base(x) - sum log|J|."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution, transforms, validate_args=None):
        self.base_dist = base_distribution
        self.transforms = [transforms] if isinstance(transforms, Transform) else list(transforms)
        super().__init__(base_distribution.batch_shape, base_distribution.event_shape,
                         validate_args=False if validate_args is None else validate_args)

    has_rsample = property(lambda self: self.base_dist.has_rsample)

    def sample(self, sample_shape=()):
        x = self.base_dist.sample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def rsample(self, sample_shape=()):
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value):
        y = self._value(value)
        event_dim = len(self.event_shape)
        total = 0.0
        for t in reversed(self.transforms):
            x = t.inv(y)
            term = t.log_abs_det_jacobian(x, y)
            for _ in range(event_dim):
                term = term.sum(-1)
            total = total - term
            y = x
        return total + self.base_dist.log_prob(y)

    def cdf(self, value):
        for t in reversed(self.transforms):
            value = t.inv(value)
        return self.base_dist.cdf(value)

    def icdf(self, value):
        x = self.base_dist.icdf(value)
        for t in self.transforms:
            x = t(x)
        return x


class LogNormal(TransformedDistribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        super().__init__(Normal(loc, scale, validate_args=validate_args), ExpTransform(),
                         validate_args=validate_args)

    loc = property(lambda self: self.base_dist.loc)
    scale = property(lambda self: self.base_dist.scale)
    mean = property(lambda self: D.lognormal_mean(self.loc, self.scale))
    mode = property(lambda self: D.lognormal_mode(self.loc, self.scale))
    variance = property(lambda self: D.lognormal_variance(self.loc, self.scale))

    def log_prob(self, value):
        return D.lognormal_log_prob(self.loc, self.scale, self._value(value))

    def entropy(self):
        return D.lognormal_entropy(self.loc, self.scale)


class Independent(Distribution):
    """Reinterpret the rightmost batch dims of a distribution as event dims."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        n = int(reinterpreted_batch_ndims)
        shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        event_dim = n + len(base_distribution.event_shape)
        if n > len(base_distribution.batch_shape):
            raise ValueError(f"Expected reinterpreted_batch_ndims <= "
                             f"len(base_distribution.batch_shape), actual {n} vs "
                             f"{len(base_distribution.batch_shape)}")
        self.base_dist, self.reinterpreted_batch_ndims = base_distribution, n
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args=False)

    has_rsample = property(lambda self: self.base_dist.has_rsample)
    mean = property(lambda self: self.base_dist.mean)
    mode = property(lambda self: self.base_dist.mode)
    variance = property(lambda self: self.base_dist.variance)

    @property
    def support(self):
        base = self.base_dist.support
        return None if base is None else constraints.independent(base,
                                                                 self.reinterpreted_batch_ndims)

    def _sum(self, x):
        for _ in range(self.reinterpreted_batch_ndims):
            x = x.sum(-1)
        return x

    def sample(self, sample_shape=()):
        return self.base_dist.sample(_ss(sample_shape))

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(_ss(sample_shape))

    def log_prob(self, value):
        return self._sum(self.base_dist.log_prob(value))

    def entropy(self):
        return self._sum(self.base_dist.entropy())

