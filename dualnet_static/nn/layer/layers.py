"""`paddle.nn.Layer`: parameters, buffers and sublayers in ordered dicts, Paddle's bookkeeping
(attribute routing, state_dict through the Scope, train/eval, hooks, apply, repr).

A Layer builds ops: calling it with static Variables appends its forward to the program being
built (the current `program_guard`, or the default main program). Its parameters are
`paddle.static.Parameter`s made by `storage.create_layer_parameter` (the one place that creates
them - see storage.py for how explicit and implicit mode initialize values); their values live
in the Scope, which `state_dict` / `set_state_dict` read and write as NumPy arrays.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Callable, Iterator

import numpy as np

from dualnet import dtypes
from dualnet.ops.registry import OpError, user_frame

from ... import unique_name
from ...dtype import get_default_dtype
from ...framework import _ctx, default_main_program
from ...variable import Parameter, Variable
from . import storage

_first_cap = re.compile("(.)([A-Z][a-z]+)")
_all_cap = re.compile("([a-z])([A-Z])")
_MISSING = object()


def camel_to_snake(name: str) -> str:
    """Paddle's layer naming: `Linear` -> `linear`, `BatchNorm2D` -> `batch_norm2d`."""
    return _all_cap.sub(r"\1_\2", _first_cap.sub(r"\1_\2", name)).lower()


def _addindent(text: str, n: int) -> str:
    lines = text.split("\n")
    return lines[0] + "".join("\n" + " " * n + line for line in lines[1:])


class HookRemoveHelper:
    """Returned by register_forward_*_hook; `remove()` unregisters the hook."""

    next_hook_id = 0

    def __init__(self, hooks: OrderedDict):
        self._hooks = hooks
        self._hook_id = HookRemoveHelper.next_hook_id
        HookRemoveHelper.next_hook_id += 1

    def remove(self) -> None:
        self._hooks.pop(self._hook_id, None)


class Layer:
    """Base class of Paddle-style layers: assign Parameters and sublayers as attributes in
    `__init__` (after `super().__init__()`), define `forward`."""

    training: bool

    def __init__(self, name_scope: str | None = None, dtype="float32"):
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        if name_scope is None:
            name_scope = camel_to_snake(type(self).__name__)
        setattr_(self, "_full_name", unique_name.generate(name_scope))
        setattr_(self, "_dtype", dtype)
        setattr_(self, "_parameters", OrderedDict())
        setattr_(self, "_buffers", OrderedDict())
        setattr_(self, "_non_persistable_buffer_names_set", set())
        setattr_(self, "_sub_layers", OrderedDict())
        setattr_(self, "_forward_pre_hooks", OrderedDict())
        setattr_(self, "_forward_post_hooks", OrderedDict())

    def forward(self, *inputs, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} has no forward method")

    # ---------------------------------------------------------------- calling
    def __call__(self, *inputs, **kwargs):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                result = hook(self, inputs)
                if result is not None:
                    inputs = result if isinstance(result, tuple) else (result,)
        old = _ctx.namescope  # framework.name_scope(self._full_name), inlined: a layer call
        _ctx.namescope = f"{old}{self._full_name}/"  # is per op in implicit mode's steps
        try:
            outputs = self.forward(*inputs, **kwargs)
        except (OpError, ValueError, TypeError) as e:
            _note_layer(e, self)
            raise
        finally:
            _ctx.namescope = old
        if self._forward_post_hooks:
            for hook in list(self._forward_post_hooks.values()):
                result = hook(self, inputs, outputs)
                if result is not None:
                    outputs = result
        return outputs

    def register_forward_pre_hook(self, hook: Callable) -> HookRemoveHelper:
        """`hook(layer, inputs)` runs before forward; a non-None result replaces the inputs."""
        helper = HookRemoveHelper(self._forward_pre_hooks)
        self._forward_pre_hooks[helper._hook_id] = hook
        return helper

    def register_forward_post_hook(self, hook: Callable) -> HookRemoveHelper:
        """`hook(layer, inputs, outputs)` runs after forward; a non-None result replaces the
        outputs."""
        helper = HookRemoveHelper(self._forward_post_hooks)
        self._forward_post_hooks[helper._hook_id] = hook
        return helper

    # ---------------------------------------------------------------- naming and modes
    def full_name(self) -> str:
        """The unique name of this layer (`linear_0`), the prefix of its parameters' names."""
        return self._full_name

    def train(self):
        """Training mode for this layer and its sublayers (dropout active, batch statistics)."""
        for layer in self.sublayers(include_self=True):
            object.__setattr__(layer, "training", True)
        return self

    def eval(self):
        """Inference mode for this layer and its sublayers."""
        for layer in self.sublayers(include_self=True):
            object.__setattr__(layer, "training", False)
        return self

    # ---------------------------------------------------------------- creating state
    def create_parameter(self, shape, attr=None, dtype=None, is_bias=False,
                         default_initializer=None):
        """A Parameter of this layer (not registered: assign it to an attribute). None when
        attr is False."""
        return storage.create_layer_parameter(
            self._full_name, shape, attr, dtype if dtype is not None else self._dtype,
            is_bias, default_initializer)

    def create_variable(self, name=None, persistable=None, dtype=None):
        """A variable of the current main program (a temporary unless persistable)."""
        name = name or unique_name.generate(f"{self._full_name}.var")
        return default_main_program().global_block().create_var(
            name, (), dtype if dtype is not None else self._dtype,
            persistable=bool(persistable))

    create_tensor = create_variable

    def add_sublayer(self, name: str, sublayer: "Layer | None") -> "Layer | None":
        if not isinstance(name, str) or "." in name or not name:
            raise KeyError(f"sublayer name must be a non-empty str without '.', got {name!r}")
        if sublayer is not None and not isinstance(sublayer, Layer):
            raise TypeError(f"add_sublayer({name!r}): {type(sublayer).__name__} is not a Layer")
        self._sub_layers[name] = sublayer
        return sublayer

    def add_parameter(self, name: str, parameter):
        if "_parameters" not in self.__dict__:
            raise RuntimeError("super().__init__() should be called first")
        if not isinstance(name, str) or "." in name or not name:
            raise KeyError(f"parameter name must be a non-empty str without '.', got {name!r}")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"The parameter '{name}' already exists.")
        if parameter is not None and not isinstance(parameter, Parameter):
            raise TypeError(f"add_parameter({name!r}): {type(parameter).__name__} is not a "
                            "Parameter")
        self._parameters[name] = parameter
        return parameter

    def register_buffer(self, name: str, tensor, persistable: bool = True) -> None:
        """Keep `tensor` (a Variable, an array, or None) as state that is not trained; a
        persistable buffer is part of the state_dict. An array becomes a persistable variable
        initialized by the startup program."""
        if "_buffers" not in self.__dict__:
            raise ValueError("super().__init__() should be called first")
        if not isinstance(name, str) or "." in name or not name:
            raise KeyError(f"buffer name must be a non-empty str without '.', got {name!r}")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Variable):
            tensor = storage.create_layer_buffer(self._full_name, name, tensor)
        self._buffers[name] = tensor
        if persistable:
            self._non_persistable_buffer_names_set.discard(name)
        else:
            self._non_persistable_buffer_names_set.add(name)

    # ---------------------------------------------------------------- attribute routing
    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise ValueError("super().__init__() should be called first")
            self._drop(name)
            params[name] = value
        elif isinstance(value, Layer):
            layers = self.__dict__.get("_sub_layers")
            if layers is None:
                raise ValueError("super().__init__() should be called first")
            self._drop(name)
            layers[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"assignment to parameter '{name}' should be of type Parameter "
                                f"or None, but got '{type(value).__name__}'")
            params[name] = None
        elif name in self.__dict__.get("_sub_layers", {}):
            if value is not None:
                raise TypeError(f"assignment to sublayer '{name}' should be of type Layer or "
                                f"None, but got '{type(value).__name__}'")
            self._sub_layers[name] = None
        elif name in self.__dict__.get("_buffers", {}):
            if value is not None and not isinstance(value, Variable):
                raise TypeError(f"assignment to buffer '{name}' should be of type Variable or "
                                f"None, but got '{type(value).__name__}'")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _drop(self, name: str) -> None:
        self.__dict__.pop(name, None)
        for key in ("_parameters", "_sub_layers", "_buffers"):
            self.__dict__[key].pop(name, None)

    def __getattr__(self, name: str):
        d = self.__dict__  # unrolled: a parameter or sub-layer is read per op in a forward
        store = d.get("_parameters")
        if store is not None:
            value = store.get(name, _MISSING)
            if value is not _MISSING:
                return value
        store = d.get("_sub_layers")
        if store is not None:
            value = store.get(name, _MISSING)
            if value is not _MISSING:
                return value
        store = d.get("_buffers")
        if store is not None and name in store:
            return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for key in ("_parameters", "_sub_layers", "_buffers"):
            if name in self.__dict__.get(key, {}):
                del self.__dict__[key][name]
                self._non_persistable_buffer_names_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        extra = [k for key in ("_parameters", "_sub_layers", "_buffers")
                 for k in self.__dict__.get(key, {})]
        return sorted(set(super().__dir__()) | set(extra))

    # ---------------------------------------------------------------- traversal
    def named_sublayers(self, prefix: str = "", include_self: bool = False,
                        layers_set=None) -> Iterator[tuple]:
        """(dotted name, layer) of every sublayer, depth first, each once."""
        if layers_set is None:
            layers_set = set()
        if include_self and id(self) not in layers_set:
            layers_set.add(id(self))
            yield prefix, self
        for key, layer in self._sub_layers.items():
            if layer is None or id(layer) in layers_set:
                continue
            path = f"{prefix}.{key}" if prefix else key
            yield from layer.named_sublayers(path, include_self=True, layers_set=layers_set)

    def sublayers(self, include_self: bool = False) -> list:
        return [layer for _, layer in self.named_sublayers(include_self=include_self)]

    def named_children(self) -> Iterator[tuple]:
        seen = set()
        for name, layer in self._sub_layers.items():
            if layer is not None and id(layer) not in seen:
                seen.add(id(layer))
                yield name, layer

    def children(self) -> Iterator["Layer"]:
        for _, layer in self.named_children():
            yield layer

    def _named_members(self, key: str, prefix: str, include_sublayers: bool):
        seen = set()
        layers = self.named_sublayers(prefix=prefix, include_self=True) \
            if include_sublayers else [(prefix, self)]
        for layer_prefix, layer in layers:
            for name, value in layer.__dict__[key].items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{layer_prefix}.{name}" if layer_prefix else name), value

    def named_parameters(self, prefix: str = "", include_sublayers: bool = True):
        """(dotted name, Parameter) pairs, each parameter once."""
        yield from self._named_members("_parameters", prefix, include_sublayers)

    def parameters(self, include_sublayers: bool = True) -> list:
        return [p for _, p in self.named_parameters(include_sublayers=include_sublayers)]

    def named_buffers(self, prefix: str = "", include_sublayers: bool = True):
        yield from self._named_members("_buffers", prefix, include_sublayers)

    def buffers(self, include_sublayers: bool = True) -> list:
        return [b for _, b in self.named_buffers(include_sublayers=include_sublayers)]

    def apply(self, fn: Callable[["Layer"], Any]) -> "Layer":
        """fn(layer) for every sublayer (children first), then for self."""
        for layer in self.children():
            layer.apply(fn)
        fn(self)
        return self

    def clear_gradients(self, set_to_zero: bool = True) -> None:
        """Restart the gradient accumulation of the parameters (dynamic mode; static
        programs keep no gradients between runs)."""
        from ... import dygraph  # implicit mode's gradient accumulators

        dygraph.clear_grads(self.parameters(), set_to_zero)

    # ---------------------------------------------------------------- state
    def _state_vars(self, include_sublayers: bool = True, prefix: str = "") -> OrderedDict:
        """{structured name: Variable} of the parameters and persistable buffers."""
        out = OrderedDict()
        layers = self.named_sublayers(prefix=prefix, include_self=True) \
            if include_sublayers else [(prefix, self)]
        for layer_prefix, layer in layers:
            dot = f"{layer_prefix}." if layer_prefix else ""
            for name, p in layer._parameters.items():
                if p is not None:
                    out[dot + name] = p
            for name, b in layer._buffers.items():
                if b is not None and name not in layer._non_persistable_buffer_names_set:
                    out[dot + name] = b
        return out

    def state_dict(self, destination=None, include_sublayers: bool = True,
                   structured_name_prefix: str = "", use_hook: bool = True,
                   keep_vars: bool = True, scope=None) -> OrderedDict:
        """{structured name (`fc1.weight`): NumPy copy of the value in the scope} for every
        parameter and persistable buffer."""
        out = destination if destination is not None else OrderedDict()
        for name, var in self._state_vars(include_sublayers).items():
            out[structured_name_prefix + name] = storage.read_value(var, scope)
        return out

    def set_state_dict(self, state_dict, use_structured_name: bool = True,
                       scope=None) -> tuple:
        """Write arrays (or LoDTensors) into the scope for the parameters and persistable
        buffers named by structured name (or by variable name when use_structured_name is
        False). Returns (missing_keys, unexpected_keys)."""
        targets = self._state_vars()
        if not use_structured_name:
            targets = OrderedDict((var.name, var) for var in targets.values())
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        for key, var in targets.items():
            if key in state_dict:
                storage.write_value(var, state_dict[key], scope, what=f"set_state_dict({key!r})")
        return missing, unexpected

    set_dict = set_state_dict
    load_dict = set_state_dict

    def to(self, device=None, dtype=None, blocking=None) -> "Layer":
        """Values move to the Executor's place when a program runs, so `device` needs nothing;
        `dtype` re-declares every floating parameter and buffer (main and startup programs)
        and casts values already in the scope."""
        if dtype is None:
            return self
        target = dtypes.as_np(dtype)
        if target.kind != "f":
            raise TypeError(f"Layer.to: dtype must be a floating point type, got {target}")
        for var in self._state_vars().values():
            if var._dtype.kind == "f" and var._dtype != target:
                _redeclare(var, target)
        for layer in self.sublayers(include_self=True):
            object.__setattr__(layer, "_dtype", target.name)
        return self

    def float(self):
        return self.to(dtype="float32")

    def double(self):
        return self.to(dtype="float64")

    def half(self):
        return self.to(dtype="float16")

    # ---------------------------------------------------------------- printing
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): {_addindent(repr(layer), 2)}"
                 for name, layer in self._sub_layers.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _note_layer(err: Exception, layer: Layer) -> None:
    """Name the innermost layer in a build-time error (once; the op and line are there)."""
    if getattr(err, "_dualnet_layer", None) is not None or not err.args:
        return
    err._dualnet_layer = layer.full_name()
    if isinstance(err.args[0], str):
        where = "" if isinstance(err, OpError) else f"\n  at {user_frame()}"
        err.args = (f"{err.args[0]}{where}\n  in layer {layer.full_name()} "
                    f"({type(layer).__name__})",) + err.args[1:]


def _redeclare(var: Variable, dtype: np.dtype) -> None:
    """var's dtype becomes `dtype`: in its program, in the startup program (initializer
    rebuilt) and in the scope (value cast)."""
    from ...dtype import as_paddle_dtype
    from ...framework import default_startup_program
    from ...scope import global_scope

    if any(var is v for op in var.block.ops for v in op.inputs):
        raise RuntimeError(f"Layer.to(dtype): {var.name!r} is already used by ops of its "
                           "program; change the dtype before calling the layer")
    var._dtype, var._pdtype = dtype, as_paddle_dtype(dtype)
    startup = getattr(var, "_startup_program", None) or default_startup_program()
    startup = startup.global_block()
    init = getattr(var, "_initializer", None)
    svar = startup.vars.get(var.name)
    if svar is not None and init is not None:
        startup.ops = [op for op in startup.ops
                       if not any(v is svar for v in op.outputs)]
        startup.program._bump()
        svar._dtype, svar._pdtype = dtype, as_paddle_dtype(dtype)
        init(svar, startup)
    holder = global_scope().find_var(var.name)
    if holder is not None and holder.value is not None:
        holder.value = holder.value.astype(dtype)


def default_dtype() -> str:
    """The dtype layers create parameters in (`paddle.set_default_dtype`)."""
    return get_default_dtype()
