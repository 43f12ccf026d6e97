"""`paddle.optimizer.Adadelta` (registry op `adadelta_update`):

    E(g^2) = rho * E(g^2) + (1 - rho) * g^2;  dx = -sqrt((E(dx^2) + eps) / (E(g^2) + eps)) * g
    E(dx^2) = rho * E(dx^2) + (1 - rho) * dx^2;  param += lr * dx

State: `{param}__avg_squared_grad_N`, `{param}__avg_squared_update_N`.
"""
from __future__ import annotations

from dualnet.ops import apply

from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta with Paddle's defaults (rho 0.95, epsilon 1e-6)."""

    def __init__(self, learning_rate=0.001, epsilon=1.0e-6, rho=0.95, parameters=None,
                 weight_decay=None, grad_clip=None, name=None):
        if learning_rate is None:
            raise ValueError("learning_rate is not set.")
        if epsilon is None:
            raise ValueError("epsilon is not set.")
        if rho is None:
            raise ValueError("rho is not set.")
        super().__init__(learning_rate, parameters, weight_decay, grad_clip, name)
        self._epsilon, self._rho = float(epsilon), float(rho)
        self._default_dict.update(epsilon=self._epsilon, rho=self._rho)

    def _create_accumulators(self, params: list) -> None:
        for p in params:
            self._add_accumulator("_avg_squared_grad", p)
            self._add_accumulator("_avg_squared_update", p)

    def _append_optimize_op(self, param, grad, lr) -> None:
        sq = self._get_accumulator("_avg_squared_grad", param)
        upd = self._get_accumulator("_avg_squared_update", param)
        outs = apply("adadelta_update", param, grad, sq, upd, self._param_lr(param, lr),
                     rho=float(self._setting(param, "rho", self._rho)),
                     eps=float(self._setting(param, "epsilon", self._epsilon)))
        self._write(outs, (param, sq, upd))
