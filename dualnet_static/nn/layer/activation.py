"""Paddle's activation layers: each calls its nn.functional twin."""
from __future__ import annotations

from .. import functional as F
from ..initializer.initializer import Constant
from .layers import Layer, default_dtype

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax",
           "ELU", "SELU", "CELU", "SiLU", "Swish", "Softplus", "Hardtanh", "Hardswish",
           "Hardsigmoid", "Mish", "Softsign", "LogSigmoid", "Tanhshrink", "PReLU", "Softshrink",
           "Hardshrink", "ThresholdedReLU", "Maxout", "GLU", "Silu"]


def _simple(cls_name: str, fn):
    def forward(self, x):
        return fn(x)

    def __init__(self, name=None):
        Layer.__init__(self)
        self._name = name

    return type(cls_name, (Layer,), {"__init__": __init__, "forward": forward,
                                      "__doc__": f"Applies F.{fn.__name__} elementwise."})


ReLU = _simple("ReLU", F.relu)
ReLU6 = _simple("ReLU6", F.relu6)
Sigmoid = _simple("Sigmoid", F.sigmoid)
Tanh = _simple("Tanh", F.tanh)
SiLU = _simple("SiLU", F.silu)
Silu = _simple("Silu", F.silu)  # Paddle 2.x spells it Silu
Swish = _simple("Swish", F.swish)
Hardswish = _simple("Hardswish", F.hardswish)
Mish = _simple("Mish", F.mish)
Softsign = _simple("Softsign", F.softsign)
LogSigmoid = _simple("LogSigmoid", F.log_sigmoid)
Tanhshrink = _simple("Tanhshrink", F.tanhshrink)


class LeakyReLU(Layer):
    def __init__(self, negative_slope=0.01, name=None):
        super().__init__()
        self._negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self._negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self._negative_slope}"


class GELU(Layer):
    def __init__(self, approximate=False, name=None):
        super().__init__()
        self._approximate = approximate

    def forward(self, x):
        return F.gelu(x, self._approximate)

    def extra_repr(self) -> str:
        return f"approximate={self._approximate}"


class Softmax(Layer):
    def __init__(self, axis=-1, name=None):
        super().__init__()
        self._axis = axis

    def forward(self, x):
        return F.softmax(x, self._axis)

    def extra_repr(self) -> str:
        return f"axis={self._axis}"


class LogSoftmax(Layer):
    def __init__(self, axis=-1, name=None):
        super().__init__()
        self._axis = axis

    def forward(self, x):
        return F.log_softmax(x, self._axis)

    def extra_repr(self) -> str:
        return f"axis={self._axis}"


class ELU(Layer):
    def __init__(self, alpha=1.0, name=None):
        super().__init__()
        self._alpha = alpha

    def forward(self, x):
        return F.elu(x, self._alpha)

    def extra_repr(self) -> str:
        return f"alpha={self._alpha}"


class CELU(ELU):
    def forward(self, x):
        return F.celu(x, self._alpha)


class SELU(Layer):
    def __init__(self, scale=1.0507009873554804934193349852946,
                 alpha=1.6732632423543772848170429916717, name=None):
        super().__init__()
        self._scale, self._alpha = scale, alpha

    def forward(self, x):
        return F.selu(x, self._scale, self._alpha)


class Softplus(Layer):
    def __init__(self, beta=1, threshold=20, name=None):
        super().__init__()
        self._beta, self._threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self._beta, self._threshold)

    def extra_repr(self) -> str:
        return f"beta={self._beta}, threshold={self._threshold}"


class Hardtanh(Layer):
    def __init__(self, min=-1.0, max=1.0, name=None):  # noqa: A002 (Paddle's names)
        super().__init__()
        self._min, self._max = min, max

    def forward(self, x):
        return F.hardtanh(x, self._min, self._max)

    def extra_repr(self) -> str:
        return f"min={self._min}, max={self._max}"


class Hardsigmoid(Layer):
    def __init__(self, name=None):
        super().__init__()

    def forward(self, x):
        return F.hardsigmoid(x)


class PReLU(Layer):
    """max(0, x) + weight * min(0, x) with a learned weight of num_parameters values (1, or
    one per channel), initialized to `init`."""

    def __init__(self, num_parameters=1, init=0.25, weight_attr=None, data_format="NCHW",
                 name=None):
        super().__init__()
        if not isinstance(num_parameters, int) or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, got "
                             f"{num_parameters!r}")
        self._num_parameters, self._init, self._data_format = num_parameters, init, data_format
        self._dtype = default_dtype()
        self._weight = self.create_parameter(shape=[num_parameters], attr=weight_attr,
                                             dtype=self._dtype,
                                             default_initializer=Constant(float(init)))

    def forward(self, x):
        return F.prelu(x, self._weight, data_format=self._data_format)

    def extra_repr(self) -> str:
        return f"num_parameters={self._num_parameters}, data_format={self._data_format}, " \
               f"init={self._init}, dtype={self._dtype}"


class _Threshold(Layer):
    _fn = None

    def __init__(self, threshold=0.5, name=None):
        super().__init__()
        self._threshold = threshold

    def forward(self, x):
        return type(self)._fn(x, self._threshold)

    def extra_repr(self) -> str:
        return f"threshold={self._threshold}"


class Softshrink(_Threshold):
    _fn = staticmethod(F.softshrink)


class Hardshrink(_Threshold):
    _fn = staticmethod(F.hardshrink)


class ThresholdedReLU(Layer):
    """x where x > threshold, else value."""

    def __init__(self, threshold=1.0, value=0.0, name=None):
        super().__init__()
        self._threshold, self._value = threshold, value

    def forward(self, x):
        return F.thresholded_relu(x, self._threshold, self._value)

    def extra_repr(self) -> str:
        return f"threshold={self._threshold}"


class Maxout(Layer):
    def __init__(self, groups, axis=1, name=None):
        super().__init__()
        self._groups, self._axis = groups, axis

    def forward(self, x):
        return F.maxout(x, self._groups, self._axis)

    def extra_repr(self) -> str:
        return f"groups={self._groups}, axis={self._axis}"


class GLU(Layer):
    def __init__(self, axis=-1, name=None):
        super().__init__()
        self._axis = axis

    def forward(self, x):
        return F.glu(x, self._axis)

    def extra_repr(self) -> str:
        return f"axis={self._axis}"
