"""Paddle's math, special-function and statistics functions beyond math.py (also Variable methods)."""
from __future__ import annotations

__all__: list = []
