"""The static IR (DESIGN.md section 5): Program -> Block -> Operator and Variable, the default
main/startup programs, program_guard, name_scope and the static-mode switch.

New ops go to `current_block()`: the block pinned by `block_guard` (backward and optimizers pin
the loss's block) or else the default main program's current block, as in Paddle.
"""
from __future__ import annotations

import contextlib

import numpy as np

from dualnet.ops import registry
from dualnet.ops.registry import Meta

from . import unique_name
from .operator import Operator, creation_site, ungroup_inputs
from .variable import Parameter, Variable


class Block:
    """A list of ops and the variables they use (block 0 is the program's global block)."""

    def __init__(self, program: "Program", idx: int, parent_idx: int = -1):
        self.program = program
        self.idx = idx
        self.parent_idx = parent_idx
        self.forward_block_idx = -1
        self.vars: dict[str, Variable] = {}
        self.ops: list[Operator] = []
        self._consts: dict = {}

    # ------------------------------------------------------------ variables
    def var(self, name: str) -> Variable:
        v = self.vars.get(name)
        if v is None:
            raise ValueError(f"var {name} not in this block")
        return v

    def has_var(self, name: str) -> bool:
        return name in self.vars

    def _var_recursive(self, name: str) -> Variable | None:
        block = self
        while True:
            v = block.vars.get(name)
            if v is not None or block.parent_idx < 0:
                return v
            block = self.program.blocks[block.parent_idx]

    def _find_var_recursive(self, name: str) -> Variable | None:
        return self._var_recursive(name)

    def create_var(self, name: str | None = None, shape=(), dtype=None, *,
                   persistable: bool = False, stop_gradient: bool = False, **kwargs) -> Variable:
        """A new variable (or the existing one of that name, as Paddle does)."""
        if name is None:
            name = self._free_name(unique_name.generate("_generated_var"))
        elif name in self.vars:
            return self.vars[name]
        kwargs.pop("type", None)
        v = Variable(self, name, _shape_of(shape), _np_dtype(dtype), persistable=persistable,
                     stop_gradient=stop_gradient, **kwargs)
        return self._add_var(v)

    def create_parameter(self, name: str, shape, dtype=None, **kwargs) -> Parameter:
        if name in self.vars:
            raise ValueError(f"parameter {name!r} already exists in this block")
        kwargs.pop("type", None)
        kwargs.pop("initializer", None)
        p = Parameter(self, name, _shape_of(shape), _np_dtype(dtype), **kwargs)
        return self._add_var(p)

    def _add_var(self, v: Variable) -> Variable:
        self.vars[v.name] = v
        self.program._bump()
        return v

    def _free_name(self, name: str) -> str:
        while name in self.vars:
            name = unique_name.generate(name)
        return name

    def _new_var(self, name: str, meta: Meta, stop_gradient: bool) -> Variable:
        v = Variable(self, self._free_name(name), meta.shape, meta.dtype,
                     stop_gradient=stop_gradient)
        self.vars[v.name] = v
        return v

    def _constant(self, value) -> Variable:
        """A constant variable holding `value` (a read-only copy); scalars are shared."""
        value = np.asarray(value)
        key = None
        if value.size == 1 and value.ndim <= 1:
            key = (value.dtype.str, value.shape, value.tobytes())
            v = self._consts.get(key)
            if v is not None and self.vars.get(v.name) is v:
                return v
        value = np.array(value, copy=True)
        value.flags.writeable = False
        v = Variable(self, self._free_name(unique_name.generate("const")), value.shape,
                     value.dtype, stop_gradient=True, value=value)
        self._add_var(v)
        if key is not None:
            self._consts[key] = v
        return v

    def _rename_var(self, var: Variable, new: str) -> None:
        registered = self.vars.get(var.name) is var
        if not registered and not (self.program._implicit and var.block is self):
            raise ValueError(f"variable {var.name!r} is not in this block")
        if new in self.vars:
            raise ValueError(f"cannot rename {var.name!r} to {new!r}: the name is taken")
        if not registered:  # an output of a replayed implicit-mode step (dygraph/replay.py)
            var._name = new
            return
        del self.vars[var.name]
        var._name = new
        self.vars[new] = var
        self.program._bump()

    def _remove_var(self, name: str) -> None:
        self.vars.pop(name, None)
        self.program._bump()

    def all_parameters(self) -> list:
        return [v for v in self.vars.values() if isinstance(v, Parameter)]

    def iter_parameters(self):
        return iter(self.all_parameters())

    # ------------------------------------------------------------ ops
    def _append(self, op: Operator) -> Operator:
        self.ops.append(op)
        for v in op.outputs:
            if v is not None:
                v.op = op
        self.program._bump()
        return op

    def append_op(self, type: str, inputs: dict | None = None, outputs: dict | None = None,
                  attrs: dict | None = None) -> Operator:
        """Paddle's low-level append: named input slots (`{"X": [x]}`) and explicit outputs.
        Outputs may be existing (persistable) variables: that is how a state update is written
        back (see binder.write_to for the same after `apply`)."""
        opdef = registry.get(type)
        slots = {k: (list(v) if isinstance(v, (list, tuple)) else [v])
                 for k, v in (inputs or {}).items()}
        ins = ungroup_inputs(opdef, slots)
        attrs = dict(attrs or {})
        if opdef.canon is not None:
            attrs = opdef.canon(*ins, **attrs)
        metas = registry.infer_metas(opdef, tuple(None if v is None else v._meta()
                                                  for v in ins), attrs)
        outs = list((outputs or {}).get("Out", ()))
        if isinstance(outs, Variable):
            outs = [outs]
        if len(outs) != len(metas):
            raise ValueError(f"{type}: expected {len(metas)} outputs, got {len(outs)}")
        for v, m in zip(outs, metas):
            _check_output(type, v, m)
        return self._append(Operator(self, opdef, ins, tuple(outs), attrs, _ctx.role,
                                     _ctx.namescope, creation_site()))

    def _remove_op(self, index: int) -> None:
        del self.ops[index]
        self.program._bump()

    # ------------------------------------------------------------ printing
    def to_string(self, throw_on_error: bool = False, with_details: bool = False) -> str:
        lines = [f"{{ // block {self.idx}"]
        lines += [f"    {v.to_string(with_details=with_details)}" for v in self.vars.values()]
        lines.append("")
        lines += [f"    {op.to_string()}" for op in self.ops]
        lines.append("}")
        return "\n".join(lines)

    __str__ = to_string

    def __repr__(self) -> str:
        return self.to_string()


def _check_output(type_: str, v: Variable | None, meta: Meta | None) -> None:
    if v is None or meta is None:
        if (v is None) != (meta is None):
            raise ValueError(f"{type_}: output given as {v} but the op produces {meta}")
        return
    same_rank = len(v._shape) == len(meta.shape)
    if not same_rank or any(a != b and -1 not in (a, b) for a, b in zip(v._shape, meta.shape)):
        raise ValueError(f"{type_}: output {v.name} has shape {list(v._shape)} but the op "
                         f"produces {list(meta.shape)}")
    if v._dtype != meta.dtype:
        raise ValueError(f"{type_}: output {v.name} has dtype {v._dtype} but the op produces "
                         f"{meta.dtype}")


def _shape_of(shape) -> tuple:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    out = tuple(-1 if d is None else int(d) for d in shape)
    if any(d < -1 for d in out):
        raise ValueError(f"invalid shape {list(shape)}: dims must be >= 0, or -1/None")
    return out


def _np_dtype(dtype) -> np.dtype:
    from dualnet import dtypes

    return dtypes.as_np(dtype)


class Program:
    """A whole computation: blocks of ops over variables (Paddle's `paddle.static.Program`)."""

    def __init__(self):
        self.blocks = [Block(self, 0)]
        self.current_block_idx = 0
        self.random_seed = 0
        self._version = 0
        self._is_test = False
        self._implicit = False  # implicit mode's per-step program (dualnet_static/dygraph)

    def _bump(self) -> None:
        """Structure changed: cached plans keyed on this program's version are stale."""
        self._version += 1

    # ------------------------------------------------------------ blocks
    def global_block(self) -> Block:
        return self.blocks[0]

    def block(self, index: int) -> Block:
        return self.blocks[index]

    def current_block(self) -> Block:
        return self.blocks[self.current_block_idx]

    @property
    def num_blocks(self) -> int:
        return len(self.blocks)

    def _create_block(self, parent_idx: int | None = None) -> Block:
        parent = self.current_block_idx if parent_idx is None else parent_idx
        block = Block(self, len(self.blocks), parent)
        self.blocks.append(block)
        self.current_block_idx = block.idx
        self._bump()
        return block

    def _rollback(self) -> None:
        self.current_block_idx = self.current_block().parent_idx

    # ------------------------------------------------------------ variables
    def list_vars(self):
        for block in self.blocks:
            yield from block.vars.values()

    def all_parameters(self) -> list:
        return [p for block in self.blocks for p in block.all_parameters()]

    # ------------------------------------------------------------ copies and text
    def clone(self, for_test: bool = False) -> "Program":
        """A deep copy; `for_test=True` keeps the forward ops only, switches dropout and
        batch_norm to inference (training=False) and writes no persistable state."""
        from .clone import clone_program

        return clone_program(self, for_test)

    def to_string(self, throw_on_error: bool = False, with_details: bool = False) -> str:
        return "\n".join(b.to_string(throw_on_error, with_details) for b in self.blocks)

    __str__ = to_string

    def __repr__(self) -> str:
        return self.to_string()

    def to_json(self, indent: int | None = 1) -> str:
        from .serialization import program_to_json

        return program_to_json(self, indent)

    @staticmethod
    def from_json(text) -> "Program":
        from .serialization import program_from_json

        return program_from_json(text)

    parse_from_string = from_json

    # ------------------------------------------------------------ persistable values
    def state_dict(self, mode: str = "all", scope=None) -> dict:
        """{name: LoDTensor} of the program's persistable variables in `scope`: mode 'param'
        (parameters), 'opt' (other persistables: optimizer state, statistics) or 'all'."""
        from .scope import global_scope

        if mode not in ("all", "param", "opt"):
            raise ValueError(f"mode must be 'all', 'param' or 'opt', got {mode!r}")
        scope = scope if scope is not None else global_scope()
        out = {}
        for v in self.list_vars():
            if not v.persistable or (mode == "param" and not v.is_parameter) or \
                    (mode == "opt" and v.is_parameter):
                continue
            holder = scope.find_var(v.name)
            if holder is not None and holder.value is not None:
                out[v.name] = holder.get_tensor()
        return out

    def set_state_dict(self, state_dict: dict, scope=None) -> None:
        """Write arrays (or tensors) into `scope` for the persistable variables named."""
        from .scope import global_scope

        scope = scope if scope is not None else global_scope()
        by_name = {v.name: v for v in self.list_vars() if v.persistable}
        for name, value in state_dict.items():
            var = by_name.get(name)
            if var is None:
                import warnings

                warnings.warn(f"set_state_dict: {name!r} is not a persistable variable of the "
                              "program; skipped")
                continue
            array = np.asarray(value)
            if list(array.shape) != var.shape:
                raise ValueError(f"set_state_dict: {name!r} expects shape {var.shape}, got "
                                 f"{list(array.shape)}")
            scope.var(name).set(array.astype(var._dtype, copy=False))


# ---------------------------------------------------------------- build context

class _Context:
    """Build state: the role and namescope of new ops, the blocks pinned by block_guard, and
    the hooks of implicit mode (dualnet_static/dygraph): `guards` counts the program_guards
    being built in, `implicit` returns the current step program's block (set by the dygraph
    package), `grad_enabled` is False inside paddle.no_grad()."""

    def __init__(self):
        self.role = "forward"
        self.namescope = "/"
        self.pinned: list = []
        self.guards = 0
        self.implicit = None
        self.grad_enabled = True


_ctx = _Context()
_main_program = Program()
_startup_program = Program()


def default_main_program() -> Program:
    return _main_program


def default_startup_program() -> Program:
    return _startup_program


def switch_main_program(program: Program) -> Program:
    global _main_program
    old, _main_program = _main_program, program
    return old


def switch_startup_program(program: Program) -> Program:
    global _startup_program
    old, _startup_program = _startup_program, program
    return old


def current_block() -> Block:
    """Where the binder appends the next op: a pinned block, else - in implicit mode, outside
    any program_guard - the current step program (dualnet_static/dygraph), else the default
    main program's current block."""
    if _ctx.pinned:
        return _ctx.pinned[-1]
    if _ctx.implicit is not None and not _ctx.guards and not _static["on"]:
        return _ctx.implicit()
    return _main_program.current_block()


def in_implicit_mode() -> bool:
    """True when ops are recorded into implicit mode's step program: dynamic mode (no
    enable_static) and outside any program_guard."""
    return _ctx.implicit is not None and not _ctx.guards and not _static["on"]


@contextlib.contextmanager
def program_guard(main_program: Program, startup_program: Program | None = None):
    """Build into `main_program` (and `startup_program` for parameter initialization)."""
    from .binder import STATIC_BINDER

    if not isinstance(main_program, Program):
        raise TypeError(f"main_program must be a Program, got {type(main_program).__name__}")
    old_main = switch_main_program(main_program)
    old_startup = switch_startup_program(startup_program) if startup_program is not None \
        else None
    _ctx.guards += 1  # explicit building: implicit mode pauses (see current_block)
    try:
        with registry.default_binder(STATIC_BINDER):
            yield
    finally:
        _ctx.guards -= 1
        switch_main_program(old_main)
        if old_startup is not None:
            switch_startup_program(old_startup)


@contextlib.contextmanager
def block_guard(block: Block):
    """Append new ops to `block` whatever the default program is (backward, optimizers)."""
    from .binder import STATIC_BINDER

    _ctx.pinned.append(block)
    try:
        with registry.default_binder(STATIC_BINDER):
            yield block
    finally:
        _ctx.pinned.pop()


@contextlib.contextmanager
def op_role_guard(role: str):
    """Ops appended inside get `role` ("backward", "optimize", ...)."""
    old, _ctx.role = _ctx.role, role
    try:
        yield
    finally:
        _ctx.role = old


@contextlib.contextmanager
def name_scope(prefix: str | None = None):
    """Group ops under `prefix` (recorded on each op as its namescope, for display)."""
    old = _ctx.namescope
    _ctx.namescope = f"{old}{prefix or unique_name.generate('name_scope')}/"
    try:
        yield
    finally:
        _ctx.namescope = old


def op_context() -> tuple:
    """(role, namescope) for a new op."""
    return _ctx.role, _ctx.namescope


# ---------------------------------------------------------------- static / dynamic mode

_static = {"on": False, "ctx": None}


def enable_static() -> None:
    """Paddle's static mode: ops without Variable inputs (paddle.full, random init) are recorded
    into the default main program instead of being run."""
    from .binder import STATIC_BINDER

    if not _static["on"]:
        ctx = registry.default_binder(STATIC_BINDER)
        ctx.__enter__()
        _static.update(on=True, ctx=ctx)


def disable_static(place=None) -> None:
    if _static["on"]:
        _static["ctx"].__exit__(None, None, None)
        _static.update(on=False, ctx=None)
    if place is not None:
        from .place import set_device

        set_device(place)


def in_dynamic_mode() -> bool:
    return not _static["on"]


def in_static_mode() -> bool:
    return _static["on"]
