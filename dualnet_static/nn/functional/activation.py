"""Paddle's activation functions (`paddle.nn.functional.relu`, ...): registry activations and
their composites."""
from __future__ import annotations

from dualnet.ops import activation as A
from dualnet.ops import apply
from dualnet.ops import nn as N

from ._utils import cast_to, channel_last, np_dtype

__all__ = [
    "relu", "relu6", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax", "elu",
    "selu", "celu", "silu", "swish", "softplus", "hardtanh", "hardswish", "hardsigmoid", "mish",
    "softsign", "log_sigmoid", "tanhshrink", "prelu", "softshrink", "hardshrink",
    "thresholded_relu", "maxout", "glu", "gumbel_softmax",
]


def relu(x, name=None):
    return apply("relu", x)


def relu6(x, name=None):
    return A.relu6(x)


def leaky_relu(x, negative_slope=0.01, name=None):
    return apply("leaky_relu", x, negative_slope=negative_slope)


def sigmoid(x, name=None):
    return apply("sigmoid", x)


def tanh(x, name=None):
    return apply("tanh", x)


def gelu(x, approximate=False, name=None):
    """approximate=True uses the tanh approximation."""
    return A.gelu(x, approximate="tanh" if approximate else "none")


def _axis(axis, dim):
    # `dim` is PyTorch's spelling; accepted so that PyTorch-flavoured Paddle scripts (the
    # seed sample's log_softmax(x, dim=1)) run.
    return axis if dim is None else dim


def softmax(x, axis=-1, dtype=None, name=None, *, dim=None):
    return apply("softmax", cast_to(x, dtype), axis=_axis(axis, dim))


def log_softmax(x, axis=-1, dtype=None, name=None, *, dim=None):
    return apply("log_softmax", cast_to(x, dtype), axis=_axis(axis, dim))


def elu(x, alpha=1.0, name=None):
    return A.elu(x, alpha)


def selu(x, scale=1.0507009873554804934193349852946,
         alpha=1.6732632423543772848170429916717, name=None):
    return apply("mul", A.elu(x, alpha), scale)


def celu(x, alpha=1.0, name=None):
    return A.celu(x, alpha)


def silu(x, name=None):
    return A.silu(x)


def swish(x, name=None):
    return A.silu(x)


def softplus(x, beta=1, threshold=20, name=None):
    return apply("softplus", x, beta=beta, threshold=threshold)


def hardtanh(x, min=-1.0, max=1.0, name=None):  # noqa: A002 (Paddle's names)
    return apply("hardtanh", x, min_val=min, max_val=max)


def hardswish(x, name=None):
    return A.hardswish(x)


def hardsigmoid(x, slope=0.1666667, offset=0.5, name=None):
    return A.hardsigmoid(x, slope, offset)


def mish(x, name=None):
    return A.mish(x)


def softsign(x, name=None):
    return A.softsign(x)


def log_sigmoid(x, name=None):
    return A.logsigmoid(x)


def tanhshrink(x, name=None):
    return A.tanhshrink(x)


def prelu(x, weight, data_format="NCHW", name=None):
    """max(0, x) + weight * min(0, x); weight holds 1 value or one per channel (axis 1, or
    the last axis for channels-last formats)."""
    if weight.ndim != 1:
        raise ValueError(f"prelu: weight must be 1-D, got shape {weight.shape}")
    n = weight.shape[0]
    if n != 1:
        axis = x.ndim - 1 if channel_last(data_format, "prelu") else 1
        if x.ndim < 2 or x.shape[axis] not in (n, -1):
            raise ValueError(f"prelu: weight of {n} values needs {n} channels on axis {axis} "
                             f"of the input, got shape {x.shape}")
        return N.prelu(x, weight, channel_axis=axis)
    return N.prelu(x, weight)


def softshrink(x, threshold=0.5, name=None):
    if threshold < 0:
        raise ValueError(f"softshrink: threshold must be non-negative, got {threshold}")
    return N.softshrink(x, threshold)


def hardshrink(x, threshold=0.5, name=None):
    return N.hardshrink(x, threshold)


def thresholded_relu(x, threshold=1.0, value=0.0, name=None):
    """x where x > threshold, else value."""
    return N.threshold(x, threshold, value)


def maxout(x, groups, axis=1, name=None):
    """Max over each run of `groups` channels on `axis` (1 or -1/3 for NHWC)."""
    if axis not in (1, -1, 3) or (axis == 3 and x.ndim != 4):
        raise ValueError(f"maxout: axis must be 1, 3 or -1, got {axis}")
    return N.maxout(x, groups, axis)


def glu(x, axis=-1, name=None):
    """a * sigmoid(b), (a, b) the halves of x along `axis`."""
    return N.glu(x, axis)


def gumbel_softmax(x, temperature=1.0, hard=False, axis=-1, name=None):
    """Softmax of (x + Gumbel noise) / temperature; hard=True returns the one-hot argmax with
    the soft sample's gradient (straight through). The noise needs x's full shape."""
    from ...tensor_methods.creation import rand
    from ...tensor_methods.manipulation import detach

    if temperature <= 0:
        raise ValueError(f"gumbel_softmax: temperature must be positive, got {temperature}")
    if any(d < 0 for d in x.shape):
        raise ValueError(f"gumbel_softmax needs a known input shape, got {x.shape}")
    u = rand(list(x.shape), dtype=np_dtype(x).name)
    y = N.gumbel_softmax(x, u, temperature, axis)
    if not hard:
        return y
    hard_y = N.one_hot_argmax(y, axis)
    return apply("add", detach(apply("sub", hard_y, y)), y)
