"""Paddle's in-place Tensor methods (`x.add_(y)`, `x.scale_(2)`, `x.reshape_(...)`,
`x.uniform_()`, ...) on Variables.

A Program's variables are single-assignment, so an in-place method records the out-of-place
op and then *rebinds* the Python object: `x` stands for the new value from then on, and the
old value lives on under a fresh object that the ops which already read it keep using
(`rebind` exchanges the two objects everywhere the program and the implicit-mode replay
refer to them). Gradients flow through the recorded op as Paddle's dynamic mode does.
A persistable variable (a parameter, a counter) is written back instead, as paddle.increment
does (binder.write_to): the op's result becomes the variable, so the Scope sees it.

Paddle's rules kept: in dynamic (implicit) mode, a leaf that needs a gradient cannot be
changed in place while gradients are recorded (ValueError); elementwise methods keep x's
shape (the broadcast result must have it) and dtype.
"""
from __future__ import annotations

import numpy as np

from dualnet import dtypes
from dualnet.ops import apply

from . import creation, manipulation

__all__: list = []  # filled below: the method names

_ELEMENTWISE = (
    "add", "subtract", "multiply", "divide", "scale", "clip", "ceil", "floor", "exp", "sqrt",
    "rsqrt", "reciprocal", "round", "tanh", "abs", "sin", "cos", "tan", "sinh", "cosh", "asin",
    "acos", "atan", "asinh", "acosh", "atanh", "log", "log2", "log10", "log1p", "expm1", "pow",
    "neg", "trunc", "frac", "floor_divide", "floor_mod", "mod", "remainder", "lerp", "erfinv",
    "digamma", "lgamma", "logit", "gcd", "lcm", "hypot", "nan_to_num", "cumsum", "cumprod",
    "sigmoid", "square", "sign", "equal", "not_equal", "less_than", "less_equal",
    "greater_than", "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "tril", "triu", "masked_fill",
    "masked_scatter", "index_fill", "index_add", "put_along_axis", "scatter", "polygamma",
    "heaviside", "addmm", "stanh",
)
_RESHAPING = ("reshape", "squeeze", "unsqueeze", "flatten", "transpose", "t", "cast")


def _implicit() -> bool:
    from ..framework import in_implicit_mode

    return in_implicit_mode()


def is_leaf(x) -> bool:
    """Paddle's `Tensor.is_leaf`: made by the user (or stopping gradients), not by an op
    through which a gradient flows."""
    if x._stop_gradient or x._persistable:
        return True
    if x.op is not None or getattr(x, "_graph_freed", False):
        return False
    if x.block.program._implicit:  # a replayed step's outputs have no Operator
        from ..dygraph import SESSION

        ref = None if SESSION.replayer is None else SESSION.replayer.produced.get(id(x))
        return ref is None or ref[0] != "out"
    return True


def check_leaf(x, method: str) -> None:
    """Paddle's error for an in-place write to a leaf that needs its gradient."""
    from ..framework import _ctx

    if _implicit() and _ctx.grad_enabled and not x._stop_gradient and is_leaf(x):
        raise ValueError(f"(InvalidArgument) Leaf Tensor ({x.name}) that doesn't stop gradient "
                         f"can't use inplace strategy (Tensor.{method}).")


def rebind(x, out) -> None:
    """Make the Python object `x` stand for `out` and `out` for x's old value: their
    attributes are exchanged, and so are the two objects in their programs (block variables
    and ops' inputs / outputs) and in the implicit-mode replay's bookkeeping."""
    if type(x) is not type(out):
        raise TypeError(f"cannot rebind {x.name!r} ({type(x).__name__}) to {out.name!r} "
                        f"({type(out).__name__})")
    programs = {id(v.block.program): v.block.program for v in (x, out)}
    x.__dict__, out.__dict__ = out.__dict__, x.__dict__

    def swap(v):
        return out if v is x else x if v is out else v

    for program in programs.values():
        for block in program.blocks:
            for name, v in list(block.vars.items()):
                if v is x or v is out:
                    block.vars[name] = swap(v)
            for op in block.ops:
                if any(v is x or v is out for v in op.inputs):
                    op.inputs = tuple(swap(v) for v in op.inputs)
                if any(v is x or v is out for v in op.outputs):
                    op.outputs = tuple(swap(v) for v in op.outputs)
    if _implicit():
        from ..dygraph import SESSION

        if SESSION.replayer is not None:
            SESSION.replayer.swapped(x, out)


def assign_to(x, out, method: str):
    """Make `x` hold `out` (the in-place result): persistables are written back, anything
    else is rebound. Returns x."""
    if x._persistable:
        if tuple(out._shape) != tuple(x._shape):
            raise ValueError(f"Tensor.{method}: the persistable {x.name!r} keeps its shape "
                             f"{list(x._shape)}; the result has shape {list(out._shape)}")
        if out.op is None:  # not computed by an op here (e.g. the same value): copy it
            out = apply("assign", out)
        from ..binder import write_to

        write_to(out, x)
        return x
    if out is x:
        out = apply("assign", x)
    rebind(x, out)
    return x


def _same_shape(x, out, method: str):
    if tuple(out._shape) != tuple(x._shape):
        raise ValueError(f"Tensor.{method}: the shape of broadcast output {list(out._shape)} is "
                         f"different from that of inplace tensor {list(x._shape)} in the "
                         "Inplace operation.")
    if out._dtype != x._dtype:
        out = apply("cast", out, dtype=x._dtype.name)
    return out


def _elementwise(name: str, fn):
    def method(x, *args, **kwargs):
        check_leaf(x, name + "_")
        return assign_to(x, _same_shape(x, fn(x, *args, **kwargs), name + "_"), name + "_")

    method.__name__ = name + "_"
    method.__doc__ = f"In-place `{name}`: x holds the result (same shape and dtype)."
    return method


def _reshaping(name: str, fn):
    def method(x, *args, **kwargs):
        check_leaf(x, name + "_")
        return assign_to(x, fn(x, *args, **kwargs), name + "_")

    method.__name__ = name + "_"
    method.__doc__ = f"In-place `{name}`: x is rebound to the result."
    return method


# ---------------------------------------------------------------- fills

def fill_(x, value):
    """Every element becomes `value` (no gradient reaches x's old value)."""
    check_leaf(x, "fill_")
    return assign_to(x, creation.full_like(x, value), "fill_")


def zero_(x):
    check_leaf(x, "zero_")
    return assign_to(x, creation.zeros_like(x), "zero_")


def copy_(x, other, blocking: bool = True):
    """x takes the value of `other` (same shape; cast to x's dtype); the gradient flows to
    `other`."""
    check_leaf(x, "copy_")
    if not hasattr(other, "_dtype"):
        other = creation.to_tensor(np.asarray(other), dtype=x._dtype.name)
    out = apply("assign", other)
    return assign_to(x, _same_shape(x, out, "copy_"), "copy_")


def detach_(x):
    """x stops gradients from now on (the same value, cut from the graph)."""
    return assign_to(x, manipulation.detach(x), "detach_")


def _static_shape(x, method: str) -> tuple:
    if -1 in x._shape:
        raise ValueError(f"Tensor.{method}: the shape of {x.name!r} {list(x._shape)} has an "
                         "unknown dim; random fills need a known shape")
    return tuple(x._shape)


def _float_kind(x, method: str) -> None:
    if x._dtype.kind != "f":
        raise TypeError(f"Tensor.{method}: expected a floating point tensor, got "
                        f"{dtypes.as_np(x._dtype).name}")


def uniform_(x, min=-1.0, max=1.0, seed=0, name=None):  # noqa: A002 - Paddle's names
    """Samples of U[min, max) in x's place (drawn when the program runs)."""
    _float_kind(x, "uniform_")
    check_leaf(x, "uniform_")
    out = creation.uniform(_static_shape(x, "uniform_"), x._dtype.name, min, max)
    return assign_to(x, out, "uniform_")


def normal_(x, mean=0.0, std=1.0, name=None):
    """Samples of N(mean, std^2) in x's place."""
    _float_kind(x, "normal_")
    check_leaf(x, "normal_")
    out = creation.normal(float(mean), float(std), _static_shape(x, "normal_"))
    if out._dtype != x._dtype:
        out = apply("cast", out, dtype=x._dtype.name)
    return assign_to(x, out, "normal_")


def exponential_(x, lam=1.0, name=None):
    """Samples of the exponential distribution of rate `lam`: -log(1 - u) / lam."""
    _float_kind(x, "exponential_")
    check_leaf(x, "exponential_")
    if not lam > 0:
        raise ValueError(f"Tensor.exponential_: lam must be positive, got {lam}")
    u = creation.uniform(_static_shape(x, "exponential_"), x._dtype.name, 0.0, 1.0)
    out = apply("div", apply("neg", apply("log1p", apply("neg", u))), float(lam))
    return assign_to(x, out, "exponential_")


_INPLACE = {"fill_": fill_, "zero_": zero_, "copy_": copy_, "detach_": detach_,
            "uniform_": uniform_, "normal_": normal_, "exponential_": exponential_}


def methods(table: dict) -> dict:
    """The in-place methods of the out-of-place `table` (name -> function) that exist."""
    out = dict(_INPLACE)
    for name in _ELEMENTWISE:
        if name in table:
            out[name + "_"] = _elementwise(name, table[name])
    for name in _RESHAPING:
        fn = table.get(name, manipulation.cast if name == "cast" else None)
        if fn is not None:
            out[name + "_"] = _reshaping(name, fn)
    __all__[:] = sorted(out)
    return out
