"""Elementwise converters: arithmetic, comparisons and logic, unary math, activations, Cast,
Clip, Where, Identity, Dropout (inference)."""
from __future__ import annotations

import numpy as np
from onnx import TensorProto

from dualnet.ops import activation as act

from .. import dtypes
from . import converter, ops


def _dtype(v) -> np.dtype:
    return np.dtype(getattr(v.dtype, "np", v.dtype))


def _like(v, ref):
    """`v` cast to `ref`'s dtype (ONNX keeps the input type where PyTorch's rules promote)."""
    return v if _dtype(v) == _dtype(ref) else ops.cast(v, dtype=_dtype(ref).name)


# ---------------------------------------------------------------- arithmetic

def _binary(name):
    def convert(ctx, node, x, y):
        return getattr(ops, name)(x, y)
    return convert


for _t, _name in (("Add", "add"), ("Sub", "sub"), ("Mul", "mul"), ("Equal", "equal"),
                  ("Less", "less"), ("LessOrEqual", "less_equal"), ("Greater", "greater"),
                  ("GreaterOrEqual", "greater_equal"), ("And", "logical_and"),
                  ("Or", "logical_or"), ("Xor", "logical_xor")):
    converter(_t, since=7)(_binary(_name))  # before 7: a `broadcast` attribute


@converter("Div", since=7)
def div(ctx, node, x, y):
    if _dtype(x).kind in "iu":  # C-style: truncate toward zero
        q = ops.floor_divide(x, y)
        r = ops.remainder(x, y)
        fix = ops.logical_and(ops.not_equal(r, np.zeros((), _dtype(r))),
                              ops.logical_xor(_negative(x), _negative(y)))
        return ops.add(q, ops.cast(fix, dtype=_dtype(q).name))
    return ops.div(x, y)


def _negative(v):
    return ops.less(v, np.zeros((), _dtype(v)))


@converter("Mod", since=10)
def mod(ctx, node, x, y):
    if not node.attr("fmod", 0):
        return ops.remainder(x, y)
    if _dtype(x).kind in "iu":  # sign of the dividend: x - trunc(x / y) * y
        return ops.sub(x, ops.mul(div(ctx, node, x, y), y))
    return ops.sub(x, ops.mul(ops.trunc(ops.div(x, y)), y))


@converter("Pow", since=7)
def pow_(ctx, node, x, y):
    if _dtype(x).kind in "iu" and _dtype(y).kind == "f":
        return _like(ops.pow(ops.cast(x, dtype="float64"), ops.cast(y, dtype="float64")), x)
    if _dtype(x) != _dtype(y):
        y = _like(y, x)
    return ops.pow(x, y)


def _variadic(name):
    def convert(ctx, node, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = getattr(ops, name)(out, x)
        return out
    return convert


converter("Max", since=1)(_variadic("maximum"))
converter("Min", since=1)(_variadic("minimum"))
converter("Sum", since=1)(_variadic("add"))


@converter("Mean", since=1)
def mean_(ctx, node, *xs):
    total = _variadic("add")(ctx, node, *xs)
    return ops.div(total, np.asarray(len(xs), dtype=_dtype(total)))


@converter("Where", since=9)
def where(ctx, node, cond, x, y):
    return ops.where(cond, x, y)


@converter("Clip", since=1)
def clip_v1(ctx, node, x):
    return ops.clip(x, min=node.attr("min", None), max=node.attr("max", None))


@converter("Clip", since=11)
def clip(ctx, node, x, lo=None, hi=None):
    try:
        lo_v, hi_v = ctx.static(lo, "min"), ctx.static(hi, "max")
    except Exception:  # bounds computed at run time: maximum/minimum (np.clip's rule)
        out = x if lo is None else ops.maximum(x, lo)
        return out if hi is None else ops.minimum(out, hi)
    return ops.clip(x, min=None if lo_v is None else lo_v.item(),
                    max=None if hi_v is None else hi_v.item())


# ---------------------------------------------------------------- unary math and logic

_UNARY = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Exp": "exp", "Log": "log",
          "Sqrt": "sqrt", "Neg": "neg", "Abs": "abs", "Erf": "erf", "Sin": "sin", "Cos": "cos",
          "Floor": "floor", "Ceil": "ceil", "Sign": "sign", "Not": "logical_not",
          "IsNaN": "isnan", "Tan": "tan", "Sinh": "sinh", "Cosh": "cosh", "Asin": "asin",
          "Acos": "acos", "Atan": "atan", "Asinh": "asinh", "Acosh": "acosh", "Atanh": "atanh"}


def _unary(name):
    def convert(ctx, node, x):
        return getattr(ops, name)(x)
    return convert


for _t, _name in _UNARY.items():
    converter(_t, since=1)(_unary(_name))


@converter("Round", since=11)
def round_(ctx, node, x):
    return ops.round(x, decimals=0)


@converter("Reciprocal", since=1)
def reciprocal(ctx, node, x):
    return ops.div(np.ones((), _dtype(x)), x)


@converter("IsInf", since=10)
def isinf(ctx, node, x):
    pos, neg = node.attr("detect_positive", 1), node.attr("detect_negative", 1)
    inf = ops.isinf(x)
    if pos and neg:
        return inf
    if not pos and not neg:
        return ops.logical_and(inf, np.zeros((), bool))
    sign = ops.greater(x, np.zeros((), _dtype(x))) if pos else _negative(x)
    return ops.logical_and(inf, sign)


@converter("Identity", since=1)
def identity(ctx, node, x):
    return x


# ---------------------------------------------------------------- activations

@converter("LeakyRelu", since=1)
def leaky_relu(ctx, node, x):
    return ops.leaky_relu(x, negative_slope=node.attr("alpha", 0.01))


@converter("Elu", since=1)
def elu(ctx, node, x):
    return act.elu(x, node.attr("alpha", 1.0))


@converter("Selu", since=1)
def selu(ctx, node, x):
    alpha = node.attr("alpha", 1.67326319217681884765625)
    gamma = node.attr("gamma", 1.05070102214813232421875)
    return ops.mul(act.elu(x, alpha), gamma)


@converter("Celu", since=12)
def celu(ctx, node, x):
    return act.celu(x, node.attr("alpha", 1.0))


@converter("HardSigmoid", since=1)
def hard_sigmoid(ctx, node, x):
    return act.hardsigmoid(x, node.attr("alpha", 0.2), node.attr("beta", 0.5))


@converter("HardSwish", since=14)
def hard_swish(ctx, node, x):
    return ops.mul(x, act.hardsigmoid(x, 1.0 / 6.0, 0.5))


@converter("Softplus", since=1)
def softplus(ctx, node, x):
    return ops.softplus(x, beta=1.0, threshold=20.0)


@converter("Softsign", since=1)
def softsign(ctx, node, x):
    return act.softsign(x)


@converter("Mish", since=18)
def mish(ctx, node, x):
    return act.mish(x)


@converter("Gelu", since=20)
def gelu(ctx, node, x):
    return act.gelu(x, node.attr("approximate", "none"))


@converter("PRelu", since=1)
def prelu(ctx, node, x, slope):
    return ops.where(_negative(x), ops.mul(x, slope), x)


@converter("ThresholdedRelu", since=10)
def thresholded_relu(ctx, node, x):
    alpha = np.asarray(node.attr("alpha", 1.0), _dtype(x))
    return ops.where(ops.greater(x, alpha), x, np.zeros((), _dtype(x)))


# ---------------------------------------------------------------- types

def onnx_type(ctx, elem_type: int) -> np.dtype:
    try:
        return dtypes.elem_compute_dtype(elem_type)
    except TypeError as e:
        raise ctx.error(str(e)) from None


@converter("Cast", since=1)
def cast(ctx, node, x):
    to = node.attr("to")
    if isinstance(to, str):  # opset 1-5 spelled the type name
        to = TensorProto.DataType.Value(to.upper())
    dtype = onnx_type(ctx, to)
    return x if _dtype(x) == dtype else ops.cast(x, dtype=dtype.name)


@converter("CastLike", since=15)
def cast_like(ctx, node, x, like):
    return _like(x, like)


# ---------------------------------------------------------------- dropout (inference)

@converter("Dropout", since=1)
def dropout_v1(ctx, node, x):
    return x, ops.ones_like(x, dtype="bool" if node.opset >= 10 else _dtype(x).name)


@converter("Dropout", since=12)
def dropout(ctx, node, x, ratio=None, training=None):
    train = ctx.static(training, "training_mode")
    p = ctx.static(ratio, "ratio")
    p = 0.5 if p is None else float(p)
    if train is None or not bool(train) or p == 0.0:
        return x, ops.ones_like(x, dtype="bool")
    y, mask = ops.dropout(x, p=p, training=True)
    return y, ops.not_equal(mask, np.zeros((), _dtype(mask)))
