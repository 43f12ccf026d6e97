"""paddle.distribution.Distribution and helpers (math in dualnet/ops/distributions.py).

Parameters become Variables (numbers, lists and arrays through paddle.assign: float64 input
becomes float32, Paddle's rule), broadcast against each other with ops, so -1 dims of
static.data inputs keep working."""
from __future__ import annotations

import numbers

import numpy as np

from dualnet.ops import apply
from dualnet.ops import distributions as D

from ..variable import Variable


def to_var(value, like=None):
    """A float Variable for a parameter or value."""
    from ..tensor_methods.creation import assign

    if isinstance(value, Variable):
        if np.dtype(D.np_dtype(value)).kind != "f":
            return apply("cast", value, dtype="float32" if like is None else D.np_dtype(like).name)
        return value
    array = np.asarray(value)
    if like is not None:
        array = array.astype(D.np_dtype(like))
    elif array.dtype.kind != "f":
        array = array.astype(np.float32)
    return assign(array)


def broadcast_all(*values) -> tuple:
    """Variables broadcast to one shape (x + zeros_like(y) for each other y: -1 dims stay)."""
    first = next((v for v in values if isinstance(v, Variable)), None)
    vs = [to_var(v, first) for v in values]
    if len({tuple(v.shape) for v in vs}) == 1:
        return tuple(vs)
    out = []
    for i, v in enumerate(vs):
        for j, w in enumerate(vs):
            if i != j:
                v = v + apply("zeros_like", w)
        out.append(v)
    return tuple(out)


def stop(x):
    """The value with no gradient flowing back (samples)."""
    out = apply("assign", x)
    out.stop_gradient = True
    return out


def sample_shape(shape) -> tuple:
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    return tuple(int(s) for s in shape)


class Distribution:
    """Base class: batch_shape, event_shape, sample/rsample, log_prob, prob, entropy, kl."""

    def __init__(self, batch_shape=(), event_shape=()):
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        return self._event_shape

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def variance(self):
        raise NotImplementedError

    def sample(self, shape=()):
        return stop(self.rsample(shape))

    def rsample(self, shape=()):
        raise NotImplementedError(f"{type(self).__name__} has no rsample")

    def entropy(self):
        raise NotImplementedError(f"{type(self).__name__} has no entropy")

    def log_prob(self, value):
        raise NotImplementedError

    def prob(self, value):
        return apply("exp", self.log_prob(value))

    def probs(self, value):
        return self.prob(value)

    def kl_divergence(self, other):
        from .kl import kl_divergence

        return kl_divergence(self, other)

    def _extend_shape(self, sample_shape) -> tuple:
        return tuple(sample_shape) + self._batch_shape + self._event_shape

    def _value(self, value, like):
        return to_var(value, like)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_shape={list(self.batch_shape)}, " \
               f"event_shape={list(self.event_shape)})"
