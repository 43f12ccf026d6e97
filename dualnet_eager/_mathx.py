"""torch's math, linear-algebra and random functions beyond functions.py (torch.addmm,
atan2, ...), and the Tensor methods of the same names (MathMethods, a Tensor base)."""
from __future__ import annotations

__all__: list = []


class MathMethods:
    __slots__ = ()
