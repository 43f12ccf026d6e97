"""paddle.static.nn's layer functions: each call creates its parameters (named as Paddle's
LayerHelper names them: `fc_0.w_0`, `conv2d_0.b_0`, `batch_norm_0.w_1`, ...) in the program
being built - initializers in the startup program, through the same `create_layer_parameter`
the nn.Layer classes use - and applies the paddle.nn.functional function of the layer.
No numerics live here."""
from __future__ import annotations

import math

from dualnet.ops import apply

from ... import unique_name
from ...nn import functional as F
from ...nn.functional._utils import channel_last
from ...nn.initializer.initializer import Constant, Normal
from ...nn.layer.common import _ZeroRow
from ...nn.layer.storage import create_layer_parameter, resolve_initializer
from ...nn.param_attr import ParamAttr

__all__ = ["fc", "conv2d", "conv2d_transpose", "conv3d", "conv3d_transpose", "batch_norm",
           "layer_norm", "group_norm", "instance_norm", "embedding", "sparse_embedding",
           "prelu", "bilinear_tensor_product", "spectral_norm"]


def _layer_name(layer_type: str, name) -> str:
    """The prefix of the layer's parameter names: `name`, else `fc_0`, `fc_1`, ..."""
    return name or unique_name.generate(layer_type)


def _dtype(x) -> str:
    return x.dtype.name if hasattr(x.dtype, "name") else str(x.dtype)


def _param_dtype(x) -> str:
    """Parameters of float16 inputs are kept in float32 (Paddle's norm layers)."""
    dtype = _dtype(x)
    return "float32" if dtype == "float16" else dtype


def _act(out, act):
    """Paddle's `act=` string: the activation of paddle.nn.functional with that name."""
    if act is None:
        return out
    fn = getattr(F, act, None) if isinstance(act, str) else None
    if fn is None:
        raise ValueError(f"unknown activation {act!r} (a paddle.nn.functional name such as "
                         "'relu', 'sigmoid', 'tanh', 'softmax')")
    return fn(out)


def _known(dims, what: str, fn: str) -> list:
    dims = [int(d) for d in dims]
    if any(d < 0 for d in dims):
        raise ValueError(f"{fn}: {what} must be known when the program is built, got "
                         f"{dims} (-1 is unknown)")
    return dims


def _ints(v, n: int, what: str, fn: str) -> tuple:
    v = (int(v),) * n if isinstance(v, int) else tuple(int(a) for a in v)
    if len(v) != n:
        raise ValueError(f"{fn}: {what} must be an int or {n} ints, got {list(v)}")
    return v


# ---------------------------------------------------------------- fc

def fc(x, size, num_flatten_dims=1, weight_attr=None, bias_attr=None, activation=None,
       name=None):
    """Act(sum_i flatten(x_i) @ W_i + b): x_i (a Variable or a list) is seen as a matrix of
    its first `num_flatten_dims` dims by the rest; the output has shape
    x.shape[:num_flatten_dims] + [size]. Weights [K_i, size] Xavier, bias [size] zeros."""
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    if not xs:
        raise ValueError("fc: x must be a Variable or a non-empty list of Variables")
    attrs = weight_attr if isinstance(weight_attr, (list, tuple)) else [weight_attr] * len(xs)
    if len(attrs) != len(xs):
        raise ValueError(f"fc: {len(xs)} inputs but {len(attrs)} weight_attr entries")
    layer = _layer_name("fc", name)
    dtype = _dtype(xs[0])
    parts = []
    for xi, attr in zip(xs, attrs):
        k = xi.ndim - 1 if num_flatten_dims == -1 else int(num_flatten_dims)
        if not 1 <= k <= xi.ndim - 1:
            raise ValueError(f"fc: num_flatten_dims ({num_flatten_dims}) must be in [1, "
                             f"{xi.ndim - 1}] for an input of shape {xi.shape}")
        width = math.prod(_known(xi.shape[k:], f"the dims after num_flatten_dims ({k}) of "
                                 f"the input of shape {xi.shape}", "fc"))
        w = create_layer_parameter(layer, [width, size], attr, dtype)
        if xi.ndim != k + 1:  # [d0 .. d(k-1), width]: 0 copies a leading dim (-1 stays)
            xi = apply("reshape", xi, shape=(0,) * k + (width,))
        parts.append(apply("matmul", xi, w))
    out = parts[0]
    for p in parts[1:]:
        out = apply("add", out, p)
    b = create_layer_parameter(layer, [size], bias_attr, dtype, is_bias=True)
    if b is not None:
        out = apply("add", out, b)
    return _act(out, activation)


# ---------------------------------------------------------------- convolutions

def _channels(x, data_format: str, fn: str) -> int:
    last = channel_last(data_format, fn)
    c = x.shape[-1] if last else x.shape[1]
    if c < 0:
        raise ValueError(f"{fn}: the number of input channels must be known, got input shape "
                         f"{x.shape} ({data_format})")
    return c


def _padding(padding):
    return padding.upper() if isinstance(padding, str) else padding


def _conv_nd(fn_name, functional, dims, input, num_filters, filter_size, stride, padding,
             dilation, groups, param_attr, bias_attr, act, name, data_format):
    if input.ndim != dims + 2:
        raise ValueError(f"{fn_name} expects a {dims + 2}-D input ({data_format}), got shape "
                         f"{input.shape}")
    groups = 1 if groups is None else int(groups)
    channels = _channels(input, data_format, fn_name)
    if groups <= 0 or channels % groups or num_filters % groups:
        raise ValueError(f"{fn_name}: input channels ({channels}) and num_filters "
                         f"({num_filters}) must be divisible by groups ({groups})")
    kernel = _ints(filter_size, dims, "filter_size", fn_name)
    pad = _padding(padding)
    if isinstance(pad, str) and pad not in ("SAME", "VALID"):
        raise ValueError(f"{fn_name}: padding must be 'SAME', 'VALID' or numbers, got "
                         f"{padding!r}")
    layer = _layer_name(fn_name, name)
    std = (2.0 / (math.prod(kernel) * channels)) ** 0.5  # Paddle's default filter init
    w = create_layer_parameter(layer, [num_filters, channels // groups, *kernel], param_attr,
                               _dtype(input), default_initializer=Normal(0.0, std))
    b = create_layer_parameter(layer, [num_filters], bias_attr, _dtype(input), is_bias=True)
    out = functional(input, w, b, stride=stride, padding=pad, dilation=dilation,
                     groups=groups, data_format=data_format)
    return _act(out, act)


def conv2d(input, num_filters, filter_size, stride=1, padding=0, dilation=1,  # noqa: A002
           groups=None, param_attr=None, bias_attr=None, use_cudnn=True, act=None, name=None,
           data_format="NCHW"):
    """2-D convolution with filters [num_filters, C/groups, kh, kw] (normal, std
    sqrt(2 / (kh*kw*C))) and bias [num_filters] (zeros); padding ints, pairs or
    'SAME'/'VALID'."""
    return _conv_nd("conv2d", F.conv2d, 2, input, num_filters, filter_size, stride, padding,
                    dilation, groups, param_attr, bias_attr, act, name, data_format)


def conv3d(input, num_filters, filter_size, stride=1, padding=0, dilation=1,  # noqa: A002
           groups=None, param_attr=None, bias_attr=None, use_cudnn=True, act=None, name=None,
           data_format="NCDHW"):
    """3-D convolution, as conv2d with one more spatial dim."""
    return _conv_nd("conv3d", F.conv3d, 3, input, num_filters, filter_size, stride, padding,
                    dilation, groups, param_attr, bias_attr, act, name, data_format)


def _transpose_filter(fn, dims, x, output_size, filter_size, padding, stride, dilation,
                      data_format) -> tuple:
    """filter_size, or (when None) the one that maps the input onto output_size."""
    if filter_size is not None:
        return _ints(filter_size, dims, "filter_size", fn)
    if output_size is None:
        raise ValueError(f"{fn}: output_size and filter_size cannot both be None")
    if isinstance(padding, str):
        raise ValueError(f"{fn}: filter_size=None needs numeric padding, got {padding!r}")
    last = channel_last(data_format, fn)
    spatial = x.shape[1:-1] if last else x.shape[2:]
    size = _known(spatial, "the spatial input dims", fn)
    out = _ints(output_size, dims, "output_size", fn)
    stride, dilation = _ints(stride, dims, "stride", fn), _ints(dilation, dims, "dilation", fn)
    pads = _ints(padding, dims, "padding", fn) if isinstance(padding, int) or \
        len(padding) == dims else None
    pairs = [(p, p) for p in pads] if pads is not None else \
        [tuple(int(v) for v in padding[2 * i:2 * i + 2]) for i in range(dims)]
    return tuple((o - (s - 1) * st + a + b - 1) // d + 1
                 for o, s, st, (a, b), d in zip(out, size, stride, pairs, dilation))


def _conv_transpose_nd(fn_name, functional, dims, input, num_filters, output_size,
                       filter_size, padding, stride, dilation, groups, param_attr, bias_attr,
                       act, name, data_format):
    if input.ndim != dims + 2:
        raise ValueError(f"{fn_name} expects a {dims + 2}-D input ({data_format}), got shape "
                         f"{input.shape}")
    groups = 1 if groups is None else int(groups)
    channels = _channels(input, data_format, fn_name)
    if groups <= 0 or channels % groups:
        raise ValueError(f"{fn_name}: input channels ({channels}) must be divisible by groups "
                         f"({groups})")
    pad = _padding(padding)
    kernel = _transpose_filter(fn_name, dims, input, output_size, filter_size, pad, stride,
                               dilation, data_format)
    layer = _layer_name(fn_name, name)
    w = create_layer_parameter(layer, [channels, num_filters // groups, *kernel], param_attr,
                               _dtype(input))
    b = create_layer_parameter(layer, [num_filters], bias_attr, _dtype(input), is_bias=True)
    size = None if output_size is None or filter_size is None else output_size
    out = functional(input, w, b, stride=stride, padding=pad, groups=groups, dilation=dilation,
                     output_size=size, data_format=data_format)
    return _act(out, act)


def conv2d_transpose(input, num_filters, output_size=None, filter_size=None,  # noqa: A002
                     padding=0, stride=1, dilation=1, groups=None, param_attr=None,
                     bias_attr=None, use_cudnn=True, act=None, name=None, data_format="NCHW"):
    """Transposed 2-D convolution with filters [C, num_filters/groups, kh, kw] (Xavier) and
    bias [num_filters]; filter_size=None derives it from output_size."""
    return _conv_transpose_nd("conv2d_transpose", F.conv2d_transpose, 2, input, num_filters,
                              output_size, filter_size, padding, stride, dilation, groups,
                              param_attr, bias_attr, act, name, data_format)


def conv3d_transpose(input, num_filters, output_size=None, filter_size=None,  # noqa: A002
                     padding=0, stride=1, dilation=1, groups=None, param_attr=None,
                     bias_attr=None, use_cudnn=True, act=None, name=None,
                     data_format="NCDHW"):
    """Transposed 3-D convolution, as conv2d_transpose with one more spatial dim."""
    return _conv_transpose_nd("conv3d_transpose", F.conv3d_transpose, 3, input, num_filters,
                              output_size, filter_size, padding, stride, dilation, groups,
                              param_attr, bias_attr, act, name, data_format)


# ---------------------------------------------------------------- normalization

def batch_norm(input, act=None, is_test=False, momentum=0.9, epsilon=1e-05,  # noqa: A002
               param_attr=None, bias_attr=None, data_layout="NCHW", in_place=False, name=None,
               moving_mean_name=None, moving_variance_name=None,
               do_model_average_for_mean_and_var=True, use_global_stats=False):
    """Batch normalization over every axis but the channel one. Scale (ones), bias (zeros)
    and the non-trainable moving mean (zeros) / variance (ones) are parameters named
    `batch_norm_N.w_0/.b_0/.w_1/.w_2` (or moving_*_name). Training runs (is_test=False, not
    use_global_stats) normalize with the batch statistics and update the moving ones
    (new = momentum * old + (1 - momentum) * batch); clone(for_test=True) switches to the
    moving statistics."""
    c = _channels(input, data_layout, "batch_norm") if input.ndim > 2 else \
        _known([input.shape[1]], "the channel dim", "batch_norm")[0]
    layer = _layer_name("batch_norm", name)
    dtype = _param_dtype(input)
    scale = create_layer_parameter(layer, [c], param_attr, dtype,
                                   default_initializer=Constant(1.0))
    bias = create_layer_parameter(layer, [c], bias_attr, dtype, is_bias=True)
    stats = []
    for stat_name, value in ((moving_mean_name, 0.0), (moving_variance_name, 1.0)):
        attr = ParamAttr(name=stat_name, initializer=Constant(value), trainable=False,
                         do_model_average=do_model_average_for_mean_and_var)
        stat = create_layer_parameter(layer, [c], attr, dtype)
        stat.stop_gradient = True
        stats.append(stat)
    out = F.batch_norm(input, stats[0], stats[1], weight=scale, bias=bias,
                       training=not is_test, momentum=momentum, epsilon=epsilon,
                       data_format=data_layout, use_global_stats=use_global_stats or None)
    return _act(out, act)


def layer_norm(input, scale=True, shift=True, begin_norm_axis=1, epsilon=1e-05,  # noqa: A002
               param_attr=None, bias_attr=None, act=None, name=None):
    """Normalizes over dims begin_norm_axis.. of the input; scale (ones) and shift (zeros)
    are flat [prod(input.shape[begin_norm_axis:])] parameters."""
    axis = begin_norm_axis + input.ndim if begin_norm_axis < 0 else begin_norm_axis
    if not 0 < axis < input.ndim + (input.ndim == 1):
        raise ValueError(f"layer_norm: begin_norm_axis ({begin_norm_axis}) must be in [1, "
                         f"{input.ndim - 1}] for an input of shape {input.shape}")
    shape = _known(input.shape[axis:], f"the dims from begin_norm_axis ({axis}) of the "
                   f"input of shape {input.shape}", "layer_norm")
    layer = _layer_name("layer_norm", name)
    dtype = _param_dtype(input)
    n = [math.prod(shape)]
    w = create_layer_parameter(layer, n, param_attr, dtype,
                               default_initializer=Constant(1.0)) if scale else None
    b = create_layer_parameter(layer, n, bias_attr, dtype, is_bias=True) if shift else None
    return _act(F.layer_norm(input, shape, w, b, epsilon), act)


def group_norm(input, groups, epsilon=1e-05, param_attr=None, bias_attr=None,  # noqa: A002
               act=None, data_layout="NCHW", name=None):
    """Normalizes groups of channels; scale (ones) and bias (zeros) of [C]."""
    c = _channels(input, data_layout, "group_norm")
    if groups <= 0 or c % groups:
        raise ValueError(f"group_norm: the channels ({c}) must be divisible by groups "
                         f"({groups})")
    layer = _layer_name("group_norm", name)
    dtype = _param_dtype(input)
    w = create_layer_parameter(layer, [c], param_attr, dtype, default_initializer=Constant(1.0))
    b = create_layer_parameter(layer, [c], bias_attr, dtype, is_bias=True)
    return _act(F.group_norm(input, groups, epsilon, w, b, data_layout), act)


def instance_norm(input, epsilon=1e-05, param_attr=None, bias_attr=None,  # noqa: A002
                  name=None):
    """Normalizes each sample's channels over their spatial dims; scale (ones) and bias
    (zeros) of [C], or none when both attrs are False."""
    if (param_attr is False) != (bias_attr is False):
        raise ValueError("instance_norm: param_attr and bias_attr must be set to False at the "
                         "same time")
    if not 2 <= input.ndim <= 5:
        raise ValueError(f"instance_norm expects a 2-D to 5-D input, got shape {input.shape}")
    c = _known([input.shape[1]], "the channel dim", "instance_norm")[0]
    layer = _layer_name("instance_norm", name)
    dtype = _param_dtype(input)
    w = create_layer_parameter(layer, [c], param_attr, dtype, default_initializer=Constant(1.0))
    b = create_layer_parameter(layer, [c], bias_attr, dtype, is_bias=True)
    return F.instance_norm(input, weight=w, bias=b, eps=epsilon)


# ---------------------------------------------------------------- lookup and others

def embedding(input, size, is_sparse=False, is_distributed=False, padding_idx=None,  # noqa: A002
              param_attr=None, dtype="float32"):
    """Rows of a [vocab, dim] = `size` table (Xavier) looked up by the integer ids `input`:
    shape input.shape + [dim]. The padding_idx row starts at zeros and gets no gradient, so
    it stays zero (Paddle returns zeros for it). is_sparse is accepted: gradients are
    dense here."""
    vocab, dim = (int(s) for s in size)
    if padding_idx is not None:
        if not -vocab <= padding_idx < vocab:
            raise ValueError(f"embedding: padding_idx must be in [-{vocab}, {vocab}), got "
                             f"{padding_idx}")
        padding_idx %= vocab
    attr = ParamAttr._to_attr(param_attr)
    if padding_idx is not None and attr is not False:
        attr.initializer = _ZeroRow(resolve_initializer(attr, False), padding_idx)
    w = create_layer_parameter(_layer_name("embedding", None), [vocab, dim], attr, dtype)
    return F.embedding(input, w, padding_idx=padding_idx, sparse=is_sparse)


def sparse_embedding(input, size, padding_idx=None, is_test=False, entry=None,  # noqa: A002
                     table_class="MemorySparseTable", param_attr=None, dtype="float32",
                     slot=None):
    """A (dense, local) embedding: the parameter-server arguments are accepted."""
    return embedding(input, size, is_sparse=True, padding_idx=padding_idx,
                     param_attr=param_attr, dtype=dtype)


def _prelu_alpha_shape(x, mode: str, data_format: str) -> list:
    if mode == "all":
        return [1]
    last = channel_last(data_format, "prelu")
    if mode == "channel":
        if x.ndim < 2:
            raise ValueError(f"prelu: mode 'channel' needs an input of >= 2 dims, got "
                             f"{x.shape}")
        c = _channels(x, data_format, "prelu")
        return [1, 1, 1, c] if last and x.ndim == 4 else [1, c, 1, 1] if x.ndim == 4 else \
            ([1] * (x.ndim - 1) + [c] if last else [1, c] + [1] * (x.ndim - 2))
    if mode == "element":
        return [1] + _known(x.shape[1:], "the dims after the batch dim", "prelu")
    raise ValueError(f"prelu: mode must be 'all', 'channel' or 'element', got {mode!r}")


def prelu(x, mode, param_attr=None, data_format="NCHW", name=None):
    """max(0, x) + alpha * min(0, x), alpha (0.25) of shape [1] ('all'), [1, C, 1, 1]
    ('channel') or [1, *x.shape[1:]] ('element')."""
    shape = _prelu_alpha_shape(x, mode, data_format)
    alpha = create_layer_parameter(_layer_name("prelu", name), shape, param_attr, "float32",
                                   default_initializer=Constant(0.25))
    if alpha._dtype != x.dtype:
        alpha = apply("cast", alpha, dtype=_dtype(x))
    if mode == "channel" and x.ndim != len(shape):  # broadcast alpha onto the channel axis
        c = shape[-1] if channel_last(data_format, "prelu") else shape[1]
        axis = x.ndim - 1 if channel_last(data_format, "prelu") else 1
        alpha = apply("reshape", alpha, shape=tuple(c if i == axis else 1
                                                    for i in range(x.ndim)))
    return apply("where", apply("greater", x, 0.0), x, apply("mul", x, alpha))


def bilinear_tensor_product(x, y, size, act=None, name=None, param_attr=None, bias_attr=None):
    """out[n, i] = x[n] @ W[i] @ y[n] + b[i]: W [size, dx, dy] (Xavier), b [1, size]."""
    dx, dy = _known([x.shape[-1], y.shape[-1]], "the feature dims", "bilinear_tensor_product")
    layer = _layer_name("bilinear_tensor_product", name)
    w = create_layer_parameter(layer, [size, dx, dy], param_attr, _dtype(x))
    b = create_layer_parameter(layer, [1, size], bias_attr, _dtype(x), is_bias=True)
    return _act(F.bilinear(x, y, w, b), act)


def spectral_norm(weight, dim=0, power_iters=1, eps=1e-12, name=None):
    """weight / sigma, sigma its largest singular value estimated by `power_iters` power
    iterations from u [h] and v [w] (normal, non-trainable; not updated, as in Paddle),
    with the weight seen as [h = shape[dim], w = the rest]. The iteration is not
    differentiated (Paddle's gradient)."""
    shape = _known(weight.shape, "the weight's shape", "spectral_norm")
    dim = dim + len(shape) if dim < 0 else dim
    h = shape[dim]
    w_ = math.prod(shape) // h
    layer = _layer_name("spectral_norm", name)
    dtype = _dtype(weight)
    u, v = (create_layer_parameter(layer, [n], ParamAttr(trainable=False), dtype,
                                   default_initializer=Normal(0.0, 1.0)) for n in (h, w_))
    perm = (dim,) + tuple(i for i in range(len(shape)) if i != dim)
    mat = apply("reshape", apply("transpose", weight, perm=perm) if dim else weight,
                shape=(h, w_))
    fixed = apply("assign", mat)
    fixed.stop_gradient = True
    for _ in range(int(power_iters)):
        v = _unit(apply("matmul", u, fixed), eps)       # W^T u
        u = _unit(apply("matmul", fixed, v), eps)       # W v
    for t in (u, v):
        t.stop_gradient = True
    sigma = apply("sum", apply("mul", u, apply("matmul", mat, v)))
    return apply("div", weight, sigma)


def _unit(t, eps: float):
    norm = apply("sqrt", apply("sum", apply("mul", t, t)))
    return apply("div", t, apply("add", norm, eps))
