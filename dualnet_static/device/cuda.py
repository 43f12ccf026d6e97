"""`paddle.device.cuda`: device count, synchronize, memory statistics (no-ops on CPU)."""
from __future__ import annotations

from dualnet import backend

__all__ = ["device_count", "synchronize", "empty_cache", "max_memory_allocated",
           "max_memory_reserved", "memory_allocated", "memory_reserved", "current_stream",
           "get_device_name", "get_device_capability", "get_device_properties"]


def device_count() -> int:
    """Visible GPUs (0 without CuPy or a GPU)."""
    return backend.device_count() if backend.cuda_available() else 0


def _cupy():
    if not backend.cuda_available():
        return None
    import cupy

    return cupy


def synchronize(device=None) -> None:
    """Wait for the GPU's work to finish; nothing to wait for on CPU."""
    cupy = _cupy()
    if cupy is not None:
        cupy.cuda.Device().synchronize()


def empty_cache() -> None:
    """Free CuPy's cached blocks; a no-op on CPU."""
    cupy = _cupy()
    if cupy is not None:
        cupy.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None) -> int:
    cupy = _cupy()
    return int(cupy.get_default_memory_pool().used_bytes()) if cupy is not None else 0


def memory_reserved(device=None) -> int:
    cupy = _cupy()
    return int(cupy.get_default_memory_pool().total_bytes()) if cupy is not None else 0


max_memory_allocated = memory_allocated
max_memory_reserved = memory_reserved


def current_stream(device=None):
    cupy = _cupy()
    return cupy.cuda.get_current_stream() if cupy is not None else None


def _need_gpu(what: str):
    cupy = _cupy()
    if cupy is None:
        raise ValueError(f"paddle.device.cuda.{what}: no GPU is available (CuPy with an "
                         "NVIDIA GPU is needed)")
    return cupy


def get_device_name(device=None) -> str:
    cupy = _need_gpu("get_device_name")
    return cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"].decode()


def get_device_capability(device=None) -> tuple:
    cupy = _need_gpu("get_device_capability")
    cc = cupy.cuda.Device().compute_capability
    return int(cc[:-1]), int(cc[-1])


def get_device_properties(device=None) -> dict:
    cupy = _need_gpu("get_device_properties")
    return cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
