"""torch.cuda: availability, devices, synchronization and memory statistics (CuPy backs CUDA
devices). Without CuPy the device calls raise as a CPU-only PyTorch build does; the memory
statistics read 0, as PyTorch's do before CUDA is initialized."""
from __future__ import annotations

from dualnet import backend as _backend
from dualnet.backend import cuda_available as is_available, device_count  # noqa: F401

from . import amp  # noqa: F401  (torch.cuda.amp.autocast / GradScaler: the same pass-throughs)


def manual_seed(seed: int) -> None:
    from dualnet.random import manual_seed as _seed

    _seed(seed)


manual_seed_all = manual_seed


def _cupy():
    return _backend._cupy


def is_initialized() -> bool:
    return is_available()


def _lazy_init() -> None:
    """PyTorch's checks before touching a device: no CUDA support at all is an
    AssertionError, support without a device a RuntimeError."""
    if _cupy() is None:
        raise AssertionError("Torch not compiled with CUDA enabled")
    if not is_available():
        raise RuntimeError("No CUDA GPUs are available")


init = _lazy_init


def _device_index(device, optional: bool = True) -> int:
    """An int index from an int, 'cuda:1', a torch.device or None (the current device)."""
    if device is None:
        return current_device() if optional else 0
    if isinstance(device, int):
        return device
    dev = _backend.Device(device)
    if dev.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {device}")
    return current_device() if dev.index is None else dev.index


def current_device() -> int:
    _lazy_init()
    return int(_cupy().cuda.runtime.getDevice())


def set_device(device) -> None:
    """Select the current device (a negative index is a no-op, as in PyTorch)."""
    index = _device_index(device)
    if index >= 0:
        _lazy_init()
        _cupy().cuda.runtime.setDevice(index)


def get_device_properties(device=None):
    _lazy_init()
    return _cupy().cuda.runtime.getDeviceProperties(_device_index(device))


def get_device_name(device=None) -> str:
    name = get_device_properties(device)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def get_device_capability(device=None) -> tuple:
    props = get_device_properties(device)
    return int(props["major"]), int(props["minor"])


def synchronize(device=None) -> None:
    """Wait for every kernel queued on the device."""
    _lazy_init()
    with _cupy().cuda.Device(_device_index(device)):
        _cupy().cuda.runtime.deviceSynchronize()


class device:
    """Context manager (torch.cuda.device): make `device` current inside the block
    (None or a negative index: a no-op, as in PyTorch)."""

    def __init__(self, device):
        self.idx = -1 if device is None else _device_index(device)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev_idx = current_device()
            if self.prev_idx != self.idx:
                set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.idx >= 0 and self.prev_idx != self.idx:
            set_device(self.prev_idx)
        return False


class device_of(device):
    """Context manager: the device of a tensor current (a CPU tensor: a no-op)."""

    def __init__(self, obj):
        d = getattr(obj, "device", None)
        super().__init__(d.index if d is not None and d.type == "cuda" else None)


# ---------------------------------------------------------------- memory statistics

_PEAK = {}  # device index -> peak bytes seen by max_memory_allocated since the last reset


def _pool_used() -> int:
    return int(_cupy().get_default_memory_pool().used_bytes())


def memory_allocated(device=None) -> int:
    """Bytes held by live arrays on the device (0 without a GPU)."""
    if not is_available():
        return 0
    return _pool_used()


def max_memory_allocated(device=None) -> int:
    """The peak of memory_allocated since start or reset_peak_memory_stats (sampled at the
    calls made here: CuPy keeps no peak of its own)."""
    if not is_available():
        return 0
    idx = _device_index(device)
    _PEAK[idx] = max(_PEAK.get(idx, 0), _pool_used())
    return _PEAK[idx]


def memory_reserved(device=None) -> int:
    """Bytes the caching allocator holds (0 without a GPU)."""
    if not is_available():
        return 0
    return int(_cupy().get_default_memory_pool().total_bytes())


def max_memory_reserved(device=None) -> int:
    return memory_reserved(device)


memory_cached = memory_reserved
max_memory_cached = max_memory_reserved


def reset_peak_memory_stats(device=None) -> None:
    if is_available():
        _PEAK[_device_index(device)] = _pool_used()


reset_max_memory_allocated = reset_peak_memory_stats
reset_max_memory_cached = reset_peak_memory_stats


def empty_cache() -> None:
    """Return the allocator's unused blocks to the driver (a no-op without a GPU)."""
    if is_available():
        _cupy().get_default_memory_pool().free_all_blocks()


def memory_stats(device=None) -> dict:
    if not is_available():
        return {}
    return {"allocated_bytes.all.current": memory_allocated(device),
            "allocated_bytes.all.peak": max_memory_allocated(device),
            "reserved_bytes.all.current": memory_reserved(device)}


def memory_summary(device=None, abbreviated: bool = False) -> str:
    stats = memory_stats(device)
    if not stats:
        return "CUDA memory summary: no CUDA device (0 bytes allocated)\n"
    return "".join(f"{k:<32} {v:>16}\n" for k, v in stats.items())


def mem_get_info(device=None) -> tuple:
    """(free, total) bytes of the device."""
    _lazy_init()
    free, total = _cupy().cuda.runtime.memGetInfo()
    return int(free), int(total)


# ---------------------------------------------------------------- random state (fork_rng)

def _get_rng_states() -> dict:
    from dualnet import random as _random

    return {"cupy": _random.get_state(_cupy())}


def _set_rng_states(states: dict) -> None:
    from dualnet import random as _random

    _random.set_state(states["cupy"], _cupy())


def get_rng_state(device="cuda"):
    _lazy_init()
    return _get_rng_states()


def set_rng_state(new_state, device="cuda") -> None:
    _lazy_init()
    _set_rng_states(new_state)
