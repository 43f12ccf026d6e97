"""Adadelta (torch.optim.Adadelta): registry op `adadelta_update`."""
from __future__ import annotations

from dualnet.ops import registry

from ._rules import UpdateRuleOptimizer, check_nonneg
from .optimizer import zeros_like


def _check(lr, rho, eps, weight_decay) -> None:
    check_nonneg("lr", lr, "learning rate")
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"Invalid rho value: {rho}")
    check_nonneg("eps", eps, "epsilon value")
    check_nonneg("weight_decay", weight_decay)


class Adadelta(UpdateRuleOptimizer):
    """v = rho * v + (1 - rho) * g^2; dx = sqrt(u + eps) / sqrt(v + eps) * g;
    u = rho * u + (1 - rho) * dx^2; param -= lr * dx. State: step, square_avg, acc_delta."""

    _op = registry.get("adadelta_update")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check(lr, rho, eps, weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        _check(group["lr"], group["rho"], group["eps"], group["weight_decay"])

    def _init_state(self, st, data, group) -> None:
        st["step"] = self._wrap(self._zero_step(data))
        st["square_avg"] = self._wrap(zeros_like(data))
        st["acc_delta"] = self._wrap(zeros_like(data))

    def _attrs(self, group) -> dict:
        return {"rho": float(group["rho"]), "eps": float(group["eps"]),
                "weight_decay": float(group["weight_decay"]),
                "maximize": bool(group["maximize"])}

    def _arrays(self, st, data, group) -> tuple:
        st["step"]._data += 1
        return (st["square_avg"]._data, st["acc_delta"]._data, self._lr_array(group, data))
