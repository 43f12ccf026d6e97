"""`paddle.optimizer.Momentum`: velocity = mu * velocity + grad; param -= lr * velocity
(use_nesterov: param -= lr * (grad + mu * velocity)). Registry op `momentum_update` with
dampening 0 and no step (the velocity starts at zero, so there is no first-step case; a
constant step would be copied before every update, as the op counts it in place)."""
from __future__ import annotations

from dualnet.ops import apply

from .optimizer import Optimizer

__all__ = ["Momentum"]


class Momentum(Optimizer):
    """SGD with (Nesterov) momentum; state `{param}_velocity_N`."""

    def __init__(self, learning_rate=0.001, momentum=0.9, parameters=None, use_nesterov=False,
                 weight_decay=None, grad_clip=None, multi_precision=False, rescale_grad=1.0,
                 use_multi_tensor=False, name=None):
        if learning_rate is None:
            raise ValueError("learning_rate is not set")
        if momentum is None:
            raise ValueError("momentum is not set")
        super().__init__(learning_rate, parameters, weight_decay, grad_clip, name)
        self._momentum = float(momentum)
        self._use_nesterov = bool(use_nesterov)
        self._rescale_grad = float(rescale_grad)
        self._default_dict.update(momentum=self._momentum, use_nesterov=self._use_nesterov,
                                  rescale_grad=self._rescale_grad)

    def _create_accumulators(self, params: list) -> None:
        for p in params:
            self._add_accumulator("velocity", p)

    def _append_optimize_op(self, param, grad, lr) -> None:
        velocity = self._get_accumulator("velocity", param)
        rescale = float(self._setting(param, "rescale_grad", self._rescale_grad))
        if rescale != 1.0:
            grad = grad * rescale
        outs = apply("momentum_update", param, grad, velocity, None, self._param_lr(param, lr),
                     momentum=float(self._setting(param, "momentum", self._momentum)),
                     nesterov=bool(self._setting(param, "use_nesterov", self._use_nesterov)))
        self._write(outs[:2], (param, velocity))
