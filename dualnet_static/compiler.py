"""Compile a Program into a Plan: the Executor's straight-line sequence of kernel calls.

analyze(program, feed names, fetch vars):
  1. prune: keep the ops the fetches need, plus every op that writes a persistable variable
     (optimizer updates, batch-norm statistics, startup initializers) and what those need;
     block order is kept - it is a topological order, and it orders reads of a persistable
     variable before the op that overwrites it;
  2. number the values: slot 0 is None, slot 1 a sink for outputs nobody may read; each
     variable name gets a slot; a slot read before any op writes it is a source: a constant
     (bound once per plan), a feed, or a persistable variable read from the Scope;
  3. the structural key: op types, attrs, slot wiring, and per slot its kind, shape and dtype
     (plus the name of feeds and persistables, which bind by name). Temporaries are numbered,
     not named, so a program rebuilt with fresh unique names hits the same plan.
build(analysis, place, strategy):
  4. the passes of dualnet_static/passes, as the BuildStrategy says: constant folding (ops of
     constants, and shape-only ops of statically shaped values), fusions (matmul + bias +
     activation, conv2d + bias + activation, log_softmax + nll_loss forward and backward,
     elementwise chains);
  5. copy a feed/constant before an `inplace` op would overwrite it;
  6. snapshot (copy) every fetched value right after it is produced, so a later in-place
     update (an optimizer step) never changes what the caller got back;
  7. memory planning (passes/memory.py): out= kernels write into the buffers of dead
     temporaries (kept between runs), elementwise ops into their dying input;
  8. free each remaining temporary after its last use;
  9. bind: the steps become one generated Python function (`Plan.source`): a local per
     slot, each kernel called directly with its attrs as constants, dead temporaries dropped
     after their last reader - no dict lookups, no shape inference, no per-step dispatch.
"""
from __future__ import annotations

import keyword
import weakref

import numpy as np

from dualnet import backend
from dualnet.ops.registry import OpError, explain

from . import passes
from .operator import format_site

NONE, SINK = 0, 1
CODEGEN_AFTER = 3  # the run at which a plan generates its function (Plan._bind)


class Analysis:
    """Pruned ops, slot numbering and the structural key of one (program, feeds, fetches)."""

    def __init__(self, ops, wiring, slot_of, kinds, sources, fetch_slots, feed_checks, key,
                 vars_=()):
        self.ops = ops
        self.wiring = wiring  # (input slots, output slots) per op
        self.slot_of = slot_of  # name -> slot
        self.kinds = kinds  # slot -> ("const"|"feed"|"persist"|"tmp")
        self.vars = vars_  # slot -> Variable (None for NONE/SINK): static shapes for passes
        self.sources = sources  # slot -> Variable, for slots read before written
        self.fetch_slots = fetch_slots
        self.feed_checks = feed_checks  # (name, shape, dtype) per fed name
        self.key = key


def prune(block, fed: set, fetch_vars) -> list:
    needed = {v.name for v in fetch_vars}
    keep = []
    for op in reversed(block.ops):
        outs = [v for v in op.outputs if v is not None]
        if any(v.persistable for v in outs) or any(
                v.name in needed and v.name not in fed for v in outs):
            keep.append(op)
            needed.update(v.name for v in op.inputs if v is not None)
    return keep[::-1]


def analyze(program, feed_names: tuple, fetch_vars: list) -> Analysis:
    block = program.global_block()
    fed = set(feed_names)
    feed_checks = []
    for name in feed_names:
        var = block._var_recursive(name)
        if var is None:
            raise ValueError(f"feed {name!r} is not a variable of the program")
        feed_checks.append((name, var._shape, var._dtype))
    ops = prune(block, fed, fetch_vars)
    table = _Slots(fed)
    op_keys, wiring = [], []
    for op in ops:
        ins = tuple(table.read(v) for v in op.inputs)
        outs = tuple(table.write(v) for v in op.outputs)
        op_keys.append((op.type, _attrs_key(op.attrs), ins, outs))
        wiring.append((ins, outs))
    fetch_slots = tuple(table.read(v) for v in fetch_vars)
    key = (tuple(op_keys), tuple(table.describe()), fetch_slots,
           tuple((n, s, d.str) for n, s, d in feed_checks))
    return Analysis(ops, wiring, table.slot_of, table.kinds, table.sources, fetch_slots,
                    feed_checks, key, table.vars)


class _Slots:
    def __init__(self, fed: set):
        self.fed = fed
        self.slot_of: dict[str, int] = {}
        self.kinds = ["none", "sink"]
        self.vars = [None, None]
        self.sources: dict[int, object] = {}

    def _new(self, v, kind: str) -> int:
        slot = len(self.kinds)
        self.slot_of[v.name] = slot
        self.kinds.append(kind)
        self.vars.append(v)
        return slot

    def read(self, v) -> int:
        if v is None:
            return NONE
        slot = self.slot_of.get(v.name)
        if slot is None:
            slot = self._new(v, _source_kind(v, self.fed))
            self.sources[slot] = v
        return slot

    def write(self, v) -> int:
        if v is None:
            return SINK
        if v.name in self.fed and not v.persistable:
            return SINK  # a fed value overrides what the op would compute
        slot = self.slot_of.get(v.name)
        if slot is None:
            slot = self._new(v, "persist" if v.persistable else "tmp")
        return slot

    def describe(self):
        for kind, v in zip(self.kinds, self.vars):
            if v is None:
                yield (kind,)
            elif kind == "const":
                yield (kind, v._value.dtype.str, v._value.shape, v._value.tobytes())
            elif kind in ("feed", "persist"):
                yield (kind, v.name, v._shape, v._dtype.str)
            else:
                yield (kind, v._shape, v._dtype.str)


def _source_kind(v, fed: set) -> str:
    if v._value is not None:
        return "const"
    if v.name in fed:
        return "feed"
    if v.persistable:
        return "persist"
    what = "data variable" if v.is_data else "variable"
    raise ValueError(f"{what} {v.name!r} is needed to compute the fetch list but it is not fed "
                     f"and no op of the program computes it (feed it: "
                     f"feed={{'{v.name}': array}})")


def _attrs_key(attrs: dict) -> tuple:
    try:
        key = tuple(sorted(attrs.items()))
        hash(key)
        return key
    except TypeError:
        return tuple(sorted((k, repr(v)) for k, v in attrs.items()))


# ---------------------------------------------------------------- plans

def _copy(xp, a):
    return a.copy()


class Plan:
    """What Executor.run executes: `run(feed, scope)`, generated from `steps`, each (kernel,
    input slots, output slot(s), attrs, slots to free); `source` is its Python text."""

    def __init__(self, analysis: Analysis, place, strategy=None):
        self.place = place
        self.xp = place.device.xp
        self.strategy = strategy if strategy is not None else passes.default_strategy()
        self.fetch_slots = list(analysis.fetch_slots)
        self.feed_checks = analysis.feed_checks
        self.cpu = place.device.type == "cpu"
        self.feeds = [(analysis.slot_of[n], n) for n, _, _ in analysis.feed_checks
                      if n in analysis.slot_of and analysis.kinds[analysis.slot_of[n]] == "feed"]
        self.reads = [(s, v.name) for s, v in analysis.sources.items()
                      if analysis.kinds[s] == "persist"]
        graph = passes.Graph(analysis, self.xp)
        self.pass_stats = passes.optimize(graph, self.strategy)  # step 4 (dualnet_static/passes)
        self.initial = graph.initial
        self.steps, self.step_ops = [], []
        self._build(graph)

    # ------------------------------------------------------------ building
    def _new_slot(self) -> int:
        self.initial.append(None)
        return len(self.initial) - 1

    def _build(self, graph) -> None:
        consts = {s for s, k in enumerate(graph.kinds) if k == "const"}
        feeds = {s for s, _ in self.feeds}
        writes, last_writer = {}, {}
        for node in graph.nodes:
            ins = list(node.ins)
            for i_idx in dict(node.opdef.inplace).values():
                if ins[i_idx] in consts or ins[i_idx] in feeds:
                    fresh = self._new_slot()
                    self._add(_copy, (ins[i_idx],), fresh, {}, None)
                    ins[i_idx] = fresh
            outs = node.outs
            self._add(node.opdef.forward, tuple(ins),
                      outs[0] if node.opdef.n_out == 1 else outs, node.attrs, node.op)
            for o in outs:
                if o > SINK:
                    last_writer[o] = len(self.steps) - 1
                    if graph.vars[o].persistable:
                        writes[o] = graph.vars[o].name
        self.writes = list(writes.items())
        self._snapshot_fetches(last_writer)
        # step 7 (passes/memory.py): out= kernels into dead temporaries' buffers
        keep = set(writes) | set(self.fetch_slots) | {NONE, SINK}
        self.buffer_slots = passes.plan_memory(self, graph, keep, self.strategy)
        self._kept_buffers: list = []  # buffer sets between runs (list.pop/append: atomic)
        self._add_frees(keep | set(self.buffer_slots))
        self._bind()

    def _add(self, fn, ins, outs, attrs, op) -> None:
        self.steps.append([fn, ins, outs, attrs, ()])
        self.step_ops.append(op)

    def _snapshot_fetches(self, last_writer: dict) -> None:
        """Copy each fetched value right after its last write (sources: before any op)."""
        after: dict[int, list] = {}
        for k, s in enumerate(self.fetch_slots):
            fresh = self._new_slot()
            after.setdefault(last_writer.get(s, -1), []).append((s, fresh))
            self.fetch_slots[k] = fresh
        steps, ops = [], []
        for idx in range(-1, len(self.steps)):
            if idx >= 0:
                steps.append(self.steps[idx])
                ops.append(self.step_ops[idx])
            for src, dst in after.get(idx, ()):
                steps.append([_copy, (src,), dst, {}, ()])
                ops.append(None)
        self.steps, self.step_ops = steps, ops

    def _add_frees(self, keep: set) -> None:
        """Drop each temporary after the step that reads it last."""
        keep |= set(self.fetch_slots) | {NONE, SINK}
        last = {}
        for k, step in enumerate(self.steps):
            outs = step[2] if isinstance(step[2], tuple) else (step[2],)
            for s in tuple(step[1]) + outs:
                last[s] = k
        dead: dict[int, list] = {}
        for s, k in last.items():
            if s not in keep:
                dead.setdefault(k, []).append(s)
        self.steps = [[fn, ins, outs, attrs, tuple(dead.get(k, ()))]
                      for k, (fn, ins, outs, attrs, _) in enumerate(self.steps)]

    def _bind(self) -> None:
        """Step 9: `self.run(feed, scope)` returns the fetched values of one run, the feeds
        checked (executor._check_feed) and taken by name, persistables read from and written
        back to `scope`. The first CODEGEN_AFTER - 1 runs interpret `steps`; then the plan
        becomes one generated function (_codegen: `source` is its text), which runs a step
        0.2-0.5 us faster but costs ~10-15 us per step to compile - more than a plan run
        once or twice (a startup program, most tests) would save."""
        self.runs, self.source = 0, None
        plan = weakref.ref(self)  # (self.run = self._first_runs would be a reference cycle,

        def first_runs(feed: dict, scope) -> list:  # keeping a dropped plan's buffers until
            return plan()._first_runs(feed, scope)  # the garbage collector runs)

        self.run = first_runs

    def _first_runs(self, feed: dict, scope) -> list:
        self.runs += 1
        if self.runs >= CODEGEN_AFTER:
            if self.source is None:  # (a caller may hold this method from before)
                self.run = _codegen(self)
            return self.run(feed, scope)
        return self._interpret(feed, scope)

    def _interpret(self, feed: dict, scope) -> list:
        """One run step by step: what the generated function does, plainly."""
        from .executor import _check_feed

        env = self.initial.copy()
        checked = {name: _check_feed(name, feed[name], tuple(shape), dtype, self.place)
                   for name, shape, dtype in self.feed_checks}
        for slot, name in self.feeds:
            env[slot] = checked[name]
        for slot, name in self.reads:
            env[slot] = _read(scope, name, self.place.device)
        kept = self._kept_buffers
        if self.buffer_slots and kept:
            try:  # a concurrent run of this plan may have taken them: then this run
                bufs = kept.pop()  # allocates its own
            except IndexError:
                bufs = ()
            for slot, buf in zip(self.buffer_slots, bufs):
                env[slot] = buf
        xp = self.xp
        for k, (fn, ins, outs, attrs, dead) in enumerate(self.steps):
            args = [env[i] for i in ins]
            try:
                res = fn(xp, *args, **attrs)
            except OpError:
                raise
            except Exception as e:
                raise self._failed(k, {f"v{i}": env[i] for i in ins}, e) from e
            if type(outs) is int:
                env[outs] = res
            else:
                for o, r in zip(outs, res):
                    env[o] = r
            for i in dead:
                env[i] = None
        if self.buffer_slots and len(kept) < 2:
            kept.append([env[s] for s in self.buffer_slots])
        for slot, name in self.writes:
            scope.var(name).value = env[slot]
        return [env[s] for s in self.fetch_slots]

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        lines = [f"Plan({len(self.steps)} steps on {self.place}, {len(self.feeds)} feeds, "
                 f"{len(self.reads)} scope reads, {len(self.writes)} scope writes"
                 + (f", {len(self.buffer_slots)} reused buffers" if self.buffer_slots else "")
                 + ")"]
        for (fn, ins, outs, attrs, dead), op in zip(self.steps, self.step_ops):
            name = op.type if op is not None else "copy"
            if passes.is_out_kernel(fn):
                name += "[out]"
            lines.append(f"  {outs} = {name}{tuple(ins)}" + (f" free {dead}" if dead else ""))
        return "\n".join(lines)

    # ------------------------------------------------------------ running
    def _failed(self, k: int, values: dict, err: Exception) -> OpError:
        """The error of step k failing with `err`; `values`: the run's locals (v<slot>)."""
        fn, ins = self.steps[k][0], self.steps[k][1]
        if passes.is_out_kernel(fn):
            ins = ins[1:]  # the first input is the out= buffer
        return _run_error(self.step_ops[k], [values.get(f"v{i}", self.initial[i])
                                             for i in ins], err)


def _codegen(plan: Plan):
    """The plan's run as straight-line Python: one local per slot, each step a direct call of
    its kernel with the attrs as keyword constants (no env list, no input getters, no
    functools.partial merging kwargs per call: 0.2-0.5 us less per step), each dead
    temporary dropped after its last reader. `k` numbers the running step for errors."""
    steps = plan.steps
    written = {o for _, _, outs, _, _ in steps
               for o in (outs if type(outs) is tuple else (outs,)) if o > SINK}
    sources = {s for s, _ in plan.feeds} | {s for s, _ in plan.reads} | set(plan.buffer_slots)
    local = written | sources
    from .executor import _check_feed

    # the plan holds its function, so the function's globals hold the plan weakly
    ns = {"_np_ndarray": np.ndarray, "_read": _read, "_OpError": OpError,
          "_plan": weakref.proxy(plan),
          "_xp": plan.xp, "_device": plan.place.device, "_cpu": plan.cpu, "_place": plan.place,
          "_check_feed": _check_feed}

    def ref(s: int) -> str:
        if s == NONE:
            return "None"
        if s in local:
            return f"v{s}"
        ns[f"c{s}"] = plan.initial[s]
        return f"c{s}"

    body = []
    first_read = []  # locals read before anything writes them start from their initial value
    seen = set(sources)
    for _, ins, outs, _, _ in steps:
        for s in ins:
            if s in local and s not in seen:
                first_read.append(s)
                seen.add(s)
        seen.update(outs if type(outs) is tuple else (outs,))
    for s in first_read + list(plan.buffer_slots):
        body.append(f"v{s} = {_const(ns, s, plan.initial[s])}")
    fed = {name: slot for slot, name in plan.feeds}
    for i, (name, shape, dtype) in enumerate(plan.feed_checks):
        # a NumPy array of the declared dtype and fixed dims on a CPU place is used as it is
        # (what _check_feed would return); anything else goes through _check_feed
        ns[f"_dt{i}"], ns[f"_shape{i}"] = dtype, tuple(shape)
        fixed = [d for d, n in enumerate(shape) if n != -1]
        test = f"not _cpu or type(_f) is not _np_ndarray or _f.dtype != _dt{i} or " \
               f"_f.ndim != {len(shape)}"
        if fixed:
            test += f" or ({''.join(f'_f.shape[{d}], ' for d in fixed)}) != " \
                    f"({''.join(f'{shape[d]}, ' for d in fixed)})"
        body += [f"_f = feed[{name!r}]",
                 f"if {test}:",
                 f"    _f = _check_feed({name!r}, _f, _shape{i}, _dt{i}, _place)"]
        if name in fed:
            body.append(f"v{fed[name]} = _f")
    if plan.reads or plan.writes:
        body.append("_vars = scope._vars")
    for slot, name in plan.reads:  # Scope.find_var's first look, inlined
        body += [f"_h = _vars.get({name!r})",
                 f"v{slot} = None if _h is None else _h._get(_h)",
                 f"if not _cpu or type(v{slot}) is not _np_ndarray:",
                 f"    v{slot} = _read(scope, {name!r}, _device)"]
    if plan.buffer_slots:  # a concurrent run of this plan may have taken them: then this run
        body += ["_kept = _plan._kept_buffers",  # allocates its own
                 "if _kept:",
                 "    try:",
                 f"        {', '.join(f'v{s}' for s in plan.buffer_slots)}, = _kept.pop()",
                 "    except IndexError:",
                 "        pass"]
    run = []
    for k, (fn, ins, outs, attrs, dead) in enumerate(steps):
        ns[f"f{k}"] = fn
        args = ["_xp"] + [ref(s) for s in ins]
        if all(a.isidentifier() and not keyword.iskeyword(a) for a in attrs):
            for a, v in attrs.items():
                ns[f"a{k}_{a}"] = v
                args.append(f"{a}=a{k}_{a}")
        elif attrs:
            ns[f"a{k}"] = dict(attrs)
            args.append(f"**a{k}")
        target = (f"v{outs}" if outs > SINK else "_") if type(outs) is int else \
            ", ".join(f"v{o}" if o > SINK else "_" for o in outs) + ","
        run.append(f"k = {k}")
        if fn is _copy:
            run.append(f"{target} = {args[1]}.copy()")
        else:
            run.append(f"{target} = f{k}({', '.join(args)})")
        run += [f"v{s} = None" for s in dead if s in local]
    body.append("k = -1")
    body.append("try:")
    body += ["    " + line for line in run or ["pass"]]
    body += ["except _OpError:",
             "    raise",
             "except Exception as e:",
             "    if k < 0:",
             "        raise",
             "    raise _plan._failed(k, locals(), e) from e"]
    if plan.buffer_slots:
        body += ["if len(_kept) < 2:",
                 f"    _kept.append([{', '.join(f'v{s}' for s in plan.buffer_slots)}])"]
    for slot, name in plan.writes:  # scope.var(name).value = ..., its lookup inline
        body += [f"_h = _vars.get({name!r})",
                 "if _h is None:",
                 f"    _h = scope.var({name!r})",
                 f"_h.value = v{slot}"]
    body.append(f"return [{', '.join(ref(s) for s in plan.fetch_slots)}]")
    src = "def run(feed, scope):\n" + "".join(f"    {line}\n" for line in body)
    plan.source = src
    # named after this file, so that error locations (registry.user_frame) skip it
    exec(compile(src, f"{__file__}<plan {id(plan):#x}>", "exec"), ns)
    return ns.pop("run")  # (left in its own globals, a reference cycle)


def _const(ns: dict, slot: int, value) -> str:
    ns[f"c{slot}"] = value
    return f"c{slot}"


def _read(scope, name: str, device):
    holder = scope.find_var(name)
    if holder is None or holder.value is None:
        raise RuntimeError(f"persistable variable {name!r} is not initialized in the scope: run "
                           "the startup program first (exe.run(paddle.static."
                           "default_startup_program())) or set it with scope.var(name).set()")
    value = holder.value
    if type(value) is not np.ndarray or device.type != "cpu":
        if backend.device_of(value) != device:  # the scope keeps values where they are used
            value = holder.value = backend.to_device(value, device)
    return value


def _run_error(op, arrays, err: Exception) -> OpError:
    if op is None:
        return OpError(f"executor: {type(err).__name__}: {err}")
    base = explain(op.opdef, tuple(arrays), op.attrs, err)
    outs = ", ".join(v.name for v in op.outputs if v is not None)
    return OpError(f"{base}\n  while running op {op.type} (outputs: {outs}) built at "
                   f"{format_site(op.site)}")
