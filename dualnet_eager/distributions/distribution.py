"""torch.distributions.Distribution: shapes, sampling protocol and argument validation.

The math of every family lives in dualnet/ops/distributions.py (shared with
paddle.distribution); the classes here hold parameters as eager Tensors and follow PyTorch's
API (batch_shape, event_shape, sample/rsample, log_prob, validate_args, ...).
"""
from __future__ import annotations

import numbers

import numpy as np

from dualnet import dtypes
from dualnet.ops import apply
from dualnet.ops import distributions as D

from ..autograd import no_grad
from ..size import Size
from ..tensor import Tensor

_validate_default = True


def _as_float(value, like=None) -> Tensor:
    """A parameter as a float Tensor (Python numbers take the default dtype or like's)."""
    if isinstance(value, Tensor):
        if np.dtype(value.dtype).kind not in "fc":
            return value.to(dtypes.get_default_dtype())
        return value
    dt = dtypes.get_default_dtype().np if like is None else np.dtype(like.dtype)
    return Tensor(np.asarray(value, dtype=dt))


def broadcast_all(*values) -> tuple:
    """Tensors (numbers become tensors of the first tensor's dtype) broadcast to one shape."""
    like = next((v for v in values if isinstance(v, Tensor)), None)
    ts = [_as_float(v, like) for v in values]
    shape = np.broadcast_shapes(*[tuple(t.shape) for t in ts])
    return tuple(t if tuple(t.shape) == shape else apply("broadcast_to", t, shape=shape)
                 for t in ts)


class Distribution:
    """Base class: subclasses set arg_constraints, support and the math methods."""

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict = {}
    support = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        global _validate_default
        if value not in (True, False):
            raise ValueError("set_default_validate_args expects True or False")
        _validate_default = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        else:
            self._validate_args = _validate_default
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                if name not in self.__dict__:
                    continue  # not given (derived lazily: probs from logits and so on)
                value = self.__dict__[name]
                if not constraint.check_all(value):
                    raise ValueError(
                        f"Expected parameter {name} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{value}")

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    def expand(self, batch_shape, _instance=None):
        """The same distribution with parameters broadcast to batch_shape."""
        batch_shape = Size(batch_shape)
        new = type(self).__new__(type(self)) if _instance is None else _instance
        for name in self._param_names():
            value = self.__dict__.get(name)
            if isinstance(value, Tensor):
                event = tuple(value.shape)[len(self.batch_shape):]
                setattr(new, name, apply("broadcast_to", value, shape=tuple(batch_shape) + event))
        for key, value in self.__dict__.items():
            if key not in new.__dict__:
                new.__dict__[key] = value
        new._batch_shape = batch_shape
        return new

    def _param_names(self):
        return [k for k, v in self.__dict__.items() if isinstance(v, Tensor)]

    def _extended_shape(self, sample_shape=Size()) -> tuple:
        return tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape)

    def sample(self, sample_shape=Size()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape=Size()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement rsample")

    def sample_n(self, n: int) -> Tensor:
        return self.sample(Size((n,)))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def entropy(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    def perplexity(self):
        return self.entropy().exp()

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def _validate_sample(self, value) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape = tuple(value.shape)
        event = tuple(self._event_shape)
        actual = shape[len(shape) - len(event):] if event else ()
        if actual != event:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{Size(shape)} vs {Size(event)}.")
        try:
            np.broadcast_shapes(shape[:len(shape) - len(event)], tuple(self.batch_shape))
        except ValueError:
            raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                             f"{Size(shape)} vs {Size(self._extended_shape())}.") from None
        support = self.support
        if support is not None and not support.check_all(value):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {tuple(shape)}) to "
                f"be within the support ({support!r}) of the distribution {self!r}, but found "
                f"invalid values:\n{value}")

    def _value(self, value) -> Tensor:
        """log_prob's argument as a Tensor of the parameters' dtype, validated if asked."""
        if not isinstance(value, Tensor):
            value = Tensor(np.asarray(value, dtype=np.dtype(self._dtype())))
        if self._validate_args:
            self._validate_sample(value)
        return value

    def _dtype(self):
        for v in self.__dict__.values():
            if isinstance(v, Tensor):
                return v.dtype
        return dtypes.get_default_dtype()

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        shown = {k: self.__dict__[k] for k in names}
        args = ", ".join(f"{k}: {v.size() if v.numel() != 1 else v}" for k, v in shown.items())
        return f"{type(self).__name__}({args})"


def sample_shape(shape) -> tuple:
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    return tuple(int(s) for s in shape)


__all__ = ["Distribution", "broadcast_all", "D"]
