"""Tensors in implicit mode: `paddle.to_tensor`, reading values, printing, and grad modes."""
from __future__ import annotations

import contextlib
import functools

import numpy as np

from dualnet import backend, dtypes

from ..framework import _ctx, current_block, in_implicit_mode
from ..scope import LoDTensor, global_scope
from ..variable import Variable
from .session import SESSION


def to_tensor(data, dtype=None, place=None, stop_gradient: bool = True) -> Variable:
    """`paddle.to_tensor`: a tensor holding a copy of `data` (scalar, list, array, tensor).
    Python floats become the default dtype, ints int64, bools bool; arrays keep theirs."""
    array = _as_array(data, dtype)
    if place is not None:
        from ..place import to_place

        to_place(place)  # validates the place; values live where the Executor runs
    if in_implicit_mode():
        return SESSION.bind(array, stop_gradient=stop_gradient)
    from dualnet.ops import apply

    out = apply("assign", current_block()._constant(array))  # explicit: a constant's copy
    out.stop_gradient = stop_gradient
    return out


def _as_array(data, dtype) -> np.ndarray:
    if type(data) is np.ndarray and dtype is None:  # the common case (a batch): one copy
        return data.copy()
    if isinstance(data, Variable):
        data = value_of(data, "to_tensor()")
    elif isinstance(data, LoDTensor):
        data = data.numpy()
    if backend.is_array(data):
        array = np.array(backend.to_numpy(data), copy=True)
    else:
        array = np.array(data)
        if array.dtype == object:
            raise TypeError(f"to_tensor: cannot make a tensor of {type(data).__name__} {data!r}")
        if array.dtype.kind == "f" and not isinstance(data, np.generic):
            array = array.astype(dtypes.get_default_dtype().np)  # Python floats: default dtype
        elif array.dtype.kind in "iu" and not isinstance(data, np.generic):
            array = array.astype(np.int64)
    if dtype is not None:
        array = array.astype(dtypes.as_np(dtype), copy=False)
    return array


# ---------------------------------------------------------------- values

def value_of(var: Variable, what: str = "the value"):
    """The array `var` holds, running the recorded ops if needed (not a copy)."""
    if var._bound is not None:
        return var._bound
    if var._value is not None:
        return var._value
    if var._persistable:
        SESSION.flush()
        name = getattr(var, "_origin", var).name
        holder = global_scope().find_var(name)
        if holder is None or holder.value is None:
            raise RuntimeError(f"{what}: {name!r} has no value in the scope (run the startup "
                               "program, or create the layer in dynamic mode)")
        return backend.to_numpy(holder.value)
    program = var.block.program
    if program is SESSION.program and program._implicit:
        SESSION.run(want=(var,))
        if var._bound is not None:
            return var._bound
    if program._implicit:
        raise RuntimeError(f"{what}: the value of {var.name!r} is no longer available (it was "
                           "computed by an earlier step and not kept)")
    raise TypeError(f"{what}: the static Variable {var.name!r} has no value while the program "
                    "is built; fetch it with Executor.run(fetch_list=[...])")


def set_value(var: Variable, value) -> None:
    """`tensor.set_value(v)`: a parameter or persistable variable gets a new value."""
    array = np.asarray(value.numpy() if isinstance(value, Variable) else value)
    if tuple(array.shape) != tuple(var.shape):
        raise ValueError(f"set_value: {var.name!r} has shape {var.shape}, got "
                         f"{list(array.shape)}")
    array = array.astype(var._dtype)
    if var._persistable:
        SESSION.flush()
        global_scope().var(getattr(var, "_origin", var).name).value = array
        return
    if var._bound is None or var.op is not None:
        raise TypeError(f"set_value: {var.name!r} is computed by an op; only parameters and "
                        "tensors made by to_tensor can be set")
    var._bound = array


def tensor_repr(var: Variable) -> str:
    """Paddle's `print(tensor)` format."""
    try:
        value = value_of(var, "print()")
    except (RuntimeError, TypeError) as e:
        return f"Tensor(name={var.name}, shape={var.shape}, dtype={var.dtype}: {e})"
    from .._runtime import PRINT_OPTIONS  # paddle.set_printoptions

    body = np.array2string(np.asarray(value), separator=", ", prefix="       ",
                           **PRINT_OPTIONS)
    head = "Parameter containing:\n" if var.is_parameter else ""
    return (f"{head}Tensor(shape={var.shape}, dtype={var.dtype.name}, place=Place(cpu), "
            f"stop_gradient={var.stop_gradient},\n       {body})")


# ---------------------------------------------------------------- grad modes

class no_grad:
    """`paddle.no_grad()`: ops recorded inside stop gradients (context or decorator)."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper

    def __enter__(self):
        self._prev = _ctx.grad_enabled
        _ctx.grad_enabled = False

    def __exit__(self, *exc):
        _ctx.grad_enabled = self._prev


class enable_grad(no_grad):
    """`paddle.enable_grad()`: gradients flow again (inside a no_grad region)."""

    def __enter__(self):
        self._prev = _ctx.grad_enabled
        _ctx.grad_enabled = True


@contextlib.contextmanager
def set_grad_enabled(mode: bool):
    prev = _ctx.grad_enabled
    _ctx.grad_enabled = bool(mode)
    try:
        yield
    finally:
        _ctx.grad_enabled = prev


def is_grad_enabled() -> bool:
    return _ctx.grad_enabled
