"""torch.random: the global generator's seed and state, and `fork_rng` (run a block with
its own random stream, then put the global state back)."""
from __future__ import annotations

import contextlib
from typing import Iterator

from dualnet.random import initial_seed, manual_seed  # noqa: F401

from ._runtime import get_rng_state, seed, set_rng_state  # noqa: F401

__all__ = ["fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed", "set_rng_state"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda") -> Iterator[None]:
    """Snapshot the CPU generator (and, where CuPy drives a GPU, the CUDA ones), run the
    block, restore the snapshot: draws inside do not shift the numbers drawn after it."""
    if not enabled:
        yield
        return
    from . import cuda

    cpu_state = get_rng_state()
    gpu_states = cuda._get_rng_states() if cuda.is_available() else None
    try:
        yield
    finally:
        set_rng_state(cpu_state)
        if gpu_states is not None:
            cuda._set_rng_states(gpu_states)
