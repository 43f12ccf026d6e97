"""Step templates (implicit mode's replay, replay.py): what a retired step recorded, and the
code that matches a later step against it.

A `Template` holds the step's events (each user op with its attrs and where its inputs came
from, write_to's of state, the backward() call, the optimizer step, ("run", k) markers), the
private views of the programs its runs ran (`shadow_view`: the last run's is the template's
own, earlier ones are `Segment`s) and what they read, keep and fetch. `build_template` makes
one from the session's event log. Each op event gets a matcher generated for it at its first
replay (`_compile_matcher`), which registry.apply calls directly while a step repeats the
template; `_same_prefix` tells whether two templates begin alike (Replayer._switch).
"""
from __future__ import annotations

import weakref
from types import MethodType

import numpy as np

from dualnet.ops import registry as _reg

from ..executor import Executor
from ..framework import Program, _ctx, _static
from ..operator import Operator
from ..scope import global_scope
from ..variable import Variable

_new_var = object.__new__


def first_key(kind: str, opdef=None, attrs=None, inputs=()) -> tuple:
    """The key templates are found by: what the step does first (for an op: which, with what
    attrs and input shapes, so a loop's full batches and its last one keep two templates)."""
    if kind != "op":
        return (kind,)
    try:
        akey = tuple(sorted(attrs.items()))
        hash(akey)
    except TypeError:
        akey = repr(sorted(attrs.items()))
    return ("op", opdef.name, akey, tuple(None if v is None else (v._shape, v._dtype.str)
                                          for v in inputs))


class _Named:
    """Stands for a shadow variable where only its name is read (build_template)."""

    def __init__(self, name: str):
        self.name = name


class Segment:
    """One run before a step's last (a value asked for mid-step): its private view and what
    it reads and keeps, as Template's view, feeds, fetches and live."""

    def __init__(self, view, feeds, fetches, live):
        self.view, self.feeds, self.fetches, self.live = view, feeds, fetches, live
        self.prepared = None


class Template:
    """What a replayed step must do, and the program that does it."""

    def __init__(self, events, leaf_metas, view, feeds, fetches, live, key=None,
                 fast=None, origins=None):
        self.key = key  # first_key of its first event
        self.events = events  # ("op", opdef, attrs, input refs, metas, stops,
        #                         (site, (role, namescope)), _emit_spec),
        #                       ("write", event, output, name), ("backward", ...), ("step", ...)
        self.leaf_metas = leaf_metas  # k -> (shape, dtype, stop_gradient) of the k-th leaf
        self.view = view  # private Program; its plan is cached under it
        self.feeds = feeds  # [(feed name in view, ("leaf", k) or ("out", event, output))]
        self.fetches = fetches  # [(fetch name in view, (event, output))]
        # the runs a step made before its last one (a value read mid-step), in order: each a
        # Segment, at a ("run", k) event (the last run is the template's own view)
        self.segments = []
        self.live = live  # frozenset of the refs ("out", event, output) of the outputs
        #                   Python referenced at the run
        # per event, what Replayer.fast matches apply()'s own arguments against (None: that
        # event is matched by the binder's path only): (opdef, attrs, input specs) + the
        # event's _emit_spec, an input spec being the event's input ref, or ("param", origin,
        # stop_gradient, dtype) for the parameter (buffer) object the user passes, whose
        # twin the step program reads
        self.fast = fast if fast is not None else [None] * len(events)
        self.origins = origins or {}  # persistable name -> the variable its twin copies
        self.prepared = None  # the view's plan (executor.PreparedRun), found at first replay
        self.successor = None  # weakref to the template of the step that last followed this
        #                        one's (tried first: a loop alternating two kinds of step)
        # per event, `match(replayer, opdef, args, attrs)`: Replayer.fast for that event
        # (_compile_matcher; compiled at the event's first replay); one more, past the end
        self.matchers = [_compile_first] * len(events) + [_decline]
        # per event, raw attrs (as apply() got them) known to canonicalize to the recorded
        # ones for the recorded inputs (Replayer._attrs_match fills it)
        self.raw_attrs = [None] * len(events)


# ---------------------------------------------------------------- recording a template

def _ref(v, refs: dict, leaves: dict, leaf_metas: list):
    """Where an input comes from: ("out", e, j), ("leaf", k), ("persist", name, stop),
    ("const", dtype, shape, bytes), None; False when it cannot be replayed."""
    if v is None:
        return None
    r = refs.get(id(v))
    if r is not None:
        return r
    if v._persistable:
        return ("persist", getattr(v, "_origin", v).name, v._stop_gradient, v._dtype)
    if v._value is not None:
        return ("const", v._value.dtype.str, v._value.shape, v._value.tobytes())
    if v._bound is not None and v.op is None:
        k = leaves.get(id(v))
        if k is None:
            k = leaves[id(v)] = len(leaf_metas)
            leaf_metas.append((v._shape, v._dtype, v._stop_gradient))
        return ("leaf", k)
    return False


def build_template(log, pending, live: set, feeds, fetch, program, runs=()):
    """A Template from a step's event log, or None when the step cannot be replayed. Also
    returns the private view to run now and {id(real var): shadow}. `runs`: the step's
    earlier runs (Session.run's records: log position, live ids, feeds, fetch, view,
    shadow), which become Segments at ("run", k) events."""
    refs, leaves, leaf_metas, events, index = {}, {}, [], [], {}
    fast, origins = [], {}
    marks = {r[0]: k for k, r in enumerate(runs)}  # log position -> run
    for pos, entry in enumerate(log + [None]):
        if pos in marks:
            events.append(("run", marks[pos]))
            fast.append(None)
        if entry is None:
            break
        kind = entry[0]
        if kind != "op":
            fast.append(None)
        if kind == "op":
            op, stops = entry[1], entry[2]
            ins = tuple(_ref(v, refs, leaves, leaf_metas) for v in op.inputs)
            if any(r is False for r in ins):
                return None
            fast.append(_fast_spec(op, ins, origins))
            e = index[id(op)] = len(events)
            metas = tuple(None if v is None else (v._shape, v._dtype) for v in op.outputs)
            out_refs = tuple(("out", e, j) for j in range(len(metas)))  # one object per
            for j, v in enumerate(op.outputs):  # output: Replayer.fast compares with `is`
                if v is not None and not v._persistable:
                    refs[id(v)] = out_refs[j]
            emit = _emit_spec(op.opdef, op.outputs, metas, stops, out_refs)
            events.append(("op", op.opdef, dict(op.attrs), ins, metas, stops,
                           (op.site, (op.role, op.namescope)), emit))
            if fast[-1] is not None:
                fast[-1] = fast[-1] + emit
        elif kind == "write":
            op, j, name = entry[1], entry[2], entry[3]
            if id(op) not in index:
                return None
            events.append(("write", index[id(op)], j, name))
        elif kind == "backward":
            loss_id, retain, states, flags, granted = entry[1:]
            loss_ref = refs.get(loss_id)
            flag_refs = []
            for vid, stop, explicit in flags:
                r = refs.get(vid)
                if r is not None:
                    flag_refs.append((r, stop, explicit))
            if loss_ref is None:
                return None
            events.append(("backward", loss_ref, retain, states, tuple(flag_refs), granted))
        elif kind == "step":
            events.append(entry)
    def fetch_refs(ids):
        out = [refs.get(i) for i in ids]
        return None if None in out else [r[1:] for r in out]

    def feed_refs(ids):  # a fed leaf, or a value an earlier run of the step kept
        out = [refs.get(i) or (("leaf", leaves[i]) if i in leaves else None) for i in ids]
        return None if None in out else out

    segments = []
    for _, seg_live, seg_feeds, seg_fetch, view, shadow in runs:  # (ids of the variables)
        fe, fd = fetch_refs(seg_fetch), feed_refs(seg_feeds)
        if fe is None or fd is None:
            return None
        segments.append(Segment(
            view, [(shadow[i].name, r) for i, r in zip(seg_feeds, fd)],
            [(shadow[i].name, r) for i, r in zip(seg_fetch, fe)],
            frozenset(r for vid, r in refs.items() if vid in seg_live)))
    fetch_ej = fetch_refs([id(v) for v in fetch])
    feed_r = feed_refs([id(v) for v in feeds])
    if fetch_ej is None or feed_r is None or not events:
        return None
    first = log[0]
    key = first_key("op", first[1].opdef, first[1].attrs, first[1].inputs) \
        if first[0] == "op" else first_key(first[0])
    live_refs = frozenset(r for vid, r in refs.items() if vid in live)
    view, shadow = shadow_view(program, pending, feeds, fetch)
    template = Template(events, leaf_metas, view,
                        [(shadow[id(v)].name, r) for v, r in zip(feeds, feed_r)],
                        [(shadow[id(v)].name, ej) for v, ej in zip(fetch, fetch_ej)],
                        live_refs, key, fast, origins)
    template.segments = segments
    return template, shadow


def _fast_spec(op, ins: tuple, origins: dict):
    """Template.fast's entry for a recorded op (None when an input is a constant that is not
    a scalar_spec: an array, which apply() turns into one only on the binder's path)."""
    specs = []
    for i, (v, r) in enumerate(zip(op.inputs, ins)):
        if r is None or r[0] in ("out", "leaf"):
            specs.append(r)
        elif r[0] == "persist":
            origin = getattr(v, "_origin", v)
            origins[r[1]] = origin
            specs.append(("param", origin, r[2], r[3]))
        else:
            spec = _scalar_spec(op.opdef, op.inputs, i, r)
            if spec is None:
                return None
            specs.append(spec)
    return op.opdef, dict(op.attrs), tuple(specs)


def _scalar_spec(opdef, inputs: tuple, i: int, r: tuple):
    """("scalar", dtype, bytes) for a recorded 0-d floating constant that a Python int or
    float argument gives again whenever np.asarray(arg, dtype) has the same bytes: the
    constant has the dtype of another (tensor) input of the op, and apply() made it (the
    argument is one it promotes, or the op takes scalars as its first tensor's dtype), so
    that dtype is what it gets again - a Python scalar is weak, and a floating tensor's
    dtype wins whatever the default dtype is. Else None."""
    dtype = np.dtype(r[1])
    promoted = opdef.promote is True or not opdef.promote or i in opdef.promote
    if r[2] != () or dtype.kind not in "fc" or not promoted:
        return None
    for j, v in enumerate(inputs):
        if j != i and v is not None and getattr(v, "_value", None) is None and \
                v._dtype == dtype:
            return ("scalar", dtype, r[3])
    return None


def _stops(metas, grad: bool, flows: bool) -> tuple:
    """The gradient flags a recorded op gives its outputs (binder.StaticBinder.bind)."""
    return tuple(None if m is None else
                 ((True, True) if not grad else (not (flows and m[1].kind in "fc"), False))
                 for m in metas)


def _emit_spec(opdef, outputs, metas, stops, out_refs) -> tuple:
    """What Replayer makes an op event's outputs from: whether gradients can flow through
    the op, the (grad enabled, gradient flows in) pairs that give its outputs the recorded
    flags, and per output (the attribute dict of a fresh Variable of that meta and flags -
    copying it is cheaper than Variable.__init__ -, its ref, and the stem of its name:
    the recorded one, to which _emit appends the step's serial)."""
    ok = sum(1 << (grad << 1 | flows) for grad in (0, 1) for flows in (0, 1)
             if _stops(metas, bool(grad), bool(flows)) == stops)  # bit (grad, flows)
    outs = []
    for j, (v, m, st) in enumerate(zip(outputs, metas, stops)):
        if m is None or st is None:
            outs.append(None)
            continue
        proto = Variable(None, "", m[0], m[1], stop_gradient=st[0])
        if st[1]:
            proto._stop_explicit = True
        # an output write_to made persistable is a temporary until the replayed write_to
        name = f"{opdef.name}.replayed_{out_refs[j][1]}_{j}" if v._persistable else v.name
        stem, at, serial = name.rpartition("@")
        if at and serial.isdigit():  # recorded from outputs a replay made (materialize)
            name = stem
        outs.append((dict(proto.__dict__), out_refs[j], name))
    return int(opdef.differentiable and opdef.vjp is not None), ok, tuple(outs)


_PLAIN = (int, float, str, bool, type(None))


def _plain(attrs: dict) -> bool:
    """Attrs of Python scalars, strings and tuples / lists of them (safe to compare with
    ==, and not mutable behind the memo's back once copied)."""
    for v in attrs.values():
        if type(v) in (tuple, list):
            if not all(type(x) in _PLAIN for x in v):
                return False
        elif type(v) not in _PLAIN:
            return False
    return True


def shadow_view(program, ops, feeds, fetch):
    """A private copy of `ops` and their variables in a new Program (the plan compiled from
    it references only copies, never the user's tensors)."""
    view = Program()
    vb = view.blocks[0]
    shadow: dict = {}

    def copy(v):
        if v is None:
            return None
        s = shadow.get(id(v))
        if s is None:
            s = Variable.__new__(type(v))
            s.__dict__.update(v.__dict__)
            s.block, s.op, s._bound = vb, None, None
            shadow[id(v)] = s
        return s

    for op in ops:
        c = Operator.__new__(Operator)
        c.__dict__.update(op.__dict__)
        c.block = vb
        c.inputs = tuple(copy(v) for v in op.inputs)
        c.outputs = tuple(copy(v) for v in op.outputs)
        vb.ops.append(c)
    vb.vars = {shadow[id(v)].name: shadow[id(v)] for v in list(feeds) + list(fetch)}
    for attr in ("lr_scheduler", "lr_var"):
        if hasattr(program, attr):
            setattr(view, attr, getattr(program, attr))
    return view, shadow


def run_view(view, feed: dict, fetch_names: list):
    return Executor().run(view, feed=feed, fetch_list=fetch_names, scope=global_scope())


_CHECKED = object()  # attrs already matched (Replayer._attrs_match)


def _decline(replayer, opdef, args, attrs):
    """The matcher of an event Replayer.fast does not take: not an op, or an op whose inputs
    include a constant or no tensor at all (the binder's path decides)."""
    return None


def _compile_first(replayer, opdef, args, attrs):
    """Every event's matcher until its first use: compile it, then match."""
    t, e = replayer.t, replayer.cursor
    match = t.matchers[e] = _compile_matcher(t, e)
    return match(replayer, opdef, args, attrs)


def _install_next(replayer) -> None:
    """After an event matched: registry.apply's fast path becomes the next event's matcher,
    bound to the replayer (one call less per op than Replayer.fast, which finds it)."""
    _reg._fast = MethodType(replayer.t.matchers[replayer.cursor], replayer)


def _compile_matcher(t: Template, e: int):
    """The matcher of event e of template t: `match(replayer, opdef, args, attrs)` returns
    the outputs of apply(opdef, *args, **attrs) when it repeats the event, else None. It is
    Python generated for that one event (the way namedtuple makes its classes): the op,
    the replayer's state and the attrs (as last time, or else Replayer._attrs_match), then
    one straight-line check per input - an earlier output of the step by its ref, a
    parameter by identity and flags, a fed leaf through Replayer._match, a Python scalar by
    the bytes of the constant it becomes (_scalar_spec) -, the gradient-flag
    check only when the flags could differ, and a single output made inline."""
    spec = t.fast[e]
    if spec is None or all(r is None for r in spec[2]):
        return _decline
    opdef, _, ins, diff, ok, outs = spec
    n = len(ins)
    env = {"Variable": Variable, "_ctx": _ctx, "_static": _static, "_new_var": _new_var,
           "_asarray": np.asarray,
           "_CHECKED": _CHECKED, "OPDEF": opdef, "RAW": t.raw_attrs, "SPEC": spec,
           # the template holds its matchers: they hold it weakly (else a dropped template,
           # with its plan's buffers, would wait for the garbage collector)
           "T": weakref.proxy(t), "_reg": _reg, "_bind": MethodType}
    code = ["def match(self, opdef, args, attrs):",
            "    if opdef is not OPDEF or self.session.program is not self.program or \\",
            "            _ctx.pinned or _ctx.guards or _static['on']:",
            "        return None  # another op, a finished step, or an explicit program",
            "    if attrs is not _CHECKED:",
            "        try:",
            f"            same = RAW[{e}] == attrs  # None (not known yet) is never equal",
            "        except (TypeError, ValueError):  # e.g. an array attr against a tuple",
            "            same = False",
            "        if not same:",
            "            return self._attrs_match(T, SPEC, opdef, args, attrs)",
            f"    if len(args) != {n}:",
            "        return None",
            f"    {', '.join(f'a{i}' for i in range(n))}, = args",
            "    produced = self.produced"]
    flows = []
    for i, r in enumerate(ins):
        a = f"a{i}"
        if r is None:
            code.append(f"    if {a} is not None:")
        elif r[0] == "out":
            env[f"R{i}"] = r
            code.append(f"    if produced.get(id({a})) is not R{i}:")
        elif r[0] == "param":
            env[f"P{i}"], env[f"D{i}"] = r[1], r[3]
            code.append(f"    if {a} is not P{i} or {a}._stop_gradient != {bool(r[2])} or "
                        f"{a}._dtype != D{i}:")
        elif r[0] == "scalar":  # a Python int or float giving the recorded constant
            env[f"S{i}"], env[f"B{i}"] = r[1], r[2]
            code += [f"    if (type({a}) is not float and type({a}) is not int) or "
                     f"_asarray({a}, S{i}).tobytes() != B{i}:"]
        else:  # a leaf bound in this step (one of another goes the binder's way): the
            # k-th distinct one of the step, with the template's shape and dtype (_match)
            env["LEAF_METAS"] = t.leaf_metas
            code += [f"    if not isinstance({a}, Variable) or {a}.block is not self.block or "
                     f"{a}._bound is None or {a}.op is not None or {a}._persistable or "
                     f"{a}._value is not None:",
                     "        return None",
                     f"    k = self.leaves.get(id({a}))",
                     "    if k is None:",
                     "        k = len(self.leaf_objs)",
                     f"        if k >= {len(t.leaf_metas)} or LEAF_METAS[k] != ({a}._shape, "
                     f"{a}._dtype, {a}._stop_gradient):",
                     "            return None",
                     f"        self.leaves[id({a})] = k",
                     f"        self.leaf_objs.append({a})",
                     f"    if k != {r[1]}:"]
        code.append("        return None")
        if r is not None and r[0] != "scalar":
            flows.append(f"not {a}._stop_gradient")
    if ok != 0b1111:  # bit (grad enabled, gradient flows in): the outputs' recorded flags
        flow = f"({' or '.join(flows)})" if diff else "False"
        code += [f"    if not {ok} >> (_ctx.grad_enabled << 1 | {flow}) & 1:",
                 "        return None"]
    names = []
    for j, o in enumerate(outs):  # the outputs, made here (Replayer._output)
        if o is None:
            names.append("None")
            continue
        env[f"PROTO{j}"], env[f"REF{j}"], env[f"STEM{j}"] = o
        code += [f"    v{j} = _new_var(Variable)", f"    d = v{j}.__dict__",
                 f"    d.update(PROTO{j})", "    d['block'] = self.block",
                 f"    d['_name'] = STEM{j} + self.suffix", f"    self.made.append(v{j})",
                 f"    produced[id(v{j})] = REF{j}"]
        names.append(f"v{j}")
    code += [f"    self.outs.append([{', '.join(names)}])", f"    self.cursor = {e + 1}",
             f"    _reg._fast = _bind(T.matchers[{e + 1}], self)  # _install_next",
             f"    return {names[0] if opdef.n_out == 1 else '(' + ', '.join(names) + ',)'}"]
    exec("\n".join(code), env)  # noqa: S102 - generated from the spec above, no user text
    return env.pop("match")  # (left in its own globals, a reference cycle)


def _same_prefix(t: Template, t2: Template, c: int, leaves: int) -> bool:
    """Whether the first c events of templates t and t2 are the same steps (same ops, attrs,
    inputs, output metas and flags; same writes, backward and optimizer steps) on the same
    first `leaves` fed leaves: a step that matched t so far matched t2 too."""
    if len(t2.events) < c or t2.leaf_metas[:leaves] != t.leaf_metas[:leaves]:
        return False
    try:
        for a, b in zip(t.events[:c], t2.events[:c]):
            if a[0] != b[0]:
                return False
            if a[0] == "op":
                if a[1] is not b[1] or a[2] != b[2] or a[3:6] != b[3:6]:
                    return False
            elif a != b:
                return False
    except (TypeError, ValueError):  # attrs holding arrays
        return False
    return True
