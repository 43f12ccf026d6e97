"""Sorting and scanning primitives beyond argsort (registered on import)."""
from __future__ import annotations
