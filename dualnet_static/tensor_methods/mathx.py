"""Paddle's elementwise math and special functions beyond math.py (also Variable methods)."""
from __future__ import annotations

__all__: list = []
