"""Tensor creation functions with PyTorch's signatures and defaults."""
from __future__ import annotations

import numpy as np

from dualnet import backend, dtypes, random
from dualnet.ops import registry

from .tensor import Tensor, _to_array


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _make(array, dtype, device, requires_grad) -> Tensor:
    if dtype is not None:
        array = array.astype(dtypes.as_np(dtype), copy=False)
    if device is not None:
        array = backend.to_device(array, device)
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _xp(device):
    return backend.Device(device).xp if device is not None else np


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor copying `data`, its dtype inferred as PyTorch does (float -> float32)."""
    return _make(_to_array(data, dtype), None, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if isinstance(data, np.ndarray) and dtype is None and device is None:
        return Tensor._wrap(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """Shares memory with `array`, as in PyTorch."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._wrap(array)


def _default(dtype):
    return dtypes.as_np(dtype) if dtype is not None else dtypes.get_default_dtype().np


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    return _make(_xp(device).zeros(_size(size), _default(dtype)), None, None, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(_xp(device).ones(_size(size), _default(dtype)), None, None, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value)
    return _make(_xp(device).full(_size((size,)), fill_value, dtypes.as_np(dtype)), None, None,
                 requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros(tuple(t.shape), dtype=dtype or t.dtype, device=device or t.device,
                 requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return ones(tuple(t.shape), dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros_like(t, dtype, device, requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(tuple(t.shape), fill_value, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    xp = _xp(device)
    return _make(random.uniform(xp, _size(size), 0.0, 1.0, _default(dtype)), None, None,
                 requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None) -> Tensor:
    xp = _xp(device)
    return _make(random.normal(xp, _size(size), 0.0, 1.0, _default(dtype)), None, None,
                 requires_grad)


def randint(low, high=None, size=None, dtype=None, device=None, requires_grad=False,
            generator=None) -> Tensor:
    """`randint(high, size)` or `randint(low, high, size)`, values in [low, high)."""
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    xp = _xp(device)
    return _make(random.integers(xp, int(low), int(high), tuple(size),
                                 dtypes.as_np(dtype or dtypes.int64)), None, None, requires_grad)


def rand_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return rand(tuple(t.shape), dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def randn_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return randn(tuple(t.shape), dtype=dtype or t.dtype, device=device or t.device,
                 requires_grad=requires_grad)


def randint_like(t, low, high=None, dtype=None, device=None) -> Tensor:
    return randint(low, high, tuple(t.shape), dtype=dtype or t.dtype, device=device or t.device)


def _created(name: str, requires_grad: bool, **attrs) -> Tensor:
    """The registry's creation op `name` run now: the kernel the static front end records."""
    op = registry.get(name)
    return _make(op.forward(np, **op.canon(**attrs)), None, None, requires_grad)


def randperm(n, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _created("randperm", requires_grad, n=n, dtype=dtype or "int64", device=device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _created("arange", requires_grad, start=start, end=end, step=step, dtype=dtype,
                    device=device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _created("linspace", requires_grad, start=start, end=end, steps=steps, dtype=dtype,
                    device=device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _created("eye", requires_grad, rows=n, cols=m, dtype=dtype, device=device)
