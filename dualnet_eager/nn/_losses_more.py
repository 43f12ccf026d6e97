"""torch.nn.functional: more losses, activations and normalizations."""
from __future__ import annotations

__all__: list = []
