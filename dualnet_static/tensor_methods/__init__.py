"""Variable's vocabulary: Python operators and Paddle's Tensor methods, all through `apply`.

The methods are the Paddle functions of `math.py`, `manipulation.py`, `search.py`,
`linalg.py` and `logic.py` (`paddle.reshape(x, shape)` is `x.reshape(shape)`); `paddle.*`
exports the same functions; the in-place `*_` methods (`x.add_(y)`) come from inplace.py.
A mixin (not code in variable.py) only to keep each file to one concern.
"""
from __future__ import annotations

from . import inplace, linalg, logic, manipulation, manipx, math, mathx, search, statx
from .operators import OperatorMethods
from .values import ValueMethods

_METHODS = {
    **{name: getattr(math, name) for name in math.__all__},
    **{name: getattr(manipulation, name) for name in manipulation.__all__},
    **{name: getattr(search, name) for name in search.__all__},
    **{name: getattr(linalg, name) for name in linalg.__all__ if name != "einsum"},
    **{name: getattr(logic, name) for name in logic.__all__},
    **{name: getattr(mathx, name) for name in mathx.__all__},
    **{name: getattr(manipx, name) for name in manipx.__all__},
    **{name: getattr(statx, name) for name in statx.__all__},
}


class VariableMethods(ValueMethods, OperatorMethods):
    """Operators + Paddle Tensor methods for Variable (+ dynamic-mode values: values.py)."""


for _name, _fn in {**_METHODS, **inplace.methods(_METHODS)}.items():
    setattr(VariableMethods, _name, _fn)
VariableMethods.astype = manipulation.cast
del _name, _fn
