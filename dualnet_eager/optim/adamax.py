"""Adamax (torch.optim.Adamax): registry op `adamax_update` (style "torch")."""
from __future__ import annotations

from dualnet.ops import registry

from ._rules import AdamFamily, check_adam_options
from .optimizer import zeros_like


class Adamax(AdamFamily):
    """m = beta1 * m + (1 - beta1) * g; u = max(beta2 * u, |g| + eps);
    param -= lr / (1 - beta1^t) * m / u. State: step, exp_avg, exp_inf."""

    _op = registry.get("adamax_update")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_adam_options(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, st, data, group) -> None:
        st["step"] = self._wrap(self._zero_step(data))
        st["exp_avg"] = self._wrap(zeros_like(data))
        st["exp_inf"] = self._wrap(zeros_like(data))

    def _attrs(self, group) -> dict:
        return self._adam_attrs(group, style="torch")

    def _arrays(self, st, data, group) -> tuple:
        return (st["exp_avg"]._data, st["exp_inf"]._data, st["step"]._data,
                self._lr_array(group, data))
