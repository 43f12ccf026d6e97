"""torch.utils: `utils.data` (datasets and the DataLoader) and `utils.checkpoint`
(activation checkpointing)."""
from . import data  # noqa: F401
from . import checkpoint  # noqa: F401
