"""torch.nn.functional: more spatial functions (sampling grids, folding, pooling variants)."""
from __future__ import annotations

__all__: list = []
