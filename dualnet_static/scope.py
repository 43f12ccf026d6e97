"""Scopes hold the values of persistable variables between runs (Paddle's `Scope`).

`scope.var(name)` creates (or gets) a holder, `scope.find_var(name)` returns it or None;
`holder.get_tensor()` is a LoDTensor-like view with `set(array, place)` and `np.array(t)`.
The Executor reads and writes `holder.value` (an xp array) directly.
"""
from __future__ import annotations

import contextlib
import operator

import numpy as np

from dualnet import backend


class LoDTensor:
    """A view of one scope variable's value (Paddle's `LoDTensor` / `DenseTensor`)."""

    __slots__ = ("_holder",)

    def __init__(self, holder: "ScopeVar"):
        self._holder = holder

    def set(self, array, place=None) -> None:
        """Store a copy of `array` on `place` (default: where it is)."""
        value = _unwrap(array)
        value = np.array(value, copy=True) if not backend.is_array(value) else value.copy()
        if place is not None:
            from .place import device_of_place

            value = backend.to_device(value, device_of_place(place))
        self._holder.value = value

    def _array(self):
        if self._holder.value is None:
            raise ValueError(f"variable {self._holder.name!r} is not initialized")
        return self._holder.value

    def __array__(self, dtype=None, copy=None):
        a = backend.to_numpy(self._array())
        if dtype is not None:
            return a.astype(dtype, copy=copy is not False)
        return a.copy() if copy else a  # NumPy 2 trusts copy=True: never hand out the live array

    def numpy(self) -> np.ndarray:
        return np.array(backend.to_numpy(self._array()), copy=True)

    def shape(self) -> list:
        return list(self._array().shape)

    def _dtype(self):
        from .dtype import as_paddle_dtype

        return as_paddle_dtype(self._array().dtype)

    def _is_initialized(self) -> bool:
        return self._holder.value is not None

    def _place(self):
        from .place import place_of_array

        return place_of_array(self._array())

    def lod(self) -> list:
        return []

    def set_lod(self, lod) -> None:
        if lod:
            raise NotImplementedError("LoD (variable-length sequences) is not supported")

    def __repr__(self) -> str:
        if self._holder.value is None:
            return f"LoDTensor({self._holder.name}: not initialized)"
        return f"LoDTensor({self._holder.name}: {np.asarray(self)!r})"


def _unwrap(value):
    if isinstance(value, LoDTensor):
        return value._array()
    return value


class ScopeVar:
    """A named slot of a Scope. `_get(holder)` is `holder.value` as one C call, for the
    Executor's generated plans (a subclass whose `value` is a property gives its own)."""

    __slots__ = ("name", "value")
    _get = operator.attrgetter("value")

    def __init__(self, name: str):
        self.name = name
        self.value = None

    def get_tensor(self) -> LoDTensor:
        return LoDTensor(self)

    def set(self, array, place=None) -> None:
        self.get_tensor().set(array, place)

    def is_initialized(self) -> bool:
        return self.value is not None


class Scope:
    """name -> ScopeVar, with an optional parent searched by find_var."""

    def __init__(self, parent: "Scope | None" = None):
        self._vars: dict[str, ScopeVar] = {}
        self._parent = parent
        self._kids: list[Scope] = []

    def var(self, name: str) -> ScopeVar:
        holder = self._vars.get(name)
        if holder is None:
            holder = self._vars[name] = ScopeVar(name)
        return holder

    def find_var(self, name: str) -> ScopeVar | None:
        scope = self
        while scope is not None:
            holder = scope._vars.get(name)
            if holder is not None:
                return holder
            scope = scope._parent
        return None

    def erase(self, names) -> None:
        for name in names:
            self._vars.pop(name, None)

    def local_var_names(self) -> list:
        return list(self._vars)

    def new_scope(self) -> "Scope":
        kid = Scope(self)
        self._kids.append(kid)
        return kid

    def drop_kids(self) -> None:
        self._kids.clear()

    def __contains__(self, name: str) -> bool:
        return self.find_var(name) is not None


_global = [Scope()]


def global_scope() -> Scope:
    """The scope Executor.run uses by default (replaced inside scope_guard)."""
    return _global[-1]


@contextlib.contextmanager
def scope_guard(scope: Scope):
    _global.append(scope)
    try:
        yield
    finally:
        _global.pop()
