"""The implicit-mode session: the current step Program, and running what it recorded.

States (see the package docstring for the whole story):

    EMPTY --record op--> RECORDING --value asked / optimizer step--> run()
    run(): pending ops execute; values still referenced from Python are kept (`_bound`);
           then either RETIRE (the program is dropped, the kept tensors move into a fresh
           program as fed leaves) or KEEP (a later backward() may still walk the graph).

`run` executes only the ops recorded since the last run (a *view* program holding them), so
every op runs exactly once: values computed by an earlier run are fed to the later one.

While recording, the session logs the step's *events* (user ops, write_to's, backward(),
optimizer steps). A step that ran once and retired becomes the *template* of the next ones,
which replay it instead of recording it (replay.py) as long as they do the same.
"""
from __future__ import annotations

import contextlib
import operator
import sys
from collections import OrderedDict

from dualnet.ops import registry

from .. import unique_name
from ..executor import Executor
from ..framework import Program
from ..scope import global_scope
from ..variable import Variable
from .replay import Replayer

_FEED = "feed_"  # canonical names of fed values: the plan cache keys feeds by name
_SWEEP_EVERY = 256  # bound leaves between two sweeps of the unreferenced ones
_TEMPLATES = 8  # step templates kept (most recently made)
_PER_KEY = 4  # of them with the same first event (Replayer._switch tells them apart)
_RUNS_KEPT = 4  # runs of a step before its last that a template may have (Segments)
_LEAVES: dict = {}  # (dtype, stop_gradient) -> attributes of a fresh fed leaf


def _subclasses(cls) -> set:
    out = {cls}
    for sub in cls.__subclasses__():
        out |= _subclasses(sub)
    return out


# implicit mode's tensors: registry.apply tries the replayer's fast path for calls on them
_TENSOR_TYPES = frozenset(_subclasses(Variable))
_new_var = object.__new__


class Session:
    """One per process: implicit mode records into `program` (created on demand)."""

    def __init__(self):
        self.program: Program | None = None
        self.executed = 0  # ops of `program` that already ran
        self.consumed = 0  # ops before this index were walked by a backward() (graph freed)
        # param name -> "held" (its accumulator in the Scope holds the sum of gradients) or
        # "zero" (cleared with set_to_zero); absent: no gradient (param.grad is None)
        self.grad_state: dict[str, str] = {}
        self.startup = Program()  # optimizers' state initializers land here; never run
        self.runs = 0
        self.last_run = (0, 0, 0)  # (ops, feeds, fetches) of the last run, for inspection
        self.binds = 0  # leaves bound since the last sweep
        # step replay (replay.py): templates by their first event (first_key -> [template,
        # ...], most recent first), this step's replayer
        self.templates: OrderedDict = OrderedDict()
        self.replayer = None  # (set_replayer) while there is one, registry.apply tries
        #                       its fast path first
        self.replays = 0  # steps replayed (for inspection and tests)
        self.last_template = None  # the template the last step made or replayed
        self._new_log()

    def set_replayer(self, replayer) -> None:
        """This step's Replayer (replay.py), or None; while there is one, registry.apply
        tries its fast path first."""
        self.replayer = replayer
        registry.set_fast_path(None if replayer is None else replayer.fast, _TENSOR_TYPES)

    def _new_log(self) -> None:
        self.log: list = []
        self.log_ok = True  # False: this step uses something replay does not reproduce
        self.internal = 0  # > 0 inside backward() / an optimizer step: their ops are not logged
        self.internal_ids: set = set()  # ids of the ops backward() / step() appended
        self.program_runs = 0
        self.runs_kept: list = []  # the step's runs before its last (_keep_run)

    # ------------------------------------------------------------ the step program
    def block(self):
        """The block new ops go to (framework.current_block's implicit-mode answer)."""
        program = self.program
        if program is None:
            program = self._new_program()
        return program.blocks[0]

    def _new_program(self, program=None) -> Program:
        """A fresh step program (or `program`, emptied, reused: a replayed step's)."""
        if program is None:
            program = Program()
            program._implicit = True
        self.program, self.executed, self.consumed = program, 0, 0
        self._new_log()
        self.set_replayer(Replayer(self) if self.templates else None)
        return program

    def reset(self) -> None:
        """Forget the step program (unrun ops are dropped), the templates, every gradient
        state and the count of replayed steps."""
        self.program, self.executed, self.consumed = None, 0, 0
        self.replays = 0
        self.templates.clear()
        self.last_template = None
        self.set_replayer(None)
        self.grad_state.clear()
        self._new_log()

    def pending(self) -> bool:
        if self.replayer is not None and self.replayer.cursor > 0:
            return True
        return self.program is not None and len(self.program.blocks[0].ops) > self.executed

    # ------------------------------------------------------------ the event log
    @contextlib.contextmanager
    def internal_section(self):
        """backward() and optimizer steps: the ops appended inside are theirs, not user
        events."""
        self.internal += 1
        try:
            yield
        finally:
            self.internal -= 1

    def appended(self, op, stops=None) -> None:
        """binder hook: `op` was recorded into a step program (`stops`: its outputs'
        gradient flags when they were made, if not now)."""
        if op.block.program is not self.program:
            return
        if self.internal:
            self.internal_ids.add(id(op))
            return
        if stops is None:
            stops = tuple(None if v is None else (v._stop_gradient, v._stop_explicit)
                          for v in op.outputs)
        self.log.append(("op", op, stops))

    def wrote(self, op, j: int, target) -> None:
        """binder hook: output j of `op` now is the persistable `target` (write_to)."""
        if op.block.program is self.program and not self.internal:
            self.log.append(("write", op, j, getattr(target, "_origin", target).name, target))

    def log_event(self, entry, replayable: bool = True) -> None:
        self.log.append(entry)
        self.log_ok = self.log_ok and replayable

    def param_states(self) -> tuple:
        """The gradient states of the trainable parameters the step program uses."""
        from ..variable import Parameter

        block = self.block()
        names = sorted(getattr(v, "_origin", v).name for v in block.vars.values()
                       if isinstance(v, Parameter) and v.trainable)
        return tuple((n, self.grad_state.get(n)) for n in names)

    def opt_states(self, opt, params=None) -> tuple:
        """The gradient states of the parameters an optimizer step updates (the names of the
        optimizer's own list are kept on it while it holds the same parameters)."""
        get = self.grad_state.get
        if params is not None:
            return tuple([get(name) for name in _param_names(params)])
        params = opt._parameter_list or ()
        cached = opt.__dict__.get("_implicit_names")
        if cached is None or len(cached[0]) != len(params) or \
                not all(map(operator.is_, cached[0], params)):
            cached = opt.__dict__["_implicit_names"] = (tuple(params), _param_names(params))
        return tuple(map(get, cached[1]))

    def output_flags(self) -> tuple:
        """(id(var), stop_gradient, explicit) of the user ops' outputs so far (a backward's
        structure depends on them). The log holds no variable itself: that would make it
        look referenced from Python (_live_ids)."""
        return tuple((id(v), v._stop_gradient, v._stop_explicit)
                     for entry in self.log if entry[0] == "op"
                     for v in entry[1].outputs if v is not None and not v._persistable)

    def flush(self) -> None:
        """Run whatever was recorded and not run yet."""
        if self.pending():
            self.run()

    # ------------------------------------------------------------ binding values
    def bind(self, array, stop_gradient: bool = True, block=None) -> Variable:
        """A leaf of the step program holding `array` (fed when an op reads it)."""
        block = block if block is not None else self.block()
        self.binds += 1
        if self.binds >= _SWEEP_EVERY:
            self.sweep(block)
        name = block._free_name(unique_name.generate("generated_tensor"))
        key = (array.dtype, stop_gradient)
        proto = _LEAVES.get(key)
        if proto is None:  # a fed leaf's attributes, but for block, name, shape and value
            proto = _LEAVES[key] = dict(Variable(None, "", (), array.dtype, is_data=True,
                                                 stop_gradient=stop_gradient).__dict__)
        v = _new_var(Variable)  # per batch: copying the prototype is cheaper than __init__
        d = v.__dict__
        d.update(proto)
        d["block"], d["_name"], d["_shape"], d["_bound"] = block, name, array.shape, array
        block.vars[name] = v
        return v

    def adopt(self, var: Variable, block) -> Variable:
        """Move a value-bound variable of another program into `block` (as a fed leaf)."""
        old = var.block
        if old.vars.get(var.name) is var:
            del old.vars[var.name]
        var._graph_freed = getattr(var, "_graph_freed", False) or (
            var.op is not None and not var._stop_gradient)
        _place(var, block)
        return var

    def sweep(self, block) -> None:
        """Drop the bound leaves nothing references any more (a loop that makes tensors
        without ever running, e.g. reading batches' `.numpy()`, would keep them all)."""
        self.binds = 0
        used = {id(v) for op in block.ops for v in op.inputs + op.outputs if v is not None}
        if self.replayer is not None:
            used.update(self.replayer.leaves)  # matched ops' inputs (no Operator holds them)
        leaves = {id(v) for v in block.vars.values()
                  if v._bound is not None and v.op is None and id(v) not in used}
        live = _live_ids(block, leaves)
        for name in [n for n, v in block.vars.items() if id(v) in leaves and id(v) not in live]:
            del block.vars[name]

    # ------------------------------------------------------------ running
    def run(self, want=()) -> None:
        """Run the pending ops. Values Python still references are kept; so are the values
        a later backward() may need (the graph behind live tensors that need gradients)."""
        program = self.program
        if program is None:
            return
        block = program.blocks[0]
        if self.replayer is not None:
            live = self.replayer.run(block, want)
            if live is not None:  # the step matched its template: its (next) plan ran
                self.runs += 1
                if self.replayer.finished:
                    self.replays += 1
                    self._retire_replayed(self.replayer)
                return
            self.replayer.materialize(block)
        pending = block.ops[self.executed:]
        produced, fed = _scan(pending)
        bound = {id(v) for v in block.vars.values() if v._bound is not None}
        live = _live_ids(block, produced | bound)
        live.update(id(v) for v in want)
        graph = self._graph_to_keep(block, live)
        keep = {id(v) for op in block.ops if id(op) in graph
                for v in op.inputs + op.outputs if v is not None}
        fetch = [v for v in _outputs(pending) if id(v) in live or id(v) in keep]
        feeds = _canonical_feeds(block, pending, fed)
        if pending:
            try:
                if not self._run_as_template(program, pending, live, graph, feeds, fetch):
                    if graph:
                        self._keep_run(program, pending, live, feeds, fetch)
                    self._execute(program, pending, feeds, fetch)
            except BaseException:
                self._drop_failed(block)  # the step cannot complete: start afresh
                raise
        self.runs += 1
        self.program_runs += 1
        self.last_run = (len(pending), len(feeds), len(fetch))
        self.executed = len(block.ops)
        if graph:
            self._compact(block, graph, live | keep)
        else:
            self._retire(live)

    def _keep_run(self, program, pending, live, feeds, fetch) -> None:
        """A run before the step's last (a value asked for mid-step): remember it, with a
        private copy of what it runs, for the template the step may become."""
        from .template import shadow_view

        if self.log_ok and len(self.runs_kept) == self.program_runs < _RUNS_KEPT and \
                not self.internal:
            # ids only: a reference to a variable would make it look live (_live_ids)
            view, shadow = shadow_view(program, pending, feeds, fetch)
            self.runs_kept.append((len(self.log), set(live), [id(v) for v in feeds],
                                   [id(v) for v in fetch], view, shadow,
                                   [id(op) for op in pending]))

    def _run_as_template(self, program, pending, live, graph, feeds, fetch) -> bool:
        """A step that retires at this run becomes the template of the next ones: run its
        private copy (template.py, replay.py). Its earlier runs (values asked for mid-step) become the
        template's segments. False when the step does not qualify."""
        from .template import build_template, run_view

        if graph or not self.log_ok or self.program_runs != len(self.runs_kept) or \
                (self.executed and not self.runs_kept):
            return False
        # every pending op must be a logged user op or one backward() / step() appended (they
        # may also have dropped some of theirs again), and every logged op must be pending
        ids = {id(op) for op in pending}
        for run in self.runs_kept:
            ids.update(run[6])
        logged = {id(entry[1]) for entry in self.log if entry[0] == "op"}
        if not logged <= ids or not ids <= logged | self.internal_ids:
            return False
        built = build_template(self.log, pending, live, feeds, fetch, program,
                               [run[:6] for run in self.runs_kept])
        if built is None:
            return False
        template, shadow = built
        values = run_view(template.view, {shadow[id(v)].name: v._bound for v in feeds},
                          [shadow[id(v)].name for v in fetch])
        for v, value in zip(fetch, values):
            v._bound = value
        self._keep_template(template)
        return True

    def _keep_template(self, template) -> None:
        """Store a new template (first of its key) and make it the last step's."""
        import weakref

        bucket = self.templates.setdefault(template.key, [])
        bucket.insert(0, template)
        del bucket[_PER_KEY:]
        self.templates.move_to_end(template.key)
        while sum(len(b) for b in self.templates.values()) > _TEMPLATES:
            oldest = next(iter(self.templates))
            self.templates[oldest].pop()
            if not self.templates[oldest]:
                del self.templates[oldest]
        if self.last_template is not None:
            self.last_template.successor = weakref.ref(template)
        self.last_template = template

    def stored(self, template) -> bool:
        """Whether `template` is still one the session keeps."""
        for t in self.templates.get(template.key, ()):
            if t is template:
                return True
        return False

    def _graph_to_keep(self, block, live: set) -> set:
        """ids of the ops a later backward() may walk: those behind live tensors that need
        gradients, not yet walked by a backward()."""
        ops = block.ops
        index = {id(op): i for i, op in enumerate(ops)}
        stack = [v.op for v in block.vars.values()
                 if id(v) in live and v.op is not None and not v._stop_gradient
                 and index.get(id(v.op), -1) >= self.consumed]
        graph = set()
        while stack:
            op = stack.pop()
            if id(op) in graph or index.get(id(op), -1) < self.consumed:
                continue
            graph.add(id(op))
            stack.extend(v.op for v in op.inputs if v is not None and v.op is not None
                         and not v._persistable and not v._stop_gradient)
        return graph

    def _execute(self, program, ops, feeds, fetch) -> None:
        view = Program()
        vb = view.blocks[0]
        vb.ops = list(ops)
        vb.vars = {v.name: v for v in list(feeds) + fetch}
        for attr in ("lr_scheduler", "lr_var"):  # an LR scheduler's value is synced per run
            if hasattr(program, attr):
                setattr(view, attr, getattr(program, attr))
        try:
            outs = Executor().run(view, feed={v.name: v._bound for v in feeds},
                                  fetch_list=fetch, scope=global_scope())
        finally:  # the view's block <-> program cycle would hold the variables until a gc
            vb.ops, vb.vars, view.blocks = [], {}, []
        for v, value in zip(fetch, outs):
            v._bound = value

    def _drop_failed(self, block) -> None:
        """After a run raised: drop the ops that did not run (values already kept stay with
        their tensors), so the next step starts clean."""
        del block.ops[self.executed:]
        self.program = None
        self.set_replayer(None)

    def _compact(self, block, graph: set, keep: set) -> None:
        """KEEP: only the ops of the kept graph stay (all of them ran), and the variables
        they use or Python references."""
        block.ops = [op for op in block.ops if id(op) in graph]
        self.executed, self.consumed = len(block.ops), 0
        for name, v in list(block.vars.items()):
            if id(v) not in keep and not v._persistable and v._value is None:
                del block.vars[name]
                v.op = None

    def _retire_replayed(self, replayer) -> None:
        """_retire after a replayed step: its live outputs (replayer.kept, each computed by
        an op of the step, none by an Operator) move into its program, emptied and reused
        (no Operator was recorded, so nothing else refers to it)."""
        block = self.program.blocks[0]
        block.vars, block.ops, block._consts = {}, [], {}
        self._new_program(self.program)
        for v in replayer.kept:
            if v._bound is not None:
                if not v._stop_gradient:
                    v._graph_freed = True
                _place(v, block)

    def _retire(self, live: set) -> None:
        """RETIRE: drop the step program; the kept values move into a new one as fed
        leaves (a tensor whose graph is dropped cannot be differentiated again)."""
        old = self.program.blocks[0]
        carry = [v for v in old.vars.values() if id(v) in live and v._bound is not None]
        for v in carry:
            v._graph_freed = getattr(v, "_graph_freed", False) or (
                v.op is not None and not v._stop_gradient)
        for v in old.vars.values():  # break the var <-> op cycles: freed by refcount
            v.op = None
        old.vars, old.ops, old._consts = {}, [], {}
        self.program = None
        if carry:
            block = self.block()
            for v in carry:
                _place(v, block)


def _param_names(params) -> tuple:
    """The names of the parameters in `params` (strings skipped)."""
    return tuple(getattr(p, "_origin", p).name for p in params if not isinstance(p, str))


def _place(v: Variable, block) -> None:
    """Put the value-bound variable `v` into `block` as a fed leaf."""
    v.block, v.op, v.is_data = block, None, True
    if v.name in block.vars:
        v._name = block._free_name(unique_name.generate("generated_tensor"))
    block.vars[v.name] = v


def _scan(ops) -> tuple:
    """(ids of the non-persistable outputs of `ops`, ids of the values they read that an
    earlier run or a binding provides)."""
    produced, fed = set(), set()
    for op in ops:
        for v in op.inputs:
            if v is None or v._value is not None or v._persistable or id(v) in produced:
                continue
            if v._bound is None:
                raise RuntimeError(f"the value of {v.name!r} (used by {op.type}) is no longer "
                                   "available: it was computed by an earlier run and nothing "
                                   "referenced it then")
            fed.add(id(v))
        for v in op.outputs:
            if v is not None and not v._persistable:
                produced.add(id(v))
    return produced, fed


def _outputs(ops) -> list:
    seen, out = set(), []
    for op in ops:
        for v in op.outputs:
            if v is not None and not v._persistable and id(v) not in seen:
                seen.add(id(v))
                out.append(v)
    return out


def _canonical_feeds(block, ops, fed: set) -> list:
    """The fed variables in order of first use, renamed `feed_0`, `feed_1`, ... so that the
    same loop body gives the same plan-cache key at every step."""
    order, seen = [], set()
    for op in ops:
        for v in op.inputs:
            if v is not None and id(v) in fed and id(v) not in seen:
                seen.add(id(v))
                order.append(v)
    for v in order:
        if block.vars.get(v.name) is v:
            del block.vars[v.name]
    for i, v in enumerate(order):
        name = f"{_FEED}{i}"
        other = block.vars.pop(name, None)
        if other is not None:  # a variable not fed this time holds the name: rename it
            other._name = block._free_name(unique_name.generate("generated_tensor"))
            block.vars[other._name] = other
        v._name = name
        block.vars[name] = v
    return order


def _live_ids(block, candidates: set) -> set:
    """ids of the variables in `candidates` that Python still references from outside the
    step program (CPython reference counts: the block's dict, the ops' input/output tuples
    and this loop account for every other reference). Without `sys.getrefcount` (not
    CPython) every candidate counts as live: correct, only less lean."""
    if not hasattr(sys, "getrefcount"):
        return set(candidates)
    uses: dict[int, int] = {}
    for op in block.ops:
        for v in op.inputs:
            if v is not None:
                uses[id(v)] = uses.get(id(v), 0) + 1
        for v in op.outputs:
            if v is not None:
                uses[id(v)] = uses.get(id(v), 0) + 1
    live = set()
    for v in block.vars.values():
        vid = id(v)
        # references: the dict, `v` and getrefcount's argument (_BASE), the ops' tuples
        if vid in candidates and sys.getrefcount(v) - _BASE - uses.get(vid, 0) > 0:
            live.add(vid)
    return live


def _baseline() -> int:
    """What getrefcount reports for an object only a dict holds, read in a loop like
    _live_ids's (3 on CPython 3.11: the dict, the loop variable, the argument)."""
    holder = {"probe": object()}
    for v in holder.values():
        return sys.getrefcount(v) if hasattr(sys, "getrefcount") else 3
    return 3


_BASE = _baseline()



SESSION = Session()
