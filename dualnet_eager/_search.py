"""torch's sorting, searching, indexing and reshaping functions beyond functions.py (torch.sort,
topk, ...), and the Tensor methods of the same names (SearchMethods, a Tensor base)."""
from __future__ import annotations

__all__: list = []


class SearchMethods:
    __slots__ = ()
