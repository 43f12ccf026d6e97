"""`paddle.optimizer.ASGD` (registry op `sag_update`; Paddle's ASGD is the stochastic average
gradient): with n = batch_num slots y_i of stored gradients and i = m % n,

    d = d - y_i + g;  y_i = g;  m += 1;  param -= lr * d / min(m, n)

(a float weight_decay means L2Decay, added to g). State: `{param}_d_N`, `{param}_y_N`
([batch_num] + param shape), `{param}_m_N` (int64 [1]).
"""
from __future__ import annotations

import numpy as np

from dualnet.ops import apply

from .optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged stochastic gradient over the last batch_num gradients."""

    def __init__(self, learning_rate=0.001, batch_num=1, parameters=None, weight_decay=None,
                 grad_clip=None, multi_precision=False, name=None):
        if learning_rate is None:
            raise ValueError("learning_rate should not be none")
        if batch_num is None:
            raise ValueError("batch_num should not be none")
        if not 0 < batch_num:
            raise ValueError("batch_num should be greater than 0")
        super().__init__(learning_rate, parameters, weight_decay, grad_clip, name)
        self._n = int(batch_num)

    def _create_accumulators(self, params: list) -> None:
        for p in params:
            self._add_accumulator("d", p)
            self._add_accumulator("y", p, shape=(self._n,) + tuple(p.shape))
            self._add_accumulator("m", p, dtype=np.int64, shape=(1,))

    def _append_optimize_op(self, param, grad, lr) -> None:
        acc = [self._get_accumulator(n, param) for n in ("d", "y", "m")]
        outs = apply("sag_update", param, grad, *acc, self._param_lr(param, lr))
        self._write(outs, (param, *acc))
