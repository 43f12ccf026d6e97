"""torch.multiprocessing: Python's multiprocessing (re-exported) plus PyTorch's `spawn`.

Tensors pickle through their NumPy arrays, so queues and pools carry them as copies (PyTorch
shares CPU storage through shared memory instead; values are the same).
"""
from __future__ import annotations

import multiprocessing as _mp
import signal
import sys
from multiprocessing import *  # noqa: F401,F403

__all__ = list(getattr(_mp, "__all__", [])) + [
    "spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
    "ProcessExitedException", "get_all_sharing_strategies", "get_sharing_strategy",
    "set_sharing_strategy"]

set_start_method = _mp.set_start_method
get_start_method = _mp.get_start_method
get_context = _mp.get_context

_SHARING = ["file_system"]


def get_all_sharing_strategies() -> set:
    return {"file_system"}


def get_sharing_strategy() -> str:
    return _SHARING[0]


def set_sharing_strategy(new_strategy: str) -> None:
    if new_strategy not in get_all_sharing_strategies():
        raise ValueError(f"unknown sharing strategy {new_strategy!r} (available: file_system)")
    _SHARING[0] = new_strategy


class ProcessException(Exception):
    def __init__(self, msg: str, error_index: int, pid: int):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised: the message carries its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process died without raising (a signal or a nonzero exit code)."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code,
                            self.signal_name)


def _wrap(fn, i, args, error_queue):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        import traceback

        error_queue.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The spawned processes; `join()` waits and re-raises the first failure in the parent."""

    def __init__(self, processes, error_queues):
        self.processes = processes
        self.error_queues = error_queues

    def pids(self) -> list:
        return [p.pid for p in self.processes]

    def join(self, timeout=None) -> bool:
        """True once every process exited cleanly; raises when one failed (and terminates
        the rest, as PyTorch does)."""
        for p in self.processes:
            p.join(timeout)
        failed = next((i for i, p in enumerate(self.processes)
                       if p.exitcode not in (None, 0)), None)
        if failed is None:
            return all(p.exitcode == 0 for p in self.processes)
        for p in self.processes:
            if p.is_alive():
                p.terminate()
            p.join()
        proc = self.processes[failed]
        if not self.error_queues[failed].empty():
            tb = self.error_queues[failed].get()
            raise ProcessRaisedException(
                f"\n\n-- Process {failed} terminated with the following error:\n{tb}",
                failed, proc.pid)
        code = proc.exitcode
        if code < 0:
            name = signal.Signals(-code).name
            raise ProcessExitedException(f"process {failed} terminated with signal {name}",
                                         failed, proc.pid, code, name)
        raise ProcessExitedException(f"process {failed} terminated with exit code {code}",
                                     failed, proc.pid, code)


def start_processes(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False,
                    start_method: str = "spawn"):
    """Run `fn(i, *args)` for i in range(nprocs), each in its own process."""
    ctx = _mp.get_context(start_method)
    processes, queues = [], []
    for i in range(nprocs):
        q = ctx.SimpleQueue()
        p = ctx.Process(target=_wrap, args=(fn, i, args, q), daemon=daemon)
        p.start()
        processes.append(p)
        queues.append(q)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn"):
    """torch.multiprocessing.spawn: `nprocs` fresh interpreters each calling fn(i, *args);
    with join=True waits and re-raises a child's exception, else returns a ProcessContext."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
