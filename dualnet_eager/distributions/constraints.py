"""torch.distributions.constraints: what parameters and samples must satisfy (checked on the
concrete values when validate_args is on)."""
from __future__ import annotations

import numpy as np


def _np(value) -> np.ndarray:
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


class Constraint:
    is_discrete = False
    event_dim = 0

    def check(self, value) -> np.ndarray:
        raise NotImplementedError

    def check_all(self, value) -> bool:
        return bool(np.all(self.check(_np(value))))

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Real(Constraint):
    def check(self, v):
        return v == v  # False for NaN


class _GreaterThan(Constraint):
    def __init__(self, lower_bound, eq=False):
        self.lower_bound, self.eq = lower_bound, eq

    def check(self, v):
        lb = _np(self.lower_bound)
        return (v >= lb) if self.eq else (v > lb)

    def __repr__(self):
        return f"{'GreaterThanEq' if self.eq else 'GreaterThan'}(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, v):
        return v < _np(self.upper_bound)


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound, half_open=False):
        self.lower_bound, self.upper_bound, self.half_open = lower_bound, upper_bound, half_open

    def check(self, v):
        lo, hi = _np(self.lower_bound), _np(self.upper_bound)
        return (lo <= v) & ((v < hi) if self.half_open else (v <= hi))

    def __repr__(self):
        name = "HalfOpenInterval" if self.half_open else "Interval"
        return f"{name}(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _Boolean(Constraint):
    is_discrete = True

    def check(self, v):
        return (v == 0) | (v == 1)


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, v):
        return (v % 1 == 0) & (v >= self.lower_bound)

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, v):
        return (v % 1 == 0) & (v >= _np(self.lower_bound)) & (v <= _np(self.upper_bound))

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, v):
        return np.all(v >= 0, axis=-1) & (np.abs(v.sum(-1) - 1) < 1e-6)


class _Multinomial(Constraint):
    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, v):
        return np.all(v >= 0, axis=-1) & (v.sum(-1) <= self.upper_bound)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, v):
        return np.all((v == 0) | (v == 1), axis=-1) & (v.sum(-1) == 1)


class _RealVector(Constraint):
    event_dim = 1

    def check(self, v):
        return np.all(v == v, axis=-1)


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, v):
        lower = np.all(np.triu(v, 1) == 0, axis=(-2, -1))
        return lower & np.all(np.diagonal(v, axis1=-2, axis2=-1) > 0, axis=-1)


class _PositiveDefinite(Constraint):
    event_dim = 2

    def check(self, v):
        sym = np.all(np.abs(v - np.swapaxes(v, -1, -2)) < 1e-6 * (1 + np.abs(v)), axis=(-2, -1))
        return sym & np.all(np.linalg.eigvalsh(v) > 0, axis=-1)


class _Independent(Constraint):
    def __init__(self, base, reinterpreted_batch_ndims):
        self.base, self.n = base, reinterpreted_batch_ndims
        self.is_discrete = base.is_discrete
        self.event_dim = base.event_dim + reinterpreted_batch_ndims

    def check(self, v):
        ok = self.base.check(v)
        return ok.reshape(ok.shape[:ok.ndim - self.n] + (-1,)).all(-1) if self.n else ok

    def __repr__(self):
        return f"IndependentConstraint({self.base!r}, {self.n})"


real = _Real()
real_vector = _RealVector()
positive = _GreaterThan(0.0)
nonnegative = _GreaterThan(0.0, eq=True)
greater_than = _GreaterThan
greater_than_eq = lambda lb: _GreaterThan(lb, eq=True)  # noqa: E731
less_than = _LessThan
interval = _Interval
half_open_interval = lambda lo, hi: _Interval(lo, hi, half_open=True)  # noqa: E731
unit_interval = _Interval(0.0, 1.0)
boolean = _Boolean()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
simplex = _Simplex()
one_hot = _OneHot()
multinomial = _Multinomial
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
independent = _Independent
dependent = None
