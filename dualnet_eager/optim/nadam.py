"""NAdam (torch.optim.NAdam): registry op `nadam_update`."""
from __future__ import annotations

from dualnet.ops import registry

from ._rules import AdamFamily, check_adam_options, check_nonneg, full_like
from .optimizer import zeros_like


def _check(lr, betas, eps, weight_decay, momentum_decay) -> None:
    check_adam_options(lr, betas, eps, weight_decay)
    check_nonneg("momentum_decay", momentum_decay)


class NAdam(AdamFamily):
    """Adam with Nesterov momentum and the momentum schedule
    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)). State: step, mu_product, exp_avg,
    exp_avg_sq."""

    _op = registry.get("nadam_update")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check(lr, betas, eps, weight_decay, momentum_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        _check(group["lr"], group["betas"], group["eps"], group["weight_decay"],
               group["momentum_decay"])

    def _init_state(self, st, data, group) -> None:
        st["step"] = self._wrap(self._zero_step(data))
        st["mu_product"] = self._wrap(full_like(data, 1.0, shape=()))
        st["exp_avg"] = self._wrap(zeros_like(data))
        st["exp_avg_sq"] = self._wrap(zeros_like(data))

    def _attrs(self, group) -> dict:
        return self._adam_attrs(
            group, momentum_decay=float(group["momentum_decay"]),
            decoupled_weight_decay=bool(group["decoupled_weight_decay"]))

    def _arrays(self, st, data, group) -> tuple:
        return (st["exp_avg"]._data, st["exp_avg_sq"]._data, st["mu_product"]._data,
                st["step"]._data, self._lr_array(group, data))
