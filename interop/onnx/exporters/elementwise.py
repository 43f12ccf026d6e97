"""Elementwise exporters: arithmetic, comparisons, logic, unary math, activations, cast, clip,
where, dropout (inference), assign."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from . import exporter

_SAME = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow",
         "maximum": "Max", "minimum": "Min", "equal": "Equal", "less": "Less",
         "greater": "Greater", "less_equal": "LessOrEqual", "greater_equal": "GreaterOrEqual",
         "neg": "Neg", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "abs": "Abs", "erf": "Erf",
         "sin": "Sin", "cos": "Cos", "floor": "Floor", "ceil": "Ceil", "sign": "Sign",
         "relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "isnan": "IsNaN",
         "isinf": "IsInf", "where": "Where", "assign": "Identity", "to_device": "Identity",
         "tan": "Tan", "sinh": "Sinh", "cosh": "Cosh", "asin": "Asin", "acos": "Acos",
         "atan": "Atan", "asinh": "Asinh", "acosh": "Acosh", "atanh": "Atanh"}


def _same(onnx_type: str):
    def export(ctx, op):
        ins = [n for n in ctx.inputs(op)]
        if op.type == "to_device":
            ins = ins[:1]
        ctx.node(onnx_type, ins, [ctx.output(op)])
    return export


for _name, _type in _SAME.items():
    exporter(_name)(_same(_type))


def _scalar(ctx, value, like_var) -> str:
    return ctx.const(np.asarray(value, dtype=ctx.dtype(like_var)))


def _logical(onnx_type: str):
    def export(ctx, op):  # dualnet's logical ops take any dtype (nonzero is true)
        ins = [ctx.cast(n, ctx.dtype(v), np.bool_) for n, v in zip(ctx.inputs(op), op.inputs)]
        ctx.node(onnx_type, ins, [ctx.output(op)])
    return export


for _name, _type in (("logical_and", "And"), ("logical_or", "Or"), ("logical_xor", "Xor"),
                     ("logical_not", "Not")):
    exporter(_name)(_logical(_type))


@exporter("not_equal")
def not_equal(ctx, op):
    ctx.node("Not", [ctx.node("Equal", ctx.inputs(op))], [ctx.output(op)])


@exporter("isfinite")
def isfinite(ctx, op):
    (x,) = ctx.inputs(op)
    bad = ctx.node("Or", [ctx.node("IsNaN", [x]), ctx.node("IsInf", [x])])
    ctx.node("Not", [bad], [ctx.output(op)])


@exporter("rsqrt")
def rsqrt(ctx, op):
    (x,) = ctx.inputs(op)
    ctx.node("Reciprocal", [ctx.node("Sqrt", [x])], [ctx.output(op)])


@exporter("expm1")
def expm1(ctx, op):  # ONNX has no Expm1: exp(x) - 1 (what onnxruntime would compute anyway)
    (x,) = ctx.inputs(op)
    ctx.node("Sub", [ctx.node("Exp", [x]), _scalar(ctx, 1, op.inputs[0])], [ctx.output(op)])


@exporter("log1p")
def log1p(ctx, op):  # nor Log1p: log(1 + x)
    (x,) = ctx.inputs(op)
    ctx.node("Log", [ctx.node("Add", [x, _scalar(ctx, 1, op.inputs[0])])], [ctx.output(op)])


def _log_base(base: float):
    def export(ctx, op):  # ONNX has only the natural Log: log(x) / log(base)
        (x,) = ctx.inputs(op)
        scale = _scalar(ctx, np.log(base), op.inputs[0])
        ctx.node("Div", [ctx.node("Log", [x]), scale], [ctx.output(op)])
    return export


exporter("log2")(_log_base(2.0))
exporter("log10")(_log_base(10.0))


@exporter("round")
def round_(ctx, op):
    (x,) = ctx.inputs(op)
    decimals = op.attrs.get("decimals", 0)
    if not decimals:
        ctx.node("Round", [x], [ctx.output(op)])
        return
    scale = _scalar(ctx, 10.0 ** decimals, op.inputs[0])
    ctx.node("Div", [ctx.node("Round", [ctx.node("Mul", [x, scale])]), scale],
             [ctx.output(op)])


@exporter("trunc")
def trunc(ctx, op):
    (x,) = ctx.inputs(op)
    if ctx.dtype(op.inputs[0]).kind in "iub":
        ctx.node("Identity", [x], [ctx.output(op)])
        return
    magnitude = ctx.node("Floor", [ctx.node("Abs", [x])])
    ctx.node("Mul", [ctx.node("Sign", [x]), magnitude], [ctx.output(op)])


@exporter("floor_divide")
def floor_divide(ctx, op):
    x, y = ctx.inputs(op)
    if ctx.dtype(op.inputs[0]).kind in "iu":  # (x - x mod y) / y is exact
        r = ctx.node("Mod", [x, y], fmod=0)
        ctx.node("Div", [ctx.node("Sub", [x, r]), y], [ctx.output(op)])
    else:
        ctx.node("Floor", [ctx.node("Div", [x, y])], [ctx.output(op)])


@exporter("remainder")
def remainder(ctx, op):
    x, y = ctx.inputs(op)
    if ctx.dtype(op.inputs[0]).kind in "iu":
        ctx.node("Mod", [x, y], [ctx.output(op)], fmod=0)
        return
    q = ctx.node("Floor", [ctx.node("Div", [x, y])])
    ctx.node("Sub", [x, ctx.node("Mul", [q, y])], [ctx.output(op)])


@exporter("cast")
def cast(ctx, op):
    (x,) = ctx.inputs(op)
    ctx.node("Cast", [x], [ctx.output(op)], to=dtypes.np_to_onnx(op.attrs["dtype"]))


@exporter("clip")
def clip(ctx, op):
    (x,) = ctx.inputs(op)
    lo, hi = op.attrs.get("min"), op.attrs.get("max")
    bounds = ["" if v is None else _scalar(ctx, v, op.inputs[0]) for v in (lo, hi)]
    ctx.node("Clip", [x] + bounds, [ctx.output(op)])


@exporter("hardtanh")
def hardtanh(ctx, op):
    (x,) = ctx.inputs(op)
    bounds = [_scalar(ctx, op.attrs[k], op.inputs[0]) for k in ("min_val", "max_val")]
    ctx.node("Clip", [x] + bounds, [ctx.output(op)])


@exporter("leaky_relu")
def leaky_relu(ctx, op):
    (x,) = ctx.inputs(op)
    ctx.node("LeakyRelu", [x], [ctx.output(op)], alpha=float(op.attrs["negative_slope"]))


@exporter("softplus")
def softplus(ctx, op):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""
    (x,) = ctx.inputs(op)
    beta, threshold = float(op.attrs["beta"]), float(op.attrs["threshold"])
    bx = x if beta == 1.0 else ctx.node("Mul", [x, _scalar(ctx, beta, op.inputs[0])])
    soft = ctx.node("Softplus", [bx])
    if beta != 1.0:
        soft = ctx.node("Div", [soft, _scalar(ctx, beta, op.inputs[0])])
    big = ctx.node("Greater", [bx, _scalar(ctx, threshold, op.inputs[0])])
    ctx.node("Where", [big, x, soft], [ctx.output(op)])


@exporter("dropout")
def dropout(ctx, op):
    """Inference only (the exported graph is the for_test clone): y = x, mask = ones."""
    if op.attrs.get("training"):
        raise ctx.error(op, "dropout in training mode cannot be exported (export the "
                            "inference program)")
    (x,) = ctx.inputs(op)
    ctx.node("Identity", [x], [ctx.output(op)])
    if ctx.needed(op.outputs[1]):
        mask = op.outputs[1]
        ctx.const(np.ones(ctx.shape(mask), ctx.dtype(mask)), name=ctx.output(op, 1))
