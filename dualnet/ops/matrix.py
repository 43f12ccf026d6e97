"""Matrix functions (registered on import): decompositions, inverses and solves."""
from __future__ import annotations
