"""Paddle's normalization layers. BatchNorm keeps weight (ones), bias (zeros) and the running
`_mean` (zeros) and `_variance` (ones) as parameters (the statistics non-trainable), named
`batch_norm2d_0.w_0`, `.b_0`, `.w_1`, `.w_2` as Paddle does; training runs update the
statistics in the Scope with Paddle's momentum rule (see functional/norm.py)."""
from __future__ import annotations

import math

from .. import functional as F
from ..initializer.initializer import Constant
from ..param_attr import ParamAttr
from .layers import Layer, default_dtype

__all__ = ["BatchNorm", "BatchNorm1D", "BatchNorm2D", "BatchNorm3D", "LayerNorm", "GroupNorm",
           "InstanceNorm1D", "InstanceNorm2D", "InstanceNorm3D", "LocalResponseNorm"]


def _stat_attr(name):
    return ParamAttr(name=name, trainable=False)


class _BatchNormBase(Layer):
    _ndims: tuple = ()
    _formats: tuple = ()

    def __init__(self, num_features, momentum=0.9, epsilon=1e-05, weight_attr=None,
                 bias_attr=None, data_format="NCHW", use_global_stats=None, name=None,
                 *, moving_names=(None, None)):
        super().__init__()
        if data_format not in self._formats:
            raise ValueError(f"{type(self).__name__}: data_format must be one of "
                             f"{self._formats}, got {data_format!r}")
        self._num_features, self._momentum, self._epsilon = num_features, momentum, epsilon
        self._data_format, self._use_global_stats, self._name = data_format, use_global_stats, \
            name
        self._dtype = "float32" if default_dtype() == "float16" else default_dtype()
        shape = [num_features]
        self.weight = self.create_parameter(shape=shape, attr=weight_attr, dtype=self._dtype,
                                            default_initializer=Constant(1.0))
        self.bias = self.create_parameter(shape=shape, attr=bias_attr, dtype=self._dtype,
                                          is_bias=True)
        mean_name, var_name = moving_names
        if name is not None:
            mean_name, var_name = mean_name or f"{name}_mean", var_name or f"{name}_variance"
        self._mean = self.create_parameter(shape=shape, attr=_stat_attr(mean_name),
                                           dtype=self._dtype, default_initializer=Constant(0.0))
        self._variance = self.create_parameter(shape=shape, attr=_stat_attr(var_name),
                                               dtype=self._dtype,
                                               default_initializer=Constant(1.0))

    def _check_input_dim(self, x) -> None:
        if x.ndim not in self._ndims:
            raise ValueError(f"{type(self).__name__} expects an input of "
                             f"{' or '.join(str(n) for n in self._ndims)} dims, got shape "
                             f"{x.shape}")

    def forward(self, input):  # noqa: A002
        self._check_input_dim(input)
        return F.batch_norm(input, self._mean, self._variance, weight=self.weight,
                            bias=self.bias, training=self.training, momentum=self._momentum,
                            epsilon=self._epsilon, data_format=self._data_format,
                            use_global_stats=self._use_global_stats)

    def extra_repr(self) -> str:
        text = f"num_features={self._num_features}, momentum={self._momentum}, " \
               f"epsilon={self._epsilon}"
        if self._data_format not in ("NCHW", "NCL", "NC", "NCDHW"):
            text += f", data_format={self._data_format}"
        return text + (f", name={self._name}" if self._name else "")


class BatchNorm1D(_BatchNormBase):
    """Input (N, C) or (N, C, L) ('NCL'; 'NLC' for channels last)."""

    _ndims, _formats = (2, 3), ("NC", "NCL", "NLC")

    def __init__(self, num_features, momentum=0.9, epsilon=1e-05, weight_attr=None,
                 bias_attr=None, data_format="NCL", use_global_stats=None, name=None):
        super().__init__(num_features, momentum, epsilon, weight_attr, bias_attr, data_format,
                         use_global_stats, name)


class BatchNorm2D(_BatchNormBase):
    """Input (N, C, H, W) ('NCHW'; 'NHWC' for channels last)."""

    _ndims, _formats = (4,), ("NCHW", "NHWC")


class BatchNorm3D(_BatchNormBase):
    """Input (N, C, D, H, W) ('NCDHW'; 'NDHWC' for channels last)."""

    _ndims, _formats = (5,), ("NCDHW", "NDHWC")

    def __init__(self, num_features, momentum=0.9, epsilon=1e-05, weight_attr=None,
                 bias_attr=None, data_format="NCDHW", use_global_stats=None, name=None):
        super().__init__(num_features, momentum, epsilon, weight_attr, bias_attr, data_format,
                         use_global_stats, name)


class BatchNorm(_BatchNormBase):
    """Paddle's older BatchNorm(num_channels, act, is_test, ...) (any input of >= 2 dims);
    its parameters are named `batch_norm_0.w_0` etc."""

    _ndims, _formats = (2, 3, 4, 5), ("NCHW", "NHWC", "NCL", "NLC", "NC", "NCDHW", "NDHWC")

    def __init__(self, num_channels, act=None, is_test=False, momentum=0.9, epsilon=1e-05,
                 param_attr=None, bias_attr=None, dtype="float32", data_layout="NCHW",
                 in_place=False, moving_mean_name=None, moving_variance_name=None,
                 do_model_average_for_mean_and_var=True, use_global_stats=False,
                 trainable_statistics=False):
        super().__init__(num_channels, momentum, epsilon, param_attr, bias_attr, data_layout,
                         use_global_stats or None,
                         moving_names=(moving_mean_name, moving_variance_name))
        self._act = act
        self.training = not is_test

    def forward(self, input):  # noqa: A002
        self._check_input_dim(input)
        channels_last = self._data_format in ("NHWC", "NLC", "NDHWC")
        fmt = "NHWC" if channels_last else "NCHW"
        out = F.batch_norm(input, self._mean, self._variance, weight=self.weight,
                           bias=self.bias, training=self.training, momentum=self._momentum,
                           epsilon=self._epsilon, data_format=fmt,
                           use_global_stats=self._use_global_stats)
        return out if self._act is None else getattr(F, self._act)(out)


class LayerNorm(Layer):
    """Normalizes the trailing `normalized_shape` dims; weight (ones) and bias (zeros) are
    kept flat, [prod(normalized_shape)], as in Paddle."""

    def __init__(self, normalized_shape, epsilon=1e-05, weight_attr=None, bias_attr=None,
                 name=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = [normalized_shape]
        self._normalized_shape = list(normalized_shape)
        self._epsilon, self._name = epsilon, name
        self._dtype = default_dtype()
        shape = [math.prod(self._normalized_shape)]
        self.weight = self.create_parameter(shape=shape, attr=weight_attr, dtype=self._dtype,
                                            default_initializer=Constant(1.0))
        self.bias = self.create_parameter(shape=shape, attr=bias_attr, dtype=self._dtype,
                                          is_bias=True)

    def forward(self, input):  # noqa: A002
        return F.layer_norm(input, self._normalized_shape, self.weight, self.bias,
                            self._epsilon)

    def extra_repr(self) -> str:
        return f"normalized_shape={self._normalized_shape}, epsilon={self._epsilon}"


class GroupNorm(Layer):
    """Normalizes groups of channels of NCHW input; weight ones, bias zeros [num_channels]."""

    def __init__(self, num_groups, num_channels, epsilon=1e-05, weight_attr=None,
                 bias_attr=None, data_format="NCHW", name=None):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self._num_groups, self._num_channels = num_groups, num_channels
        self._epsilon, self._data_format = epsilon, data_format
        self._dtype = default_dtype()
        self.weight = self.create_parameter(shape=[num_channels], attr=weight_attr,
                                            dtype=self._dtype,
                                            default_initializer=Constant(1.0))
        self.bias = self.create_parameter(shape=[num_channels], attr=bias_attr,
                                          dtype=self._dtype, is_bias=True)

    def forward(self, input):  # noqa: A002
        return F.group_norm(input, self._num_groups, self._epsilon, self.weight, self.bias,
                            self._data_format)

    def extra_repr(self) -> str:
        return f"num_groups={self._num_groups}, num_channels={self._num_channels}, " \
               f"epsilon={self._epsilon}"


class _InstanceNormBase(Layer):
    """Per-sample, per-channel normalization; `scale` (ones) and `bias` (zeros) of
    [num_features] unless weight_attr / bias_attr is False (no running statistics)."""

    _ndim = 4

    def __init__(self, num_features, epsilon=1e-05, momentum=0.9, weight_attr=None,
                 bias_attr=None, data_format="NCHW", name=None):
        super().__init__()
        self._num_features, self._epsilon, self._momentum = num_features, epsilon, momentum
        self._data_format = data_format
        self._dtype = default_dtype()
        if weight_attr is False or bias_attr is False:
            self.scale = self.bias = None
        else:
            self.scale = self.create_parameter(shape=[num_features], attr=weight_attr,
                                               dtype=self._dtype,
                                               default_initializer=Constant(1.0))
            self.bias = self.create_parameter(shape=[num_features], attr=bias_attr,
                                              dtype=self._dtype, is_bias=True)

    def forward(self, input):  # noqa: A002
        if input.ndim != self._ndim:
            raise ValueError(f"{type(self).__name__} expects a {self._ndim}-D input, got "
                             f"shape {input.shape}")
        return F.instance_norm(input, weight=self.scale, bias=self.bias, eps=self._epsilon,
                               data_format=self._data_format)

    def extra_repr(self) -> str:
        return f"num_features={self._num_features}, epsilon={self._epsilon}"


class InstanceNorm1D(_InstanceNormBase):
    _ndim = 3

    def __init__(self, num_features, epsilon=1e-05, momentum=0.9, weight_attr=None,
                 bias_attr=None, data_format="NCL", name=None):
        super().__init__(num_features, epsilon, momentum, weight_attr, bias_attr, data_format)


class InstanceNorm2D(_InstanceNormBase):
    _ndim = 4


class InstanceNorm3D(_InstanceNormBase):
    _ndim = 5

    def __init__(self, num_features, epsilon=1e-05, momentum=0.9, weight_attr=None,
                 bias_attr=None, data_format="NCDHW", name=None):
        super().__init__(num_features, epsilon, momentum, weight_attr, bias_attr, data_format)


class LocalResponseNorm(Layer):
    def __init__(self, size, alpha=0.0001, beta=0.75, k=1.0, data_format="NCHW", name=None):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k
        self.data_format = data_format

    def forward(self, input):  # noqa: A002
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k,
                                     self.data_format)

    def extra_repr(self) -> str:
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
