"""Specs of dualnet/ops/statistics.py's primitive (bincount): a loop reference. (Plain
counts, weights=None, have no float input to differentiate: tests/static covers them.)"""
import numpy as np

from tests.ops.spec import OpSpec


def _bincount_ref(x, weights, minlength=0):
    size = max(int(x.max()) + 1 if x.size else 0, minlength)
    out = np.zeros(size, dtype=np.int64 if weights is None else weights.dtype)
    for i, v in enumerate(x):
        out[v] += 1 if weights is None else weights[i]
    return out


def _values(rng, dtype):
    return np.array([0, 3, 3, 1, 5, 3, 0], dtype=np.int64)


SPECS = [
    OpSpec("bincount", inputs=lambda r, d: (_values(r, d), r.standard_normal(7).astype(d)),
           ref=_bincount_ref, name="weights", data_dependent_shape=True),
    OpSpec("bincount", inputs=lambda r, d: (_values(r, d), r.standard_normal(7).astype(d)),
           ref=_bincount_ref, attrs={"minlength": 9}, name="minlength",
           data_dependent_shape=True),
]
