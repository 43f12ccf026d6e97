"""`paddle.optimizer.Lamb` (registry op `lamb_update`):

    m, v: Adam moments;  r = m_hat / (sqrt(v_hat) + epsilon) + lamb_weight_decay * param
    param -= lr * ||param|| / ||r|| * r

`exclude_from_weight_decay_fn(param)` returning True sets the decay of that parameter to 0
(and, unless always_adapt, skips the trust ratio). There is no `weight_decay` regularizer.
State: `{param}_moment1_N`, `{param}_moment2_N`, `{param}_step_N` (int64 [1]).
"""
from __future__ import annotations

import numpy as np

from dualnet.ops import apply

from .adam import _float
from .optimizer import Optimizer

__all__ = ["Lamb"]


class Lamb(Optimizer):
    """Layer-wise adaptive moments for large-batch training."""

    def __init__(self, learning_rate=0.001, lamb_weight_decay=0.01, beta1=0.9, beta2=0.999,
                 epsilon=1e-6, parameters=None, grad_clip=None,
                 exclude_from_weight_decay_fn=None, multi_precision=False, always_adapt=False,
                 name=None):
        for label, value in (("learning_rate", learning_rate), ("beta1", beta1),
                             ("beta2", beta2), ("epsilon", epsilon)):
            if value is None:
                raise ValueError(f"{label} is not set.")
        _float("lamb_weight_decay", lamb_weight_decay)
        super().__init__(learning_rate, parameters, None, grad_clip, name)
        self._lamb_weight_decay = float(lamb_weight_decay)
        self._beta1, self._beta2, self._epsilon = float(beta1), float(beta2), float(epsilon)
        self._exclude_fn = exclude_from_weight_decay_fn
        self._always_adapt = bool(always_adapt)
        self._default_dict.update(beta1=self._beta1, beta2=self._beta2, epsilon=self._epsilon,
                                  lamb_weight_decay=self._lamb_weight_decay)

    def _regularizer_of(self, param):
        return getattr(param, "regularizer", None)

    def _create_accumulators(self, params: list) -> None:
        for p in params:
            self._add_accumulator("moment1", p)
            self._add_accumulator("moment2", p)
            self._add_accumulator("step", p, dtype=np.int64, shape=(1,))

    def _append_optimize_op(self, param, grad, lr) -> None:
        acc = [self._get_accumulator(n, param) for n in ("moment1", "moment2", "step")]
        decay = float(self._setting(param, "lamb_weight_decay", self._lamb_weight_decay))
        if self._exclude_fn is not None and self._exclude_fn(param):
            decay = 0.0
        outs = apply("lamb_update", param, grad, *acc, self._param_lr(param, lr),
                     **self._moment_attrs(param),
                     weight_decay=decay, always_adapt=self._always_adapt)
        self._write(outs, (param, *acc))
