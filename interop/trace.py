"""The tracer behind to_static: run the eager model once and record every op into a Program.

`Tracer.run(fn, args)` runs `fn` eagerly under `dualnet.ops.intercept`. Each `apply` first runs
eagerly (so the next ops get concrete values), then is *re-applied* to the Variables that stand
for the eager inputs, under `block_guard(program.global_block())`: the static front end's own
binder infers, checks and appends the operator, so the Program is exactly what Paddle-style code
would have built. Which Variable stands for which Tensor is keyed by the Tensor's array (detached
copies, aliases and Parameter wrappers share it), overridden per Tensor where a value is not its
array's (a `detach()` stops gradients: an `assign` whose output has stop_gradient).

Through the hook in dualnet_eager/tensor.py (`tracing.tracer`) the tracer also sees:
  - shape reads: dynamic (-1) dims become SymInts (symbolic.py), and a SymInt reaching
    reshape/expand emits `shape_of` + `getitem` + `reshape_dynamic`/`broadcast_to_dynamic`
    (or, for `x.view(x.size(0), -1)`, a plain reshape with Paddle's 0 = "copy this dim");
  - ops whose inputs are all constants (made inside the model) are not recorded: their
    results are constants of the program where they are used;
  - value reads (`bool`, `item`, `numpy`, ...) of traced tensors: a clear TracingError;
  - in-place writes (`_set_`): a write to a persistable variable (batch-norm running stats,
    num_batches_tracked) becomes a state update of the Program (`write_to`).
"""
from __future__ import annotations

import numpy as np

from dualnet import backend
from dualnet.ops import apply, intercept
from dualnet.ops.indexing import parse_index
from dualnet.ops.registry import user_frame
from dualnet_eager.autograd.grad_mode import enable_grad
from dualnet_eager.autograd.grad_mode import state as grad_state
from dualnet_eager.size import Size
from dualnet_eager.tensor import Tensor, tracing
from dualnet_static.binder import write_to
from dualnet_static.framework import block_guard

from .symbolic import SymInt, Unevaluable, concrete, evaluate, expr_key, has_symbolic


class TracingError(RuntimeError):
    """Something in the traced code cannot be recorded in a static Program."""


_WHY = ("A static program is recorded once and then run on other inputs, so it cannot contain "
        "a Python decision on a tensor's value: the branch taken for the example input would be "
        "baked in for every input.\n"
        "What to do: compute with tensor ops instead - select between values with "
        "torch.where(cond, a, b) (paddle.where), clamp with clip, mask with masked_fill - or "
        "keep this part eager (don't convert it with to_static).")


def decision_error(what: str) -> TracingError:
    return TracingError(f"to_static: {what} needs the value of a tensor computed from the "
                        f"model's inputs or parameters, which is not known while tracing.\n"
                        f"  at {user_frame()}\n{_WHY}")


class Tracer:
    """Records one eager run into `program` (see the module docstring)."""

    def __init__(self, program, closure_params: dict | None = None):
        self.program = program
        self.block = program.global_block()
        self.by_array: dict[int, tuple] = {}  # id(array) -> (array, Variable)
        self.overrides: dict[int, tuple] = {}  # id(Tensor) -> (Tensor, Variable)
        self.syms: dict[tuple, SymInt] = {}  # (id(var), axis) -> SymInt
        self.sym_vars: dict[int, tuple] = {}  # id(SymInt) -> (SymInt, Variable)
        self.shape_vars: dict[int, object] = {}  # id(var) -> its shape_of Variable
        self.input_shapes: dict[str, tuple] = {}  # data var name -> example shape
        self.guards: list = []
        self._guard_keys: set = set()
        # Leaf tensors that require grad but are not the model's own (a function's closure
        # parameters) become parameters `param_<k>`; `closure_params` holds those named by
        # earlier traces (None: such tensors are constants).
        self.closure_params = closure_params
        self.new_params: dict[str, Tensor] = {}
        self.active = False

    # ------------------------------------------------------------ Tensor <-> Variable
    def bind(self, tensor, var) -> None:
        data = tensor._data if isinstance(tensor, Tensor) else tensor
        self.by_array[id(data)] = (data, var)

    def add_input(self, tensor: Tensor, var) -> None:
        self.bind(tensor, var)
        self.input_shapes[var.name] = tuple(tensor._data.shape)

    def var_of(self, t):
        """The Variable standing for Tensor `t`, or None (a constant the tracer never saw)."""
        hit = self.overrides.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        hit = self.by_array.get(id(t._data))
        if hit is not None and hit[0] is t._data:
            return hit[1]
        return None

    def static_value(self, t: Tensor):
        """var_of(t), registering a tensor first seen here: a leaf that requires grad (a
        function's closure parameter) becomes a Parameter, anything else a constant."""
        var = self.var_of(t)
        if var is not None:
            return var
        if self.closure_params is not None and t.is_leaf and t.requires_grad:
            name = self._param_name(t)
            var = self.block.create_parameter(name, tuple(t._data.shape), t._data.dtype)
            self.new_params[name] = t
        else:
            var = self.block._constant(backend.to_numpy(t._data))
        self.bind(t, var)
        return var

    def _param_name(self, t: Tensor) -> str:
        for name, p in self.closure_params.items():
            if p is t:
                return name
        k = len(self.closure_params) + len(self.new_params)
        while f"param_{k}" in self.block.vars:
            k += 1
        return f"param_{k}"

    # ------------------------------------------------------------ the interceptor
    def __call__(self, op, args, attrs, proceed):
        tracing.tracer = None  # the eager kernels and canon see concrete shapes
        try:
            out = proceed(tuple(concrete(a) for a in args), concrete(attrs))
            self._record(op, args, attrs, out)
        finally:
            tracing.tracer = self
        return out

    def _record(self, op, args, attrs, out) -> None:
        if self._constant_op(op, args, attrs):
            return  # its outputs stay unknown: constants, embedded where they are used
        like = next((a for a in args if isinstance(a, Tensor)), None)
        static_args = tuple(self._static_arg(a, like) for a in args)
        with block_guard(self.block):
            if has_symbolic(attrs):
                souts = self._dynamic(op, static_args, attrs)
            else:
                souts = apply(op, *static_args, **attrs)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        souts = souts if isinstance(souts, (tuple, list)) else (souts,)
        if not grad_state.grad_enabled:  # under no_grad in the model: no gradient flows
            for v in souts:
                if v is not None and not v._stop_gradient:
                    v.stop_gradient = True
        in_arrays = {id(a._data) for a in args if isinstance(a, Tensor)}
        for o, v in zip(outs, souts):
            if o is None or v is None:
                continue
            data = o._data if isinstance(o, Tensor) else o
            _check_meta(op, data, v)
            if id(data) in in_arrays:  # the kernel returned its input array unchanged
                self.overrides[id(o)] = (o, v)
            else:
                self.bind(data, v)

    def _constant_op(self, op, args, attrs) -> bool:
        """An op of constants only (made inside the model, not from inputs or parameters)."""
        if op.random or op.inplace or has_symbolic(attrs):
            return False
        tensors = 0
        for a in args:
            if isinstance(a, SymInt):
                return False
            if isinstance(a, Tensor):
                var = self.var_of(a)
                if var is None and self.closure_params is not None and a.is_leaf \
                        and a.requires_grad:
                    return False
                if var is not None and var._value is None:
                    return False
                tensors += 1
        return tensors > 0

    def _static_arg(self, a, like):
        if isinstance(a, Tensor):
            return self.static_value(a)
        if isinstance(a, SymInt):
            v = self.sym_var(a)
            if like is not None and like._data.dtype != v._dtype:  # a weak Python scalar
                with block_guard(self.block):
                    v = apply("cast", v, dtype=like._data.dtype.name)
            return v
        if backend.is_array(a):
            hit = self.by_array.get(id(a))
            if hit is not None and hit[0] is a:
                return hit[1]
            var = self.block._constant(backend.to_numpy(a))
            self.bind(a, var)
            return var
        return a

    # ------------------------------------------------------------ symbolic dims
    def shape(self, t: Tensor) -> Size:
        var = self.var_of(t)
        dims = t._data.shape
        if var is None or -1 not in var._shape:
            return Size(dims)
        return Size(self._sym(var, i, d) if var._shape[i] == -1 else d
                    for i, d in enumerate(dims))

    def numel(self, t: Tensor):
        n = 1
        for d in self.shape(t):
            n = n * d
        return n

    def _sym(self, var, axis: int, value: int) -> SymInt:
        key = (id(var), axis)
        s = self.syms.get(key)
        if s is None:
            s = self.syms[key] = SymInt(value, ("dim", var, axis), self)
        return s

    def sym_var(self, s: SymInt):
        """The 0-d int64 Variable computing `s` in the program (built once per SymInt)."""
        hit = self.sym_vars.get(id(s))
        if hit is not None:
            return hit[1]
        node = s.node
        with block_guard(self.block):
            if node[0] == "dim":
                var, axis = node[1], node[2]
                shape = self.shape_vars.get(id(var))
                if shape is None:
                    shape = self.shape_vars[id(var)] = apply("shape_of", var)
                out = apply("getitem", shape, index=parse_index(axis)[0])
            else:
                _, name, a, b = node
                a = self.sym_var(a) if isinstance(a, SymInt) else int(a)
                b = self.sym_var(b) if isinstance(b, SymInt) else int(b)
                out = apply(name, a, b)
        self.sym_vars[id(s)] = (s, out)
        return out

    def _dynamic(self, op, static_args, attrs):
        """An op whose attrs hold SymInts: its run-time-shape variant, or an error."""
        if op.name in ("reshape", "broadcast_to") and set(attrs) == {"shape"}:
            x, shape = static_args[0], tuple(attrs["shape"])
            if op.name == "reshape" and all(
                    not isinstance(d, SymInt) or (d.node[0] == "dim" and d.node[1] is x
                                                  and d.node[2] == i)
                    for i, d in enumerate(shape)):
                # x.view(x.size(0), -1): dims copied from x itself are Paddle's 0 ("copy")
                return apply("reshape", x, shape=tuple(0 if isinstance(d, SymInt) else d
                                                       for d in shape))
            dims = [self.sym_var(d) for d in shape if isinstance(d, SymInt)]
            template = tuple(None if isinstance(d, SymInt) else int(d) for d in shape)
            return apply(op.name + "_dynamic", x, *dims, shape=template)
        names = [k for k, v in attrs.items() if has_symbolic(v)]
        raise TracingError(
            f"to_static: a dynamic dim reaches the attribute {names[0]!r} of op {op.name} "
            f"({names[0]}={concrete(attrs[names[0]])!r} in the traced example), which must be a "
            f"constant in a static program.\n  at {user_frame()}\n"
            "Only reshape/view and expand take sizes known at run time. Declare that dim "
            "static in input_spec (an int instead of None), or compute it with tensor ops.")

    # ------------------------------------------------------------ guards
    def _input_dim(self, name: str, axis: int) -> int:
        shape = self.input_shapes.get(name)
        if shape is None:
            raise Unevaluable(name)
        return shape[axis]

    def _evaluable(self, *values) -> bool:
        try:
            for v in values:
                evaluate(expr_key(v), self._input_dim)
        except Unevaluable:
            return False
        return True

    def guard(self, name: str, a, b, result: bool) -> None:
        """A comparison of dynamic dims, evaluated on the example: remembered (when it only
        involves input dims) and checked against every new input shape."""
        if not self.active:
            return
        key = (name, expr_key(a), expr_key(b), bool(result))
        if key not in self._guard_keys and self._evaluable(a, b):
            self._guard_keys.add(key)
            self.guards.append(key)

    def specialize(self, s: SymInt, why: str) -> None:
        """A dynamic dim turned into a plain number: valid only for this value."""
        if not self.active:
            return
        if not self._evaluable(s):
            raise TracingError(
                f"to_static: a dynamic dim of a value computed inside the model is used as a "
                f"plain Python number ({why}), so the program would only be right for the traced "
                f"size {int.__int__(s)}.\n  at {user_frame()}\n"
                "Pass sizes to view/reshape/expand directly (x.view(x.size(0), -1)), or declare "
                "the dim static in input_spec.")
        self.guard("eq", s, int.__int__(s), True)

    # ------------------------------------------------------------ hooks from Tensor methods
    def read_value(self, t: Tensor, what: str) -> None:
        var = self.var_of(t)
        if var is not None and var._value is None:
            raise decision_error(what)

    def check_len(self, t: Tensor, what: str) -> None:
        var = self.var_of(t)
        if var is not None and var._shape and var._shape[0] == -1:
            raise TracingError(f"to_static: {what} depends on a dynamic dim (dim 0 of a value "
                               f"of shape {list(var._shape)}), so a loop or a length would be "
                               f"baked in for the traced size.\n  at {user_frame()}\n"
                               "Use tensor ops over that dim, or declare it static in "
                               "input_spec.")

    def check_index(self, key) -> None:
        """`x[..., :t]` with a dynamic t: indexing takes constants, so the program is only
        valid for this t - a guard when t is an input dim, else an error."""
        items = key if isinstance(key, tuple) else (key,)
        for k in items:
            parts = (k.start, k.stop, k.step) if isinstance(k, slice) else (k,)
            for p in parts:
                if isinstance(p, SymInt):
                    self.specialize(p, "an index or slice bound")

    def detached(self, src: Tensor, out: Tensor) -> None:
        var = self.var_of(src)
        if var is None:
            return
        if var._value is None and not var._stop_gradient:
            with block_guard(self.block):
                var = apply("assign", var)
            var.stop_gradient = True
        self.overrides[id(out)] = (out, var)

    def filled(self, t: Tensor, value) -> None:
        var = self.var_of(t)
        if var is None:
            return
        if value is None:
            raise TracingError(f"to_static: a random in-place fill of a traced tensor can't "
                               f"be recorded\n  at {user_frame()}")
        if isinstance(value, Tensor):
            self.read_value(value, "fill_(tensor)")
            value = value._data.item()
        with block_guard(self.block):
            new = apply("full_like", var, value=value)
        self._rebind(t, new)

    def wrote(self, t: Tensor, result: Tensor) -> None:
        """`t._set_(result)`: t (and every tensor on its array) now holds result's value."""
        new = self.var_of(result)
        if new is None:
            if self.var_of(t) is None:
                return
            new = self.static_value(result)
        self._rebind(t, new)

    def _rebind(self, t: Tensor, new) -> None:
        old = self.var_of(t)
        if old is not None and old.persistable:  # a state update: the program writes it
            new = self._write_state(new, old)
        for k, (tensor, _) in list(self.overrides.items()):
            if tensor._data is t._data:
                del self.overrides[k]
        self.bind(t, new)

    def _write_state(self, value, target):
        if value is target:
            return target
        own = value.op is not None and value.block is self.block and not (
            value.persistable or value.is_data or value._value is not None)
        with block_guard(self.block):
            if not own or value._dtype != target._dtype:
                value = apply("assign", value) if value._dtype == target._dtype else \
                    apply("cast", value, dtype=target._dtype.name)
        write_to(value, target)
        for k, (data, v) in list(self.by_array.items()):  # the value now lives in `target`
            if v is value:
                self.by_array[k] = (data, target)
        for k, (tensor, v) in list(self.overrides.items()):
            if v is value:
                self.overrides[k] = (tensor, target)
        return target

    # ------------------------------------------------------------ running
    def release(self) -> None:
        """Drop what the traced run left once the program is built: `by_array` holds every
        array the eager run computed, and the SymInts refer back to the tracer - a cycle
        that would keep those arrays (the example's activations) until the garbage
        collector runs."""
        for table in (self.by_array, self.overrides, self.syms, self.sym_vars,
                      self.shape_vars):
            table.clear()

    def run(self, fn, args: tuple, kwargs: dict):
        """Call fn(*args, **kwargs) eagerly while recording; returns its result."""
        prev = tracing.tracer
        tracing.tracer = self
        self.active = True
        try:
            with intercept(self), enable_grad():  # the model's own no_grad blocks still show
                return fn(*args, **kwargs)
        finally:
            self.active = False
            tracing.tracer = prev


def _check_meta(op, data, var) -> None:
    """The recorded op must agree with what the eager run produced (else infer is wrong)."""
    shape = tuple(data.shape)
    ok = len(shape) == len(var._shape) and all(
        s == -1 or s == d for s, d in zip(var._shape, shape))
    if not ok or np.dtype(data.dtype) != var._dtype:
        raise TracingError(f"to_static: op {op.name} gave {list(shape)} {data.dtype} eagerly but "
                           f"its static infer says {list(var._shape)} {var._dtype} (a bug in "
                           f"the op's infer)\n  at {user_frame()}")
