"""`paddle.nn.initializer`: how a parameter gets its first value.

An initializer is called as `init(var, block)` (the protocol of dualnet_static/creation.py):
it appends to `block` (the startup program's global block) the ops computing the value and
makes the last one write `var` (`write_to`). The ops are registry creation ops
(`fill_constant`, `uniform_random`, `gaussian_random`, `truncated_gaussian_random`, `assign`),
so the values are drawn when the startup program runs, from `paddle.seed`'s generator.
Defaults and fan rules are Paddle's (`fans`: [in, out] for 2-D weights, [out, in, k...] for
convolution filters).
"""
from __future__ import annotations

import math

import numpy as np

from dualnet.ops import apply

from ...binder import write_to
from ...creation import fans
from ...framework import block_guard, default_startup_program

__all__ = [
    "Initializer", "Constant", "Uniform", "Normal", "TruncatedNormal", "XavierUniform",
    "XavierNormal", "KaimingUniform", "KaimingNormal", "Assign", "Orthogonal", "Dirac",
    "calculate_gain",
    "set_global_initializer",
]


class Initializer:
    """Base class: subclasses return the value Variable from `_value(var)` (ops appended to
    the pinned block); `__call__` pins the block and stores the value into `var`."""

    def __call__(self, var, block=None):
        if block is None:
            block = default_startup_program().global_block()
        with block_guard(block):
            value = self._value(var)
        return write_to(value, var)

    forward = __call__

    def _value(self, var):
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


def _shape(var) -> tuple:
    return tuple(int(d) for d in var.shape)


def _dtype(var) -> str:
    return np.dtype(var._dtype).name


class Constant(Initializer):
    """Every element equals `value`."""

    def __init__(self, value: float = 0.0):
        self.value = value

    def _value(self, var):
        return apply("fill_constant", shape=_shape(var), value=self.value, dtype=_dtype(var))


class Uniform(Initializer):
    """Uniform samples in [low, high)."""

    def __init__(self, low: float = -1.0, high: float = 1.0, name=None):
        if low > high:
            raise ValueError(f"Uniform: low {low} must not exceed high {high}")
        self.low, self.high = float(low), float(high)

    def _value(self, var):
        return apply("uniform_random", shape=_shape(var), low=self.low, high=self.high,
                     dtype=_dtype(var))


class Normal(Initializer):
    """Samples of N(mean, std^2)."""

    def __init__(self, mean: float = 0.0, std: float = 1.0, name=None):
        if std < 0:
            raise ValueError(f"Normal: std must be >= 0, got {std}")
        self.mean, self.std = float(mean), float(std)

    def _value(self, var):
        return apply("gaussian_random", shape=_shape(var), mean=self.mean, std=self.std,
                     dtype=_dtype(var))


class TruncatedNormal(Initializer):
    """N(mean, std^2) restricted to [a, b] (absolute bounds, Paddle's defaults -2 and 2)."""

    def __init__(self, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                 name=None):
        self.mean, self.std, self.a, self.b = float(mean), float(std), float(a), float(b)

    def _value(self, var):
        return apply("truncated_gaussian_random", shape=_shape(var), mean=self.mean,
                     std=self.std, a=self.a, b=self.b, dtype=_dtype(var))


def _fans(var, fan_in=None, fan_out=None) -> tuple:
    f_in, f_out = fans(_shape(var))
    return (f_in if fan_in is None else fan_in), (f_out if fan_out is None else fan_out)


class XavierUniform(Initializer):
    """Glorot uniform: U(-l, l), l = gain * sqrt(6 / (fan_in + fan_out)) (Paddle's default
    for weights)."""

    def __init__(self, fan_in=None, fan_out=None, gain: float = 1.0, name=None):
        self.fan_in, self.fan_out, self.gain = fan_in, fan_out, float(gain)

    def _value(self, var):
        f_in, f_out = _fans(var, self.fan_in, self.fan_out)
        limit = self.gain * math.sqrt(6.0 / float(f_in + f_out))
        return Uniform(-limit, limit)._value(var)


class XavierNormal(Initializer):
    """Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""

    def __init__(self, fan_in=None, fan_out=None, gain: float = 1.0, name=None):
        self.fan_in, self.fan_out, self.gain = fan_in, fan_out, float(gain)

    def _value(self, var):
        f_in, f_out = _fans(var, self.fan_in, self.fan_out)
        return Normal(0.0, self.gain * math.sqrt(2.0 / float(f_in + f_out)))._value(var)


class KaimingUniform(Initializer):
    """He uniform: U(-l, l), l = gain * sqrt(3 / fan_in), gain from `nonlinearity`."""

    def __init__(self, fan_in=None, negative_slope: float = 0.0, nonlinearity: str = "relu",
                 name=None):
        self.fan_in, self.negative_slope, self.nonlinearity = fan_in, negative_slope, \
            nonlinearity

    def _value(self, var):
        f_in, _ = _fans(var, self.fan_in)
        gain = calculate_gain(self.nonlinearity, self.negative_slope)
        limit = gain * math.sqrt(3.0 / float(f_in))
        return Uniform(-limit, limit)._value(var)


class KaimingNormal(Initializer):
    """He normal: N(0, std^2), std = gain / sqrt(fan_in)."""

    def __init__(self, fan_in=None, negative_slope: float = 0.0, nonlinearity: str = "relu",
                 name=None):
        self.fan_in, self.negative_slope, self.nonlinearity = fan_in, negative_slope, \
            nonlinearity

    def _value(self, var):
        f_in, _ = _fans(var, self.fan_in)
        gain = calculate_gain(self.nonlinearity, self.negative_slope)
        return Normal(0.0, gain / math.sqrt(float(f_in)))._value(var)


class Assign(Initializer):
    """A given value (NumPy array, list, scalar) copied into the parameter."""

    def __init__(self, value, name=None):
        self.value = value

    def _value(self, var):
        value = np.asarray(self.value)  # arrays, lists, scalars, scope LoDTensors
        shape = _shape(var)
        if value.shape != shape:
            if value.size != math.prod(shape):
                raise ValueError(f"Assign: value of shape {list(value.shape)} does not fit "
                                 f"parameter {var.name!r} of shape {list(shape)}")
            value = value.reshape(shape)
        from ...framework import current_block

        const = current_block()._constant(value.astype(var._dtype))
        return apply("assign", const)

    def __repr__(self) -> str:
        return f"Assign(value of shape {list(np.shape(self.value))})"


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity (Paddle's table)."""
    if param is None:
        param = 0.01 if nonlinearity == "leaky_relu" else 0.0
    table = {"sigmoid": 1.0, "linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
             "conv1d_transpose": 1.0, "conv2d_transpose": 1.0, "conv3d_transpose": 1.0,
             "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 3.0 / 4}
    if nonlinearity == "leaky_relu":
        return math.sqrt(2.0 / (1 + float(param) ** 2))
    if nonlinearity not in table:
        raise ValueError(f"nonlinearity function {nonlinearity!r} is not supported (one of "
                         f"{sorted(table) + ['leaky_relu']})")
    return table[nonlinearity]


_GLOBAL = {"weight": None, "bias": None}


def set_global_initializer(weight_init, bias_init=None) -> None:
    """Initializers used by every parameter created afterwards (below a ParamAttr's own
    initializer, above a layer's default); None resets."""
    for what, init in (("weight", weight_init), ("bias", bias_init)):
        if init is not None and not callable(init):
            raise TypeError(f"set_global_initializer: {what}_init must be an Initializer, got "
                            f"{type(init).__name__}")
    _GLOBAL.update(weight=weight_init, bias=bias_init)


def global_initializer(is_bias: bool):
    return _GLOBAL["bias" if is_bias else "weight"]


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times `gain`: the weight as [shape[0], prod(rest)] has
    orthonormal rows or columns (QR of a Gaussian sample, signs fixed by R's diagonal),
    drawn when the startup program runs."""

    def __init__(self, gain: float = 1.0, name=None):
        self.gain = float(gain)

    def _value(self, var):
        from dualnet.ops.statistics import diagonal

        shape = _shape(var)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the parameter must be at least 2-D, got shape "
                             f"{list(shape)}")
        rows, cols = shape[0], math.prod(shape[1:])
        big, small = max(rows, cols), min(rows, cols)
        flat = apply("gaussian_random", shape=(big, small), mean=0.0, std=1.0,
                     dtype=_dtype(var))
        q, r = apply("qr", flat, mode="reduced")
        q = apply("mul", q, apply("sign", diagonal(r, 0, -2, -1)))
        if rows < cols:
            q = apply("transpose", q, perm=(1, 0))
        return apply("mul", apply("reshape", q, shape=shape), self.gain)


class Dirac(Initializer):
    """Identity-preserving convolution filters [out, in, k...]: in each of `groups` groups,
    filter i has a 1 at input channel i's kernel centre (for i < min(out/groups, in))."""

    def __init__(self, groups: int = 1, name=None):
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"Dirac: groups must be a positive int, got {groups!r}")
        self.groups = groups

    def _value(self, var):
        shape = _shape(var)
        if len(shape) not in (3, 4, 5):
            raise ValueError(f"Dirac: only 3-D, 4-D and 5-D (convolution) parameters are "
                             f"supported, got shape {list(shape)}")
        if shape[0] % self.groups:
            raise ValueError(f"Dirac: out channels {shape[0]} are not divisible by groups "
                             f"{self.groups}")
        value = np.zeros(shape, var._dtype)
        per_group = shape[0] // self.groups
        centre = tuple(k // 2 for k in shape[2:])
        for g in range(self.groups):
            for i in range(min(per_group, shape[1])):
                value[(g * per_group + i, i) + centre] = 1
        return Assign(value)._value(var)
