"""`paddle.optimizer.Adamax` (registry op `adamax_update`, style="paddle"):

    m = beta1 * m + (1 - beta1) * g;  u = max(beta2 * u + epsilon, |g|)
    param -= lr / (1 - beta1^t) * m / u

State: `{param}_moment_N`, `{param}_inf_norm_N`, `{param}_step_N` (int64 [1]; Paddle keeps
beta1^t instead).
"""
from __future__ import annotations

import numpy as np

from dualnet.ops import apply

from .adam import _check_moments
from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adam's infinity-norm variant (weight_decay: a float means L2Decay)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 parameters=None, weight_decay=None, grad_clip=None, name=None):
        _check_moments(beta1, beta2, epsilon)
        super().__init__(learning_rate, parameters, weight_decay, grad_clip, name)
        self._beta1, self._beta2, self._epsilon = float(beta1), float(beta2), float(epsilon)
        self._default_dict.update(beta1=self._beta1, beta2=self._beta2, epsilon=self._epsilon)

    def _create_accumulators(self, params: list) -> None:
        for p in params:
            self._add_accumulator("moment", p)
            self._add_accumulator("inf_norm", p)
            self._add_accumulator("step", p, dtype=np.int64, shape=(1,))

    def _append_optimize_op(self, param, grad, lr) -> None:
        acc = [self._get_accumulator(n, param) for n in ("moment", "inf_norm", "step")]
        outs = apply("adamax_update", param, grad, *acc, self._param_lr(param, lr),
                     **self._moment_attrs(param), style="paddle")
        self._write(outs, (param, *acc))
