"""Cyclical schedules of `paddle.optimizer.lr`: OneCycleLR, CyclicLR and
CosineAnnealingWarmRestarts (Paddle's argument names; step them per batch)."""
from __future__ import annotations

import math

from dualnet.schedules import warm_restart_step

from .lr import LRScheduler

__all__ = ["OneCycleLR", "CyclicLR", "CosineAnnealingWarmRestarts"]


class OneCycleLR(LRScheduler):
    """Warm up from max_learning_rate / divide_factor to max_learning_rate over phase_pct of
    total_steps, then anneal to end_learning_rate (three_phase: back to the initial rate
    first)."""

    def __init__(self, max_learning_rate, total_steps, divide_factor=25.0,
                 end_learning_rate=0.0001, phase_pct=0.3, anneal_strategy="cos",
                 three_phase=False, last_epoch=-1, verbose=False):
        if not isinstance(max_learning_rate, (float, int)) or max_learning_rate < 0:
            raise ValueError(f"'max_learning_rate' must be a non-negative number, got "
                             f"{max_learning_rate!r}")
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError(f"'total_steps' must be a positive integer, got {total_steps!r}")
        if not 0 <= phase_pct < 1:
            raise ValueError(f"'phase_pct' should be in [0, 1), got {phase_pct}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"'anneal_strategy' must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        self.total_steps = total_steps
        initial = float(max_learning_rate) / divide_factor
        peak, low = float(max_learning_rate), float(end_learning_rate)
        up = float(phase_pct * total_steps) - 1
        if three_phase:
            ends = [up, float(2 * phase_pct * total_steps) - 2, total_steps - 1]
            rates = [initial, peak, initial, low]
        else:
            ends, rates = [up, total_steps - 1], [initial, peak, low]
        self._phases = list(zip(ends, rates[:-1], rates[1:]))
        self.anneal_strategy = anneal_strategy
        super().__init__(initial, last_epoch, verbose)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. However the number of total steps "
                             f"is {self.total_steps}")
        start = 0.0
        for i, (end, lr0, lr1) in enumerate(self._phases):
            if step <= end or i == len(self._phases) - 1:
                return self._anneal(lr0, lr1, (step - start) / (end - start))
            start = end


class CyclicLR(LRScheduler):
    """Cyclical learning rate between base_learning_rate and max_learning_rate: step_size_up
    steps up, step_size_down down; the amplitude scaled per cycle ('triangular2') or per
    iteration ('exp_range': exp_gamma^iteration), or by scale_fn."""

    def __init__(self, base_learning_rate, max_learning_rate, step_size_up,
                 step_size_down=None, mode="triangular", exp_gamma=1.0, scale_fn=None,
                 scale_mode="cycle", last_epoch=-1, verbose=False):
        if not isinstance(step_size_up, int) or step_size_up <= 0:
            raise ValueError(f"'step_size_up' must be a positive integer, got {step_size_up}")
        if step_size_down is not None and (not isinstance(step_size_down, int)
                                           or step_size_down <= 0):
            raise ValueError(f"'step_size_down' must be a positive integer, got "
                             f"{step_size_down}")
        if scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError("'mode' is invalid and 'scale_fn' is not specified, make sure "
                             "one of 'mode' or 'scale_fn' is valid")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError("'scale_mode' must be one of 'cycle' or 'iterations")
        self.max_lr = float(max_learning_rate)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.cycle_size = up + down
        self.step_up_pct = up / self.cycle_size
        self.mode, self.exp_gamma = mode, exp_gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode if scale_fn is not None else \
            ("iterations" if mode == "exp_range" else "cycle")
        super().__init__(base_learning_rate, last_epoch, verbose)

    def scale_fn(self, x):
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.exp_gamma ** x

    def get_lr(self):
        it = self.last_epoch
        cycle = 1 + it // self.cycle_size
        pct = 1.0 + it / self.cycle_size - cycle
        if pct <= self.step_up_pct:
            scale = pct / self.step_up_pct
        else:
            scale = (1 - pct) / (1 - self.step_up_pct)
        amplitude = self.scale_fn(cycle if self.scale_mode == "cycle" else it)
        return self.base_lr + (self.max_lr - self.base_lr) * scale * amplitude


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: eta_min + (learning_rate - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2, restarted
    every T_i epochs, T_i growing by T_mult; `step(epoch)` accepts fractional epochs."""

    def __init__(self, learning_rate, T_0, T_mult=1, eta_min=0, last_epoch=-1, verbose=False):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        self.T_0, self.T_i, self.T_mult = T_0, T_0, T_mult
        self.eta_min = float(eta_min)
        self.T_cur = last_epoch
        super().__init__(learning_rate, last_epoch, verbose)

    def get_lr(self):
        return self.eta_min + (self.base_lr - self.eta_min) * \
            (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2

    def step(self, epoch=None):
        epoch, self.T_cur, self.T_i = warm_restart_step(
            epoch, self.last_epoch, self.T_cur, self.T_i, self.T_0, self.T_mult)
        self.last_epoch = math.floor(epoch)
        self.last_lr = self.get_lr()
        if self.verbose:
            print(f"Epoch {self.last_epoch}: {type(self).__name__} set learning rate to "
                  f"{self.last_lr}.")
        self._sync()

    def state_keys(self):
        self.keys = ["last_epoch", "last_lr", "T_i", "T_cur"]
