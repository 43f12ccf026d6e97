"""Stochastic gradient descent, optionally with (Nesterov) momentum: torch.optim.SGD."""
from __future__ import annotations

from dualnet.ops import registry

from ..tensor import Tensor
from ._rules import UpdateRuleOptimizer
from .optimizer import check_nonneg, zeros_like

_SGD = registry.get("sgd_update")
_MOMENTUM = registry.get("momentum_update")


class SGD(UpdateRuleOptimizer):
    """param -= lr * g, or with momentum: b = momentum * b + (1 - dampening) * g (b = g on the
    first step), param -= lr * (g + momentum * b if nesterov else b); g includes the L2 term
    weight_decay * param and is negated when `maximize`."""

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        self._validate_group(defaults)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict) -> None:
        check_nonneg("lr", group["lr"], "learning rate")
        check_nonneg("momentum", group["momentum"])
        check_nonneg("weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _op_for(self, group: dict):
        return _MOMENTUM if group["momentum"] else _SGD

    def _attrs(self, group: dict) -> dict:
        attrs = {"weight_decay": float(group["weight_decay"]),
                 "maximize": bool(group["maximize"])}
        if group["momentum"]:
            attrs.update(momentum=float(group["momentum"]),
                         dampening=float(group["dampening"]),
                         nesterov=bool(group["nesterov"]))
        return attrs

    def _init_state(self, st: dict, data, group: dict) -> None:
        pass  # the momentum buffer appears at the first step with momentum (_arrays)

    def _arrays(self, st: dict, data, group: dict) -> tuple:
        if not group["momentum"]:
            return (self._lr_array(group, data),)
        buf = st.get("momentum_buffer")
        if buf is None:  # PyTorch starts the buffer as the first gradient
            buf = st["momentum_buffer"] = Tensor._wrap(zeros_like(data))
            step = self._zero_step(data)
        else:  # no step: the buffer holds history (PyTorch's SGD state has no counter)
            step = None
        return buf._data, step, self._lr_array(group, data)

