"""Paddle's normalization functions. batch_norm follows Paddle: `momentum` weights the OLD
running value (new = momentum * running + (1 - momentum) * batch, i.e. PyTorch's momentum is
1 - Paddle's) and the running variance tracks the biased batch variance; updated statistics
are written to the persistable running_mean / running_var variables (`write_to`), so the
Executor stores them in the Scope after each run."""
from __future__ import annotations

import math

from dualnet.ops import apply
from dualnet.ops import nn as N
from dualnet.ops.norm import group_norm as _group_norm

from ...binder import write_to
from ._utils import channel_last, to_channel_first, to_channel_last

__all__ = ["batch_norm", "layer_norm", "group_norm", "normalize", "instance_norm",
           "local_response_norm"]


def _batch_stats(training: bool, use_global_stats) -> bool:
    """Whether batch statistics normalize (and running statistics are updated), Paddle's
    rule: use_global_stats=None follows `training`."""
    if use_global_stats is None:
        return bool(training)
    return not use_global_stats


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.9, epsilon=1e-05, data_format="NCHW", use_global_stats=None,
               name=None):
    """Normalize over every axis but the channel one; see the module docstring for the
    running statistics."""
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects an input of at least 2 dims, got shape {x.shape}")
    last = channel_last(data_format, "batch_norm") and x.ndim > 2
    if last:
        x = to_channel_first(x)
    batch = _batch_stats(training, use_global_stats)
    y, new_mean, new_var = apply("batch_norm", x, weight, bias, running_mean, running_var,
                                 training=batch, momentum=1.0 - float(momentum), eps=epsilon,
                                 unbiased=False)
    if batch:  # store the updated statistics (Paddle's: the biased batch variance)
        for new, running in ((new_mean, running_mean), (new_var, running_var)):
            if getattr(running, "persistable", False):
                write_to(new, running)
    return to_channel_last(y) if last else y


def _normalized_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(d) for d in normalized_shape)


def layer_norm(x, normalized_shape, weight=None, bias=None, epsilon=1e-05, name=None):
    """Normalize over the trailing dims `normalized_shape`; weight and bias may be given
    flat ([prod(normalized_shape)], as nn.LayerNorm keeps them) or in that shape."""
    shape = _normalized_shape(normalized_shape)
    k = len(shape)
    tail = tuple(x.shape[x.ndim - k:])
    if x.ndim < k or any(a != b and a != -1 for a, b in zip(tail, shape)):
        raise ValueError(f"layer_norm: normalized_shape {list(shape)} does not match the "
                         f"trailing dims of the input of shape {x.shape}")

    def fit(p):
        if p is None or tuple(p.shape) == shape:
            return p
        if list(p.shape) != [math.prod(shape)]:
            raise ValueError(f"layer_norm: weight/bias of shape {p.shape} does not fit "
                             f"normalized_shape {list(shape)}")
        return apply("reshape", p, shape=shape)

    return apply("layer_norm", x, fit(weight), fit(bias), normalized_ndim=k, eps=epsilon)


def group_norm(x, num_groups, epsilon=1e-05, weight=None, bias=None, data_format="NCHW",
               name=None):
    last = channel_last(data_format, "group_norm")
    if last:
        x = to_channel_first(x)
    y = _group_norm(x, num_groups, weight, bias, epsilon)
    return to_channel_last(y) if last else y


def normalize(x, p=2, axis=1, epsilon=1e-12, name=None):
    """x / max(||x||_p along axis, epsilon)."""
    from dualnet.ops.reduction import norm

    n = norm(x, p=float(p), axis=axis, keepdim=True)
    return apply("div", x, apply("maximum", n, epsilon))


def instance_norm(x, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.9, eps=1e-05, data_format="NCHW",
                  name=None):
    """Normalize each sample's channels over their spatial dims, then scale and shift per
    channel. As in Paddle's dynamic mode, the input statistics are always used (the
    running-statistics arguments are accepted and ignored)."""
    if x.ndim < 3:
        raise ValueError(f"instance_norm expects an input of 3 to 5 dims, got shape {x.shape}")
    last = channel_last(data_format, "instance_norm")
    if last:
        x = to_channel_first(x)
    y = N.instance_norm(x, weight, bias, eps)
    return to_channel_last(y) if last else y


def local_response_norm(x, size, alpha=0.0001, beta=0.75, k=1.0, data_format="NCHW",
                        name=None):
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels) ** beta."""
    if x.ndim < 3:
        raise ValueError(f"local_response_norm expects an input of 3 or more dims, got shape "
                         f"{x.shape}")
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"local_response_norm: size must be a positive int, got {size!r}")
    last = channel_last(data_format, "local_response_norm")
    if last:
        x = to_channel_first(x)
    y = N.local_response_norm(x, size, alpha, beta, k)
    return to_channel_last(y) if last else y
