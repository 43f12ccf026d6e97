"""torch.nn.utils.prune: masks on parameters, as PyTorch does it.

Pruning `name` moves the parameter to `<name>_orig`, adds a buffer `<name>_mask`, sets the plain
attribute `<name> = <name>_orig * <name>_mask` and registers the method as a forward pre-hook that
recomputes it, so gradients reach `<name>_orig` (zero where masked). Pruning the same tensor
again combines the masks through a PruningContainer (only still-unpruned entries are candidates).
"""
from __future__ import annotations

import numbers
from abc import ABC, abstractmethod

import numpy as np

from ...tensor import Tensor

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask", "identity",
           "random_unstructured", "l1_unstructured", "random_structured", "ln_structured",
           "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


def _np(t) -> np.ndarray:
    """Host (NumPy) values of a Tensor or array: masks are computed on the host."""
    a = t._data if isinstance(t, Tensor) else t
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)


class BasePruningMethod(ABC):
    """Subclasses define `compute_mask(t, default_mask)` and PRUNING_TYPE ('unstructured',
    'structured' with a `dim`, or 'global')."""

    _tensor_name: str

    def __call__(self, module, inputs) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        ...

    def apply_mask(self, module) -> Tensor:
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return orig * mask.to(dtype=orig.dtype)

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune `module.<name>` with this method (combined with earlier pruning of it)."""
        method = _composite_method(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is None:
            importance_scores = orig
        elif tuple(importance_scores.shape) != tuple(orig.shape):
            raise ValueError(f"importance_scores should have the same shape as parameter "
                             f"{name} of {module}")
        if not isinstance(method, PruningContainer):
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = Tensor._wrap(orig._xp().ones_like(orig._data))
        else:
            default_mask = Tensor._wrap(getattr(module, name + "_mask")._data.copy())
        try:
            mask = method.compute_mask(importance_scores.detach(), default_mask=default_mask)
            mask = Tensor._wrap(orig._xp().asarray(_np(mask)))
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if not isinstance(method, PruningContainer):
                orig = getattr(module, name + "_orig")
                module.register_parameter(name, orig)
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None) -> Tensor:
        """`t` with this method's mask applied (no module involved)."""
        scores = t if importance_scores is None else importance_scores
        if default_mask is None:
            default_mask = Tensor._wrap(np.ones_like(_np(t)))
        return t * self.compute_mask(scores, default_mask=default_mask)

    def remove(self, module) -> None:
        """Make the pruning permanent: `<name>` becomes a Parameter holding orig * mask."""
        weight = self.apply_mask(module)
        if self._tensor_name in module.__dict__:
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig._data = weight._data.copy()
        orig._version[0] += 1
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def _composite_method(cls, module, name, *args, **kwargs):
    old, found = None, []
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            old = hook
            found.append(k)
    if len(found) > 1:
        raise RuntimeError(f"Avoid adding multiple pruning hooks to the same tensor {name} of "
                           f"module {module}. Use a PruningContainer.")
    for k in found:
        del module._forward_pre_hooks[k]
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if isinstance(old, PruningContainer):
        old.add_pruning_method(method)
        method = old
    elif old is not None:
        container = PruningContainer(old)
        container.add_pruning_method(method)
        method = container
    return method


class PruningContainer(BasePruningMethod):
    """A sequence of pruning methods applied to one tensor (iterative pruning)."""

    def __init__(self, *args) -> None:
        self._pruning_methods: tuple = ()
        if not args:
            return
        if len(args) == 1 and not isinstance(args[0], BasePruningMethod):
            args = tuple(args[0])
        self._tensor_name = args[0]._tensor_name
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method) -> None:
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask) -> Tensor:
        """Apply the newest method only to the entries (or channels) still unpruned."""
        method = self._pruning_methods[-1]
        mask = _np(default_mask)
        new_mask = mask.copy()
        if method.PRUNING_TYPE == "unstructured":
            slc = mask == 1
        elif method.PRUNING_TYPE == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError("Pruning methods of PRUNING_TYPE 'structured' need to "
                                     "have the attribute `dim` defined.")
            dim = method.dim % mask.ndim
            other = tuple(d for d in range(mask.ndim) if d != dim)
            keep = mask.sum(axis=other) != 0
            slc = tuple(keep if d == dim else slice(None) for d in range(mask.ndim))
        elif method.PRUNING_TYPE == "global":
            slc = (slice(None),) * mask.ndim
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        part = method.compute_mask(Tensor._wrap(_np(t)[slc]),
                                   default_mask=Tensor._wrap(mask[slc]))
        new_mask[slc] = _np(part).astype(new_mask.dtype)
        return Tensor._wrap(new_mask)


class Identity(BasePruningMethod):
    """Prunes nothing (mask of ones)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask) -> Tensor:
        return Tensor._wrap(_np(default_mask).copy())

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


def _validate_amount_init(amount) -> None:
    if not isinstance(amount, numbers.Real) or isinstance(amount, bool):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and (amount > 1.0 or amount < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")


def _validate_amount(amount, tensor_size: int) -> None:
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to "
                         f"prune={tensor_size}")


def _n_to_prune(amount, tensor_size: int) -> int:
    if isinstance(amount, numbers.Integral):
        return int(amount)
    return round(amount * tensor_size)


def _unstructured_mask(scores: np.ndarray, default_mask, n_prune: int) -> Tensor:
    """Zero the `n_prune` entries with the smallest scores (stable order on ties)."""
    mask = _np(default_mask).copy()
    if n_prune:
        idx = np.argsort(scores.reshape(-1), kind="stable")[:n_prune]
        mask.reshape(-1)[idx] = 0
    return Tensor._wrap(mask)


class RandomUnstructured(BasePruningMethod):
    """Prune `amount` (a fraction or a count) of the entries, chosen at random."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask) -> Tensor:
        from dualnet import random as dn_random

        size = _np(t).size
        _validate_amount(self.amount, size)
        n = _n_to_prune(self.amount, size)
        scores = dn_random.uniform(np, (size,), dtype="float64")
        return _unstructured_mask(scores, default_mask, n)

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prune the `amount` entries of smallest absolute value."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask) -> Tensor:
        size = _np(t).size
        _validate_amount(self.amount, size)
        return _unstructured_mask(np.abs(_np(t)), default_mask,
                                  _n_to_prune(self.amount, size))

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


def _validate_structured(t: np.ndarray, dim: int) -> None:
    if t.ndim <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {tuple(t.shape)} with {t.ndim} dims")
    if dim >= t.ndim or dim < -t.ndim:
        raise IndexError(f"Invalid index {dim} for tensor of size {tuple(t.shape)}")


def _channel_mask(t: np.ndarray, default_mask, dim: int, keep: np.ndarray,
                  n_prune: int) -> Tensor:
    base = _np(default_mask)
    if n_prune == 0:
        return Tensor._wrap(base.copy())
    mask = np.zeros_like(base)
    slc = [slice(None)] * t.ndim
    slc[dim] = keep
    mask[tuple(slc)] = 1
    return Tensor._wrap(mask * base)


class LnStructured(BasePruningMethod):
    """Prune the `amount` channels along `dim` with the smallest L`n` norm."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim: int = -1) -> None:
        _validate_amount_init(amount)
        self.amount, self.n, self.dim = amount, n, dim

    def compute_mask(self, t, default_mask) -> Tensor:
        arr = _np(t)
        _validate_structured(arr, self.dim)
        dim = self.dim % arr.ndim
        size = arr.shape[dim]
        _validate_amount(self.amount, size)
        n_prune = _n_to_prune(self.amount, size)
        moved = np.moveaxis(arr, dim, 0).reshape(size, -1)
        norms = np.linalg.norm(moved, ord=self.n, axis=1)
        keep = np.sort(np.argsort(-norms, kind="stable")[:size - n_prune])
        return _channel_mask(arr, default_mask, dim, keep, n_prune)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prune `amount` channels along `dim`, chosen at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim: int = -1) -> None:
        _validate_amount_init(amount)
        self.amount, self.dim = amount, dim

    def compute_mask(self, t, default_mask) -> Tensor:
        from dualnet import random as dn_random

        arr = _np(t)
        _validate_structured(arr, self.dim)
        dim = self.dim % arr.ndim
        size = arr.shape[dim]
        _validate_amount(self.amount, size)
        n_prune = _n_to_prune(self.amount, size)
        scores = dn_random.uniform(np, (size,), dtype="float64")
        keep = np.sort(np.argsort(-scores, kind="stable")[:size - n_prune])
        return _channel_mask(arr, default_mask, dim, keep, n_prune)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class CustomFromMask(BasePruningMethod):
    """Prune with a given mask."""

    PRUNING_TYPE = "global"

    def __init__(self, mask) -> None:
        self.mask = mask

    def compute_mask(self, t, default_mask) -> Tensor:
        base = _np(default_mask)
        if _np(self.mask).shape != base.shape:
            raise ValueError(f"mask of shape {_np(self.mask).shape} does not match the tensor "
                             f"of shape {base.shape}")
        return Tensor._wrap(base * _np(self.mask).astype(base.dtype))

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


# ---------------------------------------------------------------- functional interface

def identity(module, name: str):
    """Attach a mask of ones to `module.<name>` (reparametrize without pruning)."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name: str, amount):
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name: str, amount, importance_scores=None):
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name: str, amount, dim: int):
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name: str, amount, n, dim: int, importance_scores=None):
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name: str, mask):
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs) -> None:
    """Prune the (module, name) pairs together: the method sees all their entries as one
    vector (e.g. the 20% smallest weights across every layer)."""
    parameters = list(parameters)
    if not parameters:
        raise TypeError("global_unstructured(): 'parameters' should be a non-empty iterable of "
                        "(module, name) pairs")
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = np.concatenate([
        _np(importance_scores.get((m, n), getattr(m, n))).reshape(-1) for m, n in parameters])
    masks = []
    for m, n in parameters:
        current = getattr(m, n + "_mask", None)
        masks.append(_np(current).reshape(-1) if current is not None
                     else np.ones(_np(getattr(m, n)).size, dtype=_np(getattr(m, n)).dtype))
    default_mask = np.concatenate(masks)
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    container = PruningContainer(method)
    final = _np(container.compute_mask(Tensor._wrap(scores), Tensor._wrap(default_mask)))
    pointer = 0
    for m, n in parameters:
        param = getattr(m, n)
        count = _np(param).size
        mask = final[pointer:pointer + count].reshape(_np(param).shape)
        custom_from_mask(m, n, mask=Tensor._wrap(mask.astype(_np(param).dtype)))
        pointer += count


def remove(module, name: str):
    """Make pruning of `module.<name>` permanent (drop `_orig`, `_mask` and the hook)."""
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     "can be removed")


def is_pruned(module) -> bool:
    """Whether any submodule of `module` carries a pruning hook."""
    for _, sub in module.named_modules():
        for hook in sub._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False

