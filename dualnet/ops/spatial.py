"""Spatial composites and primitives shared by both front ends: sampling grids, folding,
unpooling, power-average pooling, channel shuffles (registered on import)."""
from __future__ import annotations
