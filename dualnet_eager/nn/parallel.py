"""torch.nn.parallel for one CPU process: DistributedDataParallel and DataParallel as
wrappers that forward to the wrapped module, and SyncBatchNorm (plain batch norm when there is
one process, which is what PyTorch computes too).

With world size 1 DDP's gradient all-reduce is an average over one rank, so gradients are
the module's own; DataParallel on CPU runs the module directly, as PyTorch does without GPUs.
"""
from __future__ import annotations

import contextlib

from .modules.batchnorm import SyncBatchNorm, _BatchNorm  # noqa: F401  (re-exported)
from .modules.module import Module

__all__ = ["DataParallel", "DistributedDataParallel", "SyncBatchNorm", "data_parallel"]


def _devices_of(module) -> set:
    return {p.device for p in module.parameters()}


class DistributedDataParallel(Module):
    """Data parallelism over the default process group (world size 1 here): forward calls
    `self.module`; `no_sync()` would skip the gradient all-reduce, which over one rank is the
    identity anyway."""

    def __init__(self, module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None):
        super().__init__()
        from .. import distributed as dist

        self.process_group = process_group if process_group is not None else \
            dist._default_group()
        if not any(p.requires_grad for p in module.parameters()):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        devices = _devices_of(module)
        if device_ids and all(d.type == "cpu" for d in devices):
            raise ValueError("DistributedDataParallel device_ids and output_device arguments "
                             "only work with single-device/multiple-device GPU modules or CPU "
                             f"modules, but got device_ids {list(device_ids)}, output_device "
                             f"{output_device}, and module parameters {devices}.")
        self.module = module
        self.device_ids = list(device_ids) if device_ids else None
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Gradients accumulate locally inside the block (no all-reduce on backward)."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    @contextlib.contextmanager
    def join(self, divide_by_initial_world_size: bool = True, enable: bool = True,
             throw_on_early_termination: bool = False):
        """Uneven inputs across ranks: nothing to join with one rank."""
        yield

    def register_comm_hook(self, state, hook) -> None:
        """Accepted and unused: with one rank there is no communication to hook."""
        if not callable(hook):
            raise TypeError("register_comm_hook: hook must be callable")
        self._comm_hook = (state, hook)

    def _set_static_graph(self) -> None:
        self.static_graph = True


class DataParallel(Module):
    """Single-process multi-GPU replication in PyTorch; on CPU (as in PyTorch without GPUs)
    device_ids are ignored and forward calls the module directly."""

    def __init__(self, module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        self.module = module
        self.device_ids = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim: int = 0,
                  module_kwargs=None):
    """The functional form of DataParallel."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))
