"""paddle.distribution transforms, TransformedDistribution, LogNormal and Independent."""
from __future__ import annotations

import math
import numbers

from dualnet.ops import apply
from dualnet.ops import distributions as D

from .distribution import Distribution
from .families import Normal


class Transform:
    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        return self._forward(x)

    def inverse(self, y):
        return self._inverse(y)

    def forward_log_det_jacobian(self, x):
        return self._fldj(x)

    def inverse_log_det_jacobian(self, y):
        return -self._fldj(self._inverse(y))


class ExpTransform(Transform):
    _forward = staticmethod(lambda x: apply("exp", x))
    _inverse = staticmethod(lambda y: apply("log", y))
    _fldj = staticmethod(lambda x: x)


class SigmoidTransform(Transform):
    _forward = staticmethod(lambda x: apply("sigmoid", x))
    _inverse = staticmethod(D.logit)
    _fldj = staticmethod(D.sigmoid_log_abs_det)


class TanhTransform(Transform):
    _forward = staticmethod(lambda x: apply("tanh", x))
    _inverse = staticmethod(D.atanh)
    _fldj = staticmethod(D.tanh_log_abs_det)


class AffineTransform(Transform):
    def __init__(self, loc, scale):
        self.loc, self.scale = loc, scale

    def _forward(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def _fldj(self, x):
        if isinstance(self.scale, numbers.Number):
            return x * 0.0 + math.log(abs(self.scale))
        return x * 0.0 + apply("log", apply("abs", self.scale))


class TransformedDistribution(Distribution):
    def __init__(self, base, transforms):
        self._base = base
        self._transforms = list(transforms)
        super().__init__(base.batch_shape, base.event_shape)

    def sample(self, shape=()):
        x = self._base.sample(shape)
        for t in self._transforms:
            x = t.forward(x)
        return x

    def rsample(self, shape=()):
        x = self._base.rsample(shape)
        for t in self._transforms:
            x = t.forward(x)
        return x

    def log_prob(self, value):
        y = self._value(value, None if not hasattr(self._base, "loc") else self._base.loc)
        total = 0.0
        for t in reversed(self._transforms):
            x = t.inverse(y)
            total = total - t.forward_log_det_jacobian(x)
            y = x
        return total + self._base.log_prob(y)


class LogNormal(TransformedDistribution):
    def __init__(self, loc, scale):
        self._base = Normal(loc, scale)
        self.loc, self.scale = self._base.loc, self._base.scale
        super().__init__(self._base, [ExpTransform()])

    mean = property(lambda self: D.lognormal_mean(self.loc, self.scale))
    variance = property(lambda self: D.lognormal_variance(self.loc, self.scale))

    def log_prob(self, value):
        return D.lognormal_log_prob(self.loc, self.scale, self._value(value, self.loc))

    def entropy(self):
        return D.lognormal_entropy(self.loc, self.scale)


class Independent(Distribution):
    def __init__(self, base, reinterpreted_batch_rank):
        n = int(reinterpreted_batch_rank)
        if not 0 < n <= len(base.batch_shape):
            raise ValueError(f"Expected 0 < reinterpreted_batch_rank <= "
                             f"{len(base.batch_shape)}, but got {n}")
        self._base, self._n = base, n
        shape = tuple(base.batch_shape) + tuple(base.event_shape)
        cut = len(base.batch_shape) - n
        super().__init__(shape[:cut], shape[cut:])

    mean = property(lambda self: self._base.mean)
    variance = property(lambda self: self._base.variance)

    def _sum(self, x):
        return apply("sum", x, axis=tuple(range(-self._n, 0)))

    def sample(self, shape=()):
        return self._base.sample(shape)

    def rsample(self, shape=()):
        return self._base.rsample(shape)

    def log_prob(self, value):
        return self._sum(self._base.log_prob(value))

    def entropy(self):
        return self._sum(self._base.entropy())
