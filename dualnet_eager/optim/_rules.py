"""Shared plumbing of the optimizers that are one registry update op per parameter: option
checks and a loop that creates the state on the first step and runs the op in place."""
from __future__ import annotations

from ..tensor import Tensor
from .optimizer import Optimizer, array_module, check_nonneg, run_update

__all__ = ["AdamFamily", "UpdateRuleOptimizer", "check_adam_options", "check_nonneg",
           "full_like"]


def check_adam_options(lr, betas, eps, weight_decay) -> None:
    """PyTorch's checks of the Adam family's options (Adam, AdamW, Adamax, NAdam, RAdam)."""
    check_nonneg("lr", lr, "learning rate")
    check_nonneg("eps", eps, "epsilon value")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    check_nonneg("weight_decay", weight_decay)


def full_like(data, value: float, shape=None):
    xp = array_module(data)
    if shape is not None:
        return xp.full(shape, value, dtype=data.dtype)
    return xp.full_like(data, value)


class UpdateRuleOptimizer(Optimizer):
    """Subclasses set `_op` (or `_op_for(group)`) and implement `_init_state(st, data,
    group)`, `_attrs(group)` and `_arrays(st, data, group) -> the op's inputs after param and
    grad`."""

    _op = None

    def _op_for(self, group: dict):
        return self._op

    def _update_group(self, group: dict) -> None:
        op, attrs = self._op_for(group), self._attrs(group)
        state = self.state
        for p in group["params"]:
            if p.grad is None:
                continue
            data = p._data
            st = state[p]
            if not st:
                self._init_state(st, data, group)
            run_update(op, attrs, data, p.grad._data, *self._arrays(st, data, group))
            p._version[0] += 1

    def _init_state(self, st: dict, data, group: dict) -> None:
        raise NotImplementedError

    def _attrs(self, group: dict) -> dict:
        raise NotImplementedError

    def _arrays(self, st: dict, data, group: dict) -> tuple:
        raise NotImplementedError

    @staticmethod
    def _wrap(array) -> Tensor:
        return Tensor._wrap(array)


class AdamFamily(UpdateRuleOptimizer):
    """The Adam family's option checks and common attrs (Adam, AdamW, Adamax, NAdam,
    RAdam)."""

    def _validate_group(self, group: dict) -> None:
        check_adam_options(group["lr"], group["betas"], group["eps"], group["weight_decay"])

    @staticmethod
    def _adam_attrs(group: dict, **more) -> dict:
        """beta1, beta2, eps, weight_decay and maximize of `group`, plus `more`."""
        beta1, beta2 = group["betas"]
        return {"beta1": float(beta1), "beta2": float(beta2), "eps": float(group["eps"]),
                "weight_decay": float(group["weight_decay"]),
                "maximize": bool(group["maximize"]), **more}
