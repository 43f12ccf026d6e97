"""torch.nn.utils.weight_norm / remove_weight_norm (the legacy hook-based form): w = g * v / ||v||
with parameters `<name>_g` and `<name>_v`, recomputed by a forward pre-hook."""
from __future__ import annotations

from ...tensor import Tensor
from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The p-norm of `v` over every dim but `dim`, kept as size-1 dims (dim=-1: the norm of the
    whole tensor, a 0-d tensor - PyTorch's convention)."""
    if dim == -1:
        return (v.abs() ** pow).sum() ** (1.0 / pow)
    axes = tuple(d for d in range(v.ndim) if d != dim)
    if not axes:
        return v.abs()
    return (v.abs() ** pow).sum(dim=axes, keepdim=True) ** (1.0 / pow)


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """torch._weight_norm: v * (g / ||v||), the norm taken over every dim but `dim`."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes `module.<name>` from `<name>_g` and `<name>_v`."""

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module, name: str, dim: int) -> "WeightNorm":
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if not isinstance(weight, Parameter):
            raise ValueError(f"weight_norm: '{name}' of {type(module).__name__} is not a "
                             "Parameter")
        del module._parameters[name]
        g = norm_except_dim(weight.detach(), 2, fn.dim)
        module.register_parameter(name + "_g", Parameter(Tensor._wrap(g._data.copy())))
        module.register_parameter(name + "_v", Parameter(Tensor._wrap(weight._data.copy())))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(Tensor._wrap(weight._data.copy())))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name: str = "weight", dim: int = 0):
    """Reparametrize `module.<name>` as g * v / ||v|| (norm over all dims but `dim`; dim=None:
    the whole tensor). Adds parameters `<name>_g`, `<name>_v`; returns the module."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name: str = "weight"):
    """Fold the weight norm back into a plain Parameter `<name>`."""
    return remove_reparametrization(module, WeightNorm, name, "weight_norm")


def remove_reparametrization(module, kind: type, name: str, what: str):
    """Remove `module`'s forward pre-hook of type `kind` on `name` (weight_norm,
    spectral_norm), folding its parameter back; PyTorch's error when there is none."""
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, kind) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"{what} of '{name}' not found in {module}")
