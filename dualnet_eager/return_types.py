"""torch.return_types: the named (values, indices) results of sort, topk, kthvalue, median,
nanmedian, mode, cummax and cummin (pickled and compared as the namedtuples they are)."""
from __future__ import annotations

from collections import namedtuple

__all__ = ["sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax", "cummin"]


def _values_indices(name: str):
    cls = namedtuple(name, ["values", "indices"])
    cls.__module__ = __name__
    return cls


sort, topk, kthvalue, median, nanmedian, mode, cummax, cummin = (
    _values_indices(n) for n in __all__)
