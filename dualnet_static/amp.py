"""`paddle.amp`: auto_cast, decorate, GradScaler - pass-throughs here.

Mixed precision needs a GPU; Paddle itself turns auto_cast and GradScaler off on a CPU place
(with a warning). dualnet_static does the same everywhere: auto_cast changes no dtype,
decorate returns the models and optimizers unchanged, and GradScaler's loss scale is 1
(`scale(loss)` is `loss`, `minimize`/`step` call the optimizer), so float32 training is exact.
"""
from __future__ import annotations

import contextlib

__all__ = ["auto_cast", "amp_guard", "decorate", "amp_decorate", "GradScaler", "AmpScaler",
           "is_float16_supported", "is_bfloat16_supported"]


@contextlib.contextmanager
def auto_cast(enable: bool = True, custom_white_list=None, custom_black_list=None,
              level: str = "O1", dtype: str = "float16", use_promote: bool = True):
    """Mixed-precision region: ops keep their float32 dtype here (no GPU)."""
    if level not in ("O0", "OD", "O1", "O2"):
        raise ValueError(f"level should be O0, OD, O1 or O2, got {level!r}")
    if dtype not in ("float16", "bfloat16"):
        raise ValueError(f"dtype should be 'float16' or 'bfloat16', got {dtype!r}")
    yield


amp_guard = auto_cast


def decorate(models, optimizers=None, level: str = "O1", dtype: str = "float16",
             master_weight=None, save_dtype=None, master_grad: bool = False,
             excluded_layers=None):
    """The models (and optimizers, when given) unchanged: parameters stay float32."""
    if level not in ("O1", "O2"):
        raise ValueError(f"level should be O1 or O2, got {level!r}")
    return models if optimizers is None else (models, optimizers)


amp_decorate = decorate


class GradScaler:
    """Loss scaling for float16 training; disabled here, so the scale is 1 (Paddle disables
    it on CPU too): scale() returns the loss, minimize()/step() run the optimizer."""

    def __init__(self, enable: bool = True, init_loss_scaling: float = 65536.0,
                 incr_ratio: float = 2.0, decr_ratio: float = 0.5,
                 incr_every_n_steps: int = 2000, decr_every_n_nan_or_inf: int = 1,
                 use_dynamic_loss_scaling: bool = True):
        self._init_loss_scaling = float(init_loss_scaling)
        self._incr_ratio, self._decr_ratio = float(incr_ratio), float(decr_ratio)
        self._incr_every_n_steps = int(incr_every_n_steps)
        self._decr_every_n_nan_or_inf = int(decr_every_n_nan_or_inf)
        self._use_dynamic_loss_scaling = bool(use_dynamic_loss_scaling)
        self._enable = False

    def scale(self, var):
        return var

    def minimize(self, optimizer, *args, **kwargs):
        return optimizer.minimize(*args, **kwargs)

    def step(self, optimizer) -> None:
        optimizer.step()

    def update(self) -> None:
        """Adjust the loss scale after a step (nothing to adjust)."""

    def unscale_(self, optimizer) -> None:
        """Divide the gradients by the scale (it is 1)."""

    def is_enable(self) -> bool:
        return self._enable

    def is_use_dynamic_loss_scaling(self) -> bool:
        return self._use_dynamic_loss_scaling

    def get_init_loss_scaling(self) -> float:
        return self._init_loss_scaling

    def set_init_loss_scaling(self, new_init_loss_scaling: float) -> None:
        self._init_loss_scaling = float(new_init_loss_scaling)

    def get_loss_scaling(self) -> float:
        return 1.0

    def get_incr_ratio(self) -> float:
        return self._incr_ratio

    def set_incr_ratio(self, new_incr_ratio: float) -> None:
        self._incr_ratio = float(new_incr_ratio)

    def get_decr_ratio(self) -> float:
        return self._decr_ratio

    def set_decr_ratio(self, new_decr_ratio: float) -> None:
        self._decr_ratio = float(new_decr_ratio)

    def get_incr_every_n_steps(self) -> int:
        return self._incr_every_n_steps

    def set_incr_every_n_steps(self, n: int) -> None:
        self._incr_every_n_steps = int(n)

    def get_decr_every_n_nan_or_inf(self) -> int:
        return self._decr_every_n_nan_or_inf

    def set_decr_every_n_nan_or_inf(self, n: int) -> None:
        self._decr_every_n_nan_or_inf = int(n)

    def state_dict(self) -> dict:
        return {"scale": 1.0, "incr_ratio": self._incr_ratio, "decr_ratio": self._decr_ratio,
                "incr_every_n_steps": self._incr_every_n_steps,
                "decr_every_n_nan_or_inf": self._decr_every_n_nan_or_inf,
                "use_dynamic_loss_scaling": self._use_dynamic_loss_scaling}

    def load_state_dict(self, state_dict: dict) -> None:
        for key in ("incr_ratio", "decr_ratio", "incr_every_n_steps",
                    "decr_every_n_nan_or_inf", "use_dynamic_loss_scaling"):
            if key in state_dict:
                setattr(self, "_" + key, state_dict[key])


AmpScaler = GradScaler


def is_float16_supported(device=None) -> bool:
    return False


def is_bfloat16_supported(device=None) -> bool:
    return False
