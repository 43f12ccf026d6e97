"""Step replay: a loop's steps record the same program again and again; replay skips the work.

After a step retired, the session keeps a `Template` (template.py): the step's *events* (each user op with
its attrs and where its inputs came from, write_to's of state, the backward() call, the
optimizer step) and a private copy of the program its last run ran (its *view*, whose
compiled plan the Executor caches under that Program object). A step that ran more than once
(a value asked for before backward()) keeps each earlier run as a `Segment` (its own view) at
a ("run", k) event; a replayed step runs it when the value is asked for.

The next step starts replaying (`Replayer`): each op the user's code records is matched
against the template's next event - same op, same attrs, inputs from the same places (the
same earlier output, the k-th fed tensor with the same shape and dtype, the same parameter,
the same constant) - and only its output Variables are made: no Operator, and they are not
registered in the block (the replayer holds them; materialize registers them). A matched
backward() or optimizer step applies its effects on the gradient states only. At the run,
if the step matched to the end and the same outputs are referenced from Python, the
template's view runs with this step's fed arrays (the Executor's fast path: no analysis) and
the fetched values go to this step's tensors.

Anything else - another op or attrs, a value asked for elsewhere, other live tensors - makes
the replayer *materialize*: the matched ops become real Operators (the matched backward and
optimizer step are appended for real) and recording continues as if no replay had happened.

Templates are kept by their first event, several per key (a loop alternating two models, or
a GAN's two players, begins each step alike): a step that stops matching its template first
switches to another of the same key whose events so far are the same (`Replayer._switch`).
Matching an op is the work of a matcher generated per template event (template.py's
`_compile_matcher`), which registry.apply calls directly once the previous event matched.
"""
from __future__ import annotations

import itertools
import sys
import weakref

import numpy as np

from .. import unique_name
from ..executor import Executor
from ..framework import _ctx, _static
from ..operator import Operator
from ..scope import global_scope
from ..variable import FLAG_CHANGES, Variable
from .template import _CHECKED, _install_next, _Named, _plain, _same_prefix, first_key


_new_var = object.__new__
_STEPS = itertools.count()  # replayed steps, for unique output names


_refcount = getattr(sys, "getrefcount", None) or (lambda v: 1 << 30)  # none: all live


def _refcount_base() -> int:
    """What _refcount reports for an output only the replayer holds, read in Replayer.run's
    loop over `made`: that list, the event's list in `outs` (or `written`), the loop variable
    and the argument. More means Python references it elsewhere."""
    probe = object()
    holders = ([probe], [probe])  # made, and the event's list in outs
    del probe
    for v in holders[0]:
        return _refcount(v) if hasattr(sys, "getrefcount") else 0
    return 0


_BASE = _refcount_base()


# ---------------------------------------------------------------- replaying

class Replayer:
    """Matches one step against a template (see the module docstring)."""

    def __init__(self, session):
        self.session = session
        self.program = session.program  # the step program it replays into
        self.block = self.program.blocks[0]
        self.suffix = f"@{next(_STEPS)}"  # the step's output names: the recorded ones + this
        self.flag_changes = FLAG_CHANGES[0]  # unchanged at backward(): the outputs' flags
        #                                      are the template's (made from its prototypes)
        self.t = None  # the template, chosen by the step's first event
        self.cursor = 0
        self.produced: dict = {}  # id(var) -> ref of this step's outputs (and written values)
        self.leaves: dict = {}  # id(var) -> k
        self.leaf_objs: list = []  # k -> the leaf
        # the outputs made, in order; they are in no block's vars until materialize (the
        # replayer's two lists - made, and outs or written - are their only holders)
        self.made: list = []
        self.outs: list = []  # event -> [output or None] (an op's) or None (other events)
        self.consts: dict = {}  # event -> {input index: weakref} of its constant inputs
        self.written: list = []  # values replaced by a write_to

    @property
    def finished(self) -> bool:
        """Whether every event matched and the template's last plan ran (run())."""
        return self.t is not None and self.cursor >= len(self.t.events)

    # ------------------------------------------------------------ events
    def _next(self, kind: str, key=None):
        if self.t is None:
            bucket = self.session.templates.get(key if key is not None else (kind,))
            if not bucket:
                return None
            self.t = bucket[0]
        events = self.t.events
        if self.cursor < len(events) and events[self.cursor][0] == kind:
            return events[self.cursor]
        return None

    def _advance(self) -> None:
        """A matched write / backward / step / run event (per-event lists stay aligned); the
        next event's matcher becomes the fast path."""
        self.outs.append(None)
        self.cursor += 1
        _install_next(self)

    def _match(self, a, r, consts: dict, i: int) -> bool:
        if r is None:
            return a is None
        if a is None:
            return False
        kind = r[0]
        if kind == "out":
            return self.produced.get(id(a)) == r
        if kind == "persist":
            return a._persistable and getattr(a, "_origin", a).name == r[1] and \
                a._stop_gradient == r[2] and a._dtype == r[3]
        if kind == "const":
            value = a._value
            if value is None or value.dtype.str != r[1] or value.shape != r[2] or \
                    value.tobytes() != r[3]:
                return False
            consts[i] = weakref.ref(a)
            return True
        # a fed leaf: the k-th distinct one of the step, with the template's shape and dtype
        if a._bound is None or a.op is not None or a._persistable or a._value is not None:
            return False
        k = self.leaves.get(id(a))
        if k is None:
            k = len(self.leaf_objs)
            if k >= len(self.t.leaf_metas) or self.t.leaf_metas[k] != (
                    a._shape, a._dtype, a._stop_gradient):
                return False
            self.leaves[id(a)] = k
            self.leaf_objs.append(a)
        return k == r[1]

    def op(self, opdef, inputs, attrs, block):
        """The outputs of a matched op (no Operator), or None after materializing."""
        while True:
            out = self._op(opdef, inputs, attrs, block)
            if out is not None:
                return out
            if not self._switch():
                return self.materialize(block)

    def _op(self, opdef, inputs, attrs, block):
        ev = self._next("op", first_key("op", opdef, attrs, inputs) if self.t is None
                        else None)
        try:
            if ev is None or ev[1] is not opdef or len(ev[3]) != len(inputs) or \
                    ev[2] != attrs:
                return None
        except (TypeError, ValueError):  # attrs holding arrays
            return None
        consts: dict = {}
        for i, (a, r) in enumerate(zip(inputs, ev[3])):
            if not self._match(a, r, consts, i):
                return None
        diff, ok, specs = ev[7]
        flows = diff and any(v is not None and not v._stop_gradient for v in inputs)
        if not ok >> (_ctx.grad_enabled << 1 | flows) & 1:
            return None
        return self._emit(opdef, specs, block, consts)

    def _switch(self) -> bool:
        """The step stopped matching its template: go on with another template of the same
        first key whose events so far are the same (a loop alternating two models, or a
        training and an evaluation step, that begin alike). The outputs made so far are
        kept; their refs become the new template's."""
        t, c = self.t, self.cursor
        if t is None:
            return False
        tried = self.__dict__.setdefault("tried", {id(t)})
        for t2 in self.session.templates.get(t.key, ()):
            if id(t2) in tried or not _same_prefix(t, t2, c, len(self.leaf_objs)):
                continue
            tried.add(id(t2))
            new = {}
            for e in range(c):
                ev = t2.events[e]
                if ev[0] == "op":
                    for j, o in enumerate(ev[7][2]):
                        if o is not None:
                            new[e, j] = o[1]
            produced = self.produced
            for k, r in produced.items():
                if r[0] == "out":
                    produced[k] = new.get((r[1], r[2]), r)
            self.t = t2
            return True
        return False

    def fast(self, opdef, args, attrs):
        """registry.apply's shortcut (set_fast_path): the outputs of `opdef` on apply()'s own
        arguments when they match the template's next event, else None (apply then goes the
        usual way: promotion, the binder, and `op` above, which matches or materializes).
        Inputs are matched by identity (an earlier output of this step, a parameter object -
        so no twin is made; materialize makes it when needed), as a fed leaf, or - a Python
        int or float where the step had a floating scalar constant of another input's
        dtype - by the bytes of the constant it becomes (template._scalar_spec); an array
        (a constant on the binder's path) is left to the binder. An op with no tensor input
        is left to it too (its canon reads the default dtype). The work is the event's
        matcher's (_compile_matcher)."""
        t = self.t
        if t is None:
            return self._fast_first(opdef, args, attrs)
        matchers = t.matchers
        if self.cursor < len(matchers):
            return matchers[self.cursor](self, opdef, args, attrs)
        return None

    def _fast_first(self, opdef, args, attrs):
        """The step's first op picks the template: the one that followed the last step's
        last time, the last step's, then those its first_key names (most recent first)."""
        if self.session.program is not self.program or _ctx.pinned or _ctx.guards or \
                _static["on"]:
            return None
        for a in args:
            if a is not None:
                break
        else:  # no tensor input
            return None
        session = self.session
        last = session.last_template
        tried = ()
        if last is not None:  # (no comprehension: this runs at every step's first op)
            succ = last.successor() if last.successor is not None else None
            if succ is not None and session.stored(succ):
                out = self._first_match(succ, opdef, args, attrs)
                if out is not None:
                    return out
                tried = (succ,)
            if session.stored(last):
                out = self._first_match(last, opdef, args, attrs)
                if out is not None:
                    return out
                tried += (last,)
        for a in args:
            if a is not None and not isinstance(a, Variable):
                return None
        try:
            canonical = attrs if opdef.canon is None else opdef.canon(*args, **attrs)
        except Exception:  # noqa: BLE001 - apply's own path reports it properly
            return None
        for t in session.templates.get(first_key("op", opdef, canonical, args), ()):
            if t not in tried:
                out = self._first_match(t, opdef, args, attrs)
                if out is not None:
                    return out
        return None

    def _first_match(self, t, opdef, args, attrs):
        spec = t.fast[0]
        if spec is None or spec[0] is not opdef:
            return None
        self.t = t
        out = t.matchers[0](self, opdef, args, attrs)
        if out is None:
            self.t = None  # nothing emitted: forget the leaves it matched
            self.leaves.clear()
            self.leaf_objs.clear()
        return out

    def _attrs_match(self, t, spec, opdef, args, attrs):
        """A matcher's attrs were not the ones remembered: canonicalize and compare them
        with the recorded ones, then match the rest (remembering attrs that gave them)."""
        if opdef.canon is not None:
            for a in args:  # canon reads the inputs
                if a is not None and not isinstance(a, Variable):
                    return None
            try:
                canonical = opdef.canon(*args, **attrs)
            except Exception:  # noqa: BLE001 - apply's own path reports it properly
                return None
        else:
            canonical = attrs
        if spec[1] != canonical:
            return None
        cursor = self.cursor
        out = t.matchers[cursor](self, opdef, args, _CHECKED)
        if out is not None and _plain(attrs):
            # canon is a function of the attrs and the inputs' metas, which matched: these
            # raw attrs give the recorded ones again, so later steps compare them directly
            t.raw_attrs[cursor] = dict(attrs)
        return out

    def _emit(self, opdef, specs, block, consts):
        """The output Variables of a matched op event."""
        if consts:
            self.consts[self.cursor] = consts
        outs = [None if spec is None else self._output(spec, block) for spec in specs]
        self.outs.append(outs)
        self.cursor += 1
        _install_next(self)
        return outs[0] if opdef.n_out == 1 else tuple(outs)

    def _output(self, spec, block):
        """One output Variable of a matched op: its prototype's attributes and the recorded
        name with this step's suffix, kept as this step's output."""
        v = _new_var(Variable)
        d = v.__dict__
        d.update(spec[0])
        d["block"] = block
        d["_name"] = spec[2] + self.suffix
        self.made.append(v)
        self.produced[id(v)] = spec[1]
        return v

    def write(self, value, target):
        """A matched write_to: `value` becomes the persistable twin `target`."""
        while True:
            t = self._write(value, target)
            if t is not None or not self._switch():
                return t

    def _write(self, value, target):
        ev = self._next("write")
        r = self.produced.get(id(value))
        if ev is None or r is None or r[0] != "out" or (ev[1], ev[2]) != r[1:] or \
                getattr(target, "_origin", target).name != ev[3]:
            return None
        block = self.session.block()
        from .binding import twin

        t = twin(target, block)
        self.outs[ev[1]][ev[2]] = t  # materialize writes the twin
        self.produced[id(value)] = ("persist", ev[3], t._stop_gradient, t._dtype)
        self.written.append(value)
        self._advance()
        return t

    def backward(self, loss, grad_tensor, retain: bool) -> bool:
        """A matched backward(): its effects on the gradient states (True), or False."""
        while True:  # _next("backward") and _advance, inlined: once per step
            t = self.t
            if t is not None and self.cursor < len(t.events) and self._backward_matches(
                    t.events[self.cursor], loss, grad_tensor, retain):
                for name in t.events[self.cursor][5]:
                    self.session.grad_state[name] = "held"
                self._advance()
                return True
            if not self._switch():
                return False

    def _backward_matches(self, ev, loss, grad_tensor, retain: bool) -> bool:
        if ev[0] != "backward" or grad_tensor is not None or \
                self.produced.get(id(loss)) != ev[1] or retain != ev[2]:
            return False
        # the step used the template's parameters (every op matched), so their states are
        # read by the template's names (fast-matched ops made no twins to scan for)
        get = self.session.grad_state.get
        for name, state in ev[3]:
            if get(name) != state:
                return False
        if FLAG_CHANGES[0] != self.flag_changes:
            for r, stop, explicit in ev[4]:
                v = self.outs[r[1]][r[2]]
                if v is None or v._stop_gradient != stop or v._stop_explicit != explicit:
                    return False
        return True

    def step(self, opt, parameters) -> bool:
        """A matched optimizer step (True; the run follows), or False."""
        t = self.t
        while True:  # (_next("step") inlined: the event is this template's, or a switch)
            if t is not None and self.cursor < len(t.events):
                ev = t.events[self.cursor]
                if ev[0] == "step" and parameters is None and ev[1]() is opt and \
                        ev[2] == self.session.opt_states(opt):
                    self._advance()
                    return True
            if not self._switch():
                return False
            t = self.t

    def swapped(self, a, b) -> None:
        """An in-place method exchanged the objects a and b (tensor_methods/inplace.py):
        exchange them in what this step tracks too."""
        ia, ib = id(a), id(b)
        for ids in (self.produced, self.leaves):
            ra, rb = ids.pop(ia, None), ids.pop(ib, None)
            if ra is not None:
                ids[ib] = ra
            if rb is not None:
                ids[ia] = rb
        for objs in [self.leaf_objs, self.made, self.written] + [r for r in self.outs if r]:
            for j, v in enumerate(objs):
                if v is a or v is b:
                    objs[j] = b if v is a else a

    # ------------------------------------------------------------ the run
    def run(self, block, want) -> set | None:
        """Run this step's next plan: a segment at a ("run", k) event (a value asked for
        mid-step), or the template's view at the end. Returns the live ids, or None (not
        replayable: materialize). `self.finished` tells which."""
        t = self.t
        if t is None:
            return None
        events, cursor = t.events, self.cursor
        if cursor < len(events):
            ev = events[cursor]
            if ev[0] != "run":
                return None
            seg = t.segments[ev[1]]
            plan, feeds, fetches, live_refs = seg, seg.feeds, seg.fetches, seg.live
        else:
            plan, feeds, fetches, live_refs = t, t.feeds, t.fetches, t.live
        # the step's outputs Python still references (session._live_ids: a replayed step
        # has no Operators, so the replayer's lists are their only other holders)
        produced, live, refs = self.produced, set(), set()
        for v in want:
            live.add(id(v))
        kept = []  # the live outputs themselves: they move into the next step (Session._retire)
        for v in self.made:
            if _refcount(v) > _BASE or id(v) in live:
                r = produced[id(v)]
                if r[0] == "out":  # not a value a write_to made a persistable's
                    live.add(id(v))
                    kept.append(v)
                    refs.add(r)
        if refs != live_refs:
            return None
        leaves, outs, feed = self.leaf_objs, self.outs, {}
        for name, r in feeds:  # a fed leaf, or a value an earlier segment kept
            value = feed[name] = leaves[r[1]]._bound if r[0] == "leaf" else \
                outs[r[1]][r[2]]._bound
            if value is None:
                return None
        prepared = plan.prepared
        if prepared is None or not prepared.current():
            prepared = plan.prepared = Executor().prepare(
                plan.view, list(feed), [name for name, _ in fetches])
        values = prepared.run(feed, global_scope())
        for (_, (e, j)), value in zip(fetches, values):
            outs[e][j]._bound = value
        if plan is not t:  # a segment: the step goes on matching
            self._advance()
            return live
        self.kept = kept
        last = self.session.last_template
        if last is not None and last is not t and (
                last.successor is None or last.successor() is not t):
            last.successor = weakref.ref(t)
        self.session.last_template = t
        return live

    # ------------------------------------------------------------ giving up
    def materialize(self, block):
        """Turn what matched into real Operators (and the real backward / optimizer
        appends); recording then goes on normally. Returns None."""
        from .autograd import record_backward, record_step

        session = self.session
        session.set_replayer(None)
        if self.t is None:
            return None
        names = block.vars
        written = {id(v) for v in self.written}
        for v in self.made:  # the outputs join the block, as recorded ones would have
            if id(v) not in written:
                if v._name in names:
                    v._name = block._free_name(unique_name.generate(v._name) + ".tmp")
                names[v._name] = v
        made: dict = {}
        ran = None  # the block's op count after the last segment that ran
        for e, ev in enumerate(self.t.events[:self.cursor]):
            kind = ev[0]
            if kind == "run":  # its ops ran (the values it kept are bound)
                self._kept_run(session, block, self.t.segments[ev[1]],
                               0 if ran is None else ran)
                ran = len(block.ops)
                session.program_runs += 1  # (Session.run counted it in session.runs)
            elif kind == "op":
                ins = tuple(self._resolve(r, e, i, block) for i, r in enumerate(ev[3]))
                outs = tuple(self.outs[e])
                site, (role, namescope) = ev[6]  # where the template step recorded it
                made[e] = block._append(Operator(block, ev[1], ins, outs, dict(ev[2]), role,
                                                 namescope, site))
                session.appended(made[e], ev[5])  # the flags its outputs were made with
            elif kind == "write":
                session.wrote(made[ev[1]], ev[2], self.outs[ev[1]][ev[2]])
            elif kind == "backward":
                for name, state in ev[3]:
                    if state is None:
                        session.grad_state.pop(name, None)
                    else:
                        session.grad_state[name] = state
                record_backward(self._resolve(ev[1], e, -1, block), None, ev[2])
            elif kind == "step":
                record_step(ev[1](), None)
        if ran is not None:  # recording goes on after the segments that ran
            session.executed = ran
        # the step goes on recording: the block and the Operators hold what it needs; the
        # replayer's own references would make every output look referenced from Python
        self.made, self.outs, self.leaf_objs, self.written = [], [], [], []
        return None

    def _kept_run(self, session, block, seg, start: int) -> None:
        """materialize, at a segment that ran: the step's record of that run (Session.
        _keep_run's), in terms of this step's variables and the segment's view, so that the
        step can still become a template (with that segment) if it retires."""
        if not session.log_ok or len(session.runs_kept) != session.program_runs:
            return

        def var(r):
            return self.leaf_objs[r[1]] if r[0] == "leaf" else self.outs[r[1]][r[2]]

        names = {}
        for name, r in seg.feeds:
            names[id(var(r))] = _Named(name)
        for name, (e, j) in seg.fetches:
            names[id(self.outs[e][j])] = _Named(name)
        session.runs_kept.append((
            len(session.log), {id(var(r)) for r in seg.live},
            [id(var(r)) for _, r in seg.feeds], [id(self.outs[e][j]) for _, (e, j) in seg.fetches],
            seg.view, names, [id(op) for op in block.ops[start:]]))

    def _resolve(self, r, e: int, i: int, block):
        if r is None:
            return None
        kind = r[0]
        if kind == "out":
            return self.outs[r[1]][r[2]]
        if kind == "leaf":
            return self.leaf_objs[r[1]]
        if kind == "persist":
            v = block.vars.get(r[1])
            if v is None:  # matched by Replayer.fast, which made no twin
                from .binding import twin

                v = twin(self.t.origins[r[1]], block.program.global_block())
            return v
        ref = self.consts.get(e, {}).get(i)
        if ref is not None:
            return ref()
        # a Python scalar its matcher took (template._scalar_spec): the recorded constant
        return block._constant(np.frombuffer(r[3], np.dtype(r[1])).reshape(r[2]))

