"""Specs of the host-side-effect ops: print (identity) and py_func (+ py_func_grad)."""
import numpy as np

from dualnet.ops.debug import register_py_func
from tests.ops.spec import OpSpec, randn


def _np_tanh(x):
    return np.tanh(np.asarray(x))


def _np_tanh_grad(x, out, dout):
    out, dout = np.asarray(out), np.asarray(dout)
    return dout * (1.0 - out * out)


def _np_mul_add(x, y):
    x, y = np.asarray(x), np.asarray(y)
    return x * y, x + y


def _np_mul_add_grad(x, y, dprod, dsum):  # out skipped: (x, y, dout...)
    x, y = np.asarray(x), np.asarray(y)
    return np.asarray(dprod) * y + np.asarray(dsum), np.asarray(dprod) * x + np.asarray(dsum)


TANH, TANH_GRAD = register_py_func(_np_tanh), register_py_func(_np_tanh_grad)
MUL_ADD, MUL_ADD_GRAD = register_py_func(_np_mul_add), register_py_func(_np_mul_add_grad)

SPECS = [
    OpSpec("print", lambda rng, dt: (randn(rng, dt, 2, 3),), lambda x, **a: x,
           attrs={"name": "x", "message": "spec", "first_n": 1, "key": "spec-print"},
           second_order=True),
    OpSpec("py_func", lambda rng, dt: (randn(rng, dt, 3, 4),), lambda x, **a: (np.tanh(x),),
           attrs={"func": TANH, "out_specs": (((3, 4), "float64"),), "backward": TANH_GRAD},
           dtypes=("float64",), covers=("py_func_grad",)),
    OpSpec("py_func", lambda rng, dt: (randn(rng, dt, 2, 3), randn(rng, dt, 2, 3)),
           lambda x, y, **a: (x * y, x + y), name="two_outputs_skip_out",
           attrs={"func": MUL_ADD, "out_specs": (((2, 3), "float64"), ((2, 3), "float64")),
                  "backward": MUL_ADD_GRAD, "skip": (False, False, True, True)},
           dtypes=("float64",)),
]
