"""Rprop (torch.optim.Rprop): registry op `rprop_update` (full-batch sign-based steps)."""
from __future__ import annotations

from dualnet.ops import registry

from ._rules import UpdateRuleOptimizer, check_nonneg, full_like
from .optimizer import zeros_like


def _check(lr, etas) -> None:
    check_nonneg("lr", lr, "learning rate")
    if not 0.0 < etas[0] < 1.0 < etas[1]:
        raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")


class Rprop(UpdateRuleOptimizer):
    """Per-element step sizes (starting at lr) grow by etaplus while the gradient keeps its
    sign and shrink by etaminus when it flips (that step is skipped), within step_sizes.
    State: step, prev, step_size."""

    _op = registry.get("rprop_update")

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check(lr, etas)
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        _check(group["lr"], group["etas"])

    def _init_state(self, st, data, group) -> None:
        st["step"] = self._wrap(self._zero_step(data))
        st["prev"] = self._wrap(zeros_like(data))
        st["step_size"] = self._wrap(full_like(data, float(group["lr"])))

    def _attrs(self, group) -> dict:
        (etaminus, etaplus), (lo, hi) = group["etas"], group["step_sizes"]
        return {"etaminus": float(etaminus), "etaplus": float(etaplus),
                "step_size_min": float(lo), "step_size_max": float(hi),
                "maximize": bool(group["maximize"])}

    def _arrays(self, st, data, group) -> tuple:
        st["step"]._data += 1
        return (st["prev"]._data, st["step_size"]._data)
