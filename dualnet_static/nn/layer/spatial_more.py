"""paddle.nn layers: more spatial layers."""
from __future__ import annotations

__all__: list = []
