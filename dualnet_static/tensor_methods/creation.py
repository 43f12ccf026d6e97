"""Paddle's tensor-creation functions: `paddle.zeros`, `full`, `arange`, `rand`, `eye`, ...

They record registry ops (fill_constant, arange, eye, linspace, uniform_random, randint,
randperm, ...) into the current block: the guarded program in explicit mode, the default main
program under enable_static(), the step program in implicit mode. Ops without inputs get the
static binder explicitly (`_record`), since no argument picks it. `dtype=None` resolves to the
default dtype when the call is made, so a step recorded after `paddle.set_default_dtype`
carries the new dtype in its attrs. Random ops draw from dualnet's generator when the program
runs (`paddle.seed` makes them reproducible).
"""
from __future__ import annotations

import numbers

import numpy as np

from dualnet import dtypes
from dualnet.ops import apply, registry

__all__ = [
    "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "arange", "linspace", "eye", "rand", "randn", "randint", "uniform", "normal", "randperm",
    "shape", "is_tensor", "assign", "diag", "meshgrid", "multinomial", "bernoulli",
]


def _record(op: str, **attrs):
    """A zero-input op recorded by the static binder (explicit, static or implicit mode)."""
    from ..binder import STATIC_BINDER

    with registry.default_binder(STATIC_BINDER):
        return apply(op, **attrs)


def _is_var(v) -> bool:
    from ..variable import Variable

    return isinstance(v, Variable)


def _number(v, what: str):
    """A Python number from a number or a one-element tensor (whose value must be known)."""
    if _is_var(v):
        v = np.asarray(v.numpy()).reshape(-1)
        if v.size != 1:
            raise ValueError(f"{what} must be a number or a one-element tensor, got shape "
                             f"{list(v.shape)}")
        return v[0].item()
    if isinstance(v, np.generic) or (isinstance(v, np.ndarray) and v.size == 1):
        return v.item()
    if not isinstance(v, numbers.Number):
        raise TypeError(f"{what} must be a number, got {type(v).__name__} {v!r}")
    return v


def _shape(shape, what: str = "shape") -> tuple:
    """Paddle's shape argument (int, list/tuple of ints or one-element tensors, or a 1-D
    tensor) -> a tuple of non-negative ints."""
    if _is_var(shape):
        shape = np.asarray(shape.numpy()).reshape(-1).tolist()
    elif isinstance(shape, numbers.Integral):
        shape = [shape]
    if not isinstance(shape, (list, tuple)):
        raise TypeError(f"{what} must be a list or tuple of ints, got {type(shape).__name__}")
    out = []
    for d in shape:
        d = _number(d, f"{what} entry")
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError(f"{what} entries must be ints, got {d!r} in {list(shape)}")
        out.append(int(d))
    if any(d < 0 for d in out):
        raise ValueError(f"{what} must not have negative dimensions, got {out}")
    return tuple(out)


def _dtype(dtype, default=None) -> str:
    """A dtype name; None -> `default` or the default float dtype (read at call time)."""
    if dtype is None:
        return default or dtypes.get_default_dtype().np.name
    return dtypes.as_np(dtype).name


def _cast(x, dtype: str):
    return x if dtypes.as_np(x.dtype).name == dtype else apply("cast", x, dtype=dtype)


# ---------------------------------------------------------------- constants


def full(shape, fill_value, dtype=None, name=None):
    """A tensor of `shape` filled with `fill_value` (a number or a one-element tensor)."""
    dtype = _dtype(dtype)
    if _is_var(fill_value):  # a tensor value: broadcast, so explicit programs work too
        value = _cast(apply("reshape", fill_value, shape=()), dtype)
        return apply("broadcast_to", value, shape=_shape(shape))
    return _record("fill_constant", shape=_shape(shape), value=_number(fill_value, "fill_value"),
                   dtype=dtype)


def zeros(shape, dtype=None, name=None):
    return full(shape, 0, dtype)


def ones(shape, dtype=None, name=None):
    return full(shape, 1, dtype)


def empty(shape, dtype=None, name=None):
    """Paddle leaves the values uninitialized; here they are zeros."""
    return full(shape, 0, dtype)


def zeros_like(x, dtype=None, name=None):
    """Zeros of x's shape, in x's dtype unless `dtype` is given."""
    return apply("zeros_like", x, dtype=None if dtype is None else _dtype(dtype))


def ones_like(x, dtype=None, name=None):
    return apply("ones_like", x, dtype=None if dtype is None else _dtype(dtype))


def full_like(x, fill_value, dtype=None, name=None):
    return apply("full_like", x, value=_number(fill_value, "fill_value"),
                 dtype=None if dtype is None else _dtype(dtype))


def empty_like(x, dtype=None, name=None):
    return zeros_like(x, dtype)


# ---------------------------------------------------------------- ranges


def arange(start=0, end=None, step=1, dtype=None, name=None):
    """start, start + step, ... below `end` (`arange(5)` counts from 0); int64 when start,
    end and step are all ints, else the default float dtype."""
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, what) for v, what in
                        ((start, "start"), (end, "end"), (step, "step")))
    ints = all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
               for v in (start, end, step))
    return _record("arange", start=start, end=end, step=step,
                   dtype=_dtype(dtype, "int64" if ints else None))


def linspace(start, stop, num, dtype=None, name=None):
    """`num` evenly spaced values from start to stop (both included; the registry's linspace,
    computed in float64 and cast to `dtype`)."""
    start, stop = float(_number(start, "start")), float(_number(stop, "stop"))
    num = _number(num, "num")
    if isinstance(num, bool) or not isinstance(num, numbers.Integral) or num < 0:
        raise ValueError(f"linspace: num must be a non-negative int, got {num!r}")
    return _record("linspace", start=start, end=stop, steps=num, dtype=_dtype(dtype))


def eye(num_rows, num_columns=None, dtype=None, name=None):
    """The [num_rows, num_columns] identity matrix (square when num_columns is None)."""
    rows = _shape([num_rows], "num_rows")[0]
    cols = rows if num_columns is None else _shape([num_columns], "num_columns")[0]
    return _record("eye", rows=rows, cols=cols, dtype=_dtype(dtype))


def _band(rows: int, cols: int, offset: int, dtype: str):
    """1 where column == row + offset, else 0 ([rows, cols], `dtype`)."""
    i = _record("arange", start=offset, end=rows + offset, step=1, dtype="int64")
    j = _record("arange", start=0, end=cols, step=1, dtype="int64")
    mask = apply("equal", apply("unsqueeze", i, axis=1), apply("unsqueeze", j, axis=0))
    return _cast(mask, dtype)


# ---------------------------------------------------------------- random


def rand(shape, dtype=None, name=None):
    """Uniform samples in [0, 1)."""
    return _record("uniform_random", shape=_shape(shape), low=0.0, high=1.0,
                   dtype=_dtype(dtype))


def randn(shape, dtype=None, name=None):
    """Standard normal samples."""
    return _record("gaussian_random", shape=_shape(shape), mean=0.0, std=1.0,
                   dtype=_dtype(dtype))


def uniform(shape, dtype=None, min=-1.0, max=1.0, seed=0, name=None):  # noqa: A002
    """Uniform samples in [min, max). A nonzero `seed` is not honored per call: the samples
    come from the global generator (`paddle.seed`)."""
    return _record("uniform_random", shape=_shape(shape), low=_number(min, "min"),
                   high=_number(max, "max"), dtype=_dtype(dtype))


def normal(mean=0.0, std=1.0, shape=None, name=None):
    """N(mean, std^2) samples. With tensor `mean` and/or `std` the output has their
    (broadcast) shape and `shape` is ignored; with numbers `shape` is required."""
    if _is_var(mean) or _is_var(std):
        like = [v for v in (mean, std) if _is_var(v)]
        dims = np.broadcast_shapes(*(tuple(v.shape) for v in like))
        if any(d < 0 for d in dims):
            raise ValueError(f"normal: the shape of mean/std must be known, got {list(dims)}")
        dtype = dtypes.as_np(like[0].dtype).name
        z = _record("gaussian_random", shape=tuple(dims), mean=0.0, std=1.0, dtype=dtype)
        return apply("add", apply("mul", z, std), mean)
    if shape is None:
        raise ValueError("normal: shape is required when mean and std are numbers")
    return _record("gaussian_random", shape=_shape(shape), mean=_number(mean, "mean"),
                   std=_number(std, "std"), dtype=_dtype(None))


def randint(low=0, high=None, shape=(1,), dtype=None, name=None):
    """Uniform integers in [low, high) (`randint(n)` draws from [0, n)), int64 by default."""
    if high is None:
        low, high = 0, low
    dtype = _dtype(dtype, "int64")
    if np.dtype(dtype).kind not in "iu":
        raise TypeError(f"randint: dtype must be an integer type, got {dtype}")
    return _record("randint", shape=_shape(shape), low=_number(low, "low"),
                   high=_number(high, "high"), dtype=dtype)


def multinomial(x, num_samples=1, replacement=False, name=None):
    """int64 category indices drawn from the (unnormalized, non-negative) probabilities in
    x's last dim: [num_samples] for 1-D x, [rows, num_samples] for 2-D x."""
    return apply("multinomial", x, num_samples=num_samples, replacement=replacement)


def bernoulli(x, name=None):
    """1 with probability x, else 0, entry by entry (x's shape and dtype)."""
    return apply("bernoulli", x)


def randperm(n, dtype="int64", name=None):
    """A random permutation of 0 .. n-1 (dualnet's generator: paddle.seed reproduces it)."""
    return _record("randperm", n=_shape([n], "n")[0], dtype=_dtype(dtype, "int64"))


# ---------------------------------------------------------------- tensors


def shape(x):
    """x's shape as a 1-D int32 tensor (its unknown dims known at run time)."""
    return apply("cast", apply("shape_of", x), dtype="int32")


def is_tensor(x) -> bool:
    return _is_var(x)


def assign(x, output=None):
    """A copy of x (tensor, array, list or number). Float64 arrays become float32 (Paddle's
    rule for non-tensor input). `output`, if given, receives the value and is returned: a
    persistable variable (parameter) or, in dynamic mode, a tensor made by to_tensor."""
    if _is_var(x):
        out = apply("assign", x)
    else:
        from ..dygraph import to_tensor

        array = np.asarray(x)
        if array.dtype == np.float64:
            array = array.astype(np.float32)
        out = to_tensor(array)
    if output is None:
        return out
    return _store(out, output)


def _store(value, output):
    from ..binder import write_to
    from ..dygraph import set_value
    from ..framework import in_implicit_mode

    if tuple(value.shape) != tuple(output.shape) and -1 not in (*value.shape, *output.shape):
        raise ValueError(f"assign: cannot store shape {list(value.shape)} into output of shape "
                         f"{list(output.shape)}")
    if output.persistable:
        return write_to(_cast(value, dtypes.as_np(output.dtype).name), output)
    if in_implicit_mode():
        set_value(output, value.numpy())
        return output
    raise TypeError("assign: in a static program `output` must be a persistable variable; "
                    "use the returned tensor instead")


def diag(x, offset=0, padding_value=0, name=None):
    """1-D x: the square matrix with x on diagonal `offset` and `padding_value` elsewhere.
    2-D x: the 1-D diagonal `offset` of x (above the main one for offset > 0)."""
    offset = int(offset)
    if x.ndim == 1:
        n = x.shape[0]
        if n < 0:
            raise ValueError("diag: the length of a 1-D input must be known")
        size, pad = n + abs(offset), abs(offset)
        if pad:
            x = apply("concat", x, full([pad], 0, dtypes.as_np(x.dtype).name), axis=0)
        vals = apply("unsqueeze", x, axis=1 if offset >= 0 else 0)
        mask = _band(size, size, offset, "bool")
        return apply("where", mask, vals, padding_value)
    if x.ndim == 2:
        rows, cols = x.shape
        if rows < 0 or cols < 0:
            raise ValueError(f"diag: the shape of a 2-D input must be known, got {list(x.shape)}")
        flat_index = np.diagonal(np.arange(rows * cols, dtype=np.int64).reshape(rows, cols),
                                 offset).copy()
        return apply("index_select", apply("reshape", x, shape=(-1,)), flat_index, axis=0)
    raise ValueError(f"diag: x must be 1-D or 2-D, got shape {list(x.shape)}")


def meshgrid(*args, **kwargs):
    """Coordinate grids of 1-D tensors with 'ij' indexing: output k has shape
    [len(args[0]), len(args[1]), ...] and varies along dim k."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    if not args:
        raise ValueError("meshgrid: at least one tensor is needed")
    for a in args:
        if a.ndim != 1:
            raise ValueError(f"meshgrid: inputs must be 1-D, got shapes "
                             f"{[list(v.shape) for v in args]}")
    sizes = tuple(a.shape[0] for a in args)
    axes = [tuple(d for d in range(len(args)) if d != k) for k in range(len(args))]
    grids = [apply("unsqueeze", a, axis=axes[k]) if axes[k] else a for k, a in enumerate(args)]
    if -1 not in sizes:
        return [apply("broadcast_to", g, shape=sizes) for g in grids]
    ref = grids[0]
    for g in grids[1:]:  # zeros of the full (run-time) shape, to broadcast against
        ref = apply("add", apply("zeros_like", ref, dtype="float32"),
                    apply("zeros_like", g, dtype="float32"))
    return [apply("broadcast_like", g, ref) for g in grids]
