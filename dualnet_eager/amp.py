"""torch.amp / torch.autocast / GradScaler on a CPU-only NumPy framework: no-ops.

Mixed precision needs fast half-precision kernels, which NumPy on the CPU does not have, so
`autocast` runs the region unchanged (in the dtypes the ops choose) and `GradScaler` passes
everything through: `scale(loss)` returns the loss, `step(opt)` calls `opt.step()`,
`unscale_`/`update` do nothing and the scale is 1.0. A script written for AMP runs and trains
as it would in float32.
"""
from __future__ import annotations

import contextlib
import functools
import threading

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "is_autocast_available",
           "is_autocast_enabled"]


class _State(threading.local):
    depth = 0


_state = _State()


class autocast(contextlib.ContextDecorator):
    """torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None): a context
    manager and decorator that leaves dtypes unchanged (see the module docstring)."""

    def __init__(self, device_type: str = "cpu", dtype=None, enabled: bool = True,
                 cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device_type = device_type
        self.fast_dtype = dtype
        self._enabled = bool(enabled)

    def __enter__(self):
        _state.depth += 1
        return self

    def __exit__(self, *exc) -> bool:
        _state.depth -= 1
        return False


def is_autocast_available(device_type: str) -> bool:
    return device_type in ("cpu", "cuda")


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """False: autocast never changes a dtype here (even inside an `autocast` block)."""
    return False


def custom_fwd(fwd=None, *, device_type: str = "cpu", cast_inputs=None):
    """Decorator for autograd.Function.forward under autocast: returns it unchanged."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type: str = "cpu"):
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd


class GradScaler:
    """A pass-through loss scaler (see the module docstring); its state_dict is empty, as
    PyTorch's of a disabled scaler."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        self.device = device
        self._enabled = False  # nothing is scaled, whatever `enabled` asks

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer) -> None:
        return None

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        return None

    def get_scale(self) -> float:
        return 1.0

    def is_enabled(self) -> bool:
        return self._enabled

    def get_growth_factor(self) -> float:
        return 2.0

    def get_backoff_factor(self) -> float:
        return 0.5

    def get_growth_interval(self) -> int:
        return 2000

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        return None
