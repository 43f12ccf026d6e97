"""Static reverse mode: append gradient ops to a Program (Paddle's append_backward/gradients).

The walk mirrors the eager tape: visit the block's ops in reverse, and for each op on a path
from a variable that needs a gradient to the targets call the op's registry `vjp` ON VARIABLES.
The rule calls registered ops, which the static binder appends - exactly Paddle's grad-op makers,
with one rule per op shared with the eager tape. What each rule sees also mirrors the tape:
inputs not in the op's `saves` are None, `out` only when it saves its output.

Gradients are named `x@GRAD`. A variable used by several ops gets one contribution per use,
named `x@GRAD@RENAME@block0@k`, summed into `x@GRAD` before its producer's rule runs (reverse
block order guarantees every consumer was visited). Gradient ops that feed no gradient (a rule
computing a gradient for an input that needs none) are removed at the end.

Which variables need a gradient: for append_backward, leaves (data, parameters) whose
stop_gradient is False and not in no_grad_set; for gradients(), its `inputs` only (whatever
their stop_gradient); then float outputs of differentiable ops with such an input - unless the
user set `stop_gradient = True` on them or named them in no_grad_set.
"""
from __future__ import annotations

from dualnet.ops import get
from dualnet.ops.registry import OpError, user_frame

from .framework import block_guard, op_role_guard
from .variable import Variable


def append_backward(loss: Variable, parameter_list=None, no_grad_set=None, callbacks=None,
                    checkpoints=None) -> list:
    """Append the gradient ops of `loss` to its program; returns [(param, param@GRAD)] for the
    trainable parameters (or those in `parameter_list`, names or Parameters) that get one."""
    if not isinstance(loss, Variable):
        raise TypeError(f"append_backward: loss must be a Variable, got {type(loss).__name__}")
    program = loss.block.program
    grads = _Backward(loss.block, no_grad_set, ()).run([loss], [None])
    if parameter_list is None:
        params = [p for p in program.all_parameters() if p.trainable]
    else:
        names = {p if isinstance(p, str) else p.name for p in parameter_list}
        params = [p for p in program.list_vars() if p.name in names]
    return [(p, grads[id(p)]) for p in params if id(p) in grads]


def gradients(targets, inputs, target_gradients=None, no_grad_set=None) -> list:
    """d(sum of targets * target_gradients)/d(inputs) as new Variables (None where an input
    does not influence the targets). Ones are used where no target gradient is given."""
    targets, inputs = _as_list(targets), _as_list(inputs)
    tgs = _as_list(target_gradients) if target_gradients is not None else [None] * len(targets)
    if len(tgs) != len(targets):
        raise ValueError(f"gradients: {len(targets)} targets but {len(tgs)} target_gradients")
    backward = _Backward(targets[0].block, no_grad_set, inputs, only_sources=True)
    grads = backward.run(targets, tgs)
    return [grads.get(id(x)) for x in inputs]


calc_gradient = gradients


def _as_list(x) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


class _Backward:
    """One backward pass over `block` (see the module docstring)."""

    def __init__(self, block, no_grad_set, sources, only_sources: bool = False):
        self.block = block
        self.only_sources = only_sources  # gradients(): only paths starting at `sources`
        self.ops = list(block.ops)
        self.no_grad = {v if isinstance(v, str) else v.name for v in (no_grad_set or ())}
        self.forced = {id(v) for v in sources if v.name not in self.no_grad}
        self.pending: dict[int, list] = {}
        self.vars: dict[int, Variable] = {}
        self.final: dict[int, Variable] = {}
        self.fresh: set = set()

    # ------------------------------------------------------------ analysis
    def _leaf_needs(self, v: Variable) -> bool:
        if id(v) in self.forced:
            return True
        return not self.only_sources and (v._value is None and not v._stop_gradient and v._dtype.kind in "fc"
                and v.name not in self.no_grad)

    def _needs_grad(self) -> set:
        """ids of the variables a gradient must reach (forward over the ops)."""
        req, produced = set(), set()
        for op in self.ops:
            for v in op.inputs:
                if v is not None and id(v) not in produced and self._leaf_needs(v):
                    req.add(id(v))
            flows = (op.opdef.differentiable and op.opdef.vjp is not None
                     and any(v is not None and id(v) in req for v in op.inputs))
            in_ids = {id(v) for v in op.inputs if v is not None}
            for v in op.outputs:
                if v is None:
                    continue
                produced.add(id(v))
                stopped = (v._stop_explicit and v._stop_gradient) or v.name in self.no_grad
                if id(v) in self.forced or (flows and v._dtype.kind in "fc" and not stopped
                                            and id(v) not in in_ids):
                    req.add(id(v))
                else:
                    req.discard(id(v))
        return req

    def _relevant_ops(self, targets, req: set) -> list:
        """Ops on a path from a variable in `req` to a target, in reverse order."""
        reach = {id(t) for t in targets}
        ops = []
        for op in reversed(self.ops):
            if any(v is not None and id(v) in reach and id(v) in req for v in op.outputs):
                ops.append(op)
                reach.update(id(v) for v in op.inputs if v is not None and id(v) in req)
        return ops

    # ------------------------------------------------------------ the walk
    def run(self, targets, target_grads) -> dict:
        start = len(self.block.ops)
        req = self._needs_grad()
        with block_guard(self.block), op_role_guard("backward"):
            for t, tg in zip(targets, target_grads):
                if id(t) in req:
                    self._add(t, tg if tg is not None else self._ones_like(t))
            for op in self._relevant_ops(targets, req):
                self._visit(op, req)
            for vid in list(self.pending):
                self._finalize(self.vars[vid])
        self._remove_dead_ops(start)
        return self.final

    def _ones_like(self, t: Variable) -> Variable:
        return _track(self, lambda: get("ones_like")(t))

    def _visit(self, op, req: set) -> None:
        gs = tuple(None if v is None or id(v) not in req else self._finalize(v)
                   for v in op.outputs)
        if all(g is None for g in gs):
            return
        opdef = op.opdef
        keep = opdef.saved_inputs(len(op.inputs))
        saved = tuple(v if i in keep else None for i, v in enumerate(op.inputs))
        out = tuple(op.outputs) if opdef.saves_out else None
        if opdef.n_out == 1:
            gs, out = gs[0], (out[0] if out else None)
        kwargs = dict(op.attrs)
        if opdef.vjp_takes_mask:  # skip gradients nobody needs (e.g. a first conv's data input)
            kwargs["needs_grad"] = tuple(v is not None and id(v) in req for v in op.inputs)
        in_grads = _track(self, lambda: opdef.vjp(gs, *saved, out=out, **kwargs))
        if not isinstance(in_grads, (tuple, list)):
            in_grads = (in_grads,)
        if len(in_grads) != len(op.inputs):
            raise OpError(f"{op.type}: its vjp returned {len(in_grads)} gradients for "
                          f"{len(op.inputs)} inputs\n  at {user_frame()}")
        for v, g in zip(op.inputs, in_grads):
            if v is not None and g is not None and id(v) in req:
                _check_grad(op, v, g)
                self._add(v, g)

    def _add(self, v: Variable, g: Variable) -> None:
        self.vars[id(v)] = v
        self.pending.setdefault(id(v), []).append(g)

    def _finalize(self, v: Variable) -> Variable | None:
        """Sum the contributions to v's gradient into `v@GRAD` (once)."""
        if id(v) in self.final:
            return self.final[id(v)]
        parts = self.pending.pop(id(v), None)
        if not parts:
            return None
        name = self._grad_name(v.name)
        if len(parts) > 1:
            parts = [self._named(g, f"{name}@RENAME@block{self.block.idx}@{k}")
                     for k, g in enumerate(parts)]
            total = parts[0]
            for g in parts[1:]:
                total = _track(self, lambda: total + g)
            parts = [total]
        g = self._named(parts[0], name)
        self.final[id(v)] = g
        return g

    def _grad_name(self, name: str) -> str:
        base = name + "@GRAD"
        k, out = 0, base
        while out in self.block.vars:
            k += 1
            out = f"{base}_{k}"
        return out

    def _named(self, g: Variable, name: str) -> Variable:
        """g renamed `name` if the backward just made it, else a named copy of it."""
        if id(g) not in self.fresh:
            g = _track(self, lambda: get("assign")(g))
        self.fresh.discard(id(g))
        self.block._rename_var(g, name)
        return g

    def _remove_dead_ops(self, start: int) -> None:
        """Drop appended ops whose outputs reach no gradient."""
        block = self.block
        live = {id(g) for g in self.final.values()}
        keep = []
        for op in reversed(block.ops[start:]):
            if any(v is not None and id(v) in live for v in op.outputs):
                keep.append(op)
                live.update(id(v) for v in op.inputs if v is not None)
            else:
                for v in op.outputs:
                    if v is not None and block.vars.get(v.name) is v and id(v) not in live:
                        del block.vars[v.name]
                    if v is not None and v.op is op:
                        v.op = None  # no op <-> output cycle keeps the dropped op (and the
                        #              inputs it holds) alive: implicit mode counts references
        block.ops[start:] = keep[::-1]
        block.program._bump()


def _track(bw: _Backward, fn):
    """Run `fn` (which appends ops) and remember the variables those ops created."""
    block = bw.block
    start = len(block.ops)
    result = fn()
    for op in block.ops[start:]:
        bw.fresh.update(id(v) for v in op.outputs if v is not None)
    return result


def _check_grad(op, v: Variable, g) -> None:
    if not isinstance(g, Variable):
        raise OpError(f"{op.type}: its vjp returned a {type(g).__name__} for input {v.name}, "
                      "expected a Variable (a rule must build gradients with registered ops)")
    ok = len(g._shape) == len(v._shape) and all(
        a == b or -1 in (a, b) for a, b in zip(g._shape, v._shape))
    if not ok or g._dtype != v._dtype:
        raise OpError(f"{op.type}: its vjp gave a gradient of shape {list(g._shape)} "
                      f"{g._dtype} for input {v.name} of shape {list(v._shape)} {v._dtype}\n"
                      f"  at {user_frame()}")
