"""Paddle's reductions, statistics, scans and matrix functions beyond math.py and linalg.py
(also Variable methods)."""
from __future__ import annotations

__all__: list = []
