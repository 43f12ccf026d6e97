"""`paddle.optimizer.Adam` (registry op `adam_update`):

    t += 1;  m1 = beta1 * m1 + (1 - beta1) * g;  m2 = beta2 * m2 + (1 - beta2) * g * g
    param -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m1 / (sqrt(m2) + eps * sqrt(1 - beta2^t))

(Paddle's kernel; its docs drop the eps correction). State: `{param}_moment1_N`,
`{param}_moment2_N`, `{param}_step_N` (int64 [1], the number of updates done; Paddle keeps
beta1^t and beta2^t instead), and `{param}_moment2_max_N` with amsgrad.
"""
from __future__ import annotations

import numpy as np

from dualnet.ops import apply

from .optimizer import Optimizer

__all__ = ["Adam"]


def _float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a float, got {type(value).__name__} (Tensor-valued "
                        f"{name} is not supported)")
    return float(value)


def _check_moments(beta1, beta2, epsilon, newer: bool = False) -> None:
    """Paddle's checks (and messages) of the Adam family's beta1, beta2 and epsilon: Adam's
    and Adamax's say "Invaild"; the newer RAdam's and NAdam's (`newer`) spell it right and
    give the value."""
    for name, value, rule in (("beta1", beta1, "in [0,1)"), ("beta2", beta2, "in [0,1)"),
                              ("epsilon", epsilon, ">= 0")):
        v = _float(name, value)
        if not (0 <= v < 1 if name != "epsilon" else 0 <= v):
            raise ValueError(f"Invalid value of {name}, expect {name} {rule}, got {value}"
                             if newer else f"Invaild value of {name}, expect {name} {rule}.")


class Adam(Optimizer):
    """Adam with L2 weight decay (a float weight_decay means L2Decay, added to the grad)."""

    _update_op = "adam_update"

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08,
                 parameters=None, weight_decay=None, grad_clip=None, lazy_mode=False,
                 multi_precision=False, use_multi_tensor=False, amsgrad=False, name=None):
        _check_moments(beta1, beta2, epsilon)
        super().__init__(learning_rate, parameters, weight_decay, grad_clip, name)
        self._beta1, self._beta2, self._epsilon = float(beta1), float(beta2), float(epsilon)
        self._lazy_mode = lazy_mode
        self._amsgrad = bool(amsgrad)
        self._default_dict.update(beta1=self._beta1, beta2=self._beta2, epsilon=self._epsilon,
                                  lazy_mode=lazy_mode)

    def _create_accumulators(self, params: list) -> None:
        for p in params:
            self._add_accumulator("moment1", p)
            self._add_accumulator("moment2", p)
            if self._amsgrad:
                self._add_accumulator("moment2_max", p)
            self._add_accumulator("step", p, dtype=np.int64, shape=(1,))

    def _decay_attrs(self, param, lr) -> tuple:
        """(lr, extra attrs) of the update op (AdamW adds its decoupled decay)."""
        return self._param_lr(param, lr), {}

    def _append_optimize_op(self, param, grad, lr) -> None:
        m1 = self._get_accumulator("moment1", param)
        m2 = self._get_accumulator("moment2", param)
        vmax = self._get_accumulator("moment2_max", param) if self._amsgrad else None
        step = self._get_accumulator("step", param)
        plr, extra = self._decay_attrs(param, lr)
        outs = apply(self._update_op, param, grad, m1, m2, vmax, step, plr,
                     **self._moment_attrs(param), **extra)
        self._write(outs, (param, m1, m2, vmax, step))
