"""A Scope whose variables *are* eager tensors: how a converted model shares its parameters.

The Executor reads a persistable variable as `scope.find_var(name).value` and writes it back
with `scope.var(name).value = array`. A `TensorHolder` answers with the eager tensor's array and
writes into it in place (optimizer updates already happen in place; batch-norm statistics are
copied in), so the eager model and the static program see one set of values, never copies.
"""
from __future__ import annotations

import operator

from dualnet import backend
from dualnet_static.scope import Scope, ScopeVar


class TensorHolder(ScopeVar):
    """A scope variable backed by an eager Tensor's array."""

    __slots__ = ("tensor",)
    _get = operator.attrgetter("tensor._data")  # `value` without the property's frame

    def __init__(self, name: str, tensor):
        self.name = name
        self.tensor = tensor

    @property
    def value(self):
        return self.tensor._data

    @value.setter
    def value(self, array) -> None:
        t = self.tensor
        if array is None or array is t._data:
            return
        data = t._data
        flags = getattr(data, "flags", None)
        same = (array.shape == data.shape and array.dtype == data.dtype
                and backend.device_of(array) == backend.device_of(data))
        if same and (flags is None or flags.writeable):
            backend.get_array_module(data).copyto(data, array)
        else:
            t._data = array
        t._version[0] += 1


class TensorScope(Scope):
    """A Scope serving named eager tensors (plus ordinary variables for anything else)."""

    def bind(self, name: str, tensor) -> None:
        holder = self._vars.get(name)
        if isinstance(holder, TensorHolder) and holder.tensor is tensor:
            return
        self._vars[name] = TensorHolder(name, tensor)


def share_into(scope: Scope, named_tensors: dict) -> None:
    """Make `scope`'s variables `name` be the given eager tensors (see TensorHolder); a name
    bound to another model's tensor is rebound (the last model converted wins)."""
    for name, tensor in named_tensors.items():
        holder = scope.find_var(name)
        if not (isinstance(holder, TensorHolder) and holder.tensor is tensor):
            scope._vars[name] = TensorHolder(name, tensor)  # Scope has no public "set holder"
