"""torch.jit over interop.to_static: `trace`/`script` record a model into a static Program,
`save`/`load` write and read it, `compile` optionally does the same.

- `trace(model, example_inputs)` records the model on the example now; `script(model)` records
  it on its first call (or on `example_inputs`). Both give a ScriptModule (a ScriptFunction
  for plain functions) that shares the model's parameters and buffers (its `state_dict` keys
  are the model's). A call that needs gradients (grad mode on and a parameter or an input
  requiring grad) runs the eager model, so training is unchanged; any other call runs the
  recorded Program on the Executor (one Program per input signature, recorded once). Python
  control flow on a tensor's value cannot be recorded: interop's TracingError says where.
- `.graph` is the Program (`print(m.graph)`), `.code` a Python-like listing of its ops.
- `save(m, f)` writes ONE safetensors file (format "dualnet.jit"): the eval-mode inference
  Program as dualnet's program JSON in the metadata (with its feed and fetch names and the
  output structure), and the values of its parameters and buffers as arrays keyed by their
  state_dict names. `load(f)` gives a ScriptModule running that Program: trainable (its
  parameters are eager Parameters, interop.to_eager), state_dict/load_state_dict as usual;
  being the inference Program, it runs with eval semantics (dropout off, batch norm on
  running statistics) in train mode too. The Program is recorded with every input dim
  dynamic when that needs no shape guards (else the batch dim, else the example's sizes).
  Files are written atomically; torch's zip archives are refused with a clear error.
- `compile(model)` returns the model unchanged (eager), unless `fullgraph=True` or
  `backend="dualnet"`: then it is `script(model)` (a Program per signature; no graph breaks,
  like torch's fullgraph).
"""
from __future__ import annotations

import base64
import functools
import json
import os
import threading
import typing
import warnings

import numpy as np

from dualnet import backend

from .autograd.grad_mode import no_grad
from .autograd.grad_mode import state as _grad_state
from .nn import Module
from .tensor import Tensor, tracing

__all__ = ["trace", "trace_module", "script", "save", "load", "ScriptModule", "ScriptFunction",
           "ignore", "unused", "export", "interface", "is_scripting", "is_tracing", "annotate",
           "Attribute", "Final", "freeze", "optimize_for_inference", "fork", "wait",
           "TracerWarning", "Error", "compile"]

FORMAT = "dualnet.jit"
Final = typing.Final
Error = RuntimeError


class TracerWarning(Warning):
    """The recorded Program disagrees with the eager model on the example inputs."""


class _Mode(threading.local):
    kind = None  # "script" or "trace" while a ScriptModule of that kind runs or records


_mode = _Mode()


def is_tracing() -> bool:
    """True while a model is being recorded into a Program (jit.trace, onnx.export,
    interop.to_static), except under jit.script."""
    return tracing.tracer is not None and _mode.kind != "script"


def is_scripting() -> bool:
    """True while jit.script records a model (its Python runs once, to record the ops)."""
    return tracing.tracer is not None and _mode.kind == "script"


class _as_kind:
    def __init__(self, kind: str):
        self.kind = kind

    def __enter__(self):
        self.prev, _mode.kind = _mode.kind, self.kind

    def __exit__(self, *exc):
        _mode.kind = self.prev
        return False


# ---------------------------------------------------------------- decorators


def ignore(drop=False, **kwargs):
    """@torch.jit.ignore / @torch.jit.ignore(drop=True): the function is left as Python."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def interface(obj):
    return obj


def annotate(the_type, the_value):
    return the_value


def Attribute(value, type=None):  # noqa: N802,A002 (torch's names)
    return value


def freeze(mod, preserved_attrs=None, optimize_numerics: bool = True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


class Future:
    """What `fork` returns: the result is computed at once (dualnet runs ops one by one)."""

    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value

    def done(self) -> bool:
        return True


def fork(func, *args, **kwargs) -> Future:
    return Future(func(*args, **kwargs))


def wait(future: Future):
    return future.wait()


# ---------------------------------------------------------------- the converted callables


def _leaves(args, kwargs) -> list:
    from interop._tree import flatten

    return flatten((args, kwargs))


def _wants_grad(leaves: list, params) -> bool:
    if not _grad_state.grad_enabled:
        return False
    if any(isinstance(x, Tensor) and x.requires_grad for x in leaves):
        return True
    return any(p.requires_grad for p in params)


class _Converted:
    """What ScriptModule and ScriptFunction share: the StaticModel, the eager callable, the
    kind ("script"/"trace") and the first call's inputs (to record the eval Program for
    save)."""

    def _setup(self, eager, static, kind: str) -> None:
        object.__setattr__(self, "_eager", eager)
        object.__setattr__(self, "_static", static)
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_first_call", None)

    def _params(self):
        return self._static.parameters() if self._static is not None else []

    def _run(self, args, kwargs):
        if tracing.tracer is not None:  # inside another recording: be recorded as eager code
            return self._eager(*args, **kwargs)
        leaves, structure = _leaves(args, kwargs)
        with _as_kind(self._kind):
            if self._first_call is None:
                object.__setattr__(self, "_first_call", (leaves, structure))
            if _wants_grad(leaves, self._params()):
                self._static._get_for(leaves, structure)  # refuse what can't be recorded
                return self._eager(*args, **kwargs)
            return self._static(*args, **kwargs)

    def _trace_for_save(self, training: bool = False):
        """The recorded Trace of the declared or first signature, in eval mode."""
        static = self._static
        with _as_kind(self._kind):
            if static._specs is not None or static._example is not None:
                return static._default_trace(training=training)
            if self._first_call is None:
                raise RuntimeError(f"torch.jit: the {self._kind}ed model has not been called "
                                   "yet, so no input signature is known: call it once (or "
                                   "pass example_inputs to torch.jit.script) first")
            leaves, structure = self._first_call
            return static._get_for(leaves, structure, training=training)

    @property
    def graph(self):
        """The recorded Program (eval mode) of the example or first-call signature."""
        return self._trace_for_save().program

    @property
    def inlined_graph(self):
        return self.graph

    @property
    def code(self) -> str:
        """The recorded Program as Python-like code: one line per op."""
        trace = self._trace_for_save()
        return program_code(trace.program, trace.input_vars, trace.output_vars)

    def save(self, f, **kwargs) -> None:
        save(self, f, **kwargs)


class ScriptModule(Module, _Converted):
    """A model recorded by trace/script (or read by load); see the module docstring. Its
    parameters, buffers and submodules are the eager model's own."""

    def __init__(self, eager: Module, static, kind: str, loaded=None):
        super().__init__()
        for attr in ("_parameters", "_buffers", "_modules", "_non_persistent_buffers_set"):
            object.__setattr__(self, attr, getattr(eager, attr))
        self._setup(eager, static, kind)
        object.__setattr__(self, "_loaded", loaded)
        self.training = eager.training

    def forward(self, *args, **kwargs):
        if self._loaded is not None:
            return self._loaded.call(self._eager, args, kwargs)
        return self._run(args, kwargs)

    def train(self, mode: bool = True) -> "ScriptModule":
        super().train(mode)
        self._eager.train(mode)
        return self

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            eager = self.__dict__.get("_eager")
            if eager is None:
                raise
            return getattr(eager, name)

    @property
    def original_name(self) -> str:
        if self._loaded is not None:
            return self._loaded.original_name
        return type(self._eager).__name__

    def _get_name(self) -> str:
        return "RecursiveScriptModule"

    def extra_repr(self) -> str:
        return f"original_name={self.original_name}"

    # graph/code of a loaded model: the Program read from the file
    @property
    def graph(self):
        if self._loaded is not None:
            return self._loaded.program
        return _Converted.graph.fget(self)

    @property
    def code(self) -> str:
        if self._loaded is not None:
            return self._loaded.code()
        return _Converted.code.fget(self)


class ScriptFunction(_Converted):
    """A function recorded by trace/script: callable, with .graph, .code and .save."""

    def __init__(self, fn, static, kind: str):
        self._setup(fn, static, kind)
        functools.update_wrapper(self, fn, updated=())

    def __call__(self, *args, **kwargs):
        return self._run(args, kwargs)

    def __repr__(self) -> str:
        return f"<ScriptFunction {getattr(self._eager, '__name__', 'function')}>"


# ---------------------------------------------------------------- trace / script / compile


def _to_static(obj, example):
    from interop import to_static

    return to_static(obj, example_inputs=example)


def _wrap(obj, kind: str, example=None):
    static = _to_static(obj, example)
    if isinstance(obj, Module):
        return ScriptModule(obj, static, kind)
    return ScriptFunction(obj, static, kind)


def trace(func, example_inputs=None, optimize=None, check_trace: bool = True,
          check_inputs=None, check_tolerance: float = 1e-5, strict: bool = True,
          _force_outplace: bool = False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs: bool = True):
    """Record `func` (an nn.Module or a function of tensors) on `example_inputs` (a tensor
    or a tuple of arguments) and return a ScriptModule / ScriptFunction. With check_trace
    (and the model in eval mode) the Program's outputs on the example are compared to the
    eager ones and a TracerWarning is issued when they differ."""
    if isinstance(func, _Converted):
        return func
    if example_inputs is None and example_kwarg_inputs is None:
        raise ValueError("torch.jit.trace needs example_inputs (a tensor or a tuple of "
                         "arguments) or example_kwarg_inputs")
    args = () if example_inputs is None else (
        tuple(example_inputs) if isinstance(example_inputs, (tuple, list)) else
        (example_inputs,))
    kwargs = dict(example_kwarg_inputs or {})
    out = _wrap(func, "trace", None if kwargs else args)
    with no_grad():
        got = out(*args, **kwargs)  # records the Program now
        if check_trace and not getattr(func, "training", False):
            _check_trace(func, args, kwargs, got, check_tolerance)
    return out


def trace_module(mod, inputs: dict, **kwargs):
    """torch.jit.trace_module: only `forward` can be recorded here."""
    if set(inputs) != {"forward"}:
        raise NotImplementedError("torch.jit.trace_module: dualnet records `forward` only; "
                                  f"got methods {sorted(inputs)}")
    return trace(mod, inputs["forward"], **kwargs)


def _check_trace(func, args, kwargs, got, tolerance: float) -> None:
    from interop._tree import flatten

    from . import _runtime

    rng = _runtime.get_rng_state()
    try:
        want = func(*args, **kwargs)
    finally:
        _runtime.set_rng_state(rng)
    a, _ = flatten(got)
    b, _ = flatten(want)
    for x, y in zip(a, b):
        x, y = (backend.to_numpy(v._data if isinstance(v, Tensor) else v) for v in (x, y))
        if x.shape != y.shape or not np.allclose(x, y, rtol=tolerance, atol=tolerance,
                                                  equal_nan=True):
            warnings.warn("Output nr 1. of the traced function does not match the "
                          "corresponding output of the Python function.", TracerWarning,
                          stacklevel=3)
            return


def script(obj, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """Record `obj` (an nn.Module or a function) on its first call, or now on
    `example_inputs` (a list of argument tuples; the first is used). A class (not an
    instance) is returned unchanged."""
    if isinstance(obj, _Converted) or isinstance(obj, type):
        return obj
    out = _wrap(obj, "script")
    if example_inputs:
        first = example_inputs[0] if isinstance(example_inputs, (list, tuple)) else \
            example_inputs
        first = tuple(first) if isinstance(first, (tuple, list)) else (first,)
        with no_grad():
            out(*first)
    return out


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor",  # noqa
            mode=None, options=None, disable: bool = False):
    """torch.compile: the model/function itself (eager), unless `fullgraph=True` or
    `backend="dualnet"` asks for a whole-graph conversion: then `script(model)`."""
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                 mode=mode, options=options, disable=disable)
    if disable or not (fullgraph or backend in ("dualnet", "static", "to_static")):
        return model
    return script(model)


# ---------------------------------------------------------------- code listing


def _ident(name: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out and not out[0].isdigit() else "v_" + out


def program_code(program, input_vars, output_vars) -> str:
    """`def forward(self, x: Tensor[-1, 784] float32): ...` with one line per op."""

    def ref(v) -> str:
        if v is None:
            return "None"
        if v._value is not None:
            value = np.asarray(v._value)
            return repr(value.item()) if value.size == 1 else \
                f"CONSTANT(shape={list(value.shape)}, dtype={value.dtype})"
        if v.persistable:
            return f"self.{v.name}"
        return _ident(v.name)

    params = ", ".join(f"{_ident(v.name)}: Tensor{list(v._shape)} {v._dtype}"
                       for v in input_vars)
    lines = [f"def forward(self, {params}):"]
    for op in program.global_block().ops:
        outs = ", ".join("_" if v is None else ref(v) for v in op.outputs)
        args = [ref(v) for v in op.inputs] + [f"{k}={v!r}" for k, v in op.attrs.items()]
        lines.append(f"    {outs or '_'} = {op.type}({', '.join(args)})")
    results = ", ".join(ref(v) for v in output_vars)
    lines.append(f"    return {results}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- save / load


def _structure_json(structure):
    kind = structure[0]
    if kind == "leaf":
        return ["leaf"]
    if kind == "const":
        try:
            json.dumps(structure[1])
        except TypeError:
            raise TypeError(f"torch.jit.save: the model returns {structure[1]!r}, which can't "
                            "be saved (outputs must be tensors, or tuples, lists and dicts "
                            "of tensors and plain values)") from None
        return ["const", structure[1]]
    if kind == "dict":
        return ["dict", list(structure[1]), [_structure_json(c) for c in structure[2]]]
    children = structure[2] if kind == "namedtuple" else structure[1]
    return ["tuple" if kind == "namedtuple" else kind, [_structure_json(c) for c in children]]


def _structure_from_json(node) -> tuple:
    kind = node[0]
    if kind == "leaf":
        return ("leaf",)
    if kind == "const":
        return ("const", node[1])
    if kind == "dict":
        return ("dict", tuple(node[1]), tuple(_structure_from_json(c) for c in node[2]))
    return (kind, tuple(_structure_from_json(c) for c in node[1]))


def _persistable_inputs(program) -> list:
    """The persistable variables (no constants) the program's ops read."""
    seen, out = set(), []
    for op in program.global_block().ops:
        for v in op.inputs:
            if v is not None and v.persistable and v._value is None and v.name not in seen:
                seen.add(v.name)
                out.append(v)
    return out


def _encode_extra(extra: dict | None) -> str:
    items = {}
    for name, value in (extra or {}).items():
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        items[str(name)] = base64.b64encode(data).decode("ascii")
    return json.dumps(items)


def save(m, f, _extra_files=None) -> None:
    """Write a trace/script/load result to `f` (a path or a binary file object) as one
    safetensors file: the inference Program in the metadata, the weights as arrays."""
    from dualnet.io import atomic_write, encode_arrays
    from dualnet_static.static.io import normalize_program, serialize_program

    if not isinstance(m, _Converted):
        raise TypeError(f"torch.jit.save expects the result of torch.jit.trace/script/load, "
                        f"got {type(m).__name__}: convert it with torch.jit.script(model) "
                        "first (or save its state_dict with torch.save)")
    if isinstance(m, ScriptModule) and m._loaded is not None:
        program, feeds, fetches, structure, scope = m._loaded.for_save(m._eager)
    else:
        trace_, scope = _general_trace(m)
        program, feeds, fetches = trace_.program, trace_.input_vars, trace_.output_vars
        structure = trace_.out_structure
    inference = normalize_program(program, feeds, fetches)
    arrays = {}
    for v in _persistable_inputs(inference):
        holder = scope.find_var(v.name)
        if holder is None or holder.value is None:
            raise RuntimeError(f"torch.jit.save: parameter {v.name!r} has no value")
        arrays[v.name] = backend.to_numpy(holder.value)
    extra_params, extra_buffers = [], []
    if isinstance(m, ScriptModule):  # state the inference program doesn't read, kept too
        params = {n for n, _ in m._eager.named_parameters()}
        for name, t in m._eager.state_dict(keep_vars=True).items():
            if name not in arrays and isinstance(t, Tensor):
                arrays[name] = backend.to_numpy(t._data)
                (extra_params if name in params else extra_buffers).append(name)
    program_json = serialize_program(feeds, fetches, program=program).decode("utf-8")
    meta = {"format": FORMAT, "version": "1", "program": program_json,
            "extra_state": json.dumps({"parameters": extra_params, "buffers": extra_buffers}),
            "structure": json.dumps(_structure_json(structure)),
            "original_name": m.original_name if isinstance(m, ScriptModule) else
            getattr(m._eager, "__name__", "function"),
            "extra_files": _encode_extra(_extra_files)}
    data = encode_arrays(arrays, meta)
    if hasattr(f, "write"):
        f.write(data)
    else:
        atomic_write(os.fspath(f), data)


def _general_trace(m: _Converted) -> tuple:
    """(eval-mode Trace, scope) to save: recorded with every input dim dynamic when that
    gives a Program without shape guards (valid for any sizes, as torch's traced graphs),
    else with the batch dim dynamic, else for the example's shapes."""
    from interop import InputSpec, to_static
    from interop._tree import is_leaf

    from .autograd.grad_mode import no_grad as _no_grad

    trace_ = m._trace_for_save()
    leaves, structure = m._first_call or ([], None)
    example = m._static._example
    if example is None and structure is not None and not structure[1][1][1] and \
            all(c == ("leaf",) for c in structure[1][0][1]):
        example = tuple(leaves)
    if example is None or not all(is_leaf(x) for x in example):
        return trace_, m._static.scope
    for dynamic in ("all", "batch"):
        specs = []
        for name, x in zip(trace_.input_names, example):
            shape = [None if dynamic == "all" or i == 0 else d
                     for i, d in enumerate(x.shape)]
            specs.append(InputSpec(shape, np.dtype(x.dtype).name, name))
        try:
            with _as_kind(m._kind), _no_grad():
                static = to_static(m._eager, input_spec=specs, example_inputs=example)
                general = static._default_trace(training=False)
        except Exception:  # this model needs static sizes there: try fewer dynamic dims
            continue
        if not general.guards:
            return general, static.scope
    return trace_, m._static.scope


class _Loaded:
    """The Program of a jit file, run on the Executor with the eager module's tensors."""

    def __init__(self, program, feeds: list, fetches: list, structure, original_name: str):
        self.program = program
        self.feeds = feeds
        self.fetches = fetches
        self.structure = structure
        self.original_name = original_name
        self.executor = None

    def call(self, eager, args, kwargs):
        from interop._tree import unflatten

        if kwargs:
            raise TypeError(f"a loaded torch.jit model takes its inputs ({', '.join(self.feeds)})"
                            f" positionally, got keyword arguments {sorted(kwargs)}")
        if tracing.tracer is not None or _wants_grad(list(args), eager.parameters()):
            outs = eager(*args)  # interop.to_eager: the Program op by op, with autograd
            outs = [outs] if len(self.fetches) == 1 else list(outs)
        else:
            outs = self._execute(eager, args)
        return unflatten(self.structure, outs)

    def _execute(self, eager, args) -> list:
        from dualnet_static.executor import Executor

        from interop.scope import TensorScope

        if len(args) != len(self.feeds):
            raise TypeError(f"the loaded model takes {len(self.feeds)} inputs "
                            f"({', '.join(self.feeds)}), got {len(args)}")
        scope = TensorScope()
        for name, t in eager._state.items():
            scope.bind(name, t)
        arrays = [a._data if isinstance(a, Tensor) else np.asarray(a) for a in args]
        if self.executor is None:
            self.executor = Executor()
        block = self.program.global_block()
        outs = self.executor.run(self.program, feed=dict(zip(self.feeds, arrays)),
                                 fetch_list=[block.var(n) for n in self.fetches], scope=scope)
        return [Tensor._wrap(o) for o in outs]

    def for_save(self, eager) -> tuple:
        from interop.scope import TensorScope

        scope = TensorScope()
        for name, t in eager._state.items():
            scope.bind(name, t)
        block = self.program.global_block()
        return (self.program, [block.var(n) for n in self.feeds],
                [block.var(n) for n in self.fetches], self.structure, scope)

    def code(self) -> str:
        block = self.program.global_block()
        return program_code(self.program, [block.var(n) for n in self.feeds],
                            [block.var(n) for n in self.fetches])


def load(f, map_location=None, _extra_files=None, _restore_shapes: bool = False):
    """Read a torch.jit.save file: a ScriptModule running its Program (see the module
    docstring). `_extra_files` (a dict of names) is filled with the saved bytes."""
    from dualnet.io import FileFormatError, decode_arrays, read_bytes
    from dualnet_static.scope import Scope
    from dualnet_static.static.io import deserialize_program

    from interop.to_eager import to_eager

    if hasattr(f, "read"):
        name, raw = getattr(f, "name", "<file object>"), f.read()
    else:
        name = repr(os.fspath(f))
        raw = read_bytes(f, "torch.jit file")
    arrays, meta = decode_arrays(name, raw)
    if meta.get("format") != FORMAT:
        raise FileFormatError(f"{name} is not a torch.jit.save file of dualnet (format "
                              f"{meta.get('format')!r}); for a state dict use torch.load")
    program = deserialize_program(meta["program"].encode("utf-8"), name)
    scope = Scope()
    for v in _persistable_inputs(program):
        a = arrays.get(v.name)
        if a is None:
            raise FileFormatError(f"{name} has no value for parameter {v.name!r} (damaged?)")
        if tuple(a.shape) != tuple(v._shape) or a.dtype != v._dtype:
            raise FileFormatError(f"{name}: parameter {v.name!r} is {list(a.shape)} {a.dtype} "
                                  f"in the file but {list(v._shape)} {v._dtype} in the program")
        scope.var(v.name).value = a
    feeds, fetches = list(program._feed_target_names), list(program._fetch_target_names)
    eager = to_eager(program, inputs=feeds, outputs=fetches, scope=scope)
    extra = json.loads(meta.get("extra_state", "{}"))
    for kind in ("parameters", "buffers"):
        for key in extra.get(kind, ()):
            if key in arrays and key not in eager._state:
                t = Tensor._wrap(arrays[key])
                t._requires_grad = kind == "parameters" and arrays[key].dtype.kind in "fc"
                eager._add_state(key, t, kind == "parameters", False)
    loaded = _Loaded(program, feeds, fetches,
                     _structure_from_json(json.loads(meta.get("structure", '["leaf"]'))),
                     meta.get("original_name", "Module"))
    module = ScriptModule(eager, None, "script", loaded)
    module.eval()
    if _extra_files is not None:
        saved = json.loads(meta.get("extra_files", "{}"))
        for key in list(_extra_files):
            if key in saved:
                _extra_files[key] = base64.b64decode(saved[key])
    if isinstance(map_location, (str, backend.Device)) and \
            str(map_location).split(":")[0] != "cpu":
        module.to(map_location)
    return module
