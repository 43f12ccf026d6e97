"""OpInfo-style op specs: one database, every generic test parametrized over it.

A spec names a registry op, builds sample inputs (away from kinks), and gives an independent
NumPy reference. `tests/ops/test_ops.py` checks, for every spec: forward vs reference, `infer` vs
the actual output, vjp vs float64 central differences; and the registry test fails when an op
has no spec (gradient kernels are covered through the op whose vjp uses them: `covers`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class OpSpec:
    op: str
    inputs: Callable  # (rng, dtype) -> tuple of inputs (arrays, None for absent optional inputs)
    ref: Callable | None  # NumPy reference: ref(*inputs, **attrs) -> array or tuple of arrays
    attrs: dict = field(default_factory=dict)
    name: str = ""  # distinguishes several specs of one op
    dtypes: tuple = ("float32", "float64")
    grad: tuple | None = None  # input indices to check by finite differences (None: float
    #                             ones; (): none, e.g. inputs on a piecewise-constant op's jumps)
    grad_outputs: tuple | None = None  # output indices that get a cotangent (None: all float)
    atol: float = 1e-5
    rtol: float = 1e-4
    grad_atol: float = 1e-5
    grad_rtol: float = 1e-4
    eps: float = 1e-6
    second_order: bool = False  # smooth ops: also check the vjp of the vjp (eager tests)
    covers: tuple = ()  # grad kernels exercised through this op's vjp
    random: bool = False  # forward is random: reference compares with the op's own mask
    data_dependent_shape: bool = False  # e.g. x[mask]: infer can only say -1 for that dim

    @property
    def id(self) -> str:
        return f"{self.op}-{self.name}" if self.name else self.op


def randn(rng, dtype, *shape):
    return rng.standard_normal(shape).astype(dtype)


def uniform(rng, dtype, lo, hi, *shape):
    return rng.uniform(lo, hi, shape).astype(dtype)


def away_from(rng, dtype, shape, points=(0.0,), gap=0.1):
    """Normal samples nudged at least `gap` away from the kinks in `points`."""
    x = rng.standard_normal(shape)
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = p + np.where(x[near] >= p, gap, -gap) * 2
    return x.astype(dtype)


def distinct(rng, dtype, *shape):
    """Values with no ties (for max/min/sort-like ops): a shuffled, spread-out range."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * 0.37 - n * 0.18).astype(dtype)
