"""ASGD (torch.optim.ASGD, averaged SGD): registry op `asgd_update`."""
from __future__ import annotations

from dualnet.ops import registry

from ._rules import UpdateRuleOptimizer, check_nonneg, full_like
from .optimizer import zeros_like


def _check(lr, weight_decay) -> None:
    check_nonneg("lr", lr, "learning rate")
    check_nonneg("weight_decay", weight_decay)


class ASGD(UpdateRuleOptimizer):
    """param *= 1 - lambd * eta; param -= eta * g; ax averages the iterates from step t0;
    eta = lr / (1 + lambd * lr * t)^alpha, mu = 1 / max(1, t - t0). State: step, eta, mu,
    ax."""

    _op = registry.get("asgd_update")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        _check(lr, weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        _check(group["lr"], group["weight_decay"])

    def _init_state(self, st, data, group) -> None:
        st["step"] = self._wrap(self._zero_step(data))
        st["eta"] = self._wrap(full_like(data, float(group["lr"]), shape=()))
        st["mu"] = self._wrap(full_like(data, 1.0, shape=()))
        st["ax"] = self._wrap(zeros_like(data))

    def _attrs(self, group) -> dict:
        return {"lambd": float(group["lambd"]), "alpha": float(group["alpha"]),
                "t0": float(group["t0"]), "weight_decay": float(group["weight_decay"]),
                "maximize": bool(group["maximize"])}

    def _arrays(self, st, data, group) -> tuple:
        return (st["ax"]._data, st["eta"]._data, st["mu"]._data, st["step"]._data,
                self._lr_array(group, data))
