"""torch.nn.functional: PyTorch's names, signatures and defaults, each a thin call into the op
registry (primitives through `apply`, composites from the dualnet/ops family modules).

The only state handled here is BatchNorm's: the batch_norm op returns updated running statistics
and this module writes them back into the caller's buffers (DESIGN.md: kernels are pure).
"""
from __future__ import annotations

import warnings

from dualnet.ops import activation as _act
from dualnet.ops import apply
from dualnet.ops import conv as _conv
from dualnet.ops import nn as _nn
from dualnet.ops import norm as _norm
from dualnet.ops import pool as _pool
from dualnet.ops import reduction as _red

from ..autograd.grad_mode import no_grad
from ._losses import (_Reduction, _reduction, binary_cross_entropy,  # noqa: F401
                      binary_cross_entropy_with_logits, cosine_embedding_loss, cross_entropy,
                      gaussian_nll_loss, hinge_embedding_loss, huber_loss, kl_div, l1_loss,
                      margin_ranking_loss, mse_loss, multilabel_soft_margin_loss, nll_loss,
                      poisson_nll_loss, smooth_l1_loss, soft_margin_loss, triplet_margin_loss)
from ..tensor import Tensor
from ._resample import interpolate, pixel_shuffle, pixel_unshuffle  # noqa: F401

# ================================================================ helpers


def _ntuple_attr(v):
    return tuple(v) if isinstance(v, list) else v


def _write_back(buffer: Tensor, value: Tensor) -> None:
    """Copy an op's output into a state buffer in place (running statistics)."""
    with no_grad():
        buffer._set_(value.detach())


def _alias(t: Tensor) -> Tensor:
    """A Tensor on the same array with its own version counter."""
    return Tensor._wrap(t._data)


def _inplace(input: Tensor, out: Tensor) -> Tensor:
    """`inplace=True` variants: write the result into `input` (PyTorch's F.relu_(x) etc.)."""
    return input._set_(out)


# ================================================================ linear and convolution

def linear(input, weight, bias=None):
    """y = input @ weight.T + bias, weight [out_features, in_features]."""
    return apply("linear", input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T W_k x2 + b_k with weight [out, in1, in2]; leading dims are batch dims."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    return _nn.bilinear(input1, input2, weight, bias)


def _conv_bias(y, bias, spatial: int):
    if bias is None:
        return y
    return y + bias.reshape((-1,) + (1,) * spatial)


def _check_same_padding(padding, stride, n: int) -> None:
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
        strides = (stride,) * n if isinstance(stride, int) else tuple(stride)
        if padding == "same" and any(s != 1 for s in strides):
            raise ValueError("padding='same' is not supported for strided convolutions")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of (N, C, L) or (C, L) input with weight [out, in/groups, k]."""
    _check_same_padding(padding, stride, 1)
    y = _conv.conv1d(input, weight, stride=_ntuple_attr(stride), padding=_ntuple_attr(padding),
                     dilation=_ntuple_attr(dilation), groups=groups)
    return _conv_bias(y, bias, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of (N, C, H, W) or (C, H, W) input with weight [out, in/groups, kh, kw]."""
    return _conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _conv_nd(op: str, nd: int, input, weight, bias, stride, padding, dilation, groups):
    """conv2d / conv3d: the registry op, then the bias."""
    _check_same_padding(padding, stride, nd)
    y = apply(op, input, weight, stride=_ntuple_attr(stride),
              padding=_ntuple_attr(padding), dilation=_ntuple_attr(dilation), groups=groups)
    return _conv_bias(y, bias, nd)


def _conv_transpose_nd(op: str, nd: int, input, weight, bias, stride, padding, output_padding,
                       groups, dilation):
    """conv_transpose2d / conv_transpose3d: the registry op, then the bias."""
    y = apply(op, input, weight, stride=_ntuple_attr(stride),
              padding=_ntuple_attr(padding), output_padding=_ntuple_attr(output_padding),
              groups=groups, dilation=_ntuple_attr(dilation))
    return _conv_bias(y, bias, nd)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    y = _conv.conv_transpose1d(input, weight, stride=_ntuple_attr(stride),
                               padding=_ntuple_attr(padding),
                               output_padding=_ntuple_attr(output_padding), groups=groups,
                               dilation=_ntuple_attr(dilation))
    return _conv_bias(y, bias, 1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


# ================================================================ pooling

def _no_indices(return_indices: bool, name: str) -> None:
    if return_indices:
        raise NotImplementedError(f"{name}(return_indices=True) is not supported")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    out = _pool.max_pool1d(input, kernel_size, stride=stride or None, padding=padding,
                           dilation=dilation, ceil_mode=ceil_mode)
    if not return_indices:
        return out
    from dualnet.ops.spatial import max_pool1d_indices
    return out, max_pool1d_indices(input, kernel_size, stride or None, padding, dilation,
                                   ceil_mode)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    attrs = dict(kernel_size=_ntuple_attr(kernel_size), stride=_ntuple_attr(stride) or None,
                 padding=_ntuple_attr(padding), dilation=_ntuple_attr(dilation),
                 ceil_mode=ceil_mode)
    out = apply("max_pool2d", input, **attrs)
    if not return_indices:
        return out
    from dualnet.ops.spatial import max_pool2d_indices
    return out, max_pool2d_indices(input, **attrs)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    return _pool.avg_pool1d(input, kernel_size, stride=stride or None, padding=padding,
                            ceil_mode=ceil_mode, count_include_pad=count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return apply("avg_pool2d", input, kernel_size=_ntuple_attr(kernel_size),
                 stride=_ntuple_attr(stride) or None, padding=_ntuple_attr(padding),
                 ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                 divisor_override=divisor_override)


def adaptive_avg_pool1d(input, output_size):
    return _pool.adaptive_avg_pool1d(input, output_size)


def adaptive_avg_pool2d(input, output_size):
    return apply("adaptive_avg_pool2d", input, output_size=_ntuple_attr(output_size))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    _no_indices(return_indices, "adaptive_max_pool2d")
    size = (output_size,) * 2 if isinstance(output_size, int) else tuple(output_size)
    return _pool.adaptive_max_pool2d(input, size)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    _no_indices(return_indices, "adaptive_max_pool1d")
    return _pool.adaptive_max_pool1d(input, output_size)


# ================================================================ activations

def threshold(input, threshold, value, inplace=False):
    out = _nn.threshold(input, threshold, value)
    return _inplace(input, out) if inplace else out


def relu(input, inplace=False):
    out = apply("relu", input)
    return _inplace(input, out) if inplace else out


def relu_(input):
    return _inplace(input, apply("relu", input))


def relu6(input, inplace=False):
    out = _act.relu6(input)
    return _inplace(input, out) if inplace else out


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    out = apply("hardtanh", input, min_val=min_val, max_val=max_val)
    return _inplace(input, out) if inplace else out


def elu(input, alpha=1.0, inplace=False):
    out = _act.elu(input, alpha)
    return _inplace(input, out) if inplace else out


def selu(input, inplace=False):
    out = _act.selu(input)
    return _inplace(input, out) if inplace else out


def celu(input, alpha=1.0, inplace=False):
    out = _act.celu(input, alpha)
    return _inplace(input, out) if inplace else out


def leaky_relu(input, negative_slope=0.01, inplace=False):
    out = apply("leaky_relu", input, negative_slope=negative_slope)
    return _inplace(input, out) if inplace else out


def prelu(input, weight):
    """max(0, x) + weight * min(0, x), weight of 1 or C values (channel axis 1)."""
    return _nn.prelu(input, weight if weight.numel() != 1 else weight.reshape(1))


def gelu(input, approximate="none"):
    return _act.gelu(input, approximate)


def logsigmoid(input):
    return _act.logsigmoid(input)


def hardshrink(input, lambd=0.5):
    return _nn.hardshrink(input, lambd)


def softshrink(input, lambd=0.5):
    return _nn.softshrink(input, lambd)


def tanhshrink(input):
    return _act.tanhshrink(input)


def softsign(input):
    return _act.softsign(input)


def softplus(input, beta=1.0, threshold=20.0):
    return apply("softplus", input, beta=beta, threshold=threshold)


def sigmoid(input):
    return apply("sigmoid", input)


def tanh(input):
    return apply("tanh", input)


def hardsigmoid(input, inplace=False):
    out = _act.hardsigmoid(input)
    return _inplace(input, out) if inplace else out


def silu(input, inplace=False):
    out = _act.silu(input)
    return _inplace(input, out) if inplace else out


def mish(input, inplace=False):
    out = _act.mish(input)
    return _inplace(input, out) if inplace else out


def hardswish(input, inplace=False):
    out = _act.hardswish(input)
    return _inplace(input, out) if inplace else out


def glu(input, dim=-1):
    """a * sigmoid(b) where (a, b) are the two halves of `input` along `dim`."""
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.ndim} "
                           f"is size {input.shape[dim]}")
    return _nn.glu(input, dim)


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(name, input, dim, dtype, stacklevel):
    if dim is None:
        dim = _get_softmax_dim(name, input.ndim, stacklevel + 1)
    if dtype is not None:
        input = input.to(dtype)
    return input, dim


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    input, dim = _softmax_input("softmax", input, dim, dtype, _stacklevel)
    return apply("softmax", input, axis=dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    input, dim = _softmax_input("softmin", input, dim, dtype, _stacklevel)
    return apply("softmax", apply("neg", input), axis=dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    input, dim = _softmax_input("log_softmax", input, dim, dtype, _stacklevel)
    return apply("log_softmax", input, axis=dim)


# ================================================================ normalization

def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Normalize over all axes but 1. In training the batch statistics normalize and, when
    running stats are given, they are updated in place (momentum, unbiased variance)."""
    if training:
        size = tuple(input.shape)
        n = 1
        for d in (size[0],) + size[2:]:
            n *= d
        if n == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {input.shape}")
    rm, rv = running_mean, running_var
    if training and running_mean is not None:
        # The op saves its inputs for backward; in training its gradient never reads the
        # running stats, so it gets aliases whose version counters the write-back below
        # does not bump (else backward would report an in-place modification).
        rm, rv = _alias(running_mean), _alias(running_var)
    y, new_mean, new_var = apply("batch_norm", input, weight, bias, rm, rv,
                                 training=training, momentum=momentum, eps=eps)
    if training and running_mean is not None:
        _write_back(running_mean, new_mean)
        _write_back(running_var, new_var)
    return y


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """Per-sample, per-channel normalization: batch_norm of the input seen as one sample of
    N*C channels (PyTorch's own reduction); running stats get the mean over the batch."""
    n, c = input.shape[0], input.shape[1]
    x = input.reshape((1, n * c) + tuple(input.shape[2:]))

    def rep(t):
        return None if t is None else t.repeat(n)

    rm, rv = rep(running_mean), rep(running_var)  # repeat makes new tensors
    y, new_mean, new_var = apply("batch_norm", x, rep(weight), rep(bias), rm, rv,
                                 training=use_input_stats, momentum=momentum, eps=eps)
    if use_input_stats and running_mean is not None:
        _write_back(running_mean, new_mean.reshape(n, c).mean(0))
        _write_back(running_var, new_var.reshape(n, c).mean(0))
    return y.reshape(input.shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalize over the trailing dims `normalized_shape` (biased variance)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
        tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.ndim - k:]) != shape or k > input.ndim:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in shape)}], but got input of size"
                           f"{input.shape}")
    return apply("layer_norm", input, weight, bias, normalized_ndim=k, eps=eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {input.shape} and "
                           f"num_groups={num_groups}")
    return _norm.group_norm(input, num_groups, weight, bias, eps)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps)."""
    denom = apply("clip", _red.norm(input, p, axis=dim, keepdim=True), min=eps, max=None)
    return apply("div", input, denom)


# ================================================================ dropout and embedding

def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout(input, p, training, inplace, axes=()):
    _check_p(p)
    if not training or p == 0.0:
        return input
    out = apply("dropout", input, p=p, training=True, broadcast_axes=axes)[0]
    return _inplace(input, out) if inplace else out


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only)."""
    return _dropout(input, p, training, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           "input. Note that dropout1d exists to provide channel-wise dropout "
                           "on inputs with 1 spatial dimension, a channel dimension, and an "
                           "optional batch dimension (i.e. 2D or 3D inputs).")
    return _dropout(input, p, training, inplace, (input.ndim - 1,))


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (the mask is shared over the spatial dims)."""
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change "
                      "in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
                      "dropout behavior, please switch to using dropout1d instead.",
                      stacklevel=2)
    axes = tuple(range(2, input.ndim))
    return _dropout(input, p, training, inplace, axes)


def dropout3d(input, p=0.5, training=True, inplace=False):
    start = 2 if input.ndim == 5 else 1
    return _dropout(input, p, training, inplace, tuple(range(start, input.ndim)))


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps SELU's self-normalizing mean and variance (dualnet.ops.nn's)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    out = _nn.alpha_dropout(input, p, True)
    return _inplace(input, out) if inplace else out


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of `weight` for the integer ids in `input`; the padding row gets no gradient.
    With max_norm, the looked-up rows are first renormalized in place (as PyTorch)."""
    if padding_idx is not None:
        n = weight.shape[0]
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    if scale_grad_by_freq:
        raise NotImplementedError("embedding(scale_grad_by_freq=True) is not supported")
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return apply("embedding", input, weight, padding_idx=padding_idx)


def _embedding_renorm_(weight, ids, max_norm, norm_type):
    """Scale rows referenced by `ids` whose norm exceeds max_norm to max_norm (in place)."""
    with no_grad():
        w = weight.detach()
        norms = _red.norm(w, norm_type, axis=1, keepdim=True)
        from dualnet.ops.indexing import parse_index

        spec, index = parse_index(ids.reshape(-1))
        used = apply("setitem", apply("zeros_like", norms), 1.0, *index, index=spec)
        scale = apply("div", max_norm, apply("add", norms, 1e-7))
        too_big = apply("logical_and", apply("greater", norms, max_norm),
                        apply("greater", used, 0.0))
        weight._set_(apply("mul", w, apply("where", too_big, scale, 1.0)))



def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding along a new last dim (num_classes=-1: max + 1)."""
    return apply("one_hot", tensor, num_classes=num_classes, dtype="int64")


def pad(input, pad, mode="constant", value=None):
    """Pad with `pad` = (last dim left, last dim right, 2nd-last left, ...)."""
    if len(pad) % 2:
        raise ValueError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise ValueError("Padding length should be less than or equal to two times the input "
                         "dimension")
    return apply("pad", input, pads=tuple(int(p) for p in pad), mode=mode,
                 value=0.0 if value is None else value)


# ================================================================ distances and attention

def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1/||x1|| * x2/||x2||) along dim, each norm clamped at eps."""
    return _nn.cosine_similarity(x1, x2, dim, eps, clamp="each")


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return _nn.pairwise_distance(x1, x2, p, eps, keepdim)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(q k^T * scale + mask) v; a boolean mask marks the positions that take part."""
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention(enable_gqa=True) is not "
                                  "supported")
    return _nn.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal,
                                            scale, training=True)


def _canonical_mask(mask, mask_name: str, other_name: str = "", dtype=None):
    """Boolean masks (True = masked out) become float masks of -inf / 0 (PyTorch's rule for
    MultiheadAttention and the Transformer layers); float masks pass unchanged."""
    if mask is None:
        return None
    if mask.dtype.name == "bool":
        zero = apply("zeros_like", mask, dtype=dtype.np.name if dtype is not None
                     else "float32")
        return apply("where", mask, float("-inf"), zero)
    if not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    return mask


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """PyTorch's F.multi_head_attention_forward on (L, N, E) / (S, N, E) inputs (or unbatched
    (L, E)); returns (output (L, N, E), weights (N, L, S) averaged over heads or per head
    (N, H, L, S), or None)."""
    from . import _attention

    return _attention.mha_forward(
        query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k,
        bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training,
        key_padding_mask, need_weights, attn_mask, use_separate_proj_weight, q_proj_weight,
        k_proj_weight, v_proj_weight, static_k, static_v, average_attn_weights, is_causal)


__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "annotations", "apply", "math", "warnings", "no_grad", "Tensor")]


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """input / sqrt(mean(input^2 over the trailing dims) + eps) * weight (eps None: the
    dtype's machine epsilon)."""
    import numpy as np

    shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
        tuple(normalized_shape)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    if eps is None:
        eps = float(np.finfo(np.dtype(input.dtype)).eps)
    ms = apply("mean", apply("mul", input, input), axis=dims, keepdim=True)
    y = apply("mul", input, apply("rsqrt", apply("add", ms, eps)))
    return y if weight is None else apply("mul", y, weight)


from ._losses_more import *  # noqa: E402,F401,F403
from ._spatial_more import *  # noqa: E402,F401,F403


# ================================================================ 3-D convolution and pooling

def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution of (N, C, D, H, W) or (C, D, H, W) input with weight
    [out, in/groups, kd, kh, kw]."""
    return _conv_nd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose_nd("conv_transpose3d", 3, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling; return_indices adds the argmax as flat indices into D*H*W."""
    attrs = dict(kernel_size=_ntuple_attr(kernel_size), stride=_ntuple_attr(stride) or None,
                 padding=_ntuple_attr(padding), dilation=_ntuple_attr(dilation),
                 ceil_mode=ceil_mode)
    y = apply("max_pool3d", input, **attrs)
    if return_indices:
        return y, apply("max_pool3d_indices", input, **attrs)
    return y


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return apply("avg_pool3d", input, kernel_size=_ntuple_attr(kernel_size),
                 stride=_ntuple_attr(stride) or None, padding=_ntuple_attr(padding),
                 ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                 divisor_override=divisor_override)


def adaptive_avg_pool3d(input, output_size):
    return apply("adaptive_avg_pool3d", input, output_size=_ntuple_attr(output_size))


def adaptive_max_pool3d(input, output_size, return_indices=False):
    _no_indices(return_indices, "adaptive_max_pool3d")
    return _pool.pool_nd.adaptive_max_pool3d(input, _ntuple_attr(output_size))
