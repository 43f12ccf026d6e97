"""Learning-rate schedule arithmetic shared by torch.optim.lr_scheduler and paddle.optimizer.lr
(framework-neutral: plain numbers in, plain numbers out)."""
from __future__ import annotations

import math


def warm_restart_step(epoch, last_epoch: int, T_cur, T_i, T_0: int, T_mult: int) -> tuple:
    """SGDR's position after a step: (epoch, T_cur, T_i). `epoch` None advances by one
    (restarting the cycle, T_mult times longer, at its end); a given epoch, possibly
    fractional (a step per batch), is placed in its cycle directly."""
    if epoch is None and last_epoch < 0:
        epoch = 0
    if epoch is None:
        epoch = last_epoch + 1
        T_cur += 1
        if T_cur >= T_i:
            T_cur -= T_i
            T_i *= T_mult
    elif epoch < 0:
        raise ValueError(f"Expected non-negative epoch, but got {epoch}")
    elif epoch >= T_0:
        if T_mult == 1:
            T_cur = epoch % T_0
        else:
            n = int(math.log(epoch / T_0 * (T_mult - 1) + 1, T_mult))
            T_cur = epoch - T_0 * (T_mult ** n - 1) / (T_mult - 1)
            T_i = T_0 * T_mult ** n
    else:
        T_i, T_cur = T_0, epoch
    return epoch, T_cur, T_i
