"""torch.linalg (imported lazily as `torch.linalg`)."""
from __future__ import annotations
