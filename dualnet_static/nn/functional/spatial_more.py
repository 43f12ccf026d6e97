"""paddle.nn.functional: more spatial functions (affine_grid, grid_sample, lp pooling, max
unpooling, channel_shuffle, temporal_shift, sequence_mask). The math is dualnet.ops.spatial's;
this file holds Paddle's signatures, defaults (align_corners=True) and layouts."""
from __future__ import annotations

import numpy as np

from dualnet import dtypes
from dualnet.ops import spatial as _sp

from ._utils import channel_last, np_dtype, to_channel_first, to_channel_last

__all__ = ["affine_grid", "grid_sample", "lp_pool1d", "lp_pool2d", "max_unpool1d",
           "max_unpool2d", "channel_shuffle", "temporal_shift", "sequence_mask"]


def _ints(v, n: int, name: str, what: str) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(i) for i in v)
    if len(v) != n:
        raise ValueError(f"{what}: {name} must be an int or {n} ints, got {list(v)}")
    return v


def _concrete(v, what: str, name: str) -> list:
    """A list of ints from a list/tuple or a tensor whose value is known (implicit mode)."""
    if isinstance(v, (list, tuple)):
        return [int(i) for i in v]
    try:
        return [int(i) for i in np.asarray(v.numpy()).reshape(-1)]
    except Exception:  # noqa: BLE001  (a Variable of an explicit program has no value yet)
        raise ValueError(f"{what}: {name} must be a list/tuple of ints or a Tensor with a "
                         f"known value, got {v!r}") from None


# ---------------------------------------------------------------- sampling grids

def affine_grid(theta, out_shape, align_corners=True, name=None):
    """(N, H, W, 2) sampling grid from (N, 2, 3) affine matrices theta for out_shape
    [N, C, H, W]."""
    if np_dtype(theta).kind != "f":
        raise TypeError(f"affine_grid: theta must be float32 or float64, got {theta.dtype}")
    size = _concrete(out_shape, "affine_grid", "out_shape")
    if len(size) == 5:
        raise NotImplementedError("affine_grid: 5-D out_shape is not supported")
    return _sp.affine_grid(theta, size, bool(align_corners))


def grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True, name=None):
    """Sample x (N, C, H, W) at grid (N, H_out, W_out, 2) -> (N, C, H_out, W_out)."""
    if not isinstance(align_corners, bool):
        raise TypeError(f"grid_sample: align_corners must be a bool, got {align_corners!r}")
    if x.ndim == 5:
        raise NotImplementedError("grid_sample: 5-D inputs are not supported")
    return _sp.grid_sample(x, grid, mode, padding_mode, align_corners)


# ---------------------------------------------------------------- power-average pooling

def lp_pool2d(x, norm_type, kernel_size, stride=None, padding=0, ceil_mode=False,
              data_format="NCHW", name=None):
    """(sum over each window of x ** p) ** (1 / p) of a 4-D input (zero padding adds 0)."""
    if x.ndim != 4:
        raise ValueError(f"lp_pool2d expects a 4-D input, got shape {x.shape}")
    last = channel_last(data_format, "lp_pool2d")
    v = to_channel_first(x) if last else x
    y = _sp.lp_pool2d(v, norm_type, _ints(kernel_size, 2, "kernel_size", "lp_pool2d"),
                      None if stride is None else _ints(stride, 2, "stride", "lp_pool2d"),
                      padding, ceil_mode)
    return to_channel_last(y) if last else y


def lp_pool1d(x, norm_type, kernel_size, stride=None, padding=0, ceil_mode=False,
              data_format="NCL", name=None):
    """lp_pool2d over the length of a 3-D input."""
    if x.ndim != 3:
        raise ValueError(f"lp_pool1d expects a 3-D input, got shape {x.shape}")
    last = channel_last(data_format, "lp_pool1d")
    v = to_channel_first(x) if last else x
    (k,) = _ints(kernel_size, 1, "kernel_size", "lp_pool1d")
    s = None if stride is None else _ints(stride, 1, "stride", "lp_pool1d")[0]
    y = _sp.lp_pool1d(v, norm_type, k, s, padding, ceil_mode)
    return to_channel_last(y) if last else y


# ---------------------------------------------------------------- unpooling

def _unpool_size(x, dims, kernel, stride, padding, output_size, what) -> tuple:
    in_hw = tuple(x.shape[-dims:])
    if any(n < 0 for n in in_hw):
        raise ValueError(f"{what}: the spatial dims of x must be known, got {x.shape}")
    if output_size is None:
        return _sp.unpool_output_size(in_hw, kernel, stride, padding)
    size = _concrete(output_size, what, "output_size")
    if len(size) == dims + 2:
        size = size[2:]
    if len(size) != dims:
        raise ValueError(f"{what}: output_size should be a sequence containing {dims} or "
                         f"{dims + 2} elements, but it has a length of {len(size)}")
    return _sp.unpool_output_size(in_hw, kernel, stride, padding, size, what)


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, data_format="NCHW",
                 output_size=None, name=None):
    """Each value of x put at its max_pool2d(return_mask=True) position in a zero output."""
    if data_format != "NCHW":
        raise ValueError(f"max_unpool2d: data_format must be 'NCHW', got {data_format!r}")
    if x.ndim != 4:
        raise ValueError(f"max_unpool2d expects a 4-D input, got shape {x.shape}")
    k = _ints(kernel_size, 2, "kernel_size", "max_unpool2d")
    s = k if stride is None else _ints(stride, 2, "stride", "max_unpool2d")
    p = _ints(padding, 2, "padding", "max_unpool2d")
    size = _unpool_size(x, 2, k, s, p, output_size, "max_unpool2d")
    return _sp.max_unpool2d(x, indices, size)


def max_unpool1d(x, indices, kernel_size, stride=None, padding=0, data_format="NCL",
                 output_size=None, name=None):
    """Each value of x put at its max_pool1d(return_mask=True) position in a zero output."""
    from dualnet.ops import apply

    if data_format != "NCL":
        raise ValueError(f"max_unpool1d: data_format must be 'NCL', got {data_format!r}")
    if x.ndim != 3:
        raise ValueError(f"max_unpool1d expects a 3-D input, got shape {x.shape}")
    k = _ints(kernel_size, 1, "kernel_size", "max_unpool1d")
    s = k if stride is None else _ints(stride, 1, "stride", "max_unpool1d")
    (n,) = _unpool_size(x, 1, k, s, _ints(padding, 1, "padding", "max_unpool1d"),
                        output_size, "max_unpool1d")
    y = _sp.max_unpool2d(apply("unsqueeze", x, axis=2), apply("unsqueeze", indices, axis=2),
                         (1, n))
    return apply("squeeze", y, axis=2)


# ---------------------------------------------------------------- shuffles and shifts

def channel_shuffle(x, groups, data_format="NCHW", name=None):
    """Regroup the C = g * k channels of a 4-D input from (g, k) to (k, g) order."""
    if x.ndim != 4:
        raise ValueError(f"channel_shuffle expects a 4-D input, got shape {x.shape}")
    if not isinstance(groups, int) or groups < 1:
        raise TypeError(f"channel_shuffle: groups must be a positive int, got {groups!r}")
    if data_format not in ("NCHW", "NHWC"):
        raise ValueError(f"channel_shuffle: data_format must be 'NCHW' or 'NHWC', got "
                         f"{data_format!r}")
    if data_format == "NHWC":
        return to_channel_last(_sp.channel_shuffle(to_channel_first(x), groups))
    return _sp.channel_shuffle(x, groups)


def temporal_shift(x, seg_num, shift_ratio=0.25, name=None, data_format="NCHW"):
    """TSM: (N*T, C, H, W) with the first C*ratio channels shifted one segment forward in
    time, the next C*ratio one segment back (zeros enter at the ends)."""
    if data_format not in ("NCHW", "NHWC"):
        raise ValueError(f"temporal_shift: data_format must be 'NCHW' or 'NHWC', got "
                         f"{data_format!r}")
    if data_format == "NHWC":
        if x.ndim != 4:
            raise ValueError(f"temporal_shift expects a 4-D input, got shape {x.shape}")
        return to_channel_last(_sp.temporal_shift(to_channel_first(x), seg_num, shift_ratio))
    return _sp.temporal_shift(x, seg_num, shift_ratio)


def sequence_mask(x, maxlen=None, dtype="int64", name=None):
    """mask[..., j] = j < x[...] for j < maxlen (None: max(x)), in `dtype`."""
    if maxlen is not None and not isinstance(maxlen, (int, np.integer)):
        (maxlen,) = _concrete(maxlen, "sequence_mask", "maxlen")
    return _sp.sequence_mask(x, maxlen, dtypes.as_np(dtype).name)
