"""torch's diagonal and reshaping functions beyond functions.py (torch.diagonal, roll, narrow,
hstack, meshgrid, ...), and the Tensor methods of the same names (ShapeMethods, a Tensor base).
Composites over registry ops (getitem, pad, where, transpose, concat, tile, ...): gradients
are those ops' own; index tensors computed from shapes are int64 constants on the input's
device.
"""
from __future__ import annotations

import builtins

import numpy as np

from dualnet import backend, dtypes
from dualnet.ops import apply
from dualnet.ops import composite as C
from dualnet.ops import manip as M
from dualnet.ops import statistics as S

from ._search import _Tensor, _along, _arg, _dim, _getitem, _index, _ints

__all__ = [
    "diagonal", "diag", "diag_embed", "trace", "roll", "rot90", "narrow", "select",
    "tensor_split", "movedim", "moveaxis", "unflatten", "hstack", "vstack", "dstack",
    "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "tile", "meshgrid", "fliplr",
    "flipud", "argwhere", "tril_indices", "triu_indices", "cartesian_prod",
]


# ---------------------------------------------------------------- diagonals

def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of the (dim1, dim2) planes, as the last dim (offset > 0: above it)."""
    x = _arg("diagonal", input)
    d1, d2 = _dim("diagonal", dim1, x.ndim), _dim("diagonal", dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal(): diagonal dimensions cannot be identical {dim1}, {dim2}")
    return S.diagonal(x, int(offset), d1, d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices (in dims dim1, dim2 of a result one dim larger) with input's last dim on
    their `offset` diagonal and zeros elsewhere."""
    x = _arg("diag_embed", input)
    nd = x.ndim + 1
    d1, d2 = _dim("diag_embed", dim1, nd), _dim("diag_embed", dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diag_embed(): diagonal dimensions cannot be identical {dim1}, "
                           f"{dim2}")
    return S.diag_embed(x, int(offset), d1, d2)


def diag(input, diagonal=0):
    """A 1-D input -> a matrix with it on the `diagonal`; a 2-D input -> that diagonal."""
    x = _arg("diag", input)
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    if x.ndim == 2:
        return globals()["diagonal"](x, diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")


def trace(input):
    """The sum of a matrix's main diagonal (integers give int64)."""
    x = _arg("trace", input)
    if x.ndim != 2:
        raise RuntimeError(f"trace(): expected a matrix, but got tensor with dim {x.ndim}")
    return S.trace(x)


# ---------------------------------------------------------------- shapes

def roll(input, shifts, dims=None):
    """Roll elements by `shifts` along `dims` (the flattened tensor when dims is None)."""
    x = _arg("roll", input)
    shifts, axes = _ints(shifts), None if dims is None else _ints(dims)
    if axes is None and len(shifts) != 1:
        raise RuntimeError(f"roll(): without dims takes one shift, got {list(shifts)}")
    if axes is not None:
        if len(axes) != len(shifts):
            raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: "
                               f"{len(shifts)}, dims: {len(axes)}")
        axes = tuple(_dim("roll", a, x.ndim) for a in axes)
    if x.ndim == 0:
        return x.clone()
    return apply("roll", x, shifts=shifts, axis=axes)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees k times in the plane `dims`, from the first towards the second."""
    x = _arg("rot90", input)
    dims = _ints(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90(): expected total rotation dims == 2, but got dims = "
                           f"{len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"rot90(): expected total dims >= 2, but got total dims = {x.ndim}")
    a, b = _dim("rot90", dims[0], x.ndim), _dim("rot90", dims[1], x.ndim)
    if a == b:
        raise RuntimeError(f"rot90(): expected rotation dims to be different, but got dim0 = "
                           f"{a} and dim1 = {b}")
    return M.rot90(x, int(k), (a, b))


def narrow(input, dim, start, length):
    """The `length` entries from `start` along `dim` (start may be a 0-d tensor)."""
    x = _arg("narrow", input)
    d = _dim("narrow", dim, x.ndim)
    size, start, length = x.shape[d], int(start), int(length)
    if not -size <= start <= size:
        raise IndexError(f"narrow(): start ({start}) out of range for dimension {d} of size "
                         f"{size}")
    start = start % size if start < 0 else start
    if length < 0 or start + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension "
                           f"size ({size}).")
    return _getitem(x, _along(d, slice(start, start + length)))


def select(input, dim, index):
    """The slice at `index` along `dim`, which is removed."""
    x = _arg("select", input)
    d = _dim("select", dim, x.ndim)
    size, index = x.shape[d], int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(x.shape)} at dimension {d}")
    return _getitem(x, _along(d, index))


def _unfold(self, dimension, size, step):
    """Tensor.unfold: windows of `size` every `step` along `dimension`, as a new last dim."""
    x = self
    d = _dim("unfold", dimension, builtins.max(x.ndim, 1))
    if x.ndim == 0:
        x = x.reshape(1)
    n, size, step = x.shape[d], int(size), int(step)
    if size > n or size < 0:
        raise RuntimeError(f"unfold(): maximum size for tensor at dimension {d} is {n} but "
                           f"size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold(): step is {step} but must be > 0")
    count = (n - size) // step + 1
    positions = (np.arange(count)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
    picked = apply("index_select", x, _index(x, positions), axis=d)
    shape = tuple(x.shape[:d]) + (count, size) + tuple(x.shape[d + 1:])
    return C.movedim(picked.reshape(shape), d + 1, -1)


def tensor_split(input, indices_or_sections, dim=0):
    """Views cut at the given indices, or into n near-equal parts (the first n % size ones a
    size larger), along `dim`."""
    x = _arg("tensor_split", input)
    d = _dim("tensor_split", dim, x.ndim)
    sections = indices_or_sections
    if isinstance(sections, _Tensor()):
        if sections._data.dtype.kind not in "iu" or sections.ndim > 1:
            raise RuntimeError("tensor_split(): expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor of integers")
        sections = int(sections) if sections.ndim == 0 else _ints(sections)
    if isinstance(sections, (int, np.integer)):
        parts = int(sections)
        if parts <= 0:
            raise RuntimeError(f"tensor_split(): number of sections must be larger than 0, got "
                               f"{parts}")
        return M.tensor_split(x, parts, d)
    return M.tensor_split(x, [int(i) for i in sections], d)


def movedim(input, source, destination):
    """Move dims from `source` to `destination`; the others keep their order."""
    x = _arg("movedim", input)
    src, dst = _ints(source), _ints(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim(): Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src = tuple(_dim("movedim", a, x.ndim) for a in src)
    dst = tuple(_dim("movedim", a, x.ndim) for a in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim(): repeated dim in source {list(src)} or destination "
                           f"{list(dst)}")
    return C.movedim(x, src, dst)


moveaxis = movedim


def unflatten(input, dim, sizes):
    """Expand dim `dim` into the shape `sizes` (one entry may be -1)."""
    x = _arg("unflatten", input)
    d = _dim("unflatten", dim, x.ndim)
    sizes = _ints(sizes)
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or (-1 not in sizes and known != x.shape[d]) or (
            -1 in sizes and (known == 0 or x.shape[d] % known)):
        raise RuntimeError(f"unflatten(): Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({x.shape[d]}) in the input tensor")
    return M.unflatten(x, d, sizes)


def _atleast(n: int, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
        single = False
    else:
        single = len(tensors) == 1
    out = []
    for t in tensors:
        t = _arg(f"atleast_{n}d", t)
        if t.ndim == 0:
            t = t.reshape((1,) * n)
        elif t.ndim == 1 and n >= 2:
            t = t.reshape((1, t.shape[0], 1)[:n])
        elif t.ndim == 2 and n == 3:
            t = apply("unsqueeze", t, axis=2)
        out.append(t)
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    return _atleast(3, tensors)


def _stack_list(fn: str, tensors) -> list:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{fn}(): expects a non-empty TensorList")
    return [_arg(fn, t, "tensors") for t in tensors]


def hstack(tensors):
    """Concatenate along dim 1 (dim 0 for 1-D tensors)."""
    ts = [atleast_1d(t) for t in _stack_list("hstack", tensors)]
    return apply("concat", *ts, axis=0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    """Concatenate along dim 0 after making every tensor at least 2-D."""
    return apply("concat", *[atleast_2d(t) for t in _stack_list("vstack", tensors)], axis=0)


row_stack = vstack


def dstack(tensors):
    """Concatenate along dim 2 after making every tensor at least 3-D."""
    return apply("concat", *[atleast_3d(t) for t in _stack_list("dstack", tensors)], axis=2)


def column_stack(tensors):
    """0-d and 1-D tensors become columns; then concatenate along dim 1."""
    ts = [t.reshape(t.numel(), 1) if t.ndim <= 1 else t
          for t in _stack_list("column_stack", tensors)]
    return apply("concat", *ts, axis=1)


def tile(input, dims):
    """Repeat the tensor dims[i] times along dim i (dims padded with leading 1s)."""
    return _arg("tile", input).tile(*_ints(dims))


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 0-d/1-D tensors; indexing 'ij' (the default) or 'xy' (the first
    two output dims swapped)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid(): indexing must be one of 'xy' or 'ij', got {indexing!r}")
    ts = [_arg("meshgrid", t, "tensors") for t in tensors]
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid(): Expected 0D or 1D tensor in the tensor list but "
                               f"got a tensor of shape {list(t.shape)}")
    sizes = [t.numel() for t in ts]
    axes = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(ts)
    for a, n in zip(axes, sizes):
        shape[a] = n
    out = []
    for t, a in zip(ts, axes):
        view = [1] * len(ts)
        view[a] = t.numel()
        out.append(t.reshape(tuple(view)).expand(*shape))
    return tuple(out)


def cartesian_prod(*tensors):
    """Every combination of the 1-D tensors' entries, one per row ([N, len(tensors)])."""
    ts = [_arg("cartesian_prod", t, "tensors") for t in tensors]
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return C.stack([g.reshape(-1) for g in grids], axis=1)


def fliplr(input):
    """Flip dim 1 (left to right)."""
    x = _arg("fliplr", input)
    if x.ndim < 2:
        raise RuntimeError(f"fliplr(): Input must be >= 2-d, got {x.ndim}-d")
    return apply("flip", x, axis=(1,))


def flipud(input):
    """Flip dim 0 (up to down)."""
    x = _arg("flipud", input)
    if x.ndim < 1:
        raise RuntimeError("flipud(): Input must be >= 1-d, got a 0-d tensor")
    return apply("flip", x, axis=(0,))


def argwhere(input):
    """The positions of the nonzero entries, one row each ([N, ndim] int64)."""
    return apply("nonzero", _arg("argwhere", input))


def _tri_indices(fn, row, col, offset, dtype, device, lower):
    if int(row) < 0 or int(col) < 0:
        raise RuntimeError(f"{fn}(): row and col must be non-negative, got {row}, {col}")
    out = M.tri_indices(row, col, offset, lower)
    if dtype is not None:
        out = out.astype(dtypes.as_np(dtype))
    if device is not None:
        out = backend.to_device(out, device)
    return _Tensor()._wrap(out)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The [2, N] (row, col) positions of a row x col matrix's lower triangle, row-major."""
    return _tri_indices("tril_indices", row, col, offset, dtype, device, True)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The [2, N] (row, col) positions of a row x col matrix's upper triangle, row-major."""
    return _tri_indices("triu_indices", row, col, offset, dtype, device, False)


# ---------------------------------------------------------------- Tensor methods

class ShapeMethods:
    """Tensor methods of the functions above (a Tensor base: `t.roll(1)` is `roll(t, 1)`)."""

    __slots__ = ()

    diagonal, diag, diag_embed, trace = diagonal, diag, diag_embed, trace
    roll, rot90, narrow, select, unfold, tensor_split = \
        roll, rot90, narrow, select, _unfold, tensor_split
    movedim, moveaxis = movedim, moveaxis
    fliplr, flipud, argwhere = fliplr, flipud, argwhere
