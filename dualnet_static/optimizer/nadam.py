"""`paddle.optimizer.NAdam` (registry op `nadam_update`): Adam with Nesterov momentum and
the schedule mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)).
State: `{param}_moment1_N`, `{param}_moment2_N`, `{param}_mu_product_N` ([1], starts at 1),
`{param}_step_N` (int64 [1]).
"""
from __future__ import annotations

import numpy as np

from dualnet.ops import apply

from .adam import _check_moments, _float
from .optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam (weight_decay: a float means L2Decay, added to the gradient)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1.0e-8,
                 momentum_decay=0.004, parameters=None, weight_decay=None, grad_clip=None,
                 name=None):
        _check_moments(beta1, beta2, epsilon, newer=True)
        if not 0 <= _float("momentum_decay", momentum_decay):
            raise ValueError(f"Invalid value of momentum_decay, expect momentum_decay >= 0, "
                             f"got {momentum_decay}")
        super().__init__(learning_rate, parameters, weight_decay, grad_clip, name)
        self._beta1, self._beta2, self._epsilon = float(beta1), float(beta2), float(epsilon)
        self._momentum_decay = float(momentum_decay)
        self._default_dict.update(beta1=self._beta1, beta2=self._beta2, epsilon=self._epsilon,
                                  momentum_decay=self._momentum_decay)

    def _create_accumulators(self, params: list) -> None:
        for p in params:
            self._add_accumulator("moment1", p)
            self._add_accumulator("moment2", p)
            self._add_accumulator("mu_product", p, fill_value=1.0, shape=(1,))
            self._add_accumulator("step", p, dtype=np.int64, shape=(1,))

    def _append_optimize_op(self, param, grad, lr) -> None:
        acc = [self._get_accumulator(n, param)
               for n in ("moment1", "moment2", "mu_product", "step")]
        outs = apply("nadam_update", param, grad, *acc, self._param_lr(param, lr),
                     **self._moment_attrs(param),
                     momentum_decay=float(self._setting(param, "momentum_decay",
                                                        self._momentum_decay)))
        self._write(outs, (param, *acc))
