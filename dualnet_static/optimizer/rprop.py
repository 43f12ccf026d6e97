"""`paddle.optimizer.Rprop` (registry op `rprop_update`, full-batch training): per-element
learning rates grow by etas[1] while the gradient keeps its sign and shrink by etas[0] when it
flips (that update is skipped), within learning_rate_range.
State: `{param}_prevs_N`, `{param}_learning_rates_N` (filled with the learning rate).
"""
from __future__ import annotations

from dualnet.ops import apply

from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Resilient backpropagation (no weight decay, as Paddle)."""

    def __init__(self, learning_rate=0.001, learning_rate_range=(1e-5, 50), parameters=None,
                 etas=(0.5, 1.2), grad_clip=None, multi_precision=False, name=None):
        if learning_rate is None:
            raise ValueError("learning_rate is not set")
        lo, hi = learning_rate_range
        if not 0.0 < lo <= hi:
            raise ValueError(f"'0.0 < learning_rate_range[0] <= learning_rate_range[1]' must "
                             f"be true, but got {learning_rate_range}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"'0.0 < etas[0] < 1.0 < etas[1]' must be true, but got {etas}")
        super().__init__(learning_rate, parameters, None, grad_clip, name)
        self._range = (float(lo), float(hi))
        self._etas = (float(etas[0]), float(etas[1]))
        self._default_dict.update(learning_rate_range=self._range, etas=self._etas)

    def _regularizer_of(self, param):
        return getattr(param, "regularizer", None)

    def _create_accumulators(self, params: list) -> None:
        for p in params:
            self._add_accumulator("prevs", p)
            self._add_accumulator("learning_rates", p, fill_value=float(self.get_lr()))

    def _append_optimize_op(self, param, grad, lr) -> None:
        prev = self._get_accumulator("prevs", param)
        rates = self._get_accumulator("learning_rates", param)
        (lo, hi), (minus, plus) = self._range, self._etas
        outs = apply("rprop_update", param, grad, prev, rates, etaminus=minus, etaplus=plus,
                     step_size_min=lo, step_size_max=hi)
        self._write(outs, (param, prev, rates))
