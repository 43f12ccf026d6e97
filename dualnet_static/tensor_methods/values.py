"""Paddle's dynamic-mode Tensor API on Variables: values (`numpy`, `item`, `float`, `bool`,
`print`), gradients (`backward`, `grad`, `clear_grad`) and `set_value`.

In implicit mode (dualnet_static/dygraph) asking for a value runs the ops recorded so far; in
an explicit program a Variable has no value while it is built, and these raise as before (the
OperatorMethods versions). The work is in dualnet_static/dygraph; this mixin only routes.
"""
from __future__ import annotations

import numpy as np


def _dy():
    """The dygraph package (imported on first use: it imports this module)."""
    dy = _DY[0]
    if dy is None:
        from .. import dygraph as dy

        _DY[0] = dy
    return dy


_DY = [None]


def _has_value(var) -> bool:
    """Whether `var` can produce a value now (implicit mode, or a dynamic-mode parameter)."""
    return var._bound is not None or var.block.program._implicit or \
        getattr(var, "_dygraph", False)


class _HookHandle:
    """What register_hook returns: `remove()` drops the hook."""

    def __init__(self, hooks: dict, key: int):
        self._hooks, self._key = hooks, key

    def remove(self) -> bool:
        return self._hooks.pop(self._key, None) is not None


def _as_dtype(a):
    """np.dtype of a dtype spec ('float64', paddle.float32, np.float32), None otherwise."""
    from dualnet import dtypes

    if isinstance(a, str) and a.split(":")[0] in ("cpu", "gpu", "cuda", "xpu", "npu"):
        return None
    try:
        return dtypes.as_np(a)
    except (TypeError, ValueError, KeyError):
        return None


def _check_device(var, device) -> None:
    from dualnet.backend import cuda_available

    from ..place import to_place

    try:
        place = to_place(device)
    except Exception as e:  # an unknown device: say which tensor
        raise ValueError(f"Tensor.to({device!r}) on {var.name!r}: {e}") from None
    if place.device.type == "cuda" and not cuda_available():
        raise RuntimeError(f"Tensor.to({device!r}) on {var.name!r}: no CUDA device is "
                           "available (install CuPy and run on a machine with a GPU)")


class ValueMethods:
    __slots__ = ()

    # ------------------------------------------------------------ values
    def numpy(self) -> np.ndarray:
        """A NumPy copy of the value (runs what was recorded so far)."""
        return np.array(_dy().value_of(self, "numpy()"), copy=True)

    def item(self, *args):
        """The value as a Python scalar (a one-element tensor, or the element at `args`)."""
        value = _dy().value_of(self, "item()")
        if args:
            return value[args if len(args) > 1 else args[0]].item()
        if value.size != 1:
            raise ValueError(f"only one element tensor can be converted to Python scalar, "
                             f"got shape {list(value.shape)}")
        return value.item()

    def tolist(self):
        return _dy().value_of(self, "tolist()").tolist()

    def __float__(self):
        return float(self._scalar("float()"))

    def __int__(self):
        return int(self._scalar("int()"))

    def __index__(self):
        value = self._scalar("an index")
        if value.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, got {value.dtype}")
        return int(value)

    def __bool__(self):
        if not _has_value(self):
            return super().__bool__()
        return bool(self._scalar("bool()"))

    def __array__(self, dtype=None, copy=None):
        if not _has_value(self):
            return super().__array__(dtype, copy)
        value = _dy().value_of(self, "numpy()")
        if dtype is not None:
            return value.astype(dtype)
        return np.array(value, copy=True)

    def __format__(self, spec: str) -> str:
        if spec and _has_value(self):
            return format(self._scalar("a format string"), spec)
        return format(str(self), spec)

    def _scalar(self, what: str):
        if not _has_value(self):
            raise TypeError(f"{what} of the static Variable {self.name!r}: it has no value "
                            "while the program is built (fetch it with Executor.run)")
        value = _dy().value_of(self, what)
        if value.size != 1:
            raise ValueError(f"{what} needs a tensor with exactly one element, got shape "
                             f"{list(value.shape)}")
        return value.reshape(()).item()

    def value(self):
        return self

    def set_value(self, value) -> None:
        """Replace the value of a parameter or persistable variable (dynamic mode)."""
        _dy().set_value(self, value)

    @property
    def place(self):
        from ..place import to_place

        return to_place(None)

    def cpu(self):
        """The Executor places values; `.cpu().numpy()` reads the value."""
        return self

    def cuda(self, device_id=None, blocking: bool = True):
        """Values live where the Executor runs; without CuPy and a GPU this raises."""
        from dualnet.backend import cuda_available

        if not cuda_available():
            raise RuntimeError(f"Tensor.cuda() on {self.name!r}: no CUDA device is available "
                               "(install CuPy and run on a machine with a GPU)")
        return self

    def pin_memory(self):
        return self  # CPU memory: nothing to pin

    def to(self, *args, **kwargs):
        """`to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other_tensor)` (Paddle 2.6):
        a cast when the dtype changes; devices are checked (the Executor places values)."""
        device, dtype = kwargs.get("device"), kwargs.get("dtype")
        for a in args:
            if hasattr(a, "_dtype"):
                dtype = a._dtype
            elif _as_dtype(a) is not None:
                dtype = a
            elif a is not None:
                device = a
        if device is not None:
            _check_device(self, device)
        if dtype is None or _as_dtype(dtype) == self._dtype:
            return self
        from dualnet.ops import apply

        return apply("cast", self, dtype=_as_dtype(dtype).name)

    def get_tensor(self):
        """The value holder (implicit mode): its `.numpy()` / `np.array()` give the value."""
        from ..scope import ScopeVar

        holder = ScopeVar(self.name)
        holder.value = np.array(_dy().value_of(self, "get_tensor()"), copy=True)
        return holder.get_tensor()

    # ------------------------------------------------------------ Python functions
    def apply(self, func):
        """`func(self)` (Paddle 2.6); only for a tensor that stops gradients."""
        if not self._stop_gradient:
            raise RuntimeError("Cannot apply function on a tensor that required gradient.")
        return func(self)

    def apply_(self, func):
        """`self` rebound to `func(self)` (the in-place apply)."""
        if not self._stop_gradient:
            raise RuntimeError("Cannot apply function on a tensor that required gradient.")
        from .inplace import assign_to

        return assign_to(self, func(self), "apply_")

    # ------------------------------------------------------------ gradient hooks
    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed by backward() (dynamic
        mode); a returned tensor replaces the gradient. Returns a handle with remove()."""
        if not _has_value(self):
            raise RuntimeError(f"register_hook on the static Variable {self.name!r}: hooks "
                               "are available in dynamic mode only")
        if self._stop_gradient:
            raise RuntimeError("Cannot register hook on a tensor that stop gradient.")
        hooks = self.__dict__.get("_grad_hooks")
        if hooks is None:
            hooks = self.__dict__["_grad_hooks"] = {}
        key = max(hooks, default=-1) + 1
        hooks[key] = hook
        return _HookHandle(hooks, key)

    # ------------------------------------------------------------ gradients
    def backward(self, grad_tensor=None, retain_graph: bool = False) -> None:
        """Append the gradient of this tensor to the parameters and to the tensors with
        stop_gradient=False; gradients accumulate until clear_grad()."""
        _dy().backward(self, grad_tensor, retain_graph)

    @property
    def grad(self):
        """The accumulated gradient as a tensor (None before any backward)."""
        return _dy().grad_of(self)

    def gradient(self):
        """The accumulated gradient as a NumPy array (None before any backward)."""
        g = _dy().grad_of(self)
        return None if g is None else g.numpy()

    def clear_grad(self, set_to_zero: bool = True) -> None:
        _dy().clear_grads([self], set_to_zero)

    def clear_gradient(self, set_to_zero: bool = True) -> None:
        _dy().clear_grads([self], set_to_zero)
