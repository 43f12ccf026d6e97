"""paddle.static.nn: the static-graph layer functions (fc, conv2d, batch_norm, embedding, ...)
that create their parameters in the program being built."""
from __future__ import annotations

__all__: list = []
