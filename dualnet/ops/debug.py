"""Ops with side effects on the host: `print` (an identity that prints its input when it runs,
Paddle's print op) and `py_func` / `py_func_grad` (call a registered Python function on the
input arrays, Paddle's py_func).

Both are marked `random` (the flag that tells the Executor's constant folding and the tracer
an op must run every time, never once at compile time): a print of a constant still prints at
each run. Python functions are kept in a process-local table and named in attrs by their id
(`register_py_func`), so attrs stay plain hashable data; a program holding a py_func op is
therefore only runnable in the process that built it. With `traced=True` (paddle.autograd.PyLayer)
the backward function is called by the vjp itself, on the values at hand (Variables), and
returns gradients built from ops instead of running on arrays at run time.
"""
from __future__ import annotations

import sys
import threading

import numpy as np

from .common import same
from .registry import Meta, register

# ---------------------------------------------------------------- print

_PHASES = ("forward", "backward", "both")
_PRINT_COUNTS: dict = {}
_PRINT_LOCK = threading.Lock()


def _print_canon(x, *, name="", message="", first_n=-1, summarize=20, print_tensor_name=True,
                 print_tensor_type=True, print_tensor_shape=True, print_tensor_layout=True,
                 print_tensor_lod=True, print_phase="both", is_forward=True, key=""):
    phase = str(print_phase).lower()
    if phase not in _PHASES:
        raise ValueError(f"print_phase must be one of {_PHASES}, got {print_phase!r}")
    return {"name": str(name), "message": str(message or ""), "first_n": int(first_n),
            "summarize": int(summarize), "print_tensor_name": bool(print_tensor_name),
            "print_tensor_type": bool(print_tensor_type),
            "print_tensor_shape": bool(print_tensor_shape),
            "print_tensor_layout": bool(print_tensor_layout),
            "print_tensor_lod": bool(print_tensor_lod), "print_phase": phase,
            "is_forward": bool(is_forward), "key": str(key)}


def _print_infer(x: Meta, **attrs) -> Meta:
    return same(x)


def _format_value(v, first: bool) -> str:
    """One element as Paddle's formatter writes it: the first in its own type, the others
    through float (C++ stream defaults: 6 significant digits)."""
    if isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if first and isinstance(v, (int, np.integer)):
        return str(int(v))
    return f"{float(v):g}"


def format_tensor(array: np.ndarray, *, name="", message="", summarize=20,
                  print_tensor_name=True, print_tensor_type=True, print_tensor_shape=True,
                  print_tensor_layout=True, print_tensor_lod=True) -> str:
    """Paddle's TensorFormatter text for `array` (a NumPy array)."""
    lines = []
    if print_tensor_name and name:
        lines.append(f"Variable: {name}")
    if message:
        lines.append(f"  - message: {message}")
    if print_tensor_lod:
        lines.append("  - lod: {}")
    lines.append("  - place: Place(cpu)")
    if print_tensor_shape:
        lines.append(f"  - shape: [{', '.join(str(d) for d in array.shape)}]")
    if print_tensor_layout:
        lines.append("  - layout: NCHW")
    if print_tensor_type:
        lines.append(f"  - dtype: {array.dtype.name}")
    flat = array.reshape(-1)
    count = flat.size if summarize == -1 else min(summarize, flat.size)
    values = [_format_value(v, k == 0) for k, v in enumerate(flat[:count].tolist())]
    lines.append(f"  - data: [{' '.join(values)}]")
    return "\n".join(lines) + "\n"


def _to_numpy(a) -> np.ndarray:
    """A host (NumPy) view of a NumPy or CuPy array."""
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)


@register("print", infer=_print_infer, canon=_print_canon, saves=(), random=True)
def print_(xp, x, *, name, message, first_n, summarize, print_tensor_name, print_tensor_type,
           print_tensor_shape, print_tensor_layout, print_tensor_lod, print_phase, is_forward,
           key):
    """Returns a copy of x; prints it (Paddle's format) when this phase is to be printed and
    the op printed fewer than `first_n` times so far (first_n <= 0: always)."""
    wanted = print_phase == "both" or (print_phase == "forward") == is_forward
    if wanted:
        with _PRINT_LOCK:
            count = _PRINT_COUNTS[(key, is_forward)] = _PRINT_COUNTS.get((key, is_forward), 0) + 1
        if first_n <= 0 or count <= first_n:
            sys.stdout.write(format_tensor(
                _to_numpy(x), name=name, message=message, summarize=summarize,
                print_tensor_name=print_tensor_name, print_tensor_type=print_tensor_type,
                print_tensor_shape=print_tensor_shape, print_tensor_layout=print_tensor_layout,
                print_tensor_lod=print_tensor_lod))
            sys.stdout.flush()
    return x.copy()


@print_.defvjp
def _print_vjp(g, x, out, **attrs):
    """The gradient passes through (printed in the backward phase, named `<name>@GRAD`)."""
    attrs = dict(attrs, is_forward=False, name=attrs["name"] + "@GRAD" if attrs["name"] else "")
    return (print_(g, **attrs),)


# ---------------------------------------------------------------- py_func

_PY_FUNCS: dict[int, object] = {}
_PY_LOCK = threading.Lock()
MAX_PY_FUNC_INPUTS = 256  # `saves` lists input indices: inputs + outputs of a py_func op


def register_py_func(fn) -> int:
    """Keep `fn` for py_func ops; returns the id their attrs name it by."""
    if not callable(fn):
        raise TypeError(f"py_func: expected a callable, got {type(fn).__name__}")
    with _PY_LOCK:
        for k, f in _PY_FUNCS.items():
            if f is fn:
                return k
        k = len(_PY_FUNCS) + 1
        _PY_FUNCS[k] = fn
        return k


def _py_func(func_id: int):
    fn = _PY_FUNCS.get(func_id)
    if fn is None:
        raise RuntimeError(f"py_func: no Python function with id {func_id} in this process (a "
                           "program with py_func ops runs only where it was built)")
    return fn


def _py_func_canon(*xs, func, out_specs, backward=0, skip=(), traced=False):
    specs = tuple((tuple(int(d) for d in shape), np.dtype(dtype).name)
                  for shape, dtype in out_specs)
    if not specs:
        raise ValueError("py_func needs at least one output")
    return {"func": int(func), "out_specs": specs, "backward": int(backward),
            "skip": tuple(bool(s) for s in skip), "traced": bool(traced)}


def _py_func_infer(*xs, func, out_specs, backward, skip, traced=False):
    return tuple(Meta(shape, np.dtype(dtype)) for shape, dtype in out_specs)


def _call(fn, args: list, what: str):
    res = fn(*args)
    if res is None:
        return ()
    return tuple(res) if isinstance(res, (list, tuple)) else (res,)


def _as_output(xp, value, shape: tuple, dtype, k: int, what: str):
    array = xp.asarray(np.asarray(value) if not hasattr(value, "__cuda_array_interface__")
                       else value)
    if array.ndim != len(shape) or any(d not in (-1, a) for d, a in zip(shape, array.shape)):
        raise ValueError(f"{what}: output {k} has shape {list(array.shape)}, but the out "
                         f"variable was declared with shape {list(shape)}")
    return array.astype(dtype, copy=False)


@register("py_func", infer=_py_func_infer, canon=_py_func_canon, n_out=-1, random=True,
          saves=tuple(range(MAX_PY_FUNC_INPUTS)) + ("out",))
def py_func(xp, *x, func, out_specs, backward, skip, traced=False):
    """outs = registered_function[func](*x) (NumPy arrays in and out), checked against the
    declared output shapes and cast to the declared dtypes."""
    res = _call(_py_func(func), [_to_numpy(a) for a in x], "py_func")
    if len(res) != len(out_specs):
        raise ValueError(f"py_func: the function returned {len(res)} values for "
                         f"{len(out_specs)} out variables")
    return tuple(_as_output(xp, r, shape, dtype, k, "py_func")
                 for k, (r, (shape, dtype)) in enumerate(zip(res, out_specs)))


@py_func.defvjp
def _py_func_vjp(g, *x, out, func, out_specs, backward, skip, traced=False):
    """backward_func runs when the program runs (py_func_grad), on arrays; a `traced` one
    (paddle.autograd.PyLayer) is called here, on the values at hand (Variables), and
    returns the gradients as values built from ops - so they are differentiable too."""
    if not backward:
        return (None,) * len(x)
    if traced:
        return tuple(_py_func(backward)(g, x, out))
    from .shape import zeros_like  # noqa: PLC0415 (shape imports nothing from here)

    gs = tuple(zeros_like(o) if gi is None else gi for gi, o in zip(g, out))
    grads = py_func_grad(*x, *out, *gs, func=backward, n_x=len(x), skip=skip)
    return tuple(grads)


def _py_func_grad_canon(*args, func, n_x, skip=()):
    return {"func": int(func), "n_x": int(n_x), "skip": tuple(bool(s) for s in skip)}


def _py_func_grad_infer(*metas, func, n_x, skip):
    return tuple(same(m) for m in metas[:n_x])


@register("py_func_grad", infer=_py_func_grad_infer, canon=_py_func_grad_canon, n_out=-1,
          random=True, differentiable=False)
def py_func_grad(xp, *args, func, n_x, skip):
    """The backward_func of a py_func: called with (x..., out..., dout...) minus the inputs
    flagged in `skip`; returns one gradient per x (None -> zeros)."""
    passed = [_to_numpy(a) for k, a in enumerate(args) if not (k < len(skip) and skip[k])]
    res = _call(_py_func(func), passed, "py_func backward")
    if len(res) != n_x:
        raise ValueError(f"py_func: backward_func returned {len(res)} values for {n_x} inputs")
    return tuple(xp.zeros_like(args[k]) if r is None else
                 _as_output(xp, r, tuple(args[k].shape), args[k].dtype, k, "py_func backward")
                 for k, r in enumerate(res))
