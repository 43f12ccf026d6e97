"""Paddle's common functions: linear (weight [in, out]), dropout, pad, one_hot, embedding,
label_smooth."""
from __future__ import annotations

from dualnet.ops import apply
from dualnet.ops import nn as N

from ...framework import in_implicit_mode

from ._utils import bias_shape, channel_last

__all__ = ["linear", "dropout", "dropout2d", "pad", "one_hot", "embedding", "label_smooth",
           "zeropad2d", "cosine_similarity", "pairwise_distance", "bilinear", "alpha_dropout",
           "unfold", "fold"]


def linear(x, weight, bias=None, name=None):
    """x @ weight + bias with Paddle's weight layout [in_features, out_features].

    As in Paddle: a program being built gets matmul + add (what exporters and passes read);
    dynamic-looking (implicit) mode records the one fused op its run would use anyway (the
    fuse_linear pass makes the same kernel of the pair), one op less to record per layer."""
    if in_implicit_mode():
        return apply("fused_linear", x, weight, bias)
    out = apply("matmul", x, weight)
    return out if bias is None else apply("add", out, bias)


_MODES = ("upscale_in_train", "downscale_in_infer")


def dropout(x, p=0.5, axis=None, training=True, mode="upscale_in_train", name=None):
    """Zero elements with probability p. upscale_in_train scales the kept ones by 1/(1-p)
    while training; downscale_in_infer keeps them as they are and scales by (1-p) at
    inference. `axis` (int or list) gives the dims the mask varies along; it is shared (one
    value broadcast) along the others."""
    if not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be a float in [0, 1], got {p!r}")
    if mode not in _MODES:
        raise ValueError(f"dropout: mode must be one of {_MODES}, got {mode!r}")
    shared = ()
    if axis is not None:
        keep = {a % x.ndim for a in ([axis] if isinstance(axis, int) else axis)}
        shared = tuple(a for a in range(x.ndim) if a not in keep)
    out = apply("dropout", x, p=float(p), training=bool(training), broadcast_axes=shared)[0]
    if mode == "downscale_in_infer" and p:
        # The op scales kept values by 1/(1-p) while training and is the identity otherwise;
        # one multiply by (1-p) gives Paddle's mask-only training / scaled inference, and
        # stays right when clone(for_test=True) flips the op to inference.
        out = apply("mul", out, 1.0 - float(p))
    return out


def dropout2d(x, p=0.5, training=True, data_format="NCHW", name=None):
    """Drop whole channels of a 4-D input (one mask value per sample and channel)."""
    if x.ndim != 4:
        raise ValueError(f"dropout2d expects a 4-D input, got shape {x.shape}")
    c_axis = 3 if channel_last(data_format, "dropout2d") else 1
    return dropout(x, p, axis=[0, c_axis], training=training)


def pad(x, pad, mode="constant", value=0.0, data_format="NCHW", name=None):
    """Paddle's pad: with 2 * x.ndim values (constant mode) they pair up with the dims from
    the first; otherwise they cover the spatial dims of `data_format`, last spatial dim first
    ([left, right, top, bottom, front, back])."""
    if not isinstance(pad, (list, tuple)):
        raise TypeError(f"pad: expects a list of ints, got {type(pad).__name__}")
    pads = [int(p) for p in pad]
    if len(pads) == 2 * x.ndim and mode == "constant":
        pairs = [pads[i:i + 2] for i in range(0, len(pads), 2)]
        torch_order = tuple(v for pair in reversed(pairs) for v in pair)
    else:
        n_spatial = x.ndim - 2
        if len(pads) != 2 * n_spatial:
            raise ValueError(f"pad: expects {2 * n_spatial} values for the spatial dims of a "
                             f"{x.ndim}-D input (or {2 * x.ndim} in constant mode), got "
                             f"{len(pads)}")
        torch_order = tuple(pads)
        if channel_last(data_format, "pad"):
            torch_order = (0, 0) + torch_order
    return apply("pad", x, pads=torch_order, mode=mode, value=float(value))


def one_hot(x, num_classes, name=None):
    """float32 one-hot vectors along a new last dim."""
    return apply("one_hot", x, num_classes=int(num_classes), dtype="float32")


def embedding(x, weight, padding_idx=None, sparse=False, name=None):
    """Rows of `weight` ([num_embeddings, dim]) picked by the integer ids `x`; the
    padding_idx row gets no gradient (nn.Embedding initializes it to zeros)."""
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    return apply("embedding", x, weight, padding_idx=padding_idx)


def label_smooth(label, prior_dist=None, epsilon=0.1, name=None):
    """(1 - epsilon) * label + epsilon * prior (uniform 1/C over the last dim by default)."""
    if not 0 <= epsilon <= 1:
        raise ValueError(f"label_smooth: epsilon must be in [0, 1], got {epsilon}")
    scaled = apply("mul", label, 1.0 - epsilon)
    if prior_dist is None:
        c = label.shape[-1]
        if c < 0:
            raise ValueError("label_smooth: the number of classes (last dim) must be known")
        return apply("add", scaled, epsilon / c)
    return apply("add", scaled, apply("mul", prior_dist, epsilon))


def _bias(y, bias):
    """y + bias on the channel axis 1."""
    if bias is None:
        return y
    return apply("add", y, apply("reshape", bias, shape=bias_shape(y.ndim)))


def zeropad2d(x, padding, data_format="NCHW", name=None):
    """Zero-pad H and W: padding an int or [left, right, top, bottom]."""
    pads = [int(padding)] * 4 if isinstance(padding, int) else list(padding)
    if x.ndim != 4:
        raise ValueError(f"zeropad2d expects a 4-D input, got shape {x.shape}")
    return pad(x, pads, mode="constant", value=0.0, data_format=data_format)


def cosine_similarity(x1, x2, axis=1, eps=1e-8):
    """sum(x1 * x2) / sqrt(max(|x1|^2 |x2|^2, eps^2)) along `axis` (Paddle's clamp)."""
    return N.cosine_similarity(x1, x2, axis, eps, clamp="product")


def pairwise_distance(x, y, p=2.0, epsilon=1e-6, keepdim=False, name=None):
    """||x - y + epsilon||_p over the last dim."""
    return N.pairwise_distance(x, y, float(p), epsilon, keepdim)


def bilinear(x1, x2, weight, bias=None, name=None):
    """out[n, o] = x1[n] @ weight[o] @ x2[n] + bias[0, o]; weight [out, in1, in2], bias
    [1, out]."""
    if x1.ndim != 2 or x2.ndim != 2 or weight.ndim != 3:
        raise ValueError(f"bilinear: expects 2-D inputs and a 3-D weight, got {x1.shape}, "
                         f"{x2.shape} and {weight.shape}")
    if x1.shape[1] != weight.shape[1] or x2.shape[1] != weight.shape[2]:
        raise ValueError(f"bilinear: weight {weight.shape} does not fit inputs {x1.shape} and "
                         f"{x2.shape} ([out, in1, in2])")
    return N.bilinear(x1, x2, weight, bias)


def alpha_dropout(x, p=0.5, training=True, name=None):
    """Dropout for SELU networks: keeps the mean and variance of the input."""
    if not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"alpha_dropout: p must be a float in [0, 1], got {p!r}")
    return N.alpha_dropout(x, float(p), bool(training))


def _ints2(v, what: str, fn: str) -> tuple:
    v = (int(v),) * 2 if isinstance(v, int) else tuple(int(a) for a in v)
    if len(v) != 2:
        raise ValueError(f"{fn}: {what} must be an int or 2 ints, got {list(v)}")
    return v


def _unfold_pads(paddings, fn: str) -> tuple:
    """Paddle's int / [ph, pw] / [top, left, bottom, right] -> (top, bottom, left, right)."""
    p = [int(paddings)] * 4 if isinstance(paddings, int) else [int(v) for v in paddings]
    if len(p) == 2:
        return (p[0], p[0], p[1], p[1])
    if len(p) != 4:
        raise ValueError(f"{fn}: paddings must be an int, 2 or 4 ints, got {paddings}")
    return (p[0], p[2], p[1], p[3])


def unfold(x, kernel_sizes, strides=1, paddings=0, dilations=1, name=None):
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L), L the number of sliding blocks."""
    return N.unfold(x, _ints2(kernel_sizes, "kernel_sizes", "unfold"),
                    _ints2(strides, "strides", "unfold"), _unfold_pads(paddings, "unfold"),
                    _ints2(dilations, "dilations", "unfold"))


def fold(x, output_sizes, kernel_sizes, strides=1, paddings=0, dilations=1, name=None):
    """col2im (the adjoint of unfold): (N, C*kh*kw, L) -> (N, C, H, W), overlaps summed."""
    return N.fold(x, _ints2(output_sizes, "output_sizes", "fold"),
                  _ints2(kernel_sizes, "kernel_sizes", "fold"),
                  _ints2(strides, "strides", "fold"), _unfold_pads(paddings, "fold"),
                  _ints2(dilations, "dilations", "fold"))
