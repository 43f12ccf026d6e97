"""paddle.nn.functional: more spatial functions."""
from __future__ import annotations

__all__: list = []
