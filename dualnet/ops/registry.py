"""The op registry: one op, one place (DESIGN.md section 2).

An op is an `OpDef` carrying its kernel (`forward(xp, *arrays, **attrs)`), its shape/dtype rule
(`infer(*metas, **attrs)`), its gradient rule (`vjp(g, *inputs, out=..., **attrs)`, written with
other registered ops) and what the backward needs (`saves`).

`apply(op, *args, **attrs)` is the single entry point. It canonicalizes attributes, applies
PyTorch's type promotion (Python scalars are weak), then hands the call to the binder registered
for the kind of value among the arguments: the eager front end runs the kernel and records a tape
node, the static front end appends an operator to a Program, and plain arrays just run.
"""
from __future__ import annotations

import functools

import os
import sys
import threading
from typing import Any, Callable, NamedTuple

import numpy as np

from .. import dtypes
from ..backend import get_array_module


class Meta(NamedTuple):
    """Shape and dtype of a value; unknown dims are -1."""

    shape: tuple
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @staticmethod
    def of(value) -> "Meta":
        return Meta(tuple(value.shape), np.dtype(value.dtype))


class OpError(RuntimeError):
    """A bad call of an op: names the op, what was seen and expected, and the user's line."""


class NotDifferentiableError(OpError):
    pass


_PACKAGES = tuple(
    os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), p)
    + os.sep for p in ("dualnet", "dualnet_eager", "dualnet_static", "interop"))


def user_frame(skip_tests: bool = False) -> str:
    """'file:line: code' of the first stack frame outside dualnet's own packages."""
    import linecache

    frame = sys._getframe(1)
    while frame is not None:
        fname = frame.f_code.co_filename
        if not fname.startswith(_PACKAGES) and "importlib" not in fname:
            line = linecache.getline(fname, frame.f_lineno).strip()
            return f'File "{fname}", line {frame.f_lineno}: {line}'
        frame = frame.f_back
    return "<unknown location>"


class OpDef:
    """A registered primitive. Calling it is `apply(self, *args, **attrs)`."""

    def __init__(self, name, forward, infer, *, saves=None, n_out=1, promote=False,
                 to_float=False, canon=None, differentiable=True, inplace=(), random=False,
                 doc=""):
        self.name = name
        self.forward = forward
        self.infer = infer
        self.vjp: Callable | None = None
        self.vjp_takes_mask = False
        self.saves = saves  # None: all inputs; else a tuple of input indices and/or "out"
        self.n_out = n_out  # 1, a fixed count, or -1: a tuple whose length depends on attrs
        self.promote = promote  # True (all inputs) or a tuple of input indices sharing a dtype
        self.to_float = to_float  # integer inputs give a float result (true division, exp, ...)
        self.canon = canon
        self.differentiable = differentiable
        self.inplace = inplace  # output index -> input index it overwrites (optimizer updates)
        self.random = random
        self.__doc__ = doc or getattr(forward, "__doc__", None)

    def defvjp(self, fn: Callable) -> Callable:
        """Decorator: set the gradient rule. A rule that takes a `needs_grad` keyword is told
        which inputs need a gradient (a tuple of bools), so it can skip the others' work."""
        import inspect

        self.vjp = fn
        self.vjp_takes_mask = "needs_grad" in inspect.signature(fn).parameters
        return fn

    def __call__(self, *args, **attrs):
        return apply(self, *args, **attrs)

    def saved_inputs(self, n_inputs: int) -> tuple:
        if self.saves is None:
            return tuple(range(n_inputs))
        return tuple(i for i in self.saves if isinstance(i, int))

    def saved_mask(self, n_inputs: int) -> tuple:
        """Per input, whether the vjp gets it (saved_inputs as flags, cached per count)."""
        masks = self.__dict__.get("_saved_masks")
        if masks is None:
            masks = self.__dict__["_saved_masks"] = {}
        mask = masks.get(n_inputs)
        if mask is None:
            idx = self.saved_inputs(n_inputs)
            mask = masks[n_inputs] = tuple(i in idx for i in range(n_inputs))
        return mask

    @functools.cached_property
    def saves_out(self) -> bool:  # read per recorded op; `saves` is fixed at registration
        return self.saves is not None and "out" in self.saves

    def __repr__(self) -> str:
        return f"<op {self.name}>"


_OPS: dict[str, OpDef] = {}


def register(name: str, *, infer: Callable, **options) -> Callable[[Callable], OpDef]:
    """Decorator registering `forward` as the kernel of the primitive `name`."""

    def deco(forward: Callable) -> OpDef:
        if name in _OPS:
            raise ValueError(f"op {name!r} is registered twice")
        op = OpDef(name, forward, infer, **options)
        _OPS[name] = op
        return op

    return deco


def get(name: str) -> OpDef:
    try:
        return _OPS[name]
    except KeyError:
        raise KeyError(f"no op named {name!r} in the registry") from None


def all_ops() -> dict[str, OpDef]:
    return dict(_OPS)


# ---------------------------------------------------------------- binders and dispatch

class ArrayBinder:
    """Plain NumPy/CuPy arrays: just run the kernel (used by vjp rules on raw arrays, tests)."""

    priority = 0

    def constant(self, value, like):
        return value

    def bind(self, op: OpDef, args: tuple, attrs: dict):
        xp = get_array_module(*[a for a in args if a is not None])
        try:
            out = op.forward(xp, *args, **attrs)
        except OpError:
            raise
        except Exception as e:
            raise explain(op, args, attrs, e) from e
        if isinstance(out, np.generic):  # NumPy returns scalars from 0-d arithmetic
            return np.asarray(out)
        return out


_ARRAY_BINDER = ArrayBinder()
_BINDERS: dict[type, Any] = {np.ndarray: _ARRAY_BINDER, np.generic: _ARRAY_BINDER}
_local = threading.local()


def register_binder(value_type: type, binder) -> None:
    """A front end registers the binder for its value type (eager Tensor, static Variable)."""
    _BINDERS[value_type] = binder


def binder_for_type(value_type: type):
    b = _BINDERS.get(value_type)
    if b is None:
        for base in value_type.__mro__[1:]:
            b = _BINDERS.get(base)
            if b is not None:
                _BINDERS[value_type] = b
                break
    return b


class default_binder:
    """Context: the binder used when no argument decides (ops without inputs, e.g. in a
    static program_guard, `fill_constant` must be recorded, not run)."""

    def __init__(self, binder):
        self.binder = binder

    def __enter__(self):
        self.prev = getattr(_local, "default", None)
        _local.default = self.binder
        return self.binder

    def __exit__(self, *exc):
        _local.default = self.prev


_intercepting = 0  # intercept contexts open in any thread (0: apply skips the thread-local)


class intercept:
    """Context: route every `apply` through `fn(op, args, attrs, proceed)` (the tracer)."""

    def __init__(self, fn):
        self.fn = fn

    def __enter__(self):
        global _intercepting
        self.prev = getattr(_local, "interceptor", None)
        _local.interceptor = self.fn
        _intercepting += 1
        return self

    def __exit__(self, *exc):
        global _intercepting
        _local.interceptor = self.prev
        _intercepting -= 1


_fast = None  # implicit mode's step replay (set_fast_path), tried before the binders
_fast_types: frozenset = frozenset()  # ... for calls whose first argument is of these types


def set_fast_path(fn, types=()) -> None:
    """Install `fn(op, args, attrs)` (None to remove) for calls whose first argument's type
    is one of `types`: `apply` tries it first, after any interceptor; a non-None result is
    the op's output. Implicit mode's step replay (dualnet_static/dygraph/replay.py) installs
    one while a step repeats its template, so a matched op skips dispatch, promotion and the
    binder; the types keep other front ends' calls from paying for it (an eager op in the
    same process skips it with one set lookup). The replayer may swap `_fast` itself as
    it goes from one event to the next."""
    global _fast, _fast_types
    _fast = fn
    _fast_types = frozenset(types) if fn is not None else frozenset()


def _pick_binder(args):
    best = None
    for a in args:
        b = _BINDERS.get(type(a))
        if b is None and a is not None and not isinstance(a, (int, float, bool, complex)):
            b = binder_for_type(type(a))
        if b is not None and (best is None or b.priority > best.priority):
            best = b
    if best is None:
        best = getattr(_local, "default", None) or _ARRAY_BINDER
    return best


def apply(op, *args, **attrs):
    """Run or record `op` on `args` (the one entry point of DESIGN.md section 2)."""
    if type(op) is str:
        op = _OPS.get(op) or get(op)
    if _intercepting:
        interceptor = getattr(_local, "interceptor", None)
        if interceptor is not None:
            _local.interceptor = None
            try:
                return interceptor(op, args, attrs, lambda a, k: apply(op, *a, **k))
            finally:
                _local.interceptor = interceptor
    fast = _fast
    if fast is not None and args and type(args[0]) in _fast_types:
        out = fast(op, args, attrs)
        if out is not None:
            return out
    binder = _pick_binder(args)
    if op.promote or op.to_float:
        args = promote_args(op, args, binder)
    elif any(type(a) in _SCALARS for a in args):
        args = _scalars_like_first(args, binder)
    if op.canon is not None:
        try:
            attrs = op.canon(*args, **attrs)
        except OpError:
            raise
        except (ValueError, TypeError, IndexError) as e:
            raise OpError(f"{op.name}: {e}\n  at {user_frame()}") from None
    return binder.bind(op, args, attrs)


_SCALARS = (int, float, bool, complex, np.bool_)
_DTYPE_OF: dict = {}  # tensor type -> a cheaper dtype getter than its .dtype (register_dtype_of)


def register_dtype_of(cls, fn) -> None:
    """`fn(tensor)` gives the NumPy dtype of a `cls` tensor: promote_args uses it instead of
    `.dtype` (which a front end may wrap in its own dtype objects)."""
    _DTYPE_OF[cls] = fn


def _is_scalar(a) -> bool:
    t = type(a)
    return t in _SCALARS or (t is not np.ndarray and isinstance(a, (np.integer, np.floating)))


def promote_args(op: OpDef, args: tuple, binder) -> tuple:
    """PyTorch type promotion among the promoted inputs; Python scalars are weak."""
    idx = range(len(args)) if op.promote is True or not op.promote else op.promote
    dtype, has_scalar, mixed = None, False, False
    for i in idx:
        a = args[i]
        if a is None:
            continue
        t = type(a)
        get = _DTYPE_OF.get(t)  # a front end's tensor (never a scalar): its dtype getter
        if get is not None:
            d = get(a)
        elif t in _SCALARS or (t is not np.ndarray and isinstance(a, (np.integer, np.floating))):
            has_scalar = True  # _is_scalar, inlined: this loop runs for every op
            continue
        else:
            d = a.dtype
        if dtype is None:
            dtype = d
        elif d is not dtype and d != dtype:
            dtype, mixed = dtypes.promote_types(dtype, d), True
    if not has_scalar and not mixed and (dtype is None or not op.to_float
                                         or dtype.kind not in "biu"):
        return args  # the common case: tensors of one dtype, nothing to convert
    for i in idx:
        a = args[i]
        if _is_scalar(a):
            dtype = dtypes.scalar_dtype(a) if dtype is None else \
                dtypes.result_type_with_scalar(dtype, a)
    dtype = np.dtype(dtype)
    if op.to_float and dtype.kind in "biu":
        dtype = dtypes.get_default_dtype().np
    like = next((a for a in args if a is not None and not _is_scalar(a)), None)
    out = list(args)
    for i in idx:
        a = out[i]
        if a is None:
            continue
        if _is_scalar(a):
            out[i] = binder.constant(np.asarray(a, dtype=dtype), like)
        elif np.dtype(a.dtype) != dtype:
            out[i] = apply("cast", a, dtype=dtype.name)
    return tuple(out)


def _scalars_like_first(args: tuple, binder) -> tuple:
    like = next((a for a in args if a is not None and not _is_scalar(a)), None)
    dtype = np.dtype(like.dtype) if like is not None else None
    return tuple(
        binder.constant(np.asarray(a, dtype=dtype if dtype is not None
                                   else dtypes.scalar_dtype(a)), like)
        if _is_scalar(a) else a for a in args)


def infer_metas(op: OpDef, metas: tuple, attrs: dict) -> tuple:
    """Run `op.infer`, always returning a tuple of Metas; errors become OpErrors."""
    try:
        out = op.infer(*metas, **attrs)
    except OpError:
        raise
    except (ValueError, TypeError, IndexError, KeyError) as e:
        raise OpError(f"{op.name}: {e}\n  at {user_frame()}") from None
    return tuple(out) if op.n_out != 1 else (out,)


def explain(op: OpDef, arrays: tuple, attrs: dict, err: Exception) -> OpError:
    """Turn a kernel's exception into an OpError naming the op, the input shapes and dtypes,
    and the user's line. `infer` usually says precisely what was wrong."""
    metas = tuple(None if a is None else Meta.of(a) for a in arrays)
    try:
        infer_metas(op, metas, attrs)
    except OpError as e:
        return e
    except Exception:
        pass
    seen = ", ".join("None" if m is None else f"{list(m.shape)} {m.dtype}" for m in metas)
    return OpError(f"{op.name}: {type(err).__name__}: {err} (inputs: {seen})\n"
                   f"  at {user_frame()}")
