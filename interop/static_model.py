"""StaticModel: what `interop.to_static` returns - a traced Program per input signature.

A call flattens its arguments, derives the signature (per input: dtype and shape, with the dims
declared None in `input_spec` kept as -1; the non-tensor arguments; train/eval mode), takes the
cached Trace of that signature whose guards hold for the input shapes (or traces a new one) and
runs its Program on the Executor, with a `TensorScope` whose variables are the eager model's
own parameters and buffers. Called on static Variables inside a `program_guard`, it copies the
traced ops into the program being built instead (`embed`), so a loss and an optimizer's
`minimize` can follow and train the shared parameters with the Executor.
"""
from __future__ import annotations

import functools
import inspect
import weakref

import numpy as np

from dualnet import backend
from dualnet import random as _random
from dualnet_eager.tensor import Tensor, tracing
from dualnet_static.executor import Executor
from dualnet_static.framework import Program, current_block
from dualnet_static.operator import Operator
from dualnet_static.place import CPUPlace, place_of_array
from dualnet_static.scope import global_scope
from dualnet_static.static.input import InputSpec
from dualnet_static.variable import Parameter, Variable

from ._tree import flatten, structure_key, unflatten
from .scope import TensorScope, share_into
from .symbolic import guard_holds
from .trace import Tracer

_EXAMPLE_DIMS = (3, 5, 7, 11, 13)  # sizes given to dynamic dims in synthesized examples
_OWNERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Program -> {name: tensor}


class Trace:
    """One traced Program with its feeds (data variables), fetches and guards."""

    def __init__(self, program, input_vars, output_vars, out_structure, guards, training):
        self.program = program
        self.input_vars = input_vars
        self.input_names = [v.name for v in input_vars]
        self.output_vars = output_vars
        self.out_structure = out_structure
        self.guards = guards
        self.training = training

    def accepts(self, shapes: list) -> bool:
        if not self.guards:
            return True
        dims = dict(zip(self.input_names, shapes))
        return all(guard_holds(g, lambda name, axis: dims[name][axis]) for g in self.guards)


class StaticModel:
    """A model or function converted to static Programs (see the module docstring).

    `.program` is the Program of the declared signature (input_spec / example_inputs, or the
    last call), `.input_spec` its inputs. Calls with NumPy arrays return arrays; with eager
    Tensors they return Tensors (values only: train through the static API, or `to_eager`)."""

    def __init__(self, fn, *, module=None, layer=None, input_spec=None, example_inputs=None):
        self._fn = fn
        self._module = module  # an eager nn.Module: traced by running it (trace.py)
        self._layer = layer  # a Paddle-style Layer: it builds the program itself
        self._specs = None if input_spec is None else [_as_spec(s) for s in input_spec]
        self._example = None if example_inputs is None else _as_tuple(example_inputs)
        self._traces: dict = {}
        self._last: dict = {}
        self._closure_params: dict[str, Tensor] = {}
        self._training = False
        self._executors: dict = {}
        self._scope = TensorScope()
        self._bound: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # calls with positional arrays / Tensors seen before: _fast_key -> (trace, prepared
        # run, whether outputs are Tensors); emptied whenever a trace is added
        self._fast: dict = {}
        self._last_fast = None  # (training, signature, _FastCall) of the last fast call
        functools.update_wrapper(self, fn, updated=())

    # ------------------------------------------------------------ mode and state
    @property
    def training(self) -> bool:
        owner = self._module if self._module is not None else self._layer
        return owner.training if owner is not None else self._training

    @property
    def scope(self):
        """Where the programs' persistable values are: for an eager model a scope whose
        variables are its tensors; for a Paddle-style Layer the global scope."""
        if self._layer is not None:
            return global_scope()
        self._bind_scope()
        return self._scope

    def _bind_scope(self) -> None:
        """(Re)bind the scope to the model's current tensors (done at every trace: a
        Parameter object replaced after that is seen at the next trace or `.scope` use)."""
        for name, t, _ in self._named_state():
            self._scope.bind(name, t)

    def train(self, mode: bool = True) -> "StaticModel":
        """Use (tracing if needed) the train-mode program: dropout on, batch norm on batch
        statistics and updating its running statistics."""
        if self._module is not None:
            self._module.train(mode)
        if self._layer is not None:
            self._layer.train() if mode else self._layer.eval()
        self._training = bool(mode)
        return self

    def eval(self) -> "StaticModel":
        return self.train(False)

    def named_parameters(self):
        if self._layer is not None:
            yield from self._layer.named_parameters()
        if self._module is not None:
            yield from self._module.named_parameters()
        yield from self._closure_params.items()

    def parameters(self) -> list:
        """The eager Parameters the programs read (shared, not copies)."""
        return [p for _, p in self.named_parameters()]

    def state_dict(self) -> dict:
        """{name: eager Tensor} of the parameters and persistent buffers, keyed as the model's
        own state_dict (the names of the programs' persistable variables)."""
        if self._layer is not None:
            return self._layer.state_dict()
        out = dict(self._module.state_dict(keep_vars=True)) if self._module is not None else {}
        out.update(self._closure_params)
        return out

    def _named_state(self) -> list:
        """[(name, tensor, is_parameter)] of everything a program may read as persistable."""
        if self._module is None:
            return [(n, t, True) for n, t in self._closure_params.items()]
        seen, out = set(), []
        for name, t in self._module.named_parameters():
            seen.add(id(t))
            out.append((name, t, True))
        for name, t in self._module.named_buffers():
            if t is not None and id(t) not in seen:
                seen.add(id(t))
                out.append((name, t, False))
        return out + [(n, t, True) for n, t in self._closure_params.items() if id(t) not in seen]

    # ------------------------------------------------------------ programs
    @property
    def program(self) -> Program:
        """The Program of the declared signature in the current mode (traced on first use)."""
        return self._default_trace().program

    @property
    def input_spec(self) -> list:
        return [InputSpec(v.shape, v._dtype, v.name) for v in self._default_trace().input_vars]

    @property
    def outputs(self):
        """The output Variables of `.program`, in the structure the model returns."""
        trace = self._default_trace()
        return unflatten(trace.out_structure, trace.output_vars)

    def _default_trace(self, training: bool | None = None) -> Trace:
        if self._specs is not None:
            sig = [(s.shape, s.dtype.np.name) for s in self._specs]
            structure = ("tuple", (("tuple", (("leaf",),) * len(sig)), ("dict", (), ())))
            return self._get(structure, sig, self._example, training=training)
        if self._example is not None:
            leaves, structure = flatten((self._example, {}))
            return self._get_for(leaves, structure, training)
        last = self._last.get(self.training if training is None else training)
        if last is None:
            raise ValueError("to_static: no input signature yet: give input_spec or "
                             "example_inputs, or call the model once")
        return last

    def _get_for(self, leaves: list, structure, training: bool | None = None) -> Trace:
        shapes = [tuple(leaf.shape) for leaf in leaves]
        sig = []
        for i, (leaf, shape) in enumerate(zip(leaves, shapes)):
            spec = self._specs[i] if self._specs is not None and i < len(self._specs) else None
            if spec is not None and len(spec.shape) == len(shape):
                shape = tuple(-1 if s == -1 else d for s, d in zip(spec.shape, shape))
            sig.append((shape, np.dtype(_dtype_of(leaf)).name))
        return self._get(structure, sig, leaves, shapes, training)

    def _get(self, structure, sig: list, examples=None, shapes=None,
             training: bool | None = None) -> Trace:
        """The cached trace of a signature whose guards hold for `shapes`, else a new one."""
        training = self.training if training is None else bool(training)
        key = (structure_key(structure), tuple(sig), training)
        traces = self._traces.setdefault(key, [])
        for trace in traces:
            if shapes is None or trace.accepts(shapes):
                self._last[training] = trace
                return trace
        trace = self._trace(structure, sig, examples, training)
        traces.append(trace)
        self._fast.clear()
        self._last_fast = None
        self._last[training] = trace
        return trace

    def _trace(self, structure, sig: list, examples, training: bool) -> Trace:
        names = self._input_names(structure, len(sig))
        if self._layer is not None:
            from .layer_trace import trace_layer

            return Trace(*trace_layer(self._layer, structure, sig, names, training),
                         guards=[], training=training)
        program = Program()
        block = program.global_block()
        tracer = Tracer(program, self._closure_params)
        state = self._named_state()
        for name, t, is_param in state:
            if is_param:
                var = block.create_parameter(name, tuple(t._data.shape), t._data.dtype,
                                             trainable=t.requires_grad)
            else:
                var = block.create_var(name, tuple(t._data.shape), t._data.dtype,
                                       persistable=True, stop_gradient=True)
            tracer.bind(t, var)
        tensors = _example_tensors(sig, examples)
        input_vars = []
        for k, (name, (shape, dtype), t) in enumerate(zip(names, sig, tensors)):
            # each input is traced on a copy of its own: the tracer binds arrays, and an array
            # passed twice (f(x, x)) or shared with a parameter (f(net.weight)) would make the
            # program read one input, or a parameter, where a later call passes another
            t = tensors[k] = Tensor._wrap(t._data.copy())
            var = block.create_var(name, shape, dtype, is_data=True, stop_gradient=True,
                                   need_check_feed=True)
            tracer.add_input(t, var)
            input_vars.append(var)
        args, kwargs = unflatten(structure, tensors)
        try:
            out = self._run_eagerly(tracer, state, training, args, kwargs)
            out_leaves, out_structure = flatten(out)
            output_vars = [tracer.static_value(t if isinstance(t, Tensor) else Tensor._wrap(t))
                           for t in out_leaves]
        finally:
            tracer.release()
        self._closure_params.update(tracer.new_params)
        self._bind_scope()
        return Trace(program, input_vars, output_vars, out_structure, tracer.guards, training)

    def _run_eagerly(self, tracer, state, training, args, kwargs):
        """The traced eager run leaves no trace: buffers, mode and random state come back."""
        saved = [(t, t._data.copy()) for _, t, is_param in state if not is_param]
        rng = _random.get_state()
        prev = self._module.training if self._module is not None else None
        if self._module is not None:
            self._module.train(training)
        try:
            return tracer.run(self._fn, args, kwargs)
        finally:
            if self._module is not None:
                self._module.train(prev)
            _random.set_state(rng)
            for t, data in saved:
                if t._data.shape == data.shape and t._data.dtype == data.dtype:
                    backend.get_array_module(data).copyto(t._data, data)
                else:
                    t._data = data

    def _input_names(self, structure, n: int) -> list:
        """Data variable names: InputSpec names, else the forward's parameter (or keyword)
        names for top-level tensor arguments, else input_<i>."""
        names = [s.name for s in self._specs[:n]] if self._specs is not None else []
        names += [None] * (n - len(names))
        guess = []
        args_s, kwargs_s = structure[1]
        owner = self._module if self._module is not None else self._layer
        params = _positional_names(owner.forward if owner is not None else self._fn)
        for i, child in enumerate(args_s[1]):
            if child == ("leaf",):
                guess.append(params[i] if i < len(params) else None)
            else:
                guess += [None] * _count_leaves(child)
        for key, child in zip(kwargs_s[1], kwargs_s[2]):
            guess += [key] if child == ("leaf",) else [None] * _count_leaves(child)
        out, used = [], set()
        for i, (name, g) in enumerate(zip(names, guess + [None] * n)):
            name = name or g or f"input_{i}"
            while name in used:
                name = f"{name}_{i}"
            used.add(name)
            out.append(name)
        return out

    # ------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        if tracing.tracer is not None:  # inside another model being traced: be recorded
            return self._fn(*args, **kwargs)
        training = self.training
        last = self._last_fast  # the previous fast call: matched without building a key
        if last is not None and not kwargs and last[0] is training and \
                _same_signature(last[1], args) and last[2].prepared.current():
            return last[2].run(args)
        key = None if kwargs else _fast_key(training, args)
        if key is not None:
            hit = self._fast.get(key)
            if hit is not None and hit.prepared.current():
                self._last_fast = (training, key[1], hit)
                return hit.run(args)
        leaves, structure = flatten((args, kwargs))
        if any(isinstance(leaf, Variable) for leaf in leaves):
            return self._embed(leaves, structure)
        trace = self._get_for(leaves, structure)
        arrays = [leaf._data if isinstance(leaf, Tensor) else leaf for leaf in leaves]
        outs = self._run(trace, arrays)
        wrap = any(isinstance(leaf, Tensor) for leaf in leaves) or not leaves
        if wrap:
            outs = [Tensor._wrap(o) for o in outs]
        if key is not None and leaves:  # the same call again skips the lookups above
            exe = self._executor(place_of_array(arrays[0]))
            self._fast[key] = _FastCall(self, trace, exe.prepare(
                trace.program, trace.input_names, trace.output_vars, follow_place=False), wrap,
                key[1])
        return unflatten(trace.out_structure, outs)

    def _run(self, trace: Trace, arrays: list) -> list:
        exe = self._executor(place_of_array(arrays[0]) if arrays else CPUPlace())
        scope = global_scope() if self._layer is not None else self._scope
        return exe.run(trace.program, feed=dict(zip(trace.input_names, arrays)),
                       fetch_list=trace.output_vars, scope=scope)

    def _executor(self, place) -> Executor:
        exe = self._executors.get(str(place))
        if exe is None:
            exe = self._executors[str(place)] = Executor(place)
        return exe

    def _embed(self, leaves: list, structure):
        """Copy the traced ops into the Program being built, reading the given Variables."""
        sig = [(tuple(v.shape), np.dtype(_dtype_of(v)).name) for v in leaves]
        trace = self._get(structure, sig)
        target = current_block()
        gblock = target.program.global_block()
        mapped: dict[int, Variable] = {}
        for tv, v in zip(trace.input_vars, leaves):
            mapped[id(tv)] = v
        owners = _OWNERS.setdefault(target.program, {})
        state = {name: t for name, t, _ in self._named_state()}
        for v in trace.program.global_block().vars.values():
            if v.persistable:
                owner = owners.setdefault(v.name, state.get(v.name))
                if owner is not state.get(v.name):
                    raise ValueError(f"the program already uses a variable {v.name!r} of "
                                     "another model: two models with the same parameter names "
                                     "can't be combined in one Program")
                mapped[id(v)] = _persistable_in(gblock, v)
        for op in trace.program.global_block().ops:
            ins = tuple(None if v is None else _map_var(target, mapped, v) for v in op.inputs)
            outs = tuple(None if v is None else _map_var(target, mapped, v, new=True)
                         for v in op.outputs)
            target._append(Operator(target, op.opdef, ins, outs, dict(op.attrs), op.role,
                                    op.namescope, op.site))
        self.share_parameters(global_scope())
        return unflatten(trace.out_structure,
                         [_map_var(target, mapped, v) for v in trace.output_vars])

    def share_parameters(self, scope) -> None:
        """Make `scope`'s persistable variables of the model's names be the eager tensors
        (done on `global_scope()` when the model is called inside a program_guard)."""
        share_into(scope, {name: t for name, t, _ in self._named_state()})

    def save(self, path_prefix: str) -> None:
        """Write the eval-mode program of the declared signature as an inference model:
        `path_prefix.json` + `path_prefix.safetensors`, which
        `dualnet_static.static.load_inference_model` loads."""
        from dualnet_static.static.io import save_inference_model

        trace = self._default_trace(training=False)
        save_inference_model(path_prefix, trace.input_vars, trace.output_vars,
                             self._executor(CPUPlace()), program=trace.program,
                             scope=self.scope)

    def __get__(self, instance, owner):
        """`@to_static` on a method: a StaticModel per instance, bound to it."""
        if instance is None:
            return self
        bound = self._bound.get(instance)
        if bound is None:
            module = instance if hasattr(instance, "named_parameters") else None
            bound = StaticModel(functools.partial(self._fn, instance), module=module,
                                input_spec=self._specs, example_inputs=self._example)
            self._bound[instance] = bound
        return bound

    def __repr__(self) -> str:
        owner = self._module if self._module is not None else self._layer
        what = type(owner).__name__ if owner is not None else \
            getattr(self._fn, "__name__", "function")
        n = sum(len(v) for v in self._traces.values())
        return f"StaticModel({what}, {n} traced program{'s' if n != 1 else ''})"


# ---------------------------------------------------------------- helpers

def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _as_spec(s) -> InputSpec:
    if isinstance(s, InputSpec):
        return s
    if isinstance(s, Tensor) or backend.is_array(s):
        return InputSpec(tuple(s.shape), np.dtype(_dtype_of(s)).name)
    if isinstance(s, (tuple, list)):
        return InputSpec(s)
    raise TypeError(f"input_spec entries must be InputSpecs (or shapes), got {s!r}")


def _fast_key(training: bool, args: tuple):
    """StaticModel's key of a call with positional NumPy arrays / eager Tensors (their
    types, shapes and dtypes), or None for any other call."""
    sig = []
    for a in args:
        t = type(a)
        if t is np.ndarray:
            sig.append((t, a.shape, a.dtype))
        elif t is Tensor:
            d = a._data
            sig.append((t, type(d), d.shape, d.dtype))
        else:
            return None
    return training, tuple(sig)


class _FastCall:
    """A call whose arguments have the types, shapes and dtypes of an earlier one (its
    `_fast_key`): its trace's prepared plan runs directly."""

    __slots__ = ("model", "trace", "prepared", "wrap", "plain", "names", "single")

    def __init__(self, model: StaticModel, trace: Trace, prepared, wrap: bool, sig: tuple):
        self.model, self.trace, self.prepared, self.wrap = model, trace, prepared, wrap
        self.plain = all(s[0] is np.ndarray for s in sig)  # the args are the feeds
        self.names = trace.input_names
        self.single = trace.out_structure == ("leaf",)  # one output, returned as it is

    def run(self, args: tuple):
        model = self.model
        scope = global_scope() if model._layer is not None else model._scope
        if self.plain:
            feed = dict(zip(self.names, args))
        else:
            feed = dict(zip(self.names, [a._data if type(a) is Tensor else a for a in args]))
        outs = self.prepared.run(feed, scope)
        if self.wrap:
            outs = [Tensor._wrap(o) for o in outs]
        return outs[0] if self.single else unflatten(self.trace.out_structure, outs)


def _same_signature(sig: tuple, args: tuple) -> bool:
    """Whether `args` has the signature `sig` (a `_fast_key`'s second part)."""
    if len(sig) != len(args):
        return False
    for s, a in zip(sig, args):
        t = type(a)
        if t is not s[0]:
            return False
        if t is np.ndarray:
            if a.shape != s[1] or a.dtype != s[2]:
                return False
        else:
            d = a._data
            if type(d) is not s[1] or d.shape != s[2] or d.dtype != s[3]:
                return False
    return True


def _dtype_of(x):
    if isinstance(x, Tensor):
        return x._data.dtype
    if isinstance(x, Variable):
        return x._dtype
    return x.dtype


def _count_leaves(structure) -> int:
    kind = structure[0]
    if kind == "leaf":
        return 1
    if kind == "const":
        return 0
    return sum(_count_leaves(c) for c in structure[-1])


def _positional_names(fn) -> list:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _example_tensors(sig: list, examples) -> list:
    """Eager tensors to trace with: the given examples, or made-up values (dynamic dims get
    sizes from _EXAMPLE_DIMS; floats are random normal, integers 0)."""
    if examples is not None:
        leaves = examples if isinstance(examples, list) else flatten((tuple(examples), {}))[0]
        return [leaf if isinstance(leaf, Tensor) else Tensor._wrap(leaf) for leaf in leaves]
    rng = np.random.default_rng(0)
    out, k = [], 0
    for shape, dtype in sig:
        dims = []
        for d in shape:
            if d == -1:
                d = _EXAMPLE_DIMS[k % len(_EXAMPLE_DIMS)]
                k += 1
            dims.append(d)
        dtype = np.dtype(dtype)
        if dtype.kind in "fc":
            array = rng.standard_normal(dims).astype(dtype)
        else:
            array = np.zeros(dims, dtype=dtype)
        out.append(Tensor._wrap(array))
    return out


def _persistable_in(block, v: Variable) -> Variable:
    """The persistable variable `v` names in another program's global block (made if new)."""
    have = block._var_recursive(v.name)
    if have is not None:
        if have._shape != v._shape or have._dtype != v._dtype:
            raise ValueError(f"the program already has a variable {v.name!r} of shape "
                             f"{have.shape} {have._dtype}; the model's is {v.shape} {v._dtype}")
        return have
    if isinstance(v, Parameter):
        return block.create_parameter(v.name, v._shape, v._dtype, trainable=v.trainable)
    return block.create_var(v.name, v._shape, v._dtype, persistable=True, stop_gradient=True)


def _map_var(block, mapped: dict, v: Variable, new: bool = False) -> Variable:
    hit = mapped.get(id(v))
    if hit is not None:
        return hit
    if v._value is not None:
        out = block._constant(v._value)
    elif new:
        out = block._new_var(v.name, v._meta(), v._stop_gradient)
        out._stop_explicit = v._stop_explicit
    else:
        raise ValueError(f"to_static: variable {v.name!r} is read before it is computed")
    mapped[id(v)] = out
    return out
