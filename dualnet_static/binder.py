"""The static binder: `apply(op, *Variables)` infers the outputs and appends an Operator.

Registered with the registry for `Variable`, it is the static twin of the eager binder: the
registry has already canonicalized attrs and promoted dtypes; here `infer` checks shapes at build
time (an OpError naming the op, the shapes and the user's line) and the op is recorded.

Constants: Python scalars (weak, in the other input's dtype) and arrays mixed with Variables
become constant Variables of the block (`Block._constant`): the value is kept in the Program,
printed inline, serialized in its JSON, and bound once per compiled plan - no op is needed.

State writes: a kernel never mutates its inputs (except the optimizer ops that declare
`inplace`); an updated state (batch-norm running stats, optimizer moments) is an op output. To
store it in a persistable variable, `write_to(new_value, persistable_var)` makes that output
*be* the persistable variable: the Executor then writes it into the Scope after the run.
`Block.append_op(..., outputs={"Out": [var]})` does the same in one step.
"""
from __future__ import annotations

import operator

import numpy as np

from dualnet import backend
from dualnet.ops import registry
from dualnet.ops.registry import OpDef, OpError, infer_metas, user_frame

from . import unique_name
from .framework import _ctx, current_block, op_context
from .operator import Operator, creation_site
from .variable import Parameter, Variable


class StaticBinder:
    """Records registry ops on Variables into the current block."""

    priority = 5

    def constant(self, value, like):
        return current_block()._constant(value)

    def bind(self, op: OpDef, args: tuple, attrs: dict):
        block = current_block()
        inputs = tuple(_as_input(op, block, a) for a in args)
        if IMPLICIT is not None and block.program._implicit:
            replayed = IMPLICIT.bind(op, inputs, attrs, block)  # implicit mode's step replay
            if replayed is not None:
                return replayed
        metas = tuple(None if v is None else v._meta() for v in inputs)
        out_metas = infer_metas(op, metas, attrs)
        flows = op.differentiable and op.vjp is not None and any(
            v is not None and not v._stop_gradient for v in inputs)
        prefix = unique_name.generate(op.name)
        outs = tuple(
            None if m is None else
            block._new_var(f"{prefix}.tmp_{i}", m, not (flows and m.dtype.kind in "fc"))
            for i, m in enumerate(out_metas))
        if not _ctx.grad_enabled:  # paddle.no_grad(): the outputs stop gradients for good
            for v in outs:
                if v is not None:
                    v._stop_gradient = v._stop_explicit = True
        role, namescope = op_context()
        operator = block._append(Operator(block, op, inputs, outs, attrs, role, namescope,
                                          creation_site()))
        if IMPLICIT is not None and block.program._implicit:
            IMPLICIT.appended(operator)
        return outs[0] if op.n_out == 1 else outs


# Implicit mode's hooks (dualnet_static/dygraph/hooks.py installs them; None = explicit only):
#   import_var(var, block)  a variable of another program as seen from `block`: a same-named
#                           twin of a persistable one (parameters bind by name through the
#                           Scope), or a value-bound tensor; None when it does not apply
#   bind_array(array, blk)  a non-scalar array as a fed variable (a constant would put its
#                           bytes in the plan's key); None when it does not apply
#   bind(op, ins, attrs, b) the step replay's outputs for this op, or None: record it
#   appended(operator)      an op was recorded into a step program
#   write(value, target)    the step replay's result of write_to, or None: do it
#   wrote(op, j, target)    output j of `op` became the persistable `target`
IMPLICIT = None


def _as_input(op: OpDef, block, a):
    if a is None:
        return None
    if isinstance(a, Variable):
        if a.block.program is not block.program:
            if IMPLICIT is not None:
                imported = IMPLICIT.import_var(a, block)
                if imported is not None:
                    return imported
            if not a.persistable and a._value is None:
                raise OpError(f"{op.name}: input {a.name!r} belongs to another Program than the "
                              f"one being built (use it inside the program_guard that created "
                              f"it)\n  at {user_frame()}")
        return a
    array = backend.to_numpy(a) if backend.is_array(a) else np.asarray(a)
    if array.dtype == object:
        raise OpError(f"{op.name}: cannot use {type(a).__name__} {a!r} as an input of a static "
                      f"program\n  at {user_frame()}")
    if IMPLICIT is not None and array.size > 1:
        bound = IMPLICIT.bind_array(array, block)
        if bound is not None:
            return bound
    return block._constant(array)


STATIC_BINDER = StaticBinder()
registry.register_binder(Variable, STATIC_BINDER)
for _cls in (Variable, Parameter):  # promote_args reads the NumPy dtype, not paddle's wrapper
    registry.register_dtype_of(_cls, operator.attrgetter("_dtype"))


def write_to(value: Variable, target: Variable) -> Variable:
    """Make the op that computed `value` write its result into `target` (a persistable
    variable: parameter, optimizer state, running statistic). Later ops that read `value` read
    `target`; `value` leaves the block. Returns `target`."""
    if IMPLICIT is not None:
        replayed = IMPLICIT.write(value, target)  # implicit mode's step replay
        if replayed is not None:
            return replayed
    op = value.op
    if op is None:
        raise ValueError(f"write_to: {value.name!r} is not computed by an op")
    block = op.block
    if target.block.program is not block.program and IMPLICIT is not None:
        twin = IMPLICIT.import_var(target, block)  # implicit mode: the same-named twin
        target = twin if twin is not None else target
    if target.block.program is not block.program:
        raise ValueError(f"write_to: {target.name!r} belongs to another Program than the op "
                         f"computing {value.name!r}")
    if value._dtype != target._dtype or len(value._shape) != len(target._shape) or any(
            a != b and -1 not in (a, b) for a, b in zip(value._shape, target._shape)):
        raise ValueError(f"write_to: cannot store {value.name} ({list(value._shape)} "
                         f"{value._dtype}) into {target.name} ({list(target._shape)} "
                         f"{target._dtype})")
    if IMPLICIT is not None and block.program._implicit:
        IMPLICIT.wrote(op, next(j for j, v in enumerate(op.outputs) if v is value), target)
    ops = block.ops
    k = len(ops) - 1
    while k > 0 and ops[k] is not op:  # only the producer and later ops can use `value`
        k -= 1
    for o in ops[max(k, 0):]:
        if any(v is value for v in o.inputs):
            o.inputs = tuple(target if v is value else v for v in o.inputs)
        if any(v is value for v in o.outputs):
            o.outputs = tuple(target if v is value else v for v in o.outputs)
    target.op = op
    if block.vars.get(value.name) is value:
        block._remove_var(value.name)
    block.program._bump()
    return target
