"""Shape ops. Gradient rules take the reference value as an input (`sum_to_like(g, x)`), never
a concrete shape, so they work on static Variables whose batch dim is -1."""
from __future__ import annotations

import math
from itertools import accumulate

import numpy as np

from .. import dtypes
from .common import broadcast_shapes, check_same_dtype, norm_axis, same, unbroadcast_axes
from .registry import Meta, register


def _like_infer(x: Meta, ref: Meta) -> Meta:
    return Meta(ref.shape, x.dtype)


def _sum_to_infer(x: Meta, ref: Meta) -> Meta:
    if len(ref.shape) > len(x.shape):
        raise ValueError(f"cannot sum {list(x.shape)} to the larger rank of {list(ref.shape)}")
    broadcast_shapes(x.shape, ref.shape)
    return Meta(ref.shape, x.dtype)


@register("sum_to_like", infer=_sum_to_infer, saves=(0,))
def sum_to_like(xp, x, ref):
    """Sum `x` over its broadcast dims so it has `ref`'s shape (the gradient of broadcasting)."""
    if x.shape == ref.shape:
        return x
    axes, keep = unbroadcast_axes(x.shape, ref.shape)
    if keep:
        x = x.sum(axis=keep, keepdims=True)
    if axes:
        x = x.sum(axis=axes)
    return x.reshape(ref.shape)


@sum_to_like.defvjp
def _sum_to_like_vjp(g, x, ref, out):
    return broadcast_like(g, x), None


def _broadcast_like_infer(x: Meta, ref: Meta) -> Meta:
    return Meta(broadcast_shapes(x.shape, ref.shape), x.dtype)


@register("broadcast_like", infer=_broadcast_like_infer, saves=(0,))
def broadcast_like(xp, x, ref):
    """Broadcast `x` to `ref`'s shape (a read-only view, as `expand` in PyTorch)."""
    if x.shape == ref.shape:
        return x
    return xp.broadcast_to(x, broadcast_shapes(x.shape, ref.shape))


@broadcast_like.defvjp
def _broadcast_like_vjp(g, x, ref, out):
    return sum_to_like(g, x), None


# ---------------------------------------------------------------- helpers

def _prod(dims) -> int:
    n = 1
    for d in dims:
        n *= int(d)
    return n


def _ints(value, what: str) -> tuple:
    """An int or a sequence of ints -> a tuple of Python ints."""
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value)
    try:
        return (int(value),)
    except TypeError:
        raise TypeError(f"{what} must be an int or a tuple of ints, got {value!r}") from None


def _axes(axis, ndim: int, what: str = "axis") -> tuple:
    """An int or a sequence of axes -> a sorted tuple of distinct non-negative axes."""
    axes = tuple(norm_axis(a, ndim) for a in _ints(axis, what))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{what} {axis} repeats an axis")
    return tuple(sorted(axes))


def _dtype_name(dtype, like) -> str:
    """A canonical dtype name; None means `like`'s dtype."""
    if dtype is None:
        dtype = like.dtype
    return dtypes.as_np(dtype).name


def _reshaped(x: Meta, out: tuple) -> Meta:
    known = -1 not in x.shape and -1 not in out
    if known and _prod(x.shape) != _prod(out):
        raise ValueError(f"cannot reshape a tensor of shape {list(x.shape)} "
                         f"({_prod(x.shape)} elements) into shape {list(out)}")
    return Meta(tuple(out), x.dtype)


def _like_vjp(g, x, *rest, out=None, **attrs):
    """Gradient of any op that only rearranges x's elements into another shape."""
    return (reshape_like(g, x),) + (None,) * len(rest)


# ---------------------------------------------------------------- reshape family

def _reshape_canon(x, shape):
    shape = _ints(shape, "shape")
    bad = [d for d in shape if d < -1]
    if bad:
        raise ValueError(f"invalid dimension {bad[0]} in shape {list(shape)}")
    if shape.count(-1) > 1:
        raise ValueError(f"only one dimension can be inferred (-1), got shape {list(shape)}")
    for i, d in enumerate(shape):
        if d == 0 and i >= x.ndim:
            raise ValueError(f"shape {list(shape)} has 0 (copy the input dim) at position {i}, "
                             f"but the input of shape {list(x.shape)} has only {x.ndim} dims")
    return {"shape": shape}


def _reshape_infer(x: Meta, shape) -> Meta:
    """-1 is inferred, 0 copies the input dim at that position (Paddle). Dims copied by 0 cancel
    out, so `reshape(0, -1)` of a [-1, 3, 4] input infers [-1, 12]."""
    shape = _reshape_canon(x, shape)["shape"]
    copied = {i for i, d in enumerate(shape) if d == 0}
    out = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    rest_in = [d for i, d in enumerate(x.shape) if i not in copied]
    n_out = _prod(d for d in shape if d > 0)
    n_known = _prod(d for d in rest_in if d != -1)

    def fail():
        count = "" if -1 in x.shape else f" ({_prod(x.shape)} elements)"
        raise ValueError(f"cannot reshape a tensor of shape {list(x.shape)}{count} "
                         f"into shape {list(shape)}")

    if -1 in rest_in:
        if -1 not in shape and n_known and n_out % n_known:
            fail()
        return Meta(tuple(out), x.dtype)
    if -1 in shape:
        if n_out == 0 or n_known % n_out:
            fail()
        out[shape.index(-1)] = n_known // n_out
    elif n_known != n_out:
        fail()
    return Meta(tuple(out), x.dtype)


@register("reshape", infer=_reshape_infer, canon=_reshape_canon, saves=(0,))
def reshape(xp, x, *, shape):
    """Reshape to `shape`: -1 is inferred, 0 copies the input dim (Paddle's rule)."""
    if 0 not in shape:  # (no generator to run: reshapes are per step in conv nets' plans)
        return x.reshape(shape)
    return x.reshape(tuple(x.shape[i] if d == 0 else d for i, d in enumerate(shape)))


reshape.defvjp(_like_vjp)


def _reshape_like_infer(x: Meta, ref: Meta) -> Meta:
    return _reshaped(x, ref.shape)


@register("reshape_like", infer=_reshape_like_infer, saves=(0,))
def reshape_like(xp, x, ref):
    """Reshape `x` to `ref`'s shape (the gradient of every reshape-like op)."""
    return x.reshape(ref.shape)


reshape_like.defvjp(_like_vjp)


def _flatten_canon(x, start_axis=0, stop_axis=-1):
    start, stop = norm_axis(start_axis, x.ndim), norm_axis(stop_axis, x.ndim)
    if start > stop:
        raise ValueError(f"start_axis ({start_axis}) must not come after stop_axis "
                         f"({stop_axis}) for an input of shape {list(x.shape)}")
    return {"start_axis": start, "stop_axis": stop}


def _flattened(shape: tuple, start: int, stop: int) -> tuple:
    """The shape of `shape` with dims start..stop (non-negative) merged into one."""
    if not shape:
        return (1,)
    mid = shape[start:stop + 1]
    return shape[:start] + (-1 if -1 in mid else math.prod(mid),) + shape[stop + 1:]


def _flatten_infer(x: Meta, start_axis=0, stop_axis=-1) -> Meta:
    a = _flatten_canon(x, start_axis, stop_axis)
    return Meta(_flattened(x.shape, a["start_axis"], a["stop_axis"]), x.dtype)


@register("flatten", infer=_flatten_infer, canon=_flatten_canon, saves=(0,))
def flatten(xp, x, *, start_axis=0, stop_axis=-1):
    """Merge dims start_axis..stop_axis into one (a 0-d input becomes [1], as in PyTorch)."""
    return x.reshape(_flattened(x.shape, start_axis, stop_axis))  # (canon: axes >= 0)


flatten.defvjp(_like_vjp)


def _squeeze_canon(x, axis=None):
    """None -> the dims known to be 1; unknown (-1) dims are kept then."""
    if axis is None:
        return {"axis": tuple(i for i, d in enumerate(x.shape) if d == 1)}
    return {"axis": _axes(axis, x.ndim)}


def _squeeze_infer(x: Meta, axis=None) -> Meta:
    axes = _squeeze_canon(x, axis)["axis"]
    # An explicit axis of unknown size counts as squeezed (Paddle's compile-time rule).
    return Meta(tuple(d for i, d in enumerate(x.shape) if i not in axes or d not in (1, -1)),
                x.dtype)


@register("squeeze", infer=_squeeze_infer, canon=_squeeze_canon, saves=(0,))
def squeeze(xp, x, *, axis=None):
    """Remove the listed size-1 dims; a listed dim whose size is not 1 stays (PyTorch)."""
    axes = _squeeze_canon(x, axis)["axis"]
    return x.reshape(tuple(d for i, d in enumerate(x.shape) if i not in axes or d != 1))


squeeze.defvjp(_like_vjp)


def _unsqueeze_canon(x, axis):
    """Axes are positions in the output (NumPy's expand_dims), normalized and sorted."""
    axis = _ints(axis, "axis")
    return {"axis": _axes(axis, x.ndim + len(axis))}


def _unsqueezed(shape: tuple, axes: tuple) -> tuple:
    out = list(shape)
    for a in axes:
        out.insert(a, 1)
    return tuple(out)


def _unsqueeze_infer(x: Meta, axis) -> Meta:
    return Meta(_unsqueezed(x.shape, _unsqueeze_canon(x, axis)["axis"]), x.dtype)


@register("unsqueeze", infer=_unsqueeze_infer, canon=_unsqueeze_canon, saves=(0,))
def unsqueeze(xp, x, *, axis):
    """Insert size-1 dims at the output positions `axis`."""
    return x.reshape(_unsqueezed(tuple(x.shape), _unsqueeze_canon(x, axis)["axis"]))


unsqueeze.defvjp(_like_vjp)


# ---------------------------------------------------------------- permutations

def _transpose_canon(x, perm=None):
    if perm is None:
        return {"perm": tuple(range(x.ndim - 1, -1, -1))}
    perm = tuple(norm_axis(p, x.ndim) for p in _ints(perm, "perm"))
    if sorted(perm) != list(range(x.ndim)):
        raise ValueError(f"perm {list(perm)} is not a permutation of the {x.ndim} dims of an "
                         f"input of shape {list(x.shape)}")
    return {"perm": perm}


def _transpose_infer(x: Meta, perm=None) -> Meta:
    perm = _transpose_canon(x, perm)["perm"]
    return Meta(tuple(x.shape[p] for p in perm), x.dtype)


@register("transpose", infer=_transpose_infer, canon=_transpose_canon, saves=())
def transpose(xp, x, *, perm=None):
    """Permute dims: output dim i is input dim perm[i] (None reverses them)."""
    return xp.transpose(x, perm)


@transpose.defvjp
def _transpose_vjp(g, x, out, perm=None):
    perm = _transpose_canon(g, perm)["perm"]
    return (transpose(g, perm=tuple(sorted(range(len(perm)), key=perm.__getitem__))),)


def _flip_canon(x, axis=None):
    return {"axis": tuple(range(x.ndim)) if axis is None else _axes(axis, x.ndim)}


def _flip_infer(x: Meta, axis=None) -> Meta:
    _flip_canon(x, axis)
    return same(x)


@register("flip", infer=_flip_infer, canon=_flip_canon, saves=())
def flip(xp, x, *, axis=None):
    """Reverse the order of elements along `axis` (all dims when None)."""
    return xp.flip(x, axis=_flip_canon(x, axis)["axis"])


@flip.defvjp
def _flip_vjp(g, x, out, axis=None):
    return (flip(g, axis=axis),)


def _roll_canon(x, shifts, axis=None):
    """Shifts per axis, summed over repeated axes and sorted; axis None rolls the flat array."""
    shifts = _ints(shifts, "shifts")
    if axis is None:
        if len(shifts) != 1:
            raise ValueError(f"roll without axis takes one shift, got {list(shifts)}")
        return {"shifts": shifts, "axis": None}
    axes = tuple(norm_axis(a, x.ndim) for a in _ints(axis, "axis"))
    if len(axes) != len(shifts):
        raise ValueError(f"shifts {list(shifts)} and axis {list(axes)} differ in length")
    total = {}
    for a, s in zip(axes, shifts):
        total[a] = total.get(a, 0) + s
    return {"shifts": tuple(total[a] for a in sorted(total)), "axis": tuple(sorted(total))}


def _roll_infer(x: Meta, shifts, axis=None) -> Meta:
    _roll_canon(x, shifts, axis)
    return same(x)


@register("roll", infer=_roll_infer, canon=_roll_canon, saves=())
def roll(xp, x, *, shifts, axis=None):
    """Roll elements along `axis` by `shifts` (torch.roll)."""
    a = _roll_canon(x, shifts, axis)
    if a["axis"] is None:
        return xp.roll(x, a["shifts"][0])
    return xp.roll(x, a["shifts"], axis=a["axis"])


@roll.defvjp
def _roll_vjp(g, x, out, shifts, axis=None):
    return (roll(g, shifts=tuple(-s for s in _ints(shifts, "shifts")), axis=axis),)


# ---------------------------------------------------------------- broadcasting and tiling

def _broadcast_to_canon(x, shape):
    return {"shape": _ints(shape, "shape")}


def _broadcast_to_infer(x: Meta, shape) -> Meta:
    """-1 keeps the input dim (torch expand); new leading dims must be given."""
    shape = _ints(shape, "shape")
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"cannot broadcast a tensor of shape {list(x.shape)} to the smaller "
                         f"rank of {list(shape)}")
    out = []
    for i, d in enumerate(shape):
        have = x.shape[i - lead] if i >= lead else None
        if d == -1:
            if have is None:
                raise ValueError(f"-1 is not allowed in a new leading dim: broadcasting "
                                 f"{list(x.shape)} to {list(shape)}")
            d = have
        elif d < -1 or (have not in (None, 1, -1, d)):
            raise ValueError(f"cannot broadcast a tensor of shape {list(x.shape)} to "
                             f"{list(shape)} (dim {i}: {have} vs {d})")
        out.append(d)
    return Meta(tuple(out), x.dtype)


@register("broadcast_to", infer=_broadcast_to_infer, canon=_broadcast_to_canon, saves=(0,))
def broadcast_to(xp, x, *, shape):
    """Broadcast to `shape` (a read-only view); -1 keeps the input dim (torch expand)."""
    lead = len(shape) - x.ndim
    return xp.broadcast_to(x, tuple(x.shape[i - lead] if d == -1 else d
                                    for i, d in enumerate(shape)))


@broadcast_to.defvjp
def _broadcast_to_vjp(g, x, out, shape):
    return (sum_to_like(g, x),)


def _tile_canon(x, repeats):
    """Repeats padded with leading 1s to at least x's rank (np.tile, Paddle tile)."""
    repeats = _ints(repeats, "repeats")
    if any(r < 0 for r in repeats):
        raise ValueError(f"repeats must be non-negative, got {list(repeats)}")
    return {"repeats": (1,) * (x.ndim - len(repeats)) + repeats}


def _tiled(shape: tuple, repeats: tuple) -> tuple:
    shape = (1,) * (len(repeats) - len(shape)) + tuple(shape)
    return tuple(0 if r == 0 else -1 if d == -1 else d * r for d, r in zip(shape, repeats))


def _tile_infer(x: Meta, repeats) -> Meta:
    return Meta(_tiled(x.shape, _tile_canon(x, repeats)["repeats"]), x.dtype)


@register("tile", infer=_tile_infer, canon=_tile_canon, saves=(0,))
def tile(xp, x, *, repeats):
    """Repeat the whole tensor `repeats[i]` times along dim i (torch Tensor.repeat, np.tile)."""
    return xp.tile(x, repeats)


@tile.defvjp
def _tile_vjp(g, x, out, repeats):
    return (tile_grad(g, x, repeats=repeats),)


def _tile_grad_canon(g, x, repeats):
    return _tile_canon(x, repeats)


def _tile_grad_infer(g: Meta, x: Meta, repeats) -> Meta:
    return Meta(x.shape, g.dtype)


@register("tile_grad", infer=_tile_grad_infer, canon=_tile_grad_canon, saves=())
def tile_grad(xp, g, x, *, repeats):
    """Sum the tiled copies of `g` back onto one copy of x's shape."""
    repeats = _tile_canon(x, repeats)["repeats"]
    full = (1,) * (len(repeats) - x.ndim) + tuple(x.shape)
    split = [n for r, d in zip(repeats, full) for n in (r, d)]
    return g.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(x.shape)


@tile_grad.defvjp
def _tile_grad_vjp(gg, g, x, out, repeats):
    return tile(gg, repeats=repeats), None


# ---------------------------------------------------------------- concat and split

def _concat_canon(*xs, axis=0):
    if not xs:
        raise ValueError("concat needs at least one input")
    if xs[0].ndim == 0:
        raise ValueError("zero-dimensional tensors cannot be concatenated")
    return {"axis": norm_axis(axis, xs[0].ndim)}


def _concat_infer(*xs: Meta, axis=0) -> Meta:
    axis = _concat_canon(*xs, axis=axis)["axis"]
    shapes = " and ".join(str(list(x.shape)) for x in xs)
    if len({x.ndim for x in xs}) > 1:
        raise ValueError(f"inputs must have the same rank, got shapes {shapes}")
    out = []
    for i in range(xs[0].ndim):
        dims = [x.shape[i] for x in xs]
        if i == axis:
            out.append(-1 if -1 in dims else sum(dims))
            continue
        known = {d for d in dims if d != -1}
        if len(known) > 1:
            raise ValueError(f"sizes must match except in dim {axis}, got shapes {shapes}")
        out.append(known.pop() if known else -1)
    return Meta(tuple(out), check_same_dtype(*xs))


@register("concat", infer=_concat_infer, canon=_concat_canon, promote=True)
def concat(xp, *xs, axis=0):
    """Join the inputs along an existing dim (torch.cat / paddle.concat)."""
    return xp.concatenate(xs, axis=axis)


@concat.defvjp
def _concat_vjp(g, *xs, out, axis=0):
    return tuple(split_like(g, *xs, axis=axis))


def _split_like_canon(g, *xs, axis=0):
    return {"axis": norm_axis(axis, g.ndim)}


def _split_like_infer(g: Meta, *xs: Meta, axis=0) -> tuple:
    axis = _split_like_canon(g, *xs, axis=axis)["axis"]
    sizes = [x.shape[axis] if x.ndim == g.ndim else None for x in xs]
    if None in sizes:
        raise ValueError(f"pieces of shapes {[list(x.shape) for x in xs]} do not "
                         f"match the rank of {list(g.shape)}")
    if -1 not in sizes and g.shape[axis] not in (-1, sum(sizes)):
        raise ValueError(f"pieces of sizes {sizes} along dim {axis} do not add up "
                         f"to {list(g.shape)}")
    return tuple(Meta(g.shape[:axis] + (n,) + g.shape[axis + 1:], g.dtype) for n in sizes)


@register("split_like", infer=_split_like_infer, canon=_split_like_canon, n_out=-1,
          saves=("out",))
def split_like(xp, g, *xs, axis=0):
    """Cut `g` along `axis` into pieces as long as each of `xs` (the gradient of concat)."""
    bounds = list(accumulate(x.shape[axis] for x in xs))[:-1]
    return tuple(xp.split(g, bounds, axis=axis))


@split_like.defvjp
def _split_like_vjp(gs, g, *xs, out, axis=0):
    pieces = [zeros_like(o) if gi is None else gi for gi, o in zip(gs, out)]
    return (concat(*pieces, axis=axis),) + (None,) * len(xs)


def _split_canon(x, sections, axis=0):
    """A tuple of section sizes; one may be -1 (inferred), resolved when the dim is known."""
    if not isinstance(sections, (list, tuple)):
        raise TypeError(f"sections must be a tuple of sizes, got {sections!r} (front ends "
                        "turn a chunk size or a number of sections into sizes)")
    axis = norm_axis(axis, x.ndim)
    sections = tuple(int(s) for s in sections)
    if any(s < -1 for s in sections) or sections.count(-1) > 1:
        raise ValueError(f"bad sections {list(sections)} (sizes >= 0, at most one -1)")
    n = x.shape[axis]
    rest = sum(s for s in sections if s != -1)
    if n != -1:
        if -1 in sections and rest <= n:
            sections = tuple(n - rest if s == -1 else s for s in sections)
        if -1 in sections or sum(sections) != n:
            raise ValueError(f"sections {list(sections)} do not add up to dim {axis} "
                             f"of the input of shape {list(x.shape)}")
    return {"sections": sections, "axis": axis}


def _split_infer(x: Meta, sections, axis=0) -> tuple:
    a = _split_canon(x, sections, axis)
    axis = a["axis"]
    return tuple(Meta(x.shape[:axis] + (s,) + x.shape[axis + 1:], x.dtype)
                 for s in a["sections"])


@register("split", infer=_split_infer, canon=_split_canon, n_out=-1, saves=("out",))
def split(xp, x, *, sections, axis=0):
    """Cut `x` along `axis` into pieces of the given sizes (torch.split with a list)."""
    a = _split_canon(x, sections, axis)
    bounds = list(accumulate(a["sections"]))[:-1]
    return tuple(xp.split(x, bounds, axis=a["axis"]))


@split.defvjp
def _split_vjp(gs, x, out, sections, axis=0):
    pieces = [zeros_like(o) if g is None else g for g, o in zip(gs, out)]
    return (concat(*pieces, axis=axis),)


# ---------------------------------------------------------------- triangles

def _tri_infer(x: Meta, diagonal=0) -> Meta:
    if x.ndim < 2:
        raise ValueError(f"expected an input of at least 2 dims, got shape {list(x.shape)}")
    return same(x)


def _tri_canon(x, diagonal=0):
    return {"diagonal": int(diagonal)}


def _tri_mask(xp, x, diagonal: int, lower: bool):
    n, m = x.shape[-2:]
    offset = xp.arange(m)[None, :] - xp.arange(n)[:, None]
    return offset <= diagonal if lower else offset >= diagonal


@register("tril", infer=_tri_infer, canon=_tri_canon, saves=())
def tril(xp, x, *, diagonal=0):
    """Keep the lower triangle (j - i <= diagonal) of the last two dims, zero the rest."""
    return xp.where(_tri_mask(xp, x, diagonal, True), x, xp.zeros((), dtype=x.dtype))


@tril.defvjp
def _tril_vjp(g, x, out, diagonal=0):
    return (tril(g, diagonal=diagonal),)


@register("triu", infer=_tri_infer, canon=_tri_canon, saves=())
def triu(xp, x, *, diagonal=0):
    """Keep the upper triangle (j - i >= diagonal) of the last two dims, zero the rest."""
    return xp.where(_tri_mask(xp, x, diagonal, False), x, xp.zeros((), dtype=x.dtype))


@triu.defvjp
def _triu_vjp(g, x, out, diagonal=0):
    return (triu(g, diagonal=diagonal),)


# ---------------------------------------------------------------- constants shaped like x

def _like_canon(x, dtype=None):
    return {"dtype": _dtype_name(dtype, x)}


def _full_like_canon(x, value, dtype=None):
    dtype = _dtype_name(dtype, x)
    kind = np.dtype(dtype).kind
    cast = bool if kind == "b" else int if kind in "iu" else complex if kind == "c" else float
    try:
        value = cast(value)
    except (OverflowError, ValueError):
        raise ValueError(f"value {value!r} does not fit dtype {dtype}") from None
    return {"value": value, "dtype": dtype}


def _like_dtype_infer(x: Meta, value=None, dtype=None) -> Meta:
    return Meta(x.shape, np.dtype(_dtype_name(dtype, x)))


def _zeros_like_infer(x: Meta, dtype=None) -> Meta:
    return _like_dtype_infer(x, dtype=dtype)


@register("zeros_like", infer=_zeros_like_infer, canon=_like_canon, differentiable=False,
          saves=())
def zeros_like(xp, x, *, dtype=None):
    """Zeros of x's shape (and dtype unless given); constant in x, so no gradient."""
    return xp.zeros(x.shape, dtype=_dtype_name(dtype, x))


@register("ones_like", infer=_zeros_like_infer, canon=_like_canon, differentiable=False,
          saves=())
def ones_like(xp, x, *, dtype=None):
    """Ones of x's shape (and dtype unless given)."""
    return xp.ones(x.shape, dtype=_dtype_name(dtype, x))


@register("full_like", infer=_like_dtype_infer, canon=_full_like_canon, differentiable=False,
          saves=())
def full_like(xp, x, *, value, dtype=None):
    """`value` everywhere, in x's shape (and dtype unless given)."""
    return xp.full(x.shape, value, dtype=_dtype_name(dtype, x))


def _one_hot_canon(x, num_classes=-1, dtype="float32"):
    num_classes = int(num_classes)
    if num_classes < 1 and num_classes != -1:
        raise ValueError(f"num_classes must be positive (or -1: max + 1), got {num_classes}")
    return {"num_classes": num_classes, "dtype": dtypes.as_np(dtype).name}


def _one_hot_infer(x: Meta, num_classes=-1, dtype="float32") -> Meta:
    a = _one_hot_canon(x, num_classes, dtype)
    if x.dtype.kind not in "iu":
        raise TypeError(f"one_hot expects integer class indices, got {x.dtype}")
    return Meta(x.shape + (a["num_classes"],), np.dtype(a["dtype"]))


@register("one_hot", infer=_one_hot_infer, canon=_one_hot_canon, differentiable=False,
          saves=())
def one_hot(xp, x, *, num_classes=-1, dtype="float32"):
    """A trailing dim of `num_classes` with 1 at each index (-1: max index + 1, eager only)."""
    n = num_classes
    if x.size:
        lo, hi = int(x.min()), int(x.max())
        n = hi + 1 if n == -1 else n
        if lo < 0 or hi >= n:
            raise ValueError(f"class values must be in [0, {n}), got values in [{lo}, {hi}]")
    n = max(n, 0)
    return (x[..., None] == xp.arange(n, dtype=x.dtype)).astype(dtype)


# ---------------------------------------------------------------- composites

def stack(xs, axis: int = 0):
    """Join tensors of one shape along a new dim `axis` (torch.stack / paddle.stack)."""
    xs = list(xs)
    if not xs:
        raise ValueError("stack expects a non-empty sequence of tensors")
    axis = norm_axis(axis, len(xs[0].shape) + 1)
    return concat(*[unsqueeze(x, axis=axis) for x in xs], axis=axis)


def chunk(x, chunks: int, axis: int = 0) -> tuple:
    """torch.chunk: pieces of ceil(n / chunks) along `axis` (fewer when n is small). The dim
    must be known (a static -1 dim raises)."""
    axis = norm_axis(axis, len(x.shape))
    n = x.shape[axis]
    if n == -1:
        raise ValueError(f"chunk needs a known size along dim {axis}, got shape {list(x.shape)}")
    if chunks < 1:
        raise ValueError(f"chunk expects chunks >= 1, got {chunks}")
    size = -(-n // chunks) if n else 1
    sections = [size] * (n // size) + ([n % size] if n % size else [])
    return split(x, sections=tuple(sections or [0]), axis=axis)


def unbind(x, axis: int = 0) -> tuple:
    """Split into the slices along a known dim `axis`, removing that dim (torch.unbind)."""
    axis = norm_axis(axis, len(x.shape))
    n = x.shape[axis]
    if n == -1:
        raise ValueError(f"unbind needs a known size along dim {axis}, got shape {list(x.shape)}")
    if n == 0:
        return ()
    pieces = split(x, sections=(1,) * n, axis=axis)
    return tuple(squeeze(p, axis=axis) for p in pieces)


def swapaxes(x, axis0: int, axis1: int):
    """Exchange two dims (torch.transpose(x, dim0, dim1))."""
    ndim = len(x.shape)
    perm = list(range(ndim))
    a, b = norm_axis(axis0, ndim), norm_axis(axis1, ndim)
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm=tuple(perm))


def movedim(x, source, destination):
    """Move dims from `source` to `destination` positions, the others keep their order."""
    ndim = len(x.shape)
    src = [norm_axis(a, ndim) for a in _ints(source, "source")]
    dst = [norm_axis(a, ndim) for a in _ints(destination, "destination")]
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} differ in "
                         "length")
    rest = iter(a for a in range(ndim) if a not in src)
    where = dict(zip(dst, src))
    return transpose(x, perm=tuple(where[i] if i in where else next(rest) for i in range(ndim)))
