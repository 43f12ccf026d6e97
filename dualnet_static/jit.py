"""`paddle.jit`: to_static, save, load (TranslatedLayer), not_to_static, enable_to_static.

dualnet_static's implicit mode already records static Programs, so `to_static` has no Python
to translate. What it does, precisely:

- `to_static(layer_or_fn, input_spec=[InputSpec(...)])` returns the layer with its `forward`
  replaced by a `StaticFunction` (or the StaticFunction of a function; also a decorator).
- A call in explicit static mode (program_guard / enable_static) calls the Python function:
  its ops go into the program being built, as in Paddle.
- A call in implicit mode that may need gradients (grad enabled and a tensor argument with
  stop_gradient=False, or a trainable parameter of the layer) also calls the Python function:
  its ops are recorded into the implicit step program, so `loss.backward()` and
  `optimizer.step()` train through it exactly as without to_static (the step replay compiles
  a training loop once).
- Any other call in implicit mode (under `paddle.no_grad()`, frozen parameters, functions of
  constant inputs) runs the *concrete program*: an explicit Program built once per input
  signature from `static.data` declared by the input_spec (None dims stay -1: one Program for
  every batch size) in the layers' current train/eval modes, run by the Executor (one cached
  plan). Its outputs are new tensors with stop_gradient=True.
Either way the inputs are checked against the input_spec (rank, fixed dims, dtype).

`jit.save(layer, path, input_spec)` writes the inference program (eval mode) with
`static.save_inference_model`: `path.json` (the program) and `path.safetensors` (its
parameters) - dualnet's counterparts of Paddle's `path.pdmodel` / `path.pdiparams`.
`jit.load(path)` reads them into a `TranslatedLayer`, which runs the program on the Executor
in implicit mode (inference: outputs have stop_gradient=True; the program is the eval form
whatever `train()`/`eval()` says). Its parameters are renamed `<prefix>.<name>` so a loaded
model never shares values with a live layer of the same names (Paddle renames them too).
"""
from __future__ import annotations

import functools
import inspect
import os
import weakref

import numpy as np

from . import dygraph, unique_name
from .executor import Executor
from .framework import Program, in_implicit_mode, program_guard
from .nn.layer.layers import Layer
from .scope import Scope, global_scope
from .static.input import InputSpec, data
from .variable import Parameter, Variable

__all__ = ["to_static", "not_to_static", "enable_to_static", "save", "load",
           "StaticFunction", "TranslatedLayer", "ignore_module", "marker"]

_ENABLED = [True]


def enable_to_static(enable_to_static_bool: bool) -> None:
    """Globally turn to_static off (False: decorated functions run as plain Python) or on."""
    if not isinstance(enable_to_static_bool, bool):
        raise TypeError("enable_to_static expects a bool, got "
                        f"{type(enable_to_static_bool).__name__}")
    _ENABLED[0] = enable_to_static_bool


def not_to_static(func=None):
    """Mark a function to stay Python inside a to_static function (always so here)."""
    if func is None:
        return not_to_static
    func._not_to_static = True
    return func


def ignore_module(modules) -> None:
    """Modules whose functions to_static leaves alone (nothing is translated here)."""


def to_static(function=None, input_spec=None, build_strategy=None, backend=None,
              full_graph: bool = False, **kwargs):
    """A layer (forward replaced) or function run as a static program; see the module doc."""
    if input_spec is not None and not isinstance(input_spec, (list, tuple)):
        raise TypeError(f"input_spec must be a list or tuple of InputSpec, got "
                        f"{type(input_spec).__name__}")

    def decorate(fn):
        if isinstance(fn, Layer):
            forward, spec = fn.forward, input_spec
            if isinstance(forward, StaticFunction):  # already converted: keep its spec
                forward, spec = forward._function, spec or forward._input_spec
            object.__setattr__(fn, "forward", StaticFunction(forward, spec, fn))
            return fn
        if isinstance(fn, StaticFunction):
            return fn
        if not callable(fn):
            raise TypeError(f"to_static expects a Layer or a function, got "
                            f"{type(fn).__name__}")
        return StaticFunction(fn, input_spec)

    return decorate if function is None else decorate(function)


# ---------------------------------------------------------------- StaticFunction


def _flat_outputs(out) -> tuple:
    """(list of Variables, rebuild(values)) for a Variable or a list/tuple of them."""
    if isinstance(out, Variable):
        return [out], lambda values: values[0]
    if isinstance(out, (list, tuple)) and all(isinstance(o, Variable) for o in out):
        kind = type(out)
        return list(out), lambda values: kind(values) if kind in (list, tuple) else \
            list(values)
    raise TypeError(f"to_static: the function returned {type(out).__name__}; a tensor or a "
                    "list/tuple of tensors is supported")


def _spec_of(value, name: str) -> InputSpec:
    return InputSpec(tuple(value.shape), np.asarray(value).dtype if isinstance(
        value, np.ndarray) else value.dtype, name)


def _check_spec(spec: InputSpec, value, where: str) -> None:
    shape, dtype = tuple(value.shape), np.dtype(
        value.dtype if isinstance(value, np.ndarray) else value.dtype.np)
    if len(shape) != len(spec.shape) or any(d != -1 and d != s
                                             for d, s in zip(spec.shape, shape)):
        raise ValueError(f"{where}: input {spec.name or ''} has shape {list(shape)}, the "
                         f"input_spec declares {list(spec.shape)} (-1 = any)")
    if dtype != spec.dtype.np:
        raise TypeError(f"{where}: input {spec.name or ''} is {dtype.name}, the input_spec "
                        f"declares {spec.dtype.name}")


class ConcreteProgram:
    """One input signature's explicit program: main/startup, inputs, outputs."""

    def __init__(self, main_program, startup_program, inputs, outputs, rebuild):
        self.main_program, self.startup_program = main_program, startup_program
        self.inputs, self.outputs, self._rebuild = inputs, outputs, rebuild


class StaticFunction:
    """A function or a layer's forward with to_static's calling rules (module doc)."""

    def __init__(self, function, input_spec=None, instance=None):
        self._function = function
        self._input_spec = None if input_spec is None else [
            s if isinstance(s, InputSpec) else InputSpec.from_tensor(s) for s in input_spec]
        self._instance = instance
        self._programs: dict = {}
        self._per_instance = weakref.WeakKeyDictionary()
        self._last_key = None
        functools.update_wrapper(self, function)

    def __get__(self, instance, owner=None):
        """A decorated method: one StaticFunction (and program cache) per layer."""
        if instance is None or self._instance is not None:
            return self
        bound = self._per_instance.get(instance)
        if bound is None:
            bound = StaticFunction(self._function, self._input_spec, instance)
            self._per_instance[instance] = bound
        return bound

    @property
    def input_spec(self):
        return self._input_spec

    @property
    def dygraph_function(self):
        return self._function

    def _python(self, *args, **kwargs):
        fn = self._function
        if self._instance is not None and not inspect.ismethod(fn):
            return fn(self._instance, *args, **kwargs)
        return fn(*args, **kwargs)

    def _arg_names(self, n: int) -> list:
        try:
            names = [p for p in inspect.signature(self._function).parameters
                     if p != "self"]
        except (TypeError, ValueError):
            names = []
        names = [n_ for n_ in names][:n]
        return names + [f"input_{i}" for i in range(len(names), n)]

    def __call__(self, *args, **kwargs):
        if not _ENABLED[0] or kwargs or not in_implicit_mode():
            return self._python(*args, **kwargs)
        is_tensor = [isinstance(a, (Variable, np.ndarray)) for a in args]
        specs = self._specs(args, is_tensor)
        if self._needs_grad(args):
            return self._python(*args)
        key = self._key(args, is_tensor, specs)
        concrete = self._programs.get(key)
        if concrete is None:
            concrete = self._programs[key] = self._build(args, is_tensor, specs)
        self._last_key = key
        return self._run(concrete, [a for a, t in zip(args, is_tensor) if t])

    # ------------------------------------------------------------ signature
    def _specs(self, args, is_tensor) -> list:
        tensors = [a for a, t in zip(args, is_tensor) if t]
        names = self._arg_names(len(args))
        tnames = [n for n, t in zip(names, is_tensor) if t]
        where = f"to_static({getattr(self._function, '__qualname__', 'function')})"
        declared = self._input_spec or []
        specs = []
        for i, value in enumerate(tensors):
            if i < len(declared):
                spec = declared[i]
                _check_spec(spec, value, where)
                specs.append(InputSpec(spec.shape, spec.dtype, spec.name or tnames[i]))
            else:
                specs.append(_spec_of(value, tnames[i]))
        return specs

    def _needs_grad(self, args) -> bool:
        if not dygraph.is_grad_enabled():
            return False
        if any(isinstance(a, Variable) and not a.stop_gradient for a in args):
            return True
        layer = self._instance
        return layer is not None and any(p.trainable and not p.stop_gradient
                                         for p in layer.parameters())

    def _modes(self) -> tuple:
        layer = self._instance
        if layer is None:
            return ()
        return tuple(sub.training for sub in layer.sublayers(include_self=True))

    def _key(self, args, is_tensor, specs) -> tuple:
        others = []
        for a, t in zip(args, is_tensor):
            if not t:
                try:
                    hash(a)
                except TypeError:
                    raise TypeError(f"to_static: argument {a!r} is neither a tensor nor "
                                    "hashable (it would be baked into the program)") from None
                others.append(a)
        return (tuple(s._key() for s in specs), tuple(others), self._modes())

    # ------------------------------------------------------------ concrete programs
    def _build(self, args, is_tensor, specs) -> ConcreteProgram:
        dygraph.flush()  # pending implicit work first: the program reads the same Scope
        main, startup = Program(), Program()
        with program_guard(main, startup):
            ins = [data(s.name, s.shape, s.dtype) for s in specs]
            it = iter(ins)
            call_args = [next(it) if t else a for a, t in zip(args, is_tensor)]
            outs, rebuild = _flat_outputs(self._python(*call_args))
        _init_parameters(self._instance)
        return ConcreteProgram(main, startup, ins, outs, rebuild)

    def _run(self, concrete: ConcreteProgram, tensors: list):
        dygraph.flush()
        feed = {v.name: _array(t) for v, t in zip(concrete.inputs, tensors)}
        values = Executor().run(concrete.main_program, feed=feed,
                                fetch_list=concrete.outputs)
        return concrete._rebuild([_to_tensor(v) for v in values])

    def get_concrete_program(self, *args, **kwargs) -> ConcreteProgram:
        """The concrete program for InputSpecs (or example tensors) as arguments."""
        specs = [a if isinstance(a, InputSpec) else _spec_of(a, f"input_{i}")
                 for i, a in enumerate(args)]
        key = (tuple(s._key() for s in specs), (), self._modes())
        if key not in self._programs:
            self._programs[key] = self._build(specs, [True] * len(specs), specs)
        return self._programs[key]

    @property
    def concrete_program(self) -> ConcreteProgram:
        """The program of the input_spec (or of the last call)."""
        if self._input_spec is not None:
            return self.get_concrete_program(*self._input_spec)
        if self._last_key is None:
            raise RuntimeError("concrete_program: no input_spec was given and the function "
                               "was not called yet")
        return self._programs[self._last_key]

    @property
    def main_program(self) -> Program:
        return self.concrete_program.main_program

    @property
    def code(self) -> str:
        return inspect.getsource(self._function)

    def rollback(self):
        """The original Python function (the layer's forward restored)."""
        if self._instance is not None:
            self._instance.__dict__.pop("forward", None)
            return self._instance.forward
        return self._function


def _array(value) -> np.ndarray:
    if isinstance(value, Variable):
        return np.asarray(dygraph.value_of(value, "to_static"))
    return np.asarray(value)


def _to_tensor(array) -> Variable:
    return dygraph.SESSION.bind(np.asarray(array), stop_gradient=True)


def _init_parameters(layer) -> None:
    """Parameters made in explicit static mode get their initializers run (as paddle.Model
    does); dynamic-mode parameters already hold values."""
    if layer is None:
        return
    scope = global_scope()
    for p in layer.parameters() + layer.buffers():
        holder = scope.find_var(p.name)
        if (holder is None or holder.value is None) and \
                getattr(p, "_initializer", None) is not None:
            dygraph.run_initializer(p, p._initializer)


# ---------------------------------------------------------------- save


def _save_target(layer, input_spec):
    """(python callable, instance or None, InputSpecs) for jit.save."""
    if isinstance(layer, Layer):
        forward = layer.__dict__.get("forward", type(layer).forward)
        static_fn = forward if isinstance(forward, StaticFunction) else None
        if static_fn is None and isinstance(getattr(layer, "forward", None), StaticFunction):
            static_fn = layer.forward
        instance = layer
        python = static_fn._function if static_fn is not None else type(layer).forward
    elif isinstance(layer, StaticFunction):
        static_fn, instance, python = layer, layer._instance, layer._function
    elif callable(layer):
        static_fn, instance, python = None, None, layer
    else:
        raise TypeError(f"jit.save expects a Layer or a to_static function, got "
                        f"{type(layer).__name__}")
    specs = input_spec
    if specs is None and static_fn is not None:
        specs = static_fn._input_spec
        if specs is None and static_fn._last_key is not None:
            specs = [InputSpec(*k[:2], k[2]) for k in static_fn._last_key[0]]
    if not specs:
        raise ValueError("jit.save needs input_spec (a list of paddle.static.InputSpec), "
                         "here or in paddle.jit.to_static(..., input_spec=...)")
    specs = [s if isinstance(s, InputSpec) else InputSpec.from_tensor(s) for s in specs]
    return StaticFunction(python, specs, instance), instance, specs


def save(layer, path, input_spec=None, **configs) -> None:
    """Write `path.json` + `path.safetensors`, the layer's inference program (eval mode) for
    `input_spec`, through static.save_inference_model."""
    from .static.io import save_inference_model

    if not isinstance(path, (str, os.PathLike)) or not os.path.basename(os.fspath(path)):
        raise ValueError(f"jit.save: path must be 'dirname/prefix', got {path!r}")
    fn, instance, specs = _save_target(layer, input_spec)
    specs = [InputSpec(s.shape, s.dtype, s.name or n)
             for s, n in zip(specs, fn._arg_names(len(specs)))]
    modes = [(sub, sub.training) for sub in instance.sublayers(include_self=True)] \
        if instance is not None else []
    try:
        for sub, _ in modes:
            object.__setattr__(sub, "training", False)
        concrete = fn._build(specs, [True] * len(specs), specs)
    finally:
        for sub, mode in modes:
            object.__setattr__(sub, "training", mode)
    outs = concrete.outputs
    output_spec = configs.get("output_spec")
    if output_spec is not None:
        outs = [outs[i] if isinstance(i, int) else i for i in output_spec]
    save_inference_model(os.fspath(path), concrete.inputs, outs, Executor(),
                         program=concrete.main_program)


# ---------------------------------------------------------------- load


def _strip(path) -> str:
    path = os.fspath(path)
    for suffix in (".pdmodel", ".pdiparams", ".json", ".safetensors"):
        if path.endswith(suffix):
            return path[:-len(suffix)]
    return path


class TranslatedLayer(Layer):
    """A model read by paddle.jit.load: runs its inference program on the Executor."""

    def __init__(self, program, feed_names, fetch_vars):
        super().__init__("translated_layer")
        self._program = program
        self._feed_names = list(feed_names)
        self._fetch_vars = list(fetch_vars)
        for v in _persistable_vars(program):
            key = v.name.split(".", 1)[-1].replace(".", "_").replace("@", "_")
            store = self._parameters if isinstance(v, Parameter) else self._buffers
            store[key] = v

    def forward(self, *inputs):
        if not in_implicit_mode():
            raise TypeError("TranslatedLayer runs in dynamic (implicit) mode; in static "
                            "mode load the model with paddle.static.load_inference_model")
        if len(inputs) != len(self._feed_names):
            raise ValueError(f"TranslatedLayer takes {len(self._feed_names)} inputs "
                             f"({self._feed_names}), got {len(inputs)}")
        dygraph.flush()
        feed = {n: _array(x) for n, x in zip(self._feed_names, inputs)}
        values = Executor().run(self._program, feed=feed, fetch_list=self._fetch_vars)
        outs = [_to_tensor(v) for v in values]
        return outs[0] if len(outs) == 1 else outs

    def program(self, method_name: str = "forward") -> Program:
        return self._program


def _persistable_vars(program) -> list:
    from .static.io import _persistables

    return _persistables(program)


def load(path, **configs):
    """A TranslatedLayer from jit.save's files (`path` with or without a suffix)."""
    from .static.io import load_inference_model

    prefix = _strip(path)
    private = Scope()
    program, feeds, fetches = load_inference_model(prefix, None, scope=private, **configs)
    tag = unique_name.generate("translated_layer")
    for v in _persistable_vars(program):
        old = v.name
        v.name = f"{tag}.{old}"
        global_scope().var(v.name).value = private.find_var(old).value
    layer = TranslatedLayer(program, feeds, fetches)
    layer.eval()
    return layer


def marker(*args, **kwargs):
    """paddle.jit.marker: no-op decorators here."""
    return lambda fn: fn
