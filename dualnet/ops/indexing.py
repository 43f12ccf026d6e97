"""Indexing ops: `x[key]`, `x[key] = v` (out of place), gather/scatter, index_select, pad.

Both front ends turn a Python index into a hashable spec plus tensor inputs with
`parse_index(key) -> (spec, tensors)`, then call `getitem(x, *tensors, index=spec)` or
`setitem(x, value, *tensors, index=spec)`.

The spec is a tuple with one item per entry of the key (a non-tuple key is a 1-tuple):

    ("int", k)                    an integer; negative counts from the end
    ("slice", start, stop, step)  ints or None; canonical: a step of 1 and a start of 0 (with a
                                  positive step) are None
    ("none",)                     None / newaxis: a new dim of size 1
    ("ellipsis",)                 ...
    ("bool", b)                   a Python bool: a new dim of size 1 (True) or 0 (False)
    ("tensor",)                   the next tensor input: an integer tensor (advanced index, one
                                  dim) or a bool tensor (mask over as many dims as it has)

Example: `x[0, 1:3, None, ..., idx, [1, 1]]` gives
`(("int", 0), ("slice", 1, 3, None), ("none",), ("ellipsis",), ("tensor",), ("tensor",))` and
`[idx, array([1, 1])]`.

Semantics are PyTorch's: integers, slices, None, Ellipsis and bools apply first (basic indexing);
then the tensor indices are applied to the result with NumPy's advanced-indexing rule (their
shapes broadcast; the broadcast dims replace the indexed dims in place if the tensor indices are
adjacent, else they come first). This differs from NumPy only in that an integer does not count
as an advanced index: `x[0, :, idx]` has shape [n, len(idx)] in PyTorch.
"""
from __future__ import annotations

import operator

import numpy as np

from .. import dtypes
from .common import broadcast_shapes, norm_axis, same
from .elementwise import cast
from .registry import Meta, register
from .shape import broadcast_like, sum_to_like, unsqueeze, zeros_like


def broadcast_along(a_shape: tuple, b_shape: tuple, axis: int):
    """numpy/torch take_along_axis's broadcast: every dim but `axis` broadcast between two
    shapes of one rank -> (a's shape, b's shape), each keeping its own size at `axis`; None
    when they do not broadcast (the front ends word the error)."""
    outer = [tuple(1 if d == axis else n for d, n in enumerate(s)) for s in (a_shape, b_shape)]
    try:
        common = list(broadcast_shapes(*outer))
    except ValueError:
        return None
    return (tuple(common[:axis] + [a_shape[axis]] + common[axis + 1:]),
            tuple(common[:axis] + [b_shape[axis]] + common[axis + 1:]))


def scatter_add_into(xp, out, index, values) -> None:
    """`out[index] += values` in place, accumulating repeated indices (`add.at` on NumPy and
    CuPy >= 13, cupyx.scatter_add on older CuPy). `index` holds integer arrays and slices."""
    add_at = getattr(xp.add, "at", None)
    if add_at is not None:
        add_at(out, index, values)
    else:
        import cupyx  # type: ignore

        cupyx.scatter_add(out, index, values)


# ---------------------------------------------------------------- parse_index

def parse_index(key) -> tuple[tuple, list]:
    """A Python index -> (hashable spec, list of tensor indices); see the module docstring.

    Lists, tuples nested in the key, ranges and NumPy arrays of ints/bools become NumPy arrays
    in the tensor list (the front end wraps them); tensor-like objects (anything with a
    `.shape` that is not a NumPy array) are passed through unchanged."""
    items = key if type(key) is tuple else (key,)
    tensors: list = []
    spec = tuple(_parse_item(k, tensors) for k in items)
    return spec, tensors


def _parse_item(k, tensors: list) -> tuple:
    if k is None:
        return ("none",)
    if k is Ellipsis:
        return ("ellipsis",)
    if isinstance(k, (bool, np.bool_)):
        return ("bool", bool(k))
    if isinstance(k, (int, np.integer)):
        return ("int", int(k))
    if isinstance(k, slice):
        return _parse_slice(k)
    if isinstance(k, (list, tuple, range, np.ndarray)):
        arr = np.asarray(k)
        if arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "biu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors, "
                             f"got an index of dtype {arr.dtype}: {k!r}")
        if arr.ndim == 0:
            return ("bool", bool(arr)) if arr.dtype.kind == "b" else ("int", int(arr))
        tensors.append(arr)
        return ("tensor",)
    if hasattr(k, "shape"):
        tensors.append(k)
        return ("tensor",)
    if hasattr(k, "__index__"):
        return ("int", operator.index(k))
    raise TypeError(f"only integers, slices (`:`), ellipsis (`...`), None and long or bool "
                    f"tensors are valid indices, got {type(k).__name__}")


def _parse_slice(s: slice) -> tuple:
    def bound(v):
        if v is None:
            return None
        try:
            return operator.index(v)
        except TypeError:
            raise TypeError(f"slice bounds must be integers or None, got {v!r}") from None

    start, stop, step = bound(s.start), bound(s.stop), bound(s.step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    step = None if step == 1 else step
    if start == 0 and (step is None or step > 0):
        start = None
    return ("slice", start, stop, step)


# ---------------------------------------------------------------- interpreting a spec

def _index_canon(x, *tensors, index):
    """Lists (e.g. from JSON) back into tuples; checks the tensor count."""
    spec = tuple(tuple(item) for item in index)
    want = sum(1 for item in spec if item[0] == "tensor")
    if want != len(tensors):
        raise ValueError(f"index spec {spec} takes {want} tensor indices, got {len(tensors)}")
    return {"index": spec}


def _span(item: tuple, t) -> int:
    """How many input dims an index item reads."""
    if item[0] in ("int", "slice"):
        return 1
    if item[0] == "tensor":
        return len(t.shape) if _is_bool(t) else 1
    return 0


def _plan(ndim: int, spec: tuple, tensors: list):
    """Split an index into PyTorch's two stages.

    Returns (key1, dims1, adv): key1 is a basic index (ints, slices, None) for x; dims1 gives,
    for each key1 entry, the input dim it reads (None for new dims); adv lists the advanced
    indices as (position in x[key1], number of dims covered, tensor or Python bool)."""
    spec = tuple(tuple(item) for item in spec)
    if sum(1 for item in spec if item[0] == "ellipsis") > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    tensor_iter = iter(tensors)
    entries = [(item, next(tensor_iter) if item[0] == "tensor" else None) for item in spec]
    used = sum(_span(item, t) for item, t in entries)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim} (index {spec})")
    key1, dims1, adv = [], [], []
    dim = pos = 0  # next input dim read, next dim of x[key1]
    for item, t in entries:
        kind = item[0]
        if kind in ("int", "slice"):
            key1.append(item[1] if kind == "int" else slice(*item[1:]))
            dims1.append(dim)
            dim += 1
            pos += kind == "slice"
            continue
        if kind == "none" or kind == "bool" or (kind == "tensor" and _span(item, t) == 0):
            if kind != "none":  # a bool inserts a dim that an advanced index then selects
                adv.append((pos, 1, item[1] if kind == "bool" else t))
            key1.append(None)
            dims1.append(None)
            pos += 1
            continue
        if kind not in ("ellipsis", "tensor"):
            raise ValueError(f"unknown index item {item!r}")
        span = ndim - used if kind == "ellipsis" else _span(item, t)
        if kind == "tensor":
            adv.append((pos, span, t))
        key1.extend([slice(None)] * span)
        dims1.extend(range(dim, dim + span))
        dim += span
        pos += span
    key1.extend([slice(None)] * (ndim - dim))
    dims1.extend(range(dim, ndim))
    return tuple(key1), tuple(dims1), adv


def _is_bool(t) -> bool:
    return np.dtype(t.dtype).kind == "b"


def _adjacent(adv) -> bool:
    return all(p + n == q for (p, n, _), (q, _, _) in zip(adv, adv[1:]))


def _combine(shape1: list, adv, bshape: tuple) -> tuple:
    """The shape of x[key1][key2] from the shape of x[key1] and the broadcast index shape."""
    covered = {p + i for p, n, _ in adv for i in range(n)}
    rest = [d for i, d in enumerate(shape1) if i not in covered]
    if _adjacent(adv):
        first = adv[0][0]
        before = sum(1 for i in range(first) if i not in covered)
        return tuple(rest[:before]) + bshape + tuple(rest[before:])
    return bshape + tuple(rest)


def _getitem_shape(x: Meta, tensors: tuple, index) -> tuple:
    key1, dims1, adv = _plan(x.ndim, index, tensors)
    shape1 = []
    for k, d in zip(key1, dims1):
        n = None if d is None else x.shape[d]
        if isinstance(k, int):
            if n != -1 and not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {d} with size {n} "
                                 f"(input shape {list(x.shape)})")
        elif k is None:
            shape1.append(1)
        else:
            shape1.append(-1 if n == -1 else len(range(*k.indices(n))))
    if not adv:
        return tuple(shape1)
    shapes = []
    for pos, span, t in adv:
        if isinstance(t, bool):
            shapes.append((1 if t else 0,))
            continue
        if np.dtype(t.dtype).kind not in "biu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors, "
                             f"got {np.dtype(t.dtype)}")
        if not _is_bool(t):
            shapes.append(tuple(t.shape))
            continue
        over = shape1[pos:pos + span]
        mshape = tuple(t.shape) or (1,)
        if any(a not in (-1, b) and b != -1 for a, b in zip(mshape, over)):
            raise IndexError(f"the shape of the mask {list(t.shape)} does not match the shape "
                             f"{over} of the indexed tensor at dims {pos}..{pos + span - 1}")
        shapes.append((-1,))
    try:
        bshape = broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                         f"with shapes {[list(s) for s in shapes]}") from None
    return _combine(shape1, adv, bshape)


def _stage2_key(xp, ndim1: int, adv, masks_to_ints: bool) -> tuple:
    """The advanced-index key for x[key1]: slices except at the tensor positions."""
    key = [slice(None)] * ndim1
    for pos, span, t in reversed(adv):
        if isinstance(t, bool):
            t = xp.zeros(1 if t else 0, dtype=np.int64)
        elif t.ndim == 0 and t.dtype.kind == "b":
            t = t.reshape(1)  # a 0-d mask selects all or nothing along a new dim of size 1/0
        if masks_to_ints and t.dtype.kind == "b":
            key[pos:pos + span] = list(xp.nonzero(t))
        else:
            key[pos:pos + span] = [t]
    return tuple(key)


# ---------------------------------------------------------------- getitem / setitem

def _getitem_infer(x: Meta, *tensors: Meta, index) -> Meta:
    _index_canon(x, *tensors, index=index)
    return Meta(_getitem_shape(x, tensors, index), x.dtype)


@register("getitem", infer=_getitem_infer, canon=_index_canon)
def getitem(xp, x, *tensors, index):
    """`x[key]` with PyTorch's semantics; `index` is the spec from `parse_index`."""
    key1, _, adv = _plan(x.ndim, index, tensors)
    if not adv:
        return x[key1 + (Ellipsis,)]  # the Ellipsis keeps a 0-d result an array
    y = x[key1]
    return y[_stage2_key(xp, y.ndim, adv, masks_to_ints=len(adv) > 1)]


@getitem.defvjp
def _getitem_vjp(g, x, *tensors, out, index):
    return (getitem_grad(g, x, *tensors, index=index),) + (None,) * len(tensors)


def _getitem_grad_canon(g, x, *tensors, index):
    return _index_canon(x, *tensors, index=index)


def _getitem_grad_infer(g: Meta, x: Meta, *tensors: Meta, index) -> Meta:
    _index_canon(x, *tensors, index=index)
    return Meta(x.shape, g.dtype)


@register("getitem_grad", infer=_getitem_grad_infer, canon=_getitem_grad_canon)
def getitem_grad(xp, g, x, *tensors, index):
    """Zeros shaped like x with `g` added at `x[key]`; repeated indices accumulate."""
    out = xp.zeros(x.shape, dtype=g.dtype)
    key1, _, adv = _plan(x.ndim, index, tensors)
    if not adv:
        out[key1 + (Ellipsis,)] = g
        return out
    view = out[key1]
    if len(adv) == 1 and not isinstance(adv[0][2], bool) and adv[0][2].dtype.kind == "b":
        view[_stage2_key(xp, view.ndim, adv, masks_to_ints=False)] = g  # a mask never repeats
    else:
        scatter_add_into(xp, view, _stage2_key(xp, view.ndim, adv, masks_to_ints=True), g)
    return out


@getitem_grad.defvjp
def _getitem_grad_vjp(gg, g, x, *tensors, out, index):
    return (getitem(gg, *tensors, index=index), None) + (None,) * len(tensors)


def _setitem_infer(x: Meta, value: Meta, *tensors: Meta, index) -> Meta:
    _index_canon(x, *tensors, index=index)
    target = _getitem_shape(x, tensors, index)
    vshape = () if value is None else tuple(value.shape)
    while len(vshape) > len(target) and vshape[0] in (1, -1):
        vshape = vshape[1:]
    if len(vshape) > len(target) or any(
            v not in (1, -1) and t != -1 and v != t for v, t in zip(vshape[::-1], target[::-1])):
        raise ValueError(f"cannot assign a value of shape {list(value.shape)} to the indexed "
                         f"part of shape {list(target)} (input shape {list(x.shape)})")
    return same(x)


def _setitem_canon(x, value, *tensors, index):
    return _index_canon(x, *tensors, index=index)


@register("setitem", infer=_setitem_infer, canon=_setitem_canon)
def setitem(xp, x, value, *tensors, index):
    """A copy of x with `x[key] = value` applied (value broadcast, cast to x's dtype)."""
    out = x.copy()
    key1, _, adv = _plan(x.ndim, index, tensors)
    if not adv:
        out[key1 + (Ellipsis,)] = value
        return out
    view = out[key1]
    view[_stage2_key(xp, view.ndim, adv, masks_to_ints=len(adv) > 1)] = value
    return out


@setitem.defvjp
def _setitem_vjp(g, x, value, *tensors, out, index):
    gx = setitem(g, 0.0, *tensors, index=index)
    gv = None
    vdtype = dtypes.as_np(value.dtype)
    if vdtype.kind in "fc":
        gv = getitem(g, *tensors, index=index)
        extra = len(value.shape) - len(gv.shape)
        if extra > 0:  # value with extra leading 1-dims
            gv = unsqueeze(gv, axis=tuple(range(extra)))
        gv = sum_to_like(gv, value)
        if dtypes.as_np(gv.dtype) != vdtype:
            gv = cast(gv, dtype=vdtype.name)
    return (gx, gv) + (None,) * len(tensors)


def masked_fill(x, mask, value):
    """x with `value` where `mask` (broadcast to x's shape) is True (torch.masked_fill)."""
    return setitem(x, value, broadcast_like(mask, x), index=(("tensor",),))


# ---------------------------------------------------------------- gather / scatter

def _axis_canon(*inputs, axis=0):
    return {"axis": norm_axis(axis, len(inputs[0].shape))}


def _axis_key(xp, index, axis: int) -> tuple:
    """An open-grid index: `index` along `axis`, the position itself along every other dim."""
    key = []
    for d, n in enumerate(index.shape):
        if d == axis:
            key.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            key.append(xp.arange(n).reshape(shape))
    return tuple(key)


def _check_gather_index(x: Meta, index: Meta, axis: int, what: str) -> None:
    if index.dtype.kind not in "iu":
        raise TypeError(f"{what} expects an integer index, got {index.dtype}")
    if index.ndim != x.ndim:
        raise ValueError(f"index {list(index.shape)} must have the same number of dims as the "
                         f"input {list(x.shape)}")
    for d, (n, m) in enumerate(zip(index.shape, x.shape)):
        if d != axis and -1 not in (n, m) and n > m:
            raise ValueError(f"index {list(index.shape)} is larger than the input "
                             f"{list(x.shape)} in dim {d}")


def _gather_infer(x: Meta, index: Meta, axis=0) -> Meta:
    axis = norm_axis(axis, x.ndim)
    _check_gather_index(x, index, axis, "gather")
    return Meta(index.shape, x.dtype)


@register("gather", infer=_gather_infer, canon=_axis_canon, saves=(0, 1))
def gather(xp, x, index, *, axis=0):
    """out[i][j][k] = x[index[i][j][k]][j][k] for axis 0 (torch.gather)."""
    return x[_axis_key(xp, index, axis)]


@gather.defvjp
def _gather_vjp(g, x, index, out, axis=0):
    return scatter_add(zeros_like(x), index, g, axis=axis), None


def _scatter_infer(x: Meta, index: Meta, src: Meta, axis=0) -> Meta:
    axis = norm_axis(axis, x.ndim)
    _check_gather_index(x, index, axis, "scatter")
    if src is not None and src.ndim and (src.ndim != index.ndim or any(
            -1 not in (n, m) and n > m for n, m in zip(index.shape, src.shape))):
        raise ValueError(f"index {list(index.shape)} must not be larger than src "
                         f"{list(src.shape)} in any dim")
    return same(x)


def _src_part(xp, src, index):
    if src.ndim == 0:
        return xp.broadcast_to(src, index.shape)
    return src[tuple(slice(0, n) for n in index.shape)]


@register("scatter_add", infer=_scatter_infer, canon=_axis_canon, promote=(0, 2), saves=(1,))
def scatter_add(xp, x, index, src, *, axis=0):
    """x with src[i][j] added at [index[i][j]][j] for axis 0, repeats accumulating
    (torch.scatter_add). Only src's leading index-shaped part is used; its gradient is
    index-shaped, so differentiate it with src of the index's shape (as PyTorch requires)."""
    out = x.copy()
    scatter_add_into(xp, out, _axis_key(xp, index, axis), _src_part(xp, src, index))
    return out


@scatter_add.defvjp
def _scatter_add_vjp(g, x, index, src, out, axis=0):
    return g, None, gather(g, index, axis=axis)


@register("scatter", infer=_scatter_infer, canon=_axis_canon, promote=(0, 2), saves=(1, 2))
def scatter(xp, x, index, src, *, axis=0):
    """x with src[i][j] written at [index[i][j]][j] for axis 0 (torch.scatter); src may be a
    scalar. Repeated indices keep one of the values (unspecified which, as in PyTorch)."""
    out = x.copy()
    out[_axis_key(xp, index, axis)] = _src_part(xp, src, index)
    return out


@scatter.defvjp
def _scatter_vjp(g, x, index, src, out, axis=0):
    gx = scatter(g, index, 0.0, axis=axis)
    return gx, None, sum_to_like(gather(g, index, axis=axis), src)


def _index_select_infer(x: Meta, index: Meta, axis=0) -> Meta:
    axis = norm_axis(axis, x.ndim)
    if index.dtype.kind not in "iu" or index.ndim > 1:
        raise ValueError(f"index_select expects a 1-D integer index, got shape "
                         f"{list(index.shape)} of {index.dtype}")
    n = index.shape[0] if index.ndim else 1
    return Meta(x.shape[:axis] + (n,) + x.shape[axis + 1:], x.dtype)


@register("index_select", infer=_index_select_infer, canon=_axis_canon, saves=(0, 1))
def index_select(xp, x, index, *, axis=0):
    """The entries of x at positions `index` along `axis` (torch.index_select)."""
    return xp.take(x, index.reshape(-1), axis=axis)


@index_select.defvjp
def _index_select_vjp(g, x, index, out, axis=0):
    return index_add(zeros_like(x), index, g, axis=axis), None


def _index_add_infer(x: Meta, index: Meta, src: Meta, axis=0) -> Meta:
    want = _index_select_infer(x, index, axis).shape
    if len(want) != src.ndim or any(-1 not in (a, b) and a != b
                                    for a, b in zip(want, src.shape)):
        raise ValueError(f"src of shape {list(src.shape)} should have shape "
                         f"{list(want)} (input {list(x.shape)}, index {list(index.shape)})")
    return same(x)


@register("index_add", infer=_index_add_infer, canon=_axis_canon, promote=(0, 2), saves=(1,))
def index_add(xp, x, index, src, *, axis=0):
    """x with src's slices added at positions `index` along `axis`, repeats accumulating
    (torch.index_add; the gradient of index_select)."""
    out = x.copy()
    scatter_add_into(xp, out, (slice(None),) * axis + (index.reshape(-1),), src)
    return out


@index_add.defvjp
def _index_add_vjp(g, x, index, src, out, axis=0):
    return g, None, index_select(g, index, axis=axis)


# ---------------------------------------------------------------- pad

_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "replicate",
              "circular": "circular", "edge": "replicate", "wrap": "circular"}


def _pad_canon(x, pads, mode="constant", value=0.0):
    pads = tuple(int(p) for p in pads)
    if len(pads) % 2 or len(pads) > 2 * len(x.shape):
        raise ValueError(f"pads {list(pads)} must hold (before, after) pairs for at most the "
                         f"{len(x.shape)} dims of the input of shape {list(x.shape)}")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad mode must be one of constant, reflect, replicate, circular; "
                         f"got {mode!r}")
    mode = _PAD_MODES[mode]
    if mode != "constant" and min(pads, default=0) < 0:
        raise ValueError(f"negative pads {list(pads)} are only allowed in constant mode")
    return {"pads": pads, "mode": mode, "value": float(value)}


def _axis_pads(ndim: int, pads: tuple):
    """PyTorch order (last dim first) -> [(axis, before, after)]."""
    return [(ndim - 1 - i, pads[2 * i], pads[2 * i + 1]) for i in range(len(pads) // 2)]


def _padded_shape(shape: tuple, pads: tuple, mode: str, sign: int = 1) -> tuple:
    out = list(shape)
    for axis, lo, hi in _axis_pads(len(shape), pads):
        n = shape[axis]
        if n == -1:
            continue
        if sign > 0 and mode == "reflect" and max(lo, hi) >= n:
            raise ValueError(f"reflect padding ({lo}, {hi}) must be smaller than dim {axis} of "
                             f"the input of shape {list(shape)}")
        if sign > 0 and mode == "circular" and max(lo, hi) > n:
            raise ValueError(f"circular padding ({lo}, {hi}) must not exceed dim {axis} of the "
                             f"input of shape {list(shape)}")
        out[axis] = n + sign * (lo + hi)
        if out[axis] < 0 or (sign < 0 and mode != "constant" and out[axis] == 0):
            raise ValueError(f"padding ({lo}, {hi}) of dim {axis} gives a size of "
                             f"{out[axis]} for the shape {list(shape)}")
    return tuple(out)


def _pad_infer(x: Meta, pads, mode="constant", value=0.0) -> Meta:
    a = _pad_canon(x, pads, mode, value)
    return Meta(_padded_shape(x.shape, a["pads"], a["mode"]), x.dtype)


def _source_index(xp, n: int, lo: int, hi: int, mode: str):
    """For every position of a padded axis, the input position it copies."""
    s = xp.arange(-lo, n + hi)
    if mode == "reflect":
        return (n - 1) - xp.abs((n - 1) - xp.abs(s))
    if mode == "replicate":
        return xp.clip(s, 0, n - 1)
    return s % n


@register("pad", infer=_pad_infer, canon=_pad_canon, saves=())
def pad(xp, x, *, pads, mode="constant", value=0.0):
    """Pad with `pads` = (last-dim before, last-dim after, 2nd-last before, ...), PyTorch's
    order; constant mode also crops with negative pads."""
    a = _pad_canon(x, pads, mode, value)
    _padded_shape(tuple(x.shape), a["pads"], a["mode"])  # reflect/circular size limits
    if a["mode"] == "constant":
        crop = [slice(None)] * x.ndim
        widths = [(0, 0)] * x.ndim
        for axis, lo, hi in _axis_pads(x.ndim, a["pads"]):
            crop[axis] = slice(max(-lo, 0), x.shape[axis] - max(-hi, 0))
            widths[axis] = (max(lo, 0), max(hi, 0))
        return xp.pad(x[tuple(crop)], widths, mode="constant", constant_values=a["value"])
    for axis, lo, hi in _axis_pads(x.ndim, a["pads"]):
        x = xp.take(x, _source_index(xp, x.shape[axis], lo, hi, a["mode"]), axis=axis)
    return x


@pad.defvjp
def _pad_vjp(g, x, out, pads, mode="constant", value=0.0):
    if _PAD_MODES.get(mode, mode) == "constant":
        return (pad(g, pads=tuple(-p for p in pads), mode="constant"),)
    return (pad_grad(g, pads=pads, mode=mode),)


def _pad_grad_infer(g: Meta, pads, mode) -> Meta:
    a = _pad_canon(g, pads, mode)
    return Meta(_padded_shape(g.shape, a["pads"], a["mode"], sign=-1), g.dtype)


def _pad_grad_canon(g, pads, mode):
    a = _pad_canon(g, pads, mode)
    return {"pads": a["pads"], "mode": a["mode"]}


@register("pad_grad", infer=_pad_grad_infer, canon=_pad_grad_canon, saves=())
def pad_grad(xp, g, *, pads, mode):
    """The gradient of pad: each padded position's gradient added to the input position it
    copied (reflect, replicate, circular)."""
    mode = _PAD_MODES[mode]
    if mode == "constant":
        return pad.forward(xp, g, pads=tuple(-p for p in pads))
    for axis, lo, hi in _axis_pads(g.ndim, pads):
        n = g.shape[axis] - lo - hi
        out = xp.zeros(g.shape[:axis] + (n,) + g.shape[axis + 1:], dtype=g.dtype)
        key = (slice(None),) * axis + (_source_index(xp, n, lo, hi, mode),)
        scatter_add_into(xp, out, key, g)
        g = out
    return g


@pad_grad.defvjp
def _pad_grad_vjp(gg, g, out, pads, mode):
    return (pad(gg, pads=pads, mode=mode),)


# ---------------------------------------------------------------- value-dependent shapes


def _nonzero_infer(x: Meta) -> Meta:
    return Meta((-1, x.ndim), np.dtype(np.int64))


@register("nonzero", infer=_nonzero_infer, differentiable=False, saves=())
def nonzero(xp, x):
    """The positions of x's nonzero entries, one row each, in row-major order ([N, ndim]
    int64; paddle.nonzero, torch.nonzero)."""
    return xp.argwhere(x).astype(np.int64, copy=False)


def _masked_select_infer(x: Meta, mask: Meta) -> Meta:
    if mask.dtype != np.bool_:
        raise TypeError(f"masked_select expects a bool mask, got {mask.dtype}")
    broadcast_shapes(x.shape, mask.shape)
    return Meta((-1,), x.dtype)


@register("masked_select", infer=_masked_select_infer, saves=(0, 1))
def masked_select(xp, x, mask):
    """The entries of x where mask (broadcast with x) is True, flattened ([N])."""
    shape = np.broadcast_shapes(x.shape, mask.shape)
    return xp.broadcast_to(x, shape)[xp.broadcast_to(mask, shape)]


@masked_select.defvjp
def _masked_select_vjp(g, x, mask, out):
    return sum_to_like(masked_select_grad(g, x, mask), x), None


def _masked_select_grad_infer(g: Meta, x: Meta, mask: Meta) -> Meta:
    return Meta(broadcast_shapes(x.shape, mask.shape), g.dtype)


@register("masked_select_grad", infer=_masked_select_grad_infer, saves=(1, 2))
def masked_select_grad(xp, g, x, mask):
    """Zeros of the broadcast shape of x and mask with g written at the True positions (the
    gradient of masked_select)."""
    shape = np.broadcast_shapes(x.shape, mask.shape)
    out = xp.zeros(shape, dtype=g.dtype)
    out[xp.broadcast_to(mask, shape)] = g
    return out


@masked_select_grad.defvjp
def _masked_select_grad_vjp(gg, g, x, mask, out):
    return masked_select(gg, mask), None, None
