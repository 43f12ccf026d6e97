"""RAdam (torch.optim.RAdam): registry op `radam_update`."""
from __future__ import annotations

from dualnet.ops import registry

from ._rules import AdamFamily, check_adam_options
from .optimizer import zeros_like


class RAdam(AdamFamily):
    """Rectified Adam: the adaptive step scaled by the variance rectification r_t once
    rho_t > 5, plain bias-corrected momentum before. State: step, exp_avg, exp_avg_sq."""

    _op = registry.get("radam_update")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        check_adam_options(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, st, data, group) -> None:
        st["step"] = self._wrap(self._zero_step(data))
        st["exp_avg"] = self._wrap(zeros_like(data))
        st["exp_avg_sq"] = self._wrap(zeros_like(data))

    def _attrs(self, group) -> dict:
        return self._adam_attrs(
            group, decoupled_weight_decay=bool(group["decoupled_weight_decay"]))

    def _arrays(self, st, data, group) -> tuple:
        return (st["exp_avg"]._data, st["exp_avg_sq"]._data, st["step"]._data,
                self._lr_array(group, data))
