"""Paddle's shape functions on Variables (also Variable methods): reshape, transpose, ..."""
from __future__ import annotations

from dualnet import dtypes
from dualnet.ops import apply

__all__ = [
    "cast", "reshape", "flatten", "transpose", "t", "squeeze", "unsqueeze", "split", "chunk",
    "expand", "expand_as", "broadcast_to", "tile", "flip", "roll", "tril", "triu", "gather",
    "index_select", "detach", "clone", "numel", "concat", "stack", "unstack", "unbind",
    "where",
]


def cast(x, dtype):
    """x with `dtype` (also `x.astype(dtype)`); a no-op when x already has it."""
    dtype = dtypes.as_np(dtype)
    if dtypes.as_np(x.dtype) == dtype:
        return x
    return apply("cast", x, dtype=dtype.name)


def _ints(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(map(int, shape))


def reshape(x, shape, name=None):
    """Paddle's rule: -1 is inferred, 0 copies the input's dim."""
    return apply("reshape", x, shape=_ints(shape))


def flatten(x, start_axis=0, stop_axis=-1, name=None):
    return apply("flatten", x, start_axis=start_axis, stop_axis=stop_axis)


def transpose(x, perm, name=None):
    return apply("transpose", x, perm=_ints(perm))


def t(input, name=None):  # noqa: A002
    if input.ndim < 2:
        return input
    if input.ndim > 2:
        raise ValueError(f"t() expects a tensor with <= 2 dims, got shape {input.shape}")
    return apply("transpose", input, perm=(1, 0))


def squeeze(x, axis=None, name=None):
    return apply("squeeze", x, axis=axis if not isinstance(axis, list) else tuple(axis))


def unsqueeze(x, axis, name=None):
    return apply("unsqueeze", x, axis=axis if not isinstance(axis, list) else tuple(axis))


def split(x, num_or_sections, axis=0, name=None):
    """An int splits into that many equal parts (the dim must be known); a list gives the
    sizes, one of which may be -1."""
    axis = int(axis) % x.ndim
    if isinstance(num_or_sections, int):
        n = x.shape[axis]
        if n < 0 or n % num_or_sections:
            raise ValueError(f"split: dim {axis} of shape {x.shape} cannot be divided into "
                             f"{num_or_sections} equal parts")
        sections = (n // num_or_sections,) * num_or_sections
    else:
        sections = _ints(num_or_sections)
    return list(apply("split", x, sections=sections, axis=axis))


def chunk(x, chunks, axis=0, name=None):
    return split(x, chunks, axis)


def expand(x, shape, name=None):
    return apply("broadcast_to", x, shape=_ints(shape))


broadcast_to = expand


def expand_as(x, y, name=None):
    return apply("broadcast_like", x, y)


def tile(x, repeat_times, name=None):
    return apply("tile", x, repeats=_ints(repeat_times))


def flip(x, axis, name=None):
    return apply("flip", x, axis=_ints(axis))


def roll(x, shifts, axis=None, name=None):
    return apply("roll", x, shifts=shifts, axis=axis)


def tril(x, diagonal=0, name=None):
    return apply("tril", x, diagonal=diagonal)


def triu(x, diagonal=0, name=None):
    return apply("triu", x, diagonal=diagonal)


def gather(x, index, axis=None, name=None):
    """Paddle's gather selects whole slices along `axis` (torch.index_select)."""
    return apply("index_select", x, index, axis=0 if axis is None else axis)


def index_select(x, index, axis=0, name=None):
    return apply("index_select", x, index, axis=axis)


def detach(x):
    """The same value with no gradient flowing back (an `assign` with stop_gradient)."""
    out = apply("assign", x)
    out.stop_gradient = True
    return out


def clone(x):
    return apply("assign", x)


def numel(x, name=None):
    """The number of elements as an int64 Variable (works with unknown dims)."""
    return apply("prod", apply("shape_of", x))


def concat(x, axis=0, name=None):
    """Join a list of tensors along an existing `axis`."""
    xs = list(x)
    if not xs:
        raise ValueError("concat expects a non-empty list of tensors")
    return apply("concat", *xs, axis=int(axis))


def stack(x, axis=0, name=None):
    """Join a list of tensors of one shape along a new `axis`."""
    from dualnet.ops.shape import stack as _stack

    return _stack(list(x), axis=int(axis))


def unstack(x, axis=0, num=None):
    """The slices of x along `axis` (the dim must be known), each without that axis."""
    axis = int(axis) % x.ndim
    n = x.shape[axis] if num is None else int(num)
    if n < 0:
        raise ValueError(f"unstack: dim {axis} of shape {x.shape} is unknown; pass num=")
    parts = apply("split", x, sections=(1,) * n, axis=axis)
    parts = parts if isinstance(parts, (list, tuple)) else (parts,)
    return [apply("squeeze", p, axis=axis) for p in parts]


def unbind(input, axis=0):  # noqa: A002 (Paddle's name)
    return unstack(input, axis)


def where(condition, x=None, y=None, name=None):
    """Elementwise `x if condition else y` (both x and y are required here)."""
    if x is None or y is None:
        raise NotImplementedError("paddle.where(condition) without x and y (nonzero indices) "
                                  "is not supported in a static program")
    return apply("where", condition, x, y)
