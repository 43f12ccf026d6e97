"""torch.nn.functional: more spatial functions (sampling grids, folding, pooling variants,
unpooling, channel shuffle, pdist, embedding_bag). The math is dualnet.ops.spatial's and
dualnet.ops.nn's (unfold/fold); this file holds PyTorch's signatures, defaults and checks."""
from __future__ import annotations

import warnings

import numpy as np

from dualnet.ops import nn as _nn
from dualnet.ops import spatial as _sp

__all__ = ["affine_grid", "grid_sample", "unfold", "fold", "lp_pool1d", "lp_pool2d",
           "max_unpool1d", "max_unpool2d", "channel_shuffle", "pdist", "embedding_bag"]


def _pair(v, name: str) -> tuple:
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(i) for i in v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {list(v)}")
    return v


def _single(v) -> int:
    return int(v) if isinstance(v, int) else int(tuple(v)[0])


def _align_default(align_corners, what: str) -> bool:
    if align_corners is None:
        warnings.warn(f"Default {what} behavior has changed to align_corners=False since "
                      "1.3.0. Please specify align_corners=True if the old behavior is "
                      "desired. See the documentation of grid_sample for details.",
                      UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


# ---------------------------------------------------------------- sampling grids

def affine_grid(theta, size, align_corners=None):
    """(N, H, W, 2) grid for an (N, 2, 3) batch of affine matrices and size (N, C, H, W)."""
    align = _align_default(align_corners, "affine_grid")
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) == 5:
        raise NotImplementedError("affine_grid: 5-D sizes (volumetric grids) are not supported")
    if len(size) != 4:
        raise ValueError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
                         f"transforms, respectively. Got size {size}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    return _sp.affine_grid(theta, size, align)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample input (N, C, H, W) at grid (N, H_out, W_out, 2) -> (N, C, H_out, W_out)."""
    if mode == "bicubic":
        raise NotImplementedError("grid_sample(mode='bicubic') is not supported")
    if mode not in _sp.GRID_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _sp.PADDING_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    align = _align_default(align_corners, "grid_sample")
    if input.dim() == 5:
        raise NotImplementedError("grid_sample: 5-D (volumetric) inputs are not supported")
    return _sp.grid_sample(input, grid, mode, padding_mode, align)


# ---------------------------------------------------------------- im2col / col2im

def _pads4(padding) -> tuple:
    ph, pw = _pair(padding, "padding")
    return (ph, ph, pw, pw)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) -> (N, C * kh * kw, L) (a 3-D input is one unbatched image)."""
    if input.dim() not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported "
                                  f"(got {input.dim()}D)")
    x = input.unsqueeze(0) if input.dim() == 3 else input
    out = _nn.unfold(x, _pair(kernel_size, "kernel_size"), _pair(stride, "stride"),
                     _pads4(padding), _pair(dilation, "dilation"))
    return out.squeeze(0) if input.dim() == 3 else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: (N, C * kh * kw, L) -> (N, C, H, W), overlapping values summed."""
    if input.dim() not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input "
                                  f"Tensors are supported (got {input.dim()}D)")
    x = input.unsqueeze(0) if input.dim() == 2 else input
    try:
        out = _nn.fold(x, _pair(output_size, "output_size"), _pair(kernel_size, "kernel_size"),
                       _pair(stride, "stride"), _pads4(padding), _pair(dilation, "dilation"))
    except ValueError as e:
        raise RuntimeError(str(e)) from None
    return out.squeeze(0) if input.dim() == 2 else out


# ---------------------------------------------------------------- power-average pooling

def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x ** p) ** (1 / p), as avg_pool2d(x ** p) * kh * kw."""
    k = _pair(kernel_size, "kernel_size")
    s = None if stride is None else _pair(stride, "stride")
    return _sp.lp_pool2d(input, norm_type, k, s, 0, ceil_mode, exact_sum=False)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """lp_pool2d over the last dim of (N, C, L)."""
    s = None if stride is None else _single(stride)
    return _sp.lp_pool1d(input, norm_type, _single(kernel_size), s, 0, ceil_mode,
                         exact_sum=False)


# ---------------------------------------------------------------- unpooling

def _unpool_size(input, kernel_size, stride, padding, output_size, dims: int) -> tuple:
    in_hw = tuple(input.shape[-dims:])
    if output_size is None:
        return _sp.unpool_output_size(in_hw, kernel_size, stride, padding)
    size = [int(s) for s in output_size]
    if len(size) == dims + 2:
        size = size[2:]
    elif len(size) == dims + 1 and input.dim() == dims + 1:
        size = size[1:]
    if len(size) != dims:
        raise ValueError(f"output_size should be a sequence containing {dims} or {dims + 2} "
                         f"elements, but it has a length of '{len(output_size)}'")
    return _sp.unpool_output_size(in_hw, kernel_size, stride, padding, size)


def _check_indices(indices, n_out: int) -> None:
    data = indices._data
    if data.size and (int(data.min()) < 0 or int(data.max()) >= n_out):
        raise RuntimeError(f"Found an invalid max index: {int(data.max())} (output volumes "
                           f"are of size {n_out})")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value of input at its max_pool2d index in a zero (N, C, OH, OW) output."""
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    size = _unpool_size(input, k, s, _pair(padding, "padding"), output_size, 2)
    _check_indices(indices, size[0] * size[1])
    return _sp.max_unpool2d(input, indices, size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value of input at its max_pool1d index in a zero (N, C, L_out) output."""
    k = (_single(kernel_size),)
    s = k if stride is None else (_single(stride),)
    (n,) = _unpool_size(input, k, s, (_single(padding),), output_size, 1)
    _check_indices(indices, n)
    axis = input.dim() - 1
    out = _sp.max_unpool2d(input.unsqueeze(axis), indices.unsqueeze(axis), (1, n))
    return out.squeeze(axis)


# ---------------------------------------------------------------- shuffles and distances

def channel_shuffle(input, groups):
    """Regroup the C = g * k channels of (N, C, *) from (g, k) to (k, g) order."""
    return _sp.channel_shuffle(input, groups)


def pdist(input, p=2):
    """p-norm distances between all pairs of rows i < j of an (N, M) input."""
    return _sp.pdist(input, p)


# ---------------------------------------------------------------- embedding bags

def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sum, mean or max of the embedding rows of each bag: input (B, L) is B bags of L ids;
    1-D input is cut into bags starting at `offsets`."""
    from .functional import _embedding_renorm_

    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if scale_grad_by_freq:
        raise NotImplementedError("embedding_bag(scale_grad_by_freq=True) is not supported")
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != \
            tuple(input.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({list(per_sample_weights.shape)}"
                         f") is not None, then it must have the same shape as the input "
                         f"({list(input.shape)})")
    if padding_idx is not None:
        n = weight.shape[0]
        if not -n <= padding_idx < n:
            raise AssertionError("padding_idx must be within the number of embeddings")
        padding_idx %= n
    if input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        o = np.asarray(offsets._data)
        if o.size and int(o[0]) != 0:
            raise ValueError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                             f"mini-batch has to start from position 0. However, got "
                             f"{int(o[0])}")
        if o.size and (int(o[-1]) > input.shape[0] or np.any(np.diff(o) < 0)):
            raise ValueError(f"offsets must be ascending and at most the input length "
                             f"{input.shape[0]}, got {o.tolist()}")
        if include_last_offset and o.size < 1:
            raise ValueError("include_last_offset needs at least one offset")
    elif input.dim() != 2:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _sp.embedding_bag(input, weight, offsets, mode, per_sample_weights,
                             include_last_offset, padding_idx)
