"""Adam (torch.optim.Adam): L2 weight decay added to the gradient, optional AMSGrad, and
PyTorch 2.7's `decoupled_weight_decay=True` (which is AdamW)."""
from __future__ import annotations

from dualnet.ops import registry

from ..tensor import Tensor
from ._rules import AdamFamily, check_adam_options
from .optimizer import zeros_like

_ADAM = registry.get("adam_update")
_ADAMW = registry.get("adamw_update")


class Adam(AdamFamily):
    """m = beta1 * m + (1 - beta1) * g, v = beta2 * v + (1 - beta2) * g * g,
    param -= lr * m_hat / (sqrt(v_hat) + eps) with bias-corrected m_hat, v_hat (v_hat from the
    running max of v with `amsgrad`); g includes weight_decay * param unless decoupled."""

    _decoupled_default = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=None):
        check_adam_options(lr, betas, eps, weight_decay)
        if decoupled_weight_decay is None:
            decoupled_weight_decay = self._decoupled_default
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _op_for(self, group: dict):
        return _ADAMW if group.get("decoupled_weight_decay", False) else _ADAM

    def _attrs(self, group: dict) -> dict:
        return self._adam_attrs(group)

    def _init_state(self, st: dict, data, group: dict) -> None:
        st["step"] = Tensor._wrap(self._zero_step(data))
        st["exp_avg"] = Tensor._wrap(zeros_like(data))
        st["exp_avg_sq"] = Tensor._wrap(zeros_like(data))
        if group["amsgrad"]:
            st["max_exp_avg_sq"] = Tensor._wrap(zeros_like(data))

    def _arrays(self, st: dict, data, group: dict) -> tuple:
        vmax = st.get("max_exp_avg_sq") if group["amsgrad"] else None
        if group["amsgrad"] and vmax is None:  # amsgrad switched on after the first steps
            vmax = st["max_exp_avg_sq"] = Tensor._wrap(st["exp_avg_sq"]._data.copy())
        return (st["exp_avg"]._data, st["exp_avg_sq"]._data,
                None if vmax is None else vmax._data, st["step"]._data,
                self._lr_array(group, data))

