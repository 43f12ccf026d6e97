"""`paddle.device`: the current device, what this build supports, and `paddle.device.cuda`.

set_device / get_device are the top-level ones (place.py). Without CuPy and a GPU the CUDA
queries answer "none" and the memory/stream calls are harmless no-ops.
"""
from __future__ import annotations

from dualnet import backend

from ..place import (CPUPlace, CUDAPinnedPlace, CUDAPlace, current_place,  # noqa: F401
                     get_device, is_compiled_with_cuda, set_device)
from . import cuda  # noqa: F401

__all__ = ["set_device", "get_device", "get_all_device_type", "get_all_custom_device_type",
           "get_available_device", "get_available_custom_device", "is_compiled_with_cuda",
           "is_compiled_with_rocm", "is_compiled_with_xpu", "is_compiled_with_ipu",
           "is_compiled_with_cinn", "is_compiled_with_distribute",
           "is_compiled_with_custom_device", "synchronize", "get_cudnn_version", "cuda",
           "XPUPlace", "IPUPlace"]


def get_all_device_type() -> list:
    """['cpu'], plus 'gpu' when CuPy sees a GPU."""
    return ["cpu", "gpu"] if backend.cuda_available() else ["cpu"]


def get_all_custom_device_type() -> list:
    return []


def get_available_device() -> list:
    """'cpu' and 'gpu:N' for every visible GPU."""
    gpus = [f"gpu:{i}" for i in range(backend.device_count())] \
        if backend.cuda_available() else []
    return ["cpu"] + gpus


def get_available_custom_device() -> list:
    return []


def _false(*args, **kwargs) -> bool:
    return False


is_compiled_with_rocm = is_compiled_with_xpu = is_compiled_with_ipu = _false
is_compiled_with_cinn = is_compiled_with_distribute = is_compiled_with_custom_device = _false


def get_cudnn_version():
    """None: no cuDNN (CuPy kernels do not use it)."""
    return None


def synchronize(device=None) -> None:
    cuda.synchronize(device)


class XPUPlace:
    def __init__(self, *args, **kwargs):
        raise ValueError("XPUPlace: this build has no XPU support (cpu and gpu only)")


IPUPlace = XPUPlace
