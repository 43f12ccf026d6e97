"""Adagrad (torch.optim.Adagrad)."""
from __future__ import annotations

from dualnet.ops import registry

from ..tensor import Tensor
from ._rules import UpdateRuleOptimizer
from .optimizer import array_module, check_nonneg

_ADAGRAD = registry.get("adagrad_update")


def _check(lr, lr_decay, weight_decay, initial_accumulator_value, eps) -> None:
    check_nonneg("lr", lr, "learning rate")
    check_nonneg("lr_decay", lr_decay)
    check_nonneg("weight_decay", weight_decay)
    check_nonneg("initial_accumulator_value", initial_accumulator_value)
    check_nonneg("eps", eps, "epsilon value")


class Adagrad(UpdateRuleOptimizer):
    """s += g * g; param -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps), with s
    starting at initial_accumulator_value."""

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        _check(lr, lr_decay, weight_decay, initial_accumulator_value, eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch creates Adagrad's state up front
            for p in group["params"]:
                self._init_state(self.state[p], p._data, group)

    def _validate_group(self, group: dict) -> None:
        _check(group["lr"], group["lr_decay"], group["weight_decay"],
               group["initial_accumulator_value"], group["eps"])

    def _init_state(self, st: dict, data, group: dict) -> None:
        st["step"] = Tensor._wrap(self._zero_step(data))
        st["sum"] = Tensor._wrap(array_module(data).full_like(
            data, float(group["initial_accumulator_value"])))

    _op = _ADAGRAD

    def _attrs(self, group: dict) -> dict:
        return {"lr_decay": float(group["lr_decay"]),
                "weight_decay": float(group["weight_decay"]), "eps": float(group["eps"]),
                "maximize": bool(group["maximize"])}

    def _arrays(self, st: dict, data, group: dict) -> tuple:
        return st["sum"]._data, st["step"]._data, self._lr_array(group, data)
