"""torch.profiler: time every registry op (and `record_function` ranges) on the CPU.

`profile` installs an interceptor on `dualnet.ops.apply` (the one dispatch point every
primitive goes through, forward and backward), so each op call becomes an event with its
wall-clock start and duration, input shapes (record_shapes), output bytes (profile_memory) and
the user's line (with_stack). Events nest (an op inside a `record_function` range counts in
the range's total, not its self time). `key_averages().table()` prints PyTorch's table and
`export_chrome_trace` writes a trace for chrome://tracing or Perfetto. `schedule` + `step()`
record only the active steps of each cycle and hand every finished cycle to `on_trace_ready`.
"""
from __future__ import annotations

import enum
import functools
import json
import os
import threading
import time

from dualnet.ops import registry

__all__ = ["ProfilerAction", "ProfilerActivity", "profile", "record_function", "schedule",
           "supported_activities", "tensorboard_trace_handler"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities() -> set:
    from . import cuda

    return {ProfilerActivity.CPU} | ({ProfilerActivity.CUDA} if cuda.is_available() else set())


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0):
    """Step -> action: skip `skip_first` steps, then cycles of `wait` idle, `warmup` and
    `active` recorded steps (the last one saves), `repeat` times (0: forever)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise ValueError("Invalid profiler schedule arguments")

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise ValueError(f"profiler schedule: step must be >= 0, got {step}")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if pos < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return schedule_fn


def _always_record(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


# ---------------------------------------------------------------- events


class FunctionEvent:
    """One recorded interval: an op call or a record_function range (times in us)."""

    def __init__(self, name, kind, start_ns, thread, shapes=None, stack=None):
        self.name = self.key = name
        self.kind = kind  # "cpu_op" or "user_annotation"
        self.start_ns = start_ns
        self.end_ns = start_ns
        self.thread = thread
        self.input_shapes = shapes or []
        self.stack = stack or []
        self.children_ns = 0
        self.own_memory = 0
        self.children_memory = 0
        self.count = 1
        self.device_type = "CPU"

    @property
    def cpu_time_total(self) -> float:
        return (self.end_ns - self.start_ns) / 1e3

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - self.children_ns / 1e3

    cpu_time = cpu_time_total

    @property
    def cpu_memory_usage(self) -> int:
        return self.own_memory + self.children_memory

    @property
    def self_cpu_memory_usage(self) -> int:
        return self.own_memory

    cuda_time_total = self_cuda_time_total = device_time_total = self_device_time_total = 0.0
    cuda_memory_usage = self_cuda_memory_usage = 0

    @property
    def time_range(self) -> tuple:
        return self.start_ns / 1e3, self.end_ns / 1e3

    def __repr__(self) -> str:
        return (f"<FunctionEvent name={self.name} cpu_time_total={self.cpu_time_total:.3f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.3f}us>")


class FunctionEventAvg:
    """Events of one name (and input shapes, when grouped so) summed; `cpu_time` is the mean."""

    _SUMS = ("cpu_time_total", "self_cpu_time_total", "cpu_memory_usage",
             "self_cpu_memory_usage", "count")

    def __init__(self, key, input_shapes=None):
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.cuda_time_total = self.self_cuda_time_total = 0.0
        self.device_time_total = self.self_device_time_total = 0.0
        self.cuda_memory_usage = self.self_cuda_memory_usage = 0

    def add(self, event) -> "FunctionEventAvg":
        for name in self._SUMS:
            setattr(self, name, getattr(self, name) + getattr(event, name))
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    @property
    def self_cpu_time(self) -> float:
        return self.self_cpu_time_total / max(self.count, 1)

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time:.3f}us "
                f"cpu_time={self.cpu_time:.3f}us count={self.count}>")


_SORT_KEYS = ("cpu_time", "cpu_time_total", "self_cpu_time_total", "count",
              "cpu_memory_usage", "self_cpu_memory_usage", "cuda_time", "cuda_time_total",
              "self_cuda_time_total", "device_time", "device_time_total",
              "self_device_time_total", "cuda_memory_usage", "self_cuda_memory_usage")


class EventList(list):
    """A list of events (or averages) that prints as PyTorch's table."""

    def __init__(self, events=(), profile_memory: bool = False, with_shapes: bool = False):
        super().__init__(events)
        self._profile_memory = profile_memory
        self._with_shapes = with_shapes

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> "EventList":
        groups: dict = {}
        for e in self:
            key = (e.key, str(e.input_shapes) if group_by_input_shape else None,
                   tuple(e.stack[:group_by_stack_n]) if group_by_stack_n else None)
            if key not in groups:
                groups[key] = FunctionEventAvg(e.key, e.input_shapes if group_by_input_shape
                                               else None)
            groups[key].add(e)
        return EventList(groups.values(), self._profile_memory, group_by_input_shape)

    def total_average(self) -> FunctionEventAvg:
        total = FunctionEventAvg("Total")
        for e in self:
            total.add(e)
        return total

    def table(self, sort_by=None, row_limit: int = 100, max_src_column_width: int = 75,
              max_name_column_width: int = 55, max_shapes_column_width: int = 80,
              header=None, top_level_events_only: bool = False) -> str:
        return _table(self, sort_by, row_limit, max_name_column_width,
                      max_shapes_column_width, header)

    def export_chrome_trace(self, path: str) -> None:
        _write_trace(self, path)

    def __str__(self) -> str:
        return self.table()


def _format_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _format_memory(nbytes: int) -> str:
    for unit, size in (("Gb", 1024 ** 3), ("Mb", 1024 ** 2), ("Kb", 1024)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} b"


def _table(events, sort_by, row_limit, name_width, shapes_width, header) -> str:
    """PyTorch's key_averages table: Name, Self CPU %, Self CPU, CPU total %, CPU total,
    CPU time avg, [CPU Mem, Self CPU Mem,] # of Calls[, Input Shapes]."""
    rows = list(events)
    if sort_by is not None:
        if sort_by not in _SORT_KEYS:
            raise ValueError(f"table: unknown sort_by {sort_by!r}; expected one of "
                             f"{', '.join(_SORT_KEYS)}")
        attr = {"cuda_time": "cuda_time_total", "device_time": "device_time_total"}.get(
            sort_by, sort_by)
        rows.sort(key=lambda e: getattr(e, attr), reverse=True)
    if row_limit is not None and row_limit > 0:
        rows = rows[:row_limit]
    total_self = sum(e.self_cpu_time_total for e in events) or 1.0
    name_w = min(max([len(e.key) for e in rows] + [len("Name")]) + 4, name_width)
    heads = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if events._profile_memory:
        heads += ["CPU Mem", "Self CPU Mem"]
    heads.append("# of Calls")
    shapes = events._with_shapes
    col = 12
    line = "-" * name_w + "  " + "  ".join("-" * col for _ in heads)
    title = "Name".rjust(name_w) + "  " + "  ".join(h.rjust(col) for h in heads)
    if shapes:
        line += "  " + "-" * shapes_width
        title += "  " + "Input Shapes".ljust(shapes_width)
    out = ([header] if header else []) + [line, title, line]
    for e in rows:
        name = e.key if len(e.key) <= name_w - 1 else e.key[:name_w - 4] + "..."
        cells = [f"{100 * e.self_cpu_time_total / total_self:.2f}%",
                 _format_time(e.self_cpu_time_total),
                 f"{100 * e.cpu_time_total / total_self:.2f}%",
                 _format_time(e.cpu_time_total), _format_time(e.cpu_time)]
        if events._profile_memory:
            cells += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
        cells.append(str(e.count))
        text = name.rjust(name_w) + "  " + "  ".join(c.rjust(col) for c in cells)
        if shapes:
            text += "  " + str(e.input_shapes)[:shapes_width]
        out.append(text)
    out += [line, f"Self CPU time total: {_format_time(total_self)}", ""]
    return "\n".join(out)


def _write_trace(events, path: str) -> None:
    """A Chrome trace (JSON object format): one complete ("X") event per interval."""
    pid = os.getpid()
    trace = []
    for e in events:
        if not isinstance(e, FunctionEvent):
            continue
        item = {"ph": "X", "cat": e.kind, "name": e.name, "pid": pid, "tid": e.thread,
                "ts": e.start_ns / 1e3, "dur": (e.end_ns - e.start_ns) / 1e3, "args": {}}
        if e.input_shapes:
            item["args"]["Input Dims"] = e.input_shapes
        if e.stack:
            item["args"]["Call stack"] = ";".join(e.stack)
        trace.append(item)
    doc = {"schemaVersion": 1, "deviceProperties": [], "traceEvents": trace,
           "traceName": str(path), "displayTimeUnit": "ms"}
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)


# ---------------------------------------------------------------- recording

_active = threading.local()  # .profilers: the recording profiles of this thread, innermost last


def _profilers() -> list:
    found = getattr(_active, "profilers", None)
    if found is None:
        found = _active.profilers = []
    return found


def _shape_of(a) -> list:
    shape = getattr(a, "shape", None)
    return [] if shape is None else [int(d) for d in shape]


def _nbytes(out) -> int:
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return sum(int(getattr(getattr(o, "_data", o), "nbytes", 0) or 0) for o in outs)


class _Recorder:
    """The per-profile event store with the stack of open intervals."""

    def __init__(self, record_shapes, profile_memory, with_stack):
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack = with_stack
        self.events: list = []
        self.open: list = []

    def begin(self, name, kind, args=()):
        shapes = [_shape_of(a) for a in args] if self.record_shapes else None
        stack = [registry.user_frame()] if self.with_stack else None
        event = FunctionEvent(name, kind, 0, threading.get_ident(), shapes, stack)
        self.open.append(event)
        event.start_ns = time.perf_counter_ns()
        return event

    def end(self, event, out=None) -> None:
        event.end_ns = time.perf_counter_ns()
        if self.open and self.open[-1] is event:
            self.open.pop()
        elif event in self.open:
            self.open.remove(event)
        if self.profile_memory and out is not None:
            event.own_memory = _nbytes(out)
        if self.open:
            parent = self.open[-1]
            parent.children_ns += event.end_ns - event.start_ns
            parent.children_memory += event.cpu_memory_usage
        self.events.append(event)


class _Interceptor:
    """The `apply` interceptor of one profile: an event per op call while recording."""

    def __init__(self, prof):
        self.prof = prof
        self.prev = getattr(registry._local, "interceptor", None)

    def __call__(self, op, args, attrs, proceed):
        rec = self.prof._recorder if self.prof._recording else None
        if rec is None:
            return self._next(op, args, attrs, proceed)
        event = rec.begin(f"dualnet::{op.name}", "cpu_op", args)
        out = None
        try:
            out = self._next(op, args, attrs, proceed)
            return out
        finally:
            rec.end(event, out)

    def _next(self, op, args, attrs, proceed):
        if self.prev is not None:
            return self.prev(op, args, attrs, proceed)
        return proceed(args, attrs)


class record_function:
    """A named range in the profile (a context manager or a decorator); a no-op when no
    profiler records in this thread."""

    def __init__(self, name: str, args=None):
        self.name = name
        self.args = args
        self._open: list = []

    def __enter__(self):
        self._open = [(p._recorder, p._recorder.begin(self.name, "user_annotation"))
                      for p in _profilers() if p._recording]
        return self

    def __exit__(self, *exc):
        for rec, event in self._open:
            rec.end(event)
        self._open = []
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapper


class _KinetoProfile:
    """What profile and autograd.profiler.profile share: start/stop, events, averages."""

    def __init__(self, record_shapes=False, profile_memory=False, with_stack=False):
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self._recording = False
        self._recorder = self._new_recorder()
        self._intercept = None
        self._metadata: dict = {}

    def _new_recorder(self) -> _Recorder:
        return _Recorder(self.record_shapes, self.profile_memory, self.with_stack)

    def _install(self) -> None:
        if self._intercept is None:
            self._intercept = registry.intercept(_Interceptor(self))
            self._intercept.__enter__()
            _profilers().append(self)

    def _uninstall(self) -> None:
        if self._intercept is not None:
            self._intercept.__exit__(None, None, None)
            self._intercept = None
            if self in _profilers():
                _profilers().remove(self)

    def events(self) -> EventList:
        evs = sorted(self._recorder.events, key=lambda e: e.start_ns)
        return EventList(evs, self.profile_memory, False)

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        if group_by_input_shape and not self.record_shapes:
            raise RuntimeError("key_averages(group_by_input_shape=True) needs the profiler "
                               "started with record_shapes=True")
        return self.events().key_averages(group_by_input_shape, group_by_stack_n)

    def export_chrome_trace(self, path: str) -> None:
        _write_trace(self.events(), path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        """One line per event with a stack: 'frame value' (flame graph input)."""
        with open(path, "w") as f:
            for e in self.events():
                if e.stack:
                    f.write(f"{';'.join(e.stack)};{e.name} {int(getattr(e, metric))}\n")

    def add_metadata(self, key: str, value: str) -> None:
        self._metadata[key] = value

    def add_metadata_json(self, key: str, value: str) -> None:
        self._metadata[key] = json.loads(value)


class profile(_KinetoProfile):
    """torch.profiler.profile: a context manager (or start()/stop()) recording op events,
    driven by `schedule` through `step()`; `on_trace_ready(prof)` runs after each saved
    cycle (and at stop while recording)."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_flops: bool = False, with_modules: bool = False,
                 experimental_config=None, execution_trace_observer=None,
                 acc_events: bool = False, use_cuda=None, custom_trace_id_callback=None):
        super().__init__(record_shapes, profile_memory, with_stack)
        acts = set(activities) if activities else supported_activities()
        if use_cuda:
            acts.add(ProfilerActivity.CUDA)
        self.activities = acts
        self.schedule = schedule if schedule is not None else _always_record
        self.on_trace_ready = on_trace_ready
        self.acc_events = acc_events
        self.step_num = 0
        self.current_action = self.schedule(self.step_num)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self) -> None:
        self._install()
        self._enter_action(self.current_action)

    def stop(self) -> None:
        if self._recording:
            self._recording = False
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
        self._uninstall()

    def _enter_action(self, action) -> None:
        record = action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
        if record and not self._recording and not self.acc_events:
            self._recorder = self._new_recorder()  # a new cycle starts empty
        self._recording = record

    def step(self) -> None:
        """Mark a step boundary: save a finished cycle, then move to the next action."""
        prev = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if prev == ProfilerAction.RECORD_AND_SAVE:
            self._recording = False
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
        self._enter_action(self.current_action)


def tensorboard_trace_handler(dir_name: str, worker_name=None, use_gzip: bool = False):
    """An on_trace_ready that writes `<dir>/<worker>.<ns>.pt.trace.json[.gz]` per cycle."""
    import socket

    os.makedirs(dir_name, exist_ok=True)
    worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"

    def handler(prof) -> None:
        path = os.path.join(dir_name, f"{worker}.{time.time_ns()}.pt.trace.json")
        prof.export_chrome_trace(path)
        if use_gzip:
            import gzip
            import shutil

            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.remove(path)

    return handler
