"""Paddle's indexing, scatter/gather and manipulation functions beyond manipulation.py and
search.py (also Variable methods)."""
from __future__ import annotations

__all__: list = []
