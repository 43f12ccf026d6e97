"""Paddle's common layers: Linear (weight [in, out]), Dropout, Dropout2D, Embedding, Flatten,
Identity, Pad2D."""
from __future__ import annotations

from dualnet.ops import apply
from dualnet.ops.indexing import parse_index

from ... import unique_name
from ...binder import write_to
from ...framework import block_guard, default_startup_program
from .. import functional as F
from ..initializer.initializer import Initializer
from ..param_attr import ParamAttr
from . import storage
from .layers import Layer, default_dtype

__all__ = ["Linear", "Dropout", "Dropout2D", "Embedding", "Flatten", "Identity", "Pad2D",
           "Pad1D", "ZeroPad2D", "CosineSimilarity", "PairwiseDistance", "Bilinear",
           "AlphaDropout", "Unfold", "Fold", "Pad3D"]


class Linear(Layer):
    """y = x @ weight + bias with weight [in_features, out_features] (Xavier uniform) and
    bias [out_features] (zeros); bias_attr=False for none."""

    def __init__(self, in_features, out_features, weight_attr=None, bias_attr=None, name=None):
        super().__init__()
        self._dtype = default_dtype()
        self._weight_attr, self._bias_attr = weight_attr, bias_attr
        self.weight = self.create_parameter(shape=[in_features, out_features],
                                            attr=weight_attr, dtype=self._dtype)
        self.bias = self.create_parameter(shape=[out_features], attr=bias_attr,
                                          dtype=self._dtype, is_bias=True)
        self.name = name

    def forward(self, input):  # noqa: A002 (Paddle's argument name)
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        name = f", name={self.name}" if self.name else ""
        return (f"in_features={self.weight.shape[0]}, out_features={self.weight.shape[1]}, "
                f"dtype={self._dtype}{name}")


class Dropout(Layer):
    """F.dropout with this layer's training flag (clone(for_test=True) turns it off)."""

    def __init__(self, p=0.5, axis=None, mode="upscale_in_train", name=None):
        super().__init__()
        if not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be a float in [0, 1], got {p!r}")
        self.p, self.axis, self.mode, self.name = p, axis, mode, name

    def forward(self, input):  # noqa: A002
        return F.dropout(input, self.p, axis=self.axis, training=self.training,
                         mode=self.mode)

    def extra_repr(self) -> str:
        name = f", name={self.name}" if self.name else ""
        return f"p={self.p}, axis={self.axis}, mode={self.mode}{name}"


class Dropout2D(Layer):
    """Drops whole channels of NCHW / NHWC input."""

    def __init__(self, p=0.5, data_format="NCHW", name=None):
        super().__init__()
        self.p, self.data_format, self.name = p, data_format, name

    def forward(self, input):  # noqa: A002
        return F.dropout2d(input, self.p, training=self.training, data_format=self.data_format)

    def extra_repr(self) -> str:
        return f"p={self.p}, data_format={self.data_format}"


class _ZeroRow(Initializer):
    """`inner`, then row `row` set to zeros (Embedding's padding row)."""

    def __init__(self, inner, row: int):
        self.inner, self.row = inner, row

    def __call__(self, var, block=None):
        block = block if block is not None else default_startup_program().global_block()
        tmp = block.create_var(unique_name.generate(f"{var.name}.init"), var.shape, var._dtype)
        self.inner(tmp, block)
        spec, tensors = parse_index(self.row)
        with block_guard(block):
            out = apply("setitem", tmp, 0.0, *tensors, index=spec)
        return write_to(out, var)


class Embedding(Layer):
    """A [num_embeddings, embedding_dim] table (Xavier uniform) looked up by integer ids; the
    padding_idx row starts at zeros and is never updated."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, sparse=False,
                 weight_attr=None, name=None):
        super().__init__()
        if num_embeddings <= 0 or embedding_dim <= 0:
            raise ValueError(f"Embedding: num_embeddings ({num_embeddings}) and embedding_dim "
                             f"({embedding_dim}) must be positive")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within [-{num_embeddings}, "
                                 f"{num_embeddings}), got {padding_idx}")
            padding_idx %= num_embeddings
        self._num_embeddings, self._embedding_dim = num_embeddings, embedding_dim
        self._padding_idx, self._sparse, self._name = padding_idx, sparse, name
        self._dtype = default_dtype()
        attr = ParamAttr._to_attr(weight_attr)
        if padding_idx is not None and attr is not False:
            attr.initializer = _ZeroRow(storage.resolve_initializer(attr, False), padding_idx)
        self.weight = self.create_parameter(shape=[num_embeddings, embedding_dim], attr=attr,
                                            dtype=self._dtype)

    def forward(self, x):
        return F.embedding(x, self.weight, padding_idx=self._padding_idx, sparse=self._sparse)

    def extra_repr(self) -> str:
        text = f"{self._num_embeddings}, {self._embedding_dim}"
        if self._padding_idx is not None:
            text += f", padding_idx={self._padding_idx}"
        if self._sparse:
            text += ", sparse=True"
        return text


class Flatten(Layer):
    """Flattens dims start_axis..stop_axis into one."""

    def __init__(self, start_axis=1, stop_axis=-1):
        super().__init__()
        self.start_axis, self.stop_axis = start_axis, stop_axis

    def forward(self, input):  # noqa: A002
        return apply("flatten", input, start_axis=self.start_axis, stop_axis=self.stop_axis)


class Identity(Layer):
    """Returns its input (any constructor arguments are ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):  # noqa: A002
        return input


class Pad2D(Layer):
    """F.pad over H and W: padding an int or [left, right, top, bottom]."""

    def __init__(self, padding, mode="constant", value=0.0, data_format="NCHW", name=None):
        super().__init__()
        self._pad = [padding] * 4 if isinstance(padding, int) else list(padding)
        self._mode, self._value, self._data_format = mode, value, data_format

    def forward(self, x):
        return F.pad(x, self._pad, mode=self._mode, value=self._value,
                     data_format=self._data_format)

    def extra_repr(self) -> str:
        return f"padding={self._pad}, mode={self._mode}, value={self._value}, " \
               f"data_format={self._data_format}"


class Pad1D(Pad2D):
    """F.pad over L: padding an int or [left, right]."""

    def __init__(self, padding, mode="constant", value=0.0, data_format="NCL", name=None):
        Layer.__init__(self)
        self._pad = [padding] * 2 if isinstance(padding, int) else list(padding)
        self._mode, self._value, self._data_format = mode, value, data_format


class Pad3D(Pad2D):
    """F.pad over D, H and W: padding an int or [left, right, top, bottom, front, back]."""

    def __init__(self, padding, mode="constant", value=0.0, data_format="NCDHW", name=None):
        Layer.__init__(self)
        self._pad = [padding] * 6 if isinstance(padding, int) else list(padding)
        self._mode, self._value, self._data_format = mode, value, data_format


class ZeroPad2D(Layer):
    """Zero padding of H and W: padding an int or [left, right, top, bottom]."""

    def __init__(self, padding, data_format="NCHW", name=None):
        super().__init__()
        self._pad = [padding] * 4 if isinstance(padding, int) else list(padding)
        self._data_format = data_format

    def forward(self, x):
        return F.zeropad2d(x, self._pad, data_format=self._data_format)

    def extra_repr(self) -> str:
        return f"padding={self._pad}, data_format={self._data_format}"


class CosineSimilarity(Layer):
    def __init__(self, axis=1, eps=1e-8):
        super().__init__()
        self._axis, self._eps = axis, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, axis=self._axis, eps=self._eps)

    def extra_repr(self) -> str:
        return f"axis={self._axis}, eps={self._eps}"


class PairwiseDistance(Layer):
    def __init__(self, p=2.0, epsilon=1e-6, keepdim=False, name=None):
        super().__init__()
        self.p, self.epsilon, self.keepdim = p, epsilon, keepdim

    def forward(self, x, y):
        return F.pairwise_distance(x, y, self.p, self.epsilon, self.keepdim)

    def extra_repr(self) -> str:
        return f"p={self.p}, epsilon={self.epsilon}, keepdim={self.keepdim}"


class Bilinear(Layer):
    """out = x1 W_k x2 + b: weight [out_features, in1_features, in2_features] (Xavier),
    bias [1, out_features] (zeros)."""

    def __init__(self, in1_features, in2_features, out_features, weight_attr=None,
                 bias_attr=None, name=None):
        super().__init__()
        for what, n in (("in1_features", in1_features), ("in2_features", in2_features),
                        ("out_features", out_features)):
            if n <= 0:
                raise ValueError(f"Bilinear: {what} must be positive, got {n}")
        self._in1_features, self._in2_features = in1_features, in2_features
        self._out_features = out_features
        self._dtype = default_dtype()
        self.weight = self.create_parameter(
            shape=[out_features, in1_features, in2_features], attr=weight_attr,
            dtype=self._dtype)
        self.bias = self.create_parameter(shape=[1, out_features], attr=bias_attr,
                                          dtype=self._dtype, is_bias=True)

    def forward(self, x1, x2):
        return F.bilinear(x1, x2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in1_features={self._in1_features}, in2_features={self._in2_features}, " \
               f"out_features={self._out_features}, dtype={self._dtype}"


class AlphaDropout(Layer):
    """Alpha dropout (SELU-preserving) while training, identity in eval mode."""

    def __init__(self, p=0.5, name=None):
        super().__init__()
        if not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"AlphaDropout: p must be a float in [0, 1], got {p!r}")
        self.p = p

    def forward(self, input):  # noqa: A002
        return F.alpha_dropout(input, self.p, training=self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Unfold(Layer):
    """im2col of NCHW input (see F.unfold)."""

    def __init__(self, kernel_sizes, dilations=1, paddings=0, strides=1, name=None):
        super().__init__()
        self.kernel_sizes, self.dilations = kernel_sizes, dilations
        self.paddings, self.strides = paddings, strides

    def forward(self, input):  # noqa: A002
        return F.unfold(input, self.kernel_sizes, self.strides, self.paddings, self.dilations)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_sizes}, dilation={self.dilations}, " \
               f"padding={self.paddings}, stride={self.strides}"


class Fold(Layer):
    """col2im into NCHW output of output_sizes (see F.fold)."""

    def __init__(self, output_sizes, kernel_sizes, dilations=1, paddings=0, strides=1,
                 name=None):
        super().__init__()
        self.output_sizes, self.kernel_sizes = output_sizes, kernel_sizes
        self.dilations, self.paddings, self.strides = dilations, paddings, strides

    def forward(self, input):  # noqa: A002
        return F.fold(input, self.output_sizes, self.kernel_sizes, self.strides, self.paddings,
                      self.dilations)

    def extra_repr(self) -> str:
        return f"output_sizes={self.output_sizes}, kernel_size={self.kernel_sizes}"
