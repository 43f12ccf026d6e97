"""torch.autograd.profiler: the older profiler API over the same recorder as torch.profiler
(`profile(...)` as a context manager, `.key_averages().table()`, `record_function`)."""
from __future__ import annotations

import contextlib

from ..profiler import EventList, FunctionEvent, FunctionEventAvg, record_function  # noqa
from ..profiler import _KinetoProfile

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "emit_nvtx", "profile",
           "record_function"]


class profile(_KinetoProfile):
    """torch.autograd.profiler.profile: records every op between __enter__ and __exit__
    (enabled=False: records nothing)."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device=None,
                 record_shapes: bool = False, with_flops: bool = False,
                 profile_memory: bool = False, with_stack: bool = False,
                 with_modules: bool = False, use_kineto: bool = False, use_cpu: bool = True,
                 experimental_config=None, acc_events: bool = False,
                 custom_trace_id_callback=None):
        super().__init__(record_shapes, profile_memory, with_stack)
        self.enabled = enabled

    def __enter__(self):
        if self.enabled:
            self._install()
            self._recording = True
        return self

    def __exit__(self, *exc):
        self._recording = False
        self._uninstall()
        return False

    @property
    def function_events(self) -> EventList:
        return self.events()

    @property
    def self_cpu_time_total(self) -> float:
        return self.events().self_cpu_time_total

    def total_average(self):
        return self.events().total_average()

    def table(self, sort_by=None, row_limit: int = 100, **kwargs) -> str:
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit, **kwargs)

    def __str__(self) -> str:
        return self.table()


@contextlib.contextmanager
def emit_nvtx(enabled: bool = True, record_shapes: bool = False):
    """NVTX ranges for nvprof: nothing to emit without CUDA."""
    yield
