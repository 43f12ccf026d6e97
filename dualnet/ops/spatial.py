"""Spatial composites shared by both front ends: sampling grids (affine_grid, grid_sample),
max-pool indices and unpooling, power-average pooling, channel shuffles, pairwise distances,
bags of embeddings, temporal shifts and sequence masks.

Everything here is a composite over registered primitives (no rules of its own), so gradients
come from the primitives' vjps:
  grid_sample   index_select of the (N*H*W, C) rows at the corner positions + blending; the
                weights are arithmetic on the grid, so the grid gets its gradient through them
                (floor/round have a zero gradient) and the input through index_select's
                scatter-add. About 30 ops for any size: no per-pixel Python.
  max-pool indices  max_pool2d_gather of a table of flat positions (h * W + w), i.e. the
                position max_pool2d picks in each window, PyTorch's first-maximum rule.
  max_unpool    scatter of the values at those positions into zeros (gradient: gather).
Spatial sizes (H, W) must be known; the batch dim may be unknown (-1) in static programs.
"""
from __future__ import annotations

import math

import numpy as np

from .common import constant_like, pair
from .indexing import parse_index
from .nn import np_dtype
from .registry import get


def _op(name):
    return get(name)


def _slice(x, *key):
    spec, tensors = parse_index(tuple(key))
    return _op("getitem")(x, *tensors, index=spec)


def _known(dims, what: str, shape) -> None:
    if any(d < 0 for d in dims):
        raise ValueError(f"{what}: the spatial dims must be known, got shape {list(shape)}")


# ---------------------------------------------------------------- max-pool indices, unpooling

def max_pool2d_indices(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """int64 flat positions (h * W + w in the unpadded input plane) of the maxima max_pool2d
    takes, for (N, C, H, W) or (C, H, W) input: PyTorch's return_indices / Paddle's mask."""
    h, w = x.shape[-2:]
    _known((h, w), "max_pool2d indices", x.shape)
    dtype = np_dtype(x) if np_dtype(x).kind == "f" and h * w < 2 ** 24 else np.dtype("float64")
    table = np.arange(h * w, dtype=dtype).reshape((1,) * (x.ndim - 2) + (h, w))
    pos = _op("broadcast_like")(constant_like(x, table), x)
    idx = _op("max_pool2d_gather")(pos, x, kernel_size=kernel_size, stride=stride,
                                   padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    return _op("cast")(idx, dtype="int64")


def max_pool1d_indices(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """max_pool2d_indices of (N, C, L) or (C, L) as a (.., 1, L) plane: positions along L."""
    from .conv import to_2d

    axis = x.ndim - 1
    idx = max_pool2d_indices(_op("unsqueeze")(x, axis=axis), to_2d(kernel_size, 1),
                             to_2d(stride, 1), to_2d(padding, 0), to_2d(dilation, 1),
                             ceil_mode)
    return _op("squeeze")(idx, axis=axis)


def unpool_output_size(in_hw, kernel_size, stride, padding, size=None,
                       what: str = "") -> tuple:
    """(H_in - 1) * stride - 2 * padding + kernel per dim (PyTorch's and Paddle's default);
    a requested `size` (the spatial dims) is checked to lie within a stride of it."""
    default = tuple((n - 1) * s - 2 * p + k for n, k, s, p in zip(in_hw, kernel_size, stride,
                                                                padding))
    if size is None:
        return default
    prefix = f"{what}: " if what else ""
    for d, (n, s) in enumerate(zip(default, stride)):
        if not n - s < size[d] < n + s:
            raise ValueError(f'{prefix}invalid output_size "{list(size)}" (dim {d} must be '
                             f"between {n - s} and {n + s})")
    return tuple(size)


def max_unpool2d(x, indices, output_size):
    """Partial inverse of max pooling: each value of x written at its flat position (indices,
    as max_pool2d_indices gives them) in a zero (..., OH, OW) plane; a position chosen twice
    keeps one of the values, as in PyTorch."""
    oh, ow = output_size
    if x.ndim not in (3, 4) or indices.ndim != x.ndim:
        raise ValueError(f"max_unpool2d expects a 3-D or 4-D input and indices of the same "
                         f"rank, got {list(x.shape)} and {list(indices.shape)}")
    if any(a >= 0 and b >= 0 and a != b for a, b in zip(x.shape, indices.shape)):
        raise ValueError(f"max_unpool2d: indices {list(indices.shape)} must have the input's "
                         f"shape {list(x.shape)}")
    flat = _op("flatten")(x, start_axis=x.ndim - 2)
    idx = _op("flatten")(_op("cast")(indices, dtype="int64"), start_axis=x.ndim - 2)
    zero = _op("zeros_like")(_slice(flat, Ellipsis, slice(0, 1)))
    base = _op("broadcast_to")(zero, shape=(-1,) * (x.ndim - 2) + (oh * ow,))
    out = _op("scatter")(base, idx, flat, axis=x.ndim - 2)
    shape = (0,) * (x.ndim - 2) + (oh, ow)
    return _op("reshape")(out, shape=shape)


# ---------------------------------------------------------------- power-average pooling

def lp_pool2d(x, norm_type: float, kernel_size, stride=None, padding=0, ceil_mode=False,
              exact_sum: bool = True):
    """(sum over each window of x ** p) ** (1 / p); p = inf is max pooling. exact_sum=False is
    PyTorch's formulation (average pooling times the window area, which counts a ceil_mode
    window hanging over the edge as full)."""
    p = float(norm_type)
    if p == 0:
        raise ValueError("lp_pool2d: norm_type must not be 0")
    if math.isinf(p):
        return _op("max_pool2d")(x, kernel_size=kernel_size, stride=stride, padding=padding,
                                 ceil_mode=ceil_mode)
    kh, kw = pair(kernel_size)
    area = kh * kw
    powered = _op("pow")(x, p)
    if exact_sum:
        s = _op("avg_pool2d")(powered, kernel_size=(kh, kw), stride=stride, padding=padding,
                              ceil_mode=ceil_mode, divisor_override=1)
    else:
        s = _op("mul")(_op("avg_pool2d")(powered, kernel_size=(kh, kw), stride=stride,
                                         padding=padding, ceil_mode=ceil_mode), float(area))
    return _op("pow")(s, 1.0 / p)


def lp_pool1d(x, norm_type: float, kernel_size: int, stride=None, padding=0, ceil_mode=False,
              exact_sum: bool = True):
    """lp_pool2d over (N, C, L) or (C, L) as a (.., 1, L) plane."""
    k = int(kernel_size if isinstance(kernel_size, int) else kernel_size[0])
    s = None if stride is None else int(stride if isinstance(stride, int) else stride[0])
    p = int(padding if isinstance(padding, int) else padding[0])
    y = lp_pool2d(_op("unsqueeze")(x, axis=x.ndim - 1), norm_type, (1, k),
                  None if s is None else (1, s), (0, p), ceil_mode, exact_sum)
    return _op("squeeze")(y, axis=y.ndim - 2)


# ---------------------------------------------------------------- channel shuffle

def channel_shuffle(x, groups: int, what: str = "channel_shuffle"):
    """(N, C, *) with channels (g, C/g) regrouped as (C/g, g)."""
    groups = int(groups)
    c = x.shape[1] if x.ndim >= 2 else -1
    if x.ndim < 3 or groups < 1 or c < 0 or c % groups:
        raise ValueError(f"{what}: the channel dim of input {list(x.shape)} must be a known "
                         f"multiple of groups = {groups} (input of 3 or more dims)")
    y = _op("reshape")(x, shape=(0, groups, c // groups, -1))
    return _op("reshape_like")(_op("transpose")(y, perm=(0, 2, 1, 3)), x)


# ---------------------------------------------------------------- sampling grids

def _base_coords(n: int, align_corners: bool) -> np.ndarray:
    """Normalized coordinates of n pixel centres in [-1, 1] (0 for a single pixel)."""
    if n <= 1:
        return np.zeros(max(n, 0))
    i = np.arange(n, dtype=np.float64)
    if align_corners:
        return i * 2.0 / (n - 1) - 1.0
    return (2.0 * i + 1.0) / n - 1.0


def affine_grid(theta, size, align_corners: bool, what: str = "affine_grid"):
    """(N, H, W, 2) sampling grid theta @ [x, y, 1] over the output pixels of size
    (N, C, H, W); theta is (N, 2, 3)."""
    size = tuple(int(s) for s in size)
    if len(size) != 4:
        raise NotImplementedError(f"{what}: only 4-D sizes (N, C, H, W) are supported, got "
                                  f"{list(size)}")
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3):
        raise ValueError(f"{what}: expected theta of shape (N, 2, 3) for a 4-D size, got "
                         f"{list(theta.shape)}")
    if theta.shape[0] >= 0 and size[0] >= 0 and theta.shape[0] != size[0]:
        raise ValueError(f"{what}: theta's batch {theta.shape[0]} does not match size "
                         f"{list(size)}")
    h, w = size[2:]
    if h < 1 or w < 1:
        raise ValueError(f"{what}: output height and width must be positive, got {[h, w]}")
    xs, ys = _base_coords(w, align_corners), _base_coords(h, align_corners)
    base = np.stack([np.tile(xs, h), np.repeat(ys, w), np.ones(h * w)], axis=1)
    base = constant_like(theta, base.astype(np_dtype(theta)))  # (H*W, 3)
    grid = _op("matmul")(base, _op("transpose")(theta, perm=(0, 2, 1)))  # (N, H*W, 2)
    return _op("reshape")(grid, shape=(0, h, w, 2))


GRID_MODES = ("bilinear", "nearest")
PADDING_MODES = ("zeros", "border", "reflection")


def _unnormalize(g, n: int, align_corners: bool):
    if align_corners:
        return _op("mul")(_op("add")(g, 1.0), (n - 1) / 2.0)
    return _op("div")(_op("sub")(_op("mul")(_op("add")(g, 1.0), float(n)), 1.0), 2.0)


def _reflect(c, twice_low: int, twice_high: int):
    """c reflected into [twice_low / 2, twice_high / 2] by the borders, repeatedly."""
    if twice_low == twice_high:
        return _op("mul")(c, 0.0)
    low, span = twice_low / 2.0, (twice_high - twice_low) / 2.0
    c = _op("abs")(_op("sub")(c, low))
    flips = _op("floor")(_op("div")(c, span))
    extra = _op("sub")(c, _op("mul")(flips, span))
    odd = _op("sub")(flips, _op("mul")(_op("floor")(_op("div")(flips, 2.0)), 2.0))
    return _op("where")(_op("equal")(odd, 0.0), _op("add")(extra, low),
                        _op("add")(_op("sub")(span, extra), low))


def _source_coord(g, n: int, padding_mode: str, align_corners: bool):
    c = _unnormalize(g, n, align_corners)
    if padding_mode == "border":
        return _op("clip")(c, min=0.0, max=float(n - 1))
    if padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if align_corners else _reflect(c, -1, 2 * n - 1)
        return _op("clip")(c, min=0.0, max=float(n - 1))
    return c


def _inside(i, n: int):
    return _op("logical_and")(_op("greater_equal")(i, 0), _op("less_equal")(i, n - 1))


def _tap(rows, batch, iy, ix, weight, hw: tuple):
    """weight * input[batch, :, iy, ix] as (N, Ho, Wo, C); weight is 0 outside the input."""
    h, w = hw
    ok = _op("logical_and")(_inside(iy, h), _inside(ix, w))
    weight = _op("mul")(weight, _op("cast")(ok, dtype=np_dtype(weight).name))
    flat = _op("add")(_op("add")(_op("mul")(batch, h * w),
                                 _op("mul")(_op("clip")(iy, min=0, max=h - 1), w)),
                      _op("clip")(ix, min=0, max=w - 1))
    picked = _op("index_select")(rows, _op("reshape")(flat, shape=(-1,)), axis=0)
    picked = _op("reshape")(picked, shape=(-1,) + tuple(weight.shape[1:]) + (rows.shape[1],))
    return _op("mul")(picked, _op("unsqueeze")(weight, axis=3))


def grid_sample(x, grid, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool = False, what: str = "grid_sample"):
    """Sample (N, C, H, W) x at the normalized (x, y) positions of grid (N, Ho, Wo, 2) ->
    (N, C, Ho, Wo), bilinearly or at the nearest pixel (ties to even, as PyTorch)."""
    if mode not in GRID_MODES:
        raise ValueError(f"{what}: mode must be one of {GRID_MODES}, got {mode!r}")
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"{what}: padding_mode must be one of {PADDING_MODES}, got "
                         f"{padding_mode!r}")
    if x.ndim != 4 or grid.ndim != 4 or grid.shape[3] != 2:
        raise ValueError(f"{what}: expected a 4-D input (N, C, H, W) and a grid (N, H_out, "
                         f"W_out, 2), got {list(x.shape)} and {list(grid.shape)}")
    if x.shape[0] >= 0 and grid.shape[0] >= 0 and x.shape[0] != grid.shape[0]:
        raise ValueError(f"{what}: grid and input must have the same batch size, got "
                         f"{list(grid.shape)} and {list(x.shape)}")
    h, w = x.shape[2:]
    _known((x.shape[1], h, w) + tuple(grid.shape[1:3]), what, tuple(x.shape) + tuple(grid.shape))
    if np_dtype(grid) != np_dtype(x):
        grid = _op("cast")(grid, dtype=np_dtype(x).name)
    gx, gy = (_op("squeeze")(t, axis=3) for t in _op("split")(grid, sections=(1, 1), axis=3))
    cx = _source_coord(gx, w, padding_mode, align_corners)
    cy = _source_coord(gy, h, padding_mode, align_corners)
    rows = _op("reshape")(_op("transpose")(x, perm=(0, 2, 3, 1)), shape=(-1, x.shape[1]))
    batch = _op("sub")(_op("cumsum")(_op("ones_like")(gx, dtype="int64"), axis=0), 1)
    if mode == "nearest":
        ix = _op("cast")(_op("round")(cx, decimals=0), dtype="int64")
        iy = _op("cast")(_op("round")(cy, decimals=0), dtype="int64")
        out = _tap(rows, batch, iy, ix, _op("ones_like")(cx), (h, w))
    else:
        fx, fy = _op("floor")(cx), _op("floor")(cy)
        wx1, wy1 = _op("sub")(cx, fx), _op("sub")(cy, fy)
        wx0, wy0 = _op("sub")(1.0, wx1), _op("sub")(1.0, wy1)
        x0, y0 = _op("cast")(fx, dtype="int64"), _op("cast")(fy, dtype="int64")
        x1, y1 = _op("add")(x0, 1), _op("add")(y0, 1)
        out = None
        for iy, ix, wy, wx in ((y0, x0, wy0, wx0), (y0, x1, wy0, wx1), (y1, x0, wy1, wx0),
                               (y1, x1, wy1, wx1)):
            term = _tap(rows, batch, iy, ix, _op("mul")(wy, wx), (h, w))
            out = term if out is None else _op("add")(out, term)
    return _op("transpose")(out, perm=(0, 3, 1, 2))


# ---------------------------------------------------------------- distances

def pdist(x, p: float = 2.0):
    """p-norm distances between the rows of (N, M) x for every pair i < j, in row-major pair
    order -> (N * (N - 1) / 2,). Zero distances get a zero gradient (as in PyTorch)."""
    n = x.shape[0] if x.ndim == 2 else -1
    if x.ndim != 2 or n < 0:
        raise ValueError(f"pdist only supports 2-D inputs with a known number of rows, got "
                         f"shape {list(x.shape)}")
    p = float(p)
    if p < 0:
        raise ValueError(f"pdist only supports non-negative p values, got {p}")
    i, j = np.triu_indices(n, k=1)
    diff = _op("sub")(_op("index_select")(x, constant_like(x, i.astype(np.int64)), axis=0),
                      _op("index_select")(x, constant_like(x, j.astype(np.int64)), axis=0))
    a = _op("abs")(diff)
    if p == 0:
        return _op("sum")(_op("cast")(_op("not_equal")(diff, 0.0), dtype=np_dtype(x).name),
                          axis=1)
    if math.isinf(p):
        return _op("max")(a, axis=1)
    s = _op("sum")(_op("mul")(diff, diff) if p == 2 else _op("pow")(a, p), axis=1)
    zero = _op("equal")(s, 0.0)
    safe = _op("where")(zero, _op("ones_like")(s), s)
    root = _op("sqrt")(safe) if p == 2 else _op("pow")(safe, 1.0 / p)
    return _op("where")(zero, _op("zeros_like")(s), root)


# ---------------------------------------------------------------- bags of embeddings

BAG_MODES = ("sum", "mean", "max")


def _masked_max(values, member, count):
    """max over axis 1 of values (B, L, D) where member (B, L) holds; 0 for empty bags."""
    lowest = constant_like(values, np.array(-np.inf, dtype=np_dtype(values)))
    m = _op("max")(_op("where")(_op("unsqueeze")(member, axis=2), values, lowest), axis=1)
    return _op("where")(_op("greater")(count, 0.0), m, _op("zeros_like")(m))


def _bags_2d(emb, keep, weights, mode):
    """emb (B, L, D); keep / weights (B, L) or None."""
    fdt = np_dtype(emb).name
    if mode == "max":
        if keep is None:
            return _op("max")(emb, axis=1)
        count = _op("sum")(_op("cast")(keep, dtype=fdt), axis=1, keepdim=True)
        return _masked_max(emb, keep, count)
    w = None if keep is None else _op("cast")(keep, dtype=fdt)
    if weights is not None:
        w = weights if w is None else _op("mul")(w, weights)
    s = _op("sum")(emb if w is None else _op("mul")(emb, _op("unsqueeze")(w, axis=2)), axis=1)
    if mode == "sum":
        return s
    if keep is None:
        return _op("mean")(emb, axis=1)
    count = _op("sum")(_op("cast")(keep, dtype=fdt), axis=1, keepdim=True)
    return _op("div")(s, _op("clip")(count, min=1.0))


def _bag_ids(ids, starts):
    """The bag of every element of 1-D ids: bags start at `starts` (ascending offsets)."""
    marks = _op("pad")(_op("zeros_like")(ids, dtype="int64"), pads=(0, 1))
    marks = _op("scatter_add")(marks, _op("cast")(starts, dtype="int64"),
                               _op("ones_like")(starts, dtype="int64"), axis=0)
    return _op("sub")(_slice(_op("cumsum")(marks, axis=0), slice(0, -1)), 1)


def embedding_bag(ids, weight, offsets=None, mode: str = "mean", per_sample_weights=None,
                  include_last_offset: bool = False, padding_idx=None):
    """Sums, means or maxima of bags of embedding rows: ids (B, L) is B bags of L ids; 1-D ids
    are cut into bags at `offsets` (B,) (or B + 1 with include_last_offset). Ids equal to
    padding_idx are left out (an empty bag gives zeros)."""
    if mode not in BAG_MODES:
        raise ValueError(f"embedding_bag: mode has to be one of {BAG_MODES}, got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    emb = _op("embedding")(ids, weight)
    keep = None if padding_idx is None else _op("not_equal")(ids, int(padding_idx))
    if ids.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2D, then offsets has to be None, as "
                             "input is treated is a mini-batch of fixed length sequences")
        return _bags_2d(emb, keep, per_sample_weights, mode)
    if ids.ndim != 1 or offsets is None or offsets.ndim != 1:
        raise ValueError(f"embedding_bag: input has to be 1-D with 1-D offsets, or 2-D, got "
                         f"input {list(ids.shape)} and offsets "
                         f"{None if offsets is None else list(offsets.shape)}")
    starts = _slice(offsets, slice(0, -1)) if include_last_offset else offsets
    bag = _bag_ids(ids, starts)
    fdt = np_dtype(emb).name
    positions = _op("sub")(_op("cumsum")(_op("ones_like")(starts, dtype="int64"), axis=0), 1)
    member = _op("equal")(_op("unsqueeze")(positions, axis=1), _op("unsqueeze")(bag, axis=0))
    if keep is not None:
        member = _op("logical_and")(member, _op("unsqueeze")(keep, axis=0))
    if mode == "max":
        count = _op("sum")(_op("cast")(member, dtype=fdt), axis=1, keepdim=True)
        return _masked_max(_op("unsqueeze")(emb, axis=0), member, count)
    w = None if keep is None else _op("cast")(keep, dtype=fdt)
    if per_sample_weights is not None:
        w = per_sample_weights if w is None else _op("mul")(w, per_sample_weights)
    rows = emb if w is None else _op("mul")(emb, _op("unsqueeze")(w, axis=1))
    zeros = _op("zeros_like")(_op("index_select")(weight, _op("zeros_like")(
        positions), axis=0))
    s = _op("index_add")(zeros, bag, rows, axis=0)
    if mode == "sum":
        return s
    count = _op("sum")(_op("cast")(member, dtype=fdt), axis=1, keepdim=True)
    return _op("div")(s, _op("clip")(count, min=1.0))


# ---------------------------------------------------------------- video and sequences

def temporal_shift(x, seg_num: int, shift_ratio: float = 0.25):
    """TSM shift of (N*T, C, H, W): the first C*ratio channels take the previous segment's
    values, the next C*ratio the following segment's (zeros past the ends)."""
    t = int(seg_num)
    c = x.shape[1] if x.ndim == 4 else -1
    if x.ndim != 4 or c < 0 or t < 1:
        raise ValueError(f"temporal_shift expects a 4-D input with known channels and a "
                         f"positive seg_num, got shape {list(x.shape)} and seg_num {seg_num}")
    if not 0.0 <= shift_ratio <= 0.5:
        raise ValueError(f"temporal_shift: shift_ratio must be in [0, 0.5], got {shift_ratio}")
    if x.shape[0] >= 0 and x.shape[0] % t:
        raise ValueError(f"temporal_shift: the batch {x.shape[0]} of input {list(x.shape)} "
                         f"must be a multiple of seg_num {t}")
    c1, c2 = int(c * shift_ratio), int(c * 2 * shift_ratio)
    v = _op("reshape")(x, shape=(-1, t) + tuple(x.shape[1:]))
    v = _op("pad")(v, pads=(0, 0, 0, 0, 0, 0, 1, 1))
    every = slice(None)
    parts = [_slice(v, every, slice(0, t), slice(0, c1)),
             _slice(v, every, slice(2, t + 2), slice(c1, c2)),
             _slice(v, every, slice(1, t + 1), slice(c2, c))]
    return _op("reshape_like")(_op("concat")(*parts, axis=2), x)


def sequence_mask(lengths, maxlen=None, dtype: str = "int64"):
    """mask[..., j] = j < lengths[...] over j < maxlen (None: the largest length)."""
    if np_dtype(lengths).kind not in "iu":
        lengths = _op("cast")(lengths, dtype="int64")
    if maxlen is None:
        # ones from each length on, over max + 1 columns: the mask is the rest, minus the last
        after = _op("cumsum")(_op("one_hot")(lengths, num_classes=-1, dtype="int64"), axis=-1)
        mask = _op("equal")(_slice(after, Ellipsis, slice(0, -1)), 0)
    else:
        cols = constant_like(lengths, np.arange(int(maxlen), dtype=np_dtype(lengths)))
        mask = _op("less")(cols, _op("unsqueeze")(lengths, axis=lengths.ndim))
    return _op("cast")(mask, dtype=np.dtype(dtype).name)
