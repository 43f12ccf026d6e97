"""RMSprop (torch.optim.RMSprop), optionally centered and with momentum."""
from __future__ import annotations

from dualnet.ops import registry

from ..tensor import Tensor
from ._rules import UpdateRuleOptimizer
from .optimizer import check_nonneg, zeros_like

_RMSPROP = registry.get("rmsprop_update")


def _check(lr, alpha, eps, weight_decay, momentum) -> None:
    check_nonneg("lr", lr, "learning rate")
    check_nonneg("eps", eps, "epsilon value")
    check_nonneg("momentum", momentum)
    check_nonneg("weight_decay", weight_decay)
    check_nonneg("alpha", alpha)


class RMSprop(UpdateRuleOptimizer):
    """s = alpha * s + (1 - alpha) * g * g; param -= lr * g / (sqrt(s) + eps) (s minus the
    squared running mean of g when `centered`; through a momentum buffer when momentum > 0)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check(lr, alpha, eps, weight_decay, momentum)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        _check(group["lr"], group["alpha"], group["eps"], group["weight_decay"],
               group["momentum"])

    _op = _RMSPROP

    def _attrs(self, group: dict) -> dict:
        return {"alpha": float(group["alpha"]), "eps": float(group["eps"]),
                "weight_decay": float(group["weight_decay"]),
                "momentum": float(group["momentum"]), "maximize": bool(group["maximize"]),
                "style": "torch"}

    def _init_state(self, st: dict, data, group: dict) -> None:
        st["step"] = Tensor._wrap(self._zero_step(data))
        st["square_avg"] = Tensor._wrap(zeros_like(data))

    def _arrays(self, st: dict, data, group: dict) -> tuple:
        # the buffers appear when momentum / centered are switched on (as in PyTorch)
        buf = st.get("momentum_buffer") if group["momentum"] > 0 else None
        if group["momentum"] > 0 and buf is None:
            buf = st["momentum_buffer"] = Tensor._wrap(zeros_like(data))
        avg = st.get("grad_avg") if group["centered"] else None
        if group["centered"] and avg is None:
            avg = st["grad_avg"] = Tensor._wrap(zeros_like(data))
        st["step"]._data += 1
        return (st["square_avg"]._data, None if buf is None else buf._data,
                None if avg is None else avg._data, self._lr_array(group, data))
