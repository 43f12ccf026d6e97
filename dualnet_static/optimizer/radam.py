"""`paddle.optimizer.RAdam` (registry op `radam_update`): rectified Adam, the adaptive step
scaled by r_t once rho_t > 5, bias-corrected momentum before.
State: `{param}_moment1_N`, `{param}_moment2_N`, `{param}_step_N` (int64 [1]).
"""
from __future__ import annotations

import numpy as np

from dualnet.ops import apply

from .adam import _check_moments
from .optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam (weight_decay: a float means L2Decay, added to the gradient)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1.0e-8,
                 parameters=None, weight_decay=None, grad_clip=None, name=None):
        _check_moments(beta1, beta2, epsilon, newer=True)
        super().__init__(learning_rate, parameters, weight_decay, grad_clip, name)
        self._beta1, self._beta2, self._epsilon = float(beta1), float(beta2), float(epsilon)
        self._default_dict.update(beta1=self._beta1, beta2=self._beta2, epsilon=self._epsilon)

    def _create_accumulators(self, params: list) -> None:
        for p in params:
            self._add_accumulator("moment1", p)
            self._add_accumulator("moment2", p)
            self._add_accumulator("step", p, dtype=np.int64, shape=(1,))

    def _append_optimize_op(self, param, grad, lr) -> None:
        acc = [self._get_accumulator(n, param) for n in ("moment1", "moment2", "step")]
        outs = apply("radam_update", param, grad, *acc, self._param_lr(param, lr),
                     **self._moment_attrs(param))
        self._write(outs, (param, *acc))
