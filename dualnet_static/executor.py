"""The Executor (DESIGN.md section 5): run a Program on a place with feeds and fetches.

`run` resolves the fetch list, finds the compiled Plan (compiler.py) in a two-level cache and
runs it:
  - fast path: per Program object, keyed by (program version, feed names, fetch names, place);
    any change to the program (an op appended, an attr set, a rename) bumps its version;
  - structural cache: keyed by the Plan's structural key (op types, attrs, wiring, shapes,
    dtypes, feed/persistable names, place), so another Program built the same way (fresh
    unique names and all) reuses the compiled plan. `plan_cache_info()` counts hits/compiles.
Both keys include the passes of the BuildStrategy (dualnet_static/passes): a CompiledProgram's,
else the default one (environment variable DUALNET_EXECUTOR_PASSES).
Feeds are checked against the declared shape (-1 dims are free) and dtype, with errors that
name the variable; values of persistable variables come from and go back to the Scope.
"""
from __future__ import annotations

import operator
import weakref
from collections import OrderedDict, namedtuple

import numpy as np

from dualnet import backend

from .compiler import Plan, analyze
from .passes import BuildStrategy, default_strategy
from .framework import Program, default_main_program
from .place import _current as _current_place, to_place
from .scope import LoDTensor, ScopeVar, global_scope
from .variable import Variable

PlanCacheInfo = namedtuple("PlanCacheInfo", ["hits", "misses", "compiles", "size", "maxsize"])


class _PlanCache:
    def __init__(self, maxsize: int = 256):
        self.maxsize = maxsize
        self.by_program: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.by_key: OrderedDict = OrderedDict()
        self.hits = self.misses = 0
        self.last = None  # the last lookup: (its key, plan, fetch vars)

    def lookup(self, program: Program, feed_names: tuple, fetch_list, place,
               strategy: BuildStrategy | None = None):
        """(plan, fetch variables) for a run: the last lookup's answer when the program (same
        version), feeds, fetch list, place and strategy are the same again (a training loop's
        steady state, about 5 us cheaper than resolving the fetches and both keys), else
        `get`'s."""
        default = default_strategy() if strategy is None else None
        fetches = tuple(fetch_list) if isinstance(fetch_list, (list, tuple)) else (fetch_list,)
        last = self.last
        if last is not None:
            key = last[0]
            if key[0]() is program and key[1] == program._version and \
                    key[2] == feed_names and key[3] is strategy and key[4] is default and \
                    (key[5] is place or key[5] == place) and _same_items(key[6], fetches):
                self.hits += 1
                return last[1], last[2]
        fetch_vars = _resolve_fetches(program, fetch_list)
        plan = self.get(program, tuple(sorted(feed_names)), fetch_vars, place, strategy)
        key = (weakref.ref(program), program._version, feed_names, strategy, default, place,
               fetches)
        self.last = (key, plan, fetch_vars)
        return plan, fetch_vars

    def get(self, program: Program, feed_names: tuple, fetch_vars: list, place,
            strategy: BuildStrategy | None = None) -> Plan:
        strategy = strategy if strategy is not None else default_strategy()
        passes = strategy.key()  # the passes decide the plan: part of both keys
        fast_key = (tuple(v.name for v in fetch_vars), feed_names, place, passes)
        version, plans = self.by_program.get(program, (None, None))
        if version != program._version:
            plans = {}
            self.by_program[program] = (program._version, plans)
        plan = plans.get(fast_key)
        if plan is not None:
            self.hits += 1
            return plan
        analysis = analyze(program, feed_names, fetch_vars)
        key = (analysis.key, place, passes)
        plan = self.by_key.get(key)
        if plan is None:
            self.misses += 1
            plan = Plan(analysis, place, strategy)
            self.by_key[key] = plan
            if len(self.by_key) > self.maxsize:
                self.by_key.popitem(last=False)
        else:
            self.hits += 1
            self.by_key.move_to_end(key)
        plans[fast_key] = plan
        return plan

    def info(self) -> PlanCacheInfo:
        return PlanCacheInfo(self.hits, self.misses, self.misses, len(self.by_key), self.maxsize)

    def clear(self) -> None:
        self.by_program = weakref.WeakKeyDictionary()
        self.by_key.clear()
        self.hits = self.misses = 0
        self.last = None


def _same_items(a: tuple, b: tuple) -> bool:
    """The same fetch items: the same Variables, or equal names."""
    return len(a) == len(b) and (all(map(operator.is_, a, b)) or all(
        p is q or (type(p) is str and type(q) is str and p == q) for p, q in zip(a, b)))


_CACHE = _PlanCache()


def plan_cache_info() -> PlanCacheInfo:
    """(hits, misses, compiles, size, maxsize) of the Executor's compiled-plan cache."""
    return _CACHE.info()


def clear_plan_cache() -> None:
    _CACHE.clear()


class Executor:
    """Runs Programs on `place` (default: the place set by `paddle.set_device`)."""

    def __init__(self, place=None):
        self.place = to_place(place)

    def run(self, program=None, feed=None, fetch_list=None, feed_var_name: str = "feed",
            fetch_var_name: str = "fetch", scope=None, return_numpy: bool = True,
            use_program_cache: bool = False, use_prune: bool = False, return_merged=True):
        """Run `program` (default main) with `feed` {name: array} and return the values of
        `fetch_list` (Variables or names) as NumPy arrays (LoDTensors if not return_numpy)."""
        if type(program) is Program:
            strategy = None
        else:
            strategy = _strategy_of(program)
            program = _as_program(program)
        scope = scope if scope is not None else global_scope()
        if getattr(program, "lr_scheduler", None) is not None:  # keep a scheduler's lr current
            from .optimizer.lr import sync_program_lr
            sync_program_lr(program, scope)
        if feed is None:
            feed = {}
        if not isinstance(feed, dict):
            raise TypeError(f"feed must be a dict {{name: array}}, got {type(feed).__name__}")
        for k in feed:  # (a loop: a comprehension would be one more function call per run)
            if type(k) is not str:
                feed = {k.name if isinstance(k, Variable) else k: v for k, v in feed.items()}
                break
        plan, fetch_vars = _CACHE.lookup(program, tuple(feed), fetch_list, self.place, strategy)
        outs = plan.run(feed, scope)  # checks the feeds
        if return_numpy:
            return _numpy_outs(outs)
        return [_as_tensor(v.name, o) for v, o in zip(fetch_vars, outs)]

    def prepare(self, program, feed_names, fetch_list, follow_place: bool = True
                ) -> "PreparedRun":
        """The compiled plan of `program` for these feeds and fetches, bound for repeated
        runs (`PreparedRun.run(feed, scope)`): what `run` does minus finding the plan. Implicit
        mode's step replay and StaticModel calls run this way. `follow_place`: the plan
        stops being current when paddle.set_device changes the place (not for an Executor
        whose place the caller picks)."""
        strategy = _strategy_of(program) or default_strategy()
        return PreparedRun(self._get_plan(program, feed_names, fetch_list), _as_program(program),
                           self.place, strategy, follow_place)

    def close(self) -> None:
        """Nothing to release (Paddle API compatibility)."""

    def _get_plan(self, program=None, feed_names=(), fetch_list=None) -> Plan:
        """The compiled plan `run` would use (for inspection and tests)."""
        strategy = _strategy_of(program)
        program = _as_program(program)
        return _CACHE.get(program, tuple(sorted(feed_names)),
                          _resolve_fetches(program, fetch_list), self.place, strategy)


class PreparedRun:
    """A plan found once (Executor.prepare) and run many times; `current()` tells whether it
    is still the plan `Executor.run` would pick (same place and default passes)."""

    def __init__(self, plan: Plan, program: Program, place, strategy: BuildStrategy,
                 follow_place: bool = True):
        self.plan, self.program, self.place, self.strategy = plan, program, place, strategy
        self.follow_place = follow_place

    def current(self) -> bool:
        if self.strategy is not default_strategy():
            return False
        if not self.follow_place:
            return True
        place = _current_place[0]  # to_place(None)
        return self.place is place or self.place == place

    def run(self, feed: dict, scope) -> list:
        """The fetched values (NumPy arrays) of one run of the plan with `feed` {name: value}
        (checked by the plan) and `scope`."""
        program, plan = self.program, self.plan
        if getattr(program, "lr_scheduler", None) is not None:
            from .optimizer.lr import sync_program_lr
            sync_program_lr(program, scope)
        return _numpy_outs(plan.run(feed, scope))


def _numpy_outs(outs: list) -> list:
    """A plan's fetched values as NumPy arrays (the list itself when they all are: a CPU
    plan's)."""
    for o in outs:
        if type(o) is not np.ndarray:
            return [o if type(o) is np.ndarray else backend.to_numpy(o) for o in outs]
    return outs


class CompiledProgram:
    """Paddle's CompiledProgram: a Program plus a BuildStrategy choosing the Executor's passes
    (every Program is compiled and cached by the Executor anyway)."""

    def __init__(self, program_or_graph, build_strategy=None):
        if build_strategy is not None and not isinstance(build_strategy, BuildStrategy):
            raise TypeError(f"build_strategy must be a BuildStrategy, got "
                            f"{type(build_strategy).__name__}")
        self._program = program_or_graph
        self._build_strategy = build_strategy

    def with_data_parallel(self, loss_name=None, build_strategy=None, exec_strategy=None,
                           share_vars_from=None, places=None):
        """Paddle 1.x API: one device here, so only the build strategy is taken."""
        if build_strategy is not None:
            self._build_strategy = build_strategy
        return self


def _strategy_of(program) -> BuildStrategy | None:
    if isinstance(program, CompiledProgram):
        return program._build_strategy
    return None


def _as_program(program) -> Program:
    if program is None:
        return default_main_program()
    if isinstance(program, CompiledProgram):
        program = program._program
    if not isinstance(program, Program):
        raise TypeError(f"Executor.run expects a Program, got {type(program).__name__}")
    return program


def _resolve_fetches(program: Program, fetch_list) -> list:
    if fetch_list is None:
        return []
    if isinstance(fetch_list, (str, Variable)):
        fetch_list = [fetch_list]
    block = program.global_block()
    out = []
    for item in fetch_list:
        name = item.name if isinstance(item, Variable) else item
        if not isinstance(name, str):
            raise TypeError(f"fetch_list items must be Variables or names, got "
                            f"{type(item).__name__}")
        var = block._var_recursive(name)
        if var is None:
            raise ValueError(f"fetch_list item {name!r} is not a variable of the program")
        out.append(var)
    return out


def _check_feed(name: str, value, shape: tuple, dtype: np.dtype, place):
    """The fed value as an array on `place`, after checking it against the declaration."""
    if isinstance(value, LoDTensor):
        value = value._array()
    if not backend.is_array(value):
        if hasattr(value, "__array__") and not isinstance(value, (list, tuple)):
            value = np.asarray(value)
        else:
            value = np.asarray(value, dtype=dtype)
    if value.dtype != dtype:
        raise ValueError(f"The data type of fed Variable {name!r} must be '{dtype}', but "
                         f"received '{value.dtype}'")
    if value.ndim != len(shape) or any(d != -1 and d != a for d, a in zip(shape, value.shape)):
        raise ValueError(f"The fed Variable {name!r} should have dimensions = {len(shape)}, "
                         f"shape = {list(shape)}, but received fed shape "
                         f"{list(value.shape)}")
    if type(value) is not np.ndarray or place.device.type != "cpu":
        if backend.device_of(value) != place.device:
            value = backend.to_device(value, place.device)
    return value


def _as_tensor(name: str, array) -> LoDTensor:
    holder = ScopeVar(name)
    holder.value = array
    return holder.get_tensor()
