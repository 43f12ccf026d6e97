"""Activation functions: a few primitives (relu, leaky_relu, sigmoid, tanh, softplus, hardtanh)
with lean kernels, and the rest as composites of registered ops (no rules of their own)."""
from __future__ import annotations

import math

from .common import maximum_zero
from .elementwise import (_float_attr, add, div, erf, exp, float_unary_infer, greater, less,
                          logical_and, mul, neg, sub, unary_infer, where)
from .elementwise import abs as abs_op
from .registry import Meta, register


# ---------------------------------------------------------------- relu family

@register("relu", infer=unary_infer, saves=("out",))
def relu(xp, x):
    return maximum_zero(xp, x)


@relu.defvjp
def _relu_vjp(g, x, out):
    return (relu_grad(g, out),)


def _grad_infer(g: Meta, ref: Meta, **attrs) -> Meta:
    if g.ndim != ref.ndim or any(a != b and -1 not in (a, b) for a, b in zip(g.shape, ref.shape)):
        raise ValueError(f"gradient of shape {list(g.shape)} does not match the input's "
                         f"{list(ref.shape)}")
    return Meta(tuple(b if a == -1 else a for a, b in zip(g.shape, ref.shape)), g.dtype)


@register("relu_grad", infer=_grad_infer, saves=(1,))
def relu_grad(xp, g, y):
    """g where relu's output y is positive, else 0 (a multiply by the mask: 3x faster than
    `where` in NumPy)."""
    return g * (y > 0)


@relu_grad.defvjp
def _relu_grad_vjp(gg, g, y, out):
    return relu_grad(gg, y), None


def _leaky_canon(x, negative_slope=0.01):
    return {"negative_slope": _float_attr(negative_slope, "negative_slope")}


@register("leaky_relu", infer=lambda x, negative_slope: float_unary_infer(x), to_float=True,
          canon=_leaky_canon, saves=(0,))
def leaky_relu(xp, x, *, negative_slope):
    if 0.0 <= negative_slope <= 1.0:
        return xp.maximum(x, x * negative_slope)
    return xp.where(x > 0, x, x * negative_slope)


@leaky_relu.defvjp
def _leaky_relu_vjp(g, x, out, negative_slope):
    return (leaky_relu_grad(g, x, negative_slope=negative_slope),)


def _leaky_grad_canon(g, x, negative_slope=0.01):
    return _leaky_canon(x, negative_slope)


@register("leaky_relu_grad", infer=_grad_infer, canon=_leaky_grad_canon, saves=(1,))
def leaky_relu_grad(xp, g, x, *, negative_slope):
    """g where x > 0, else negative_slope * g."""
    return xp.where(x > 0, g, g * negative_slope)


@leaky_relu_grad.defvjp
def _leaky_relu_grad_vjp(gg, g, x, out, negative_slope):
    return leaky_relu_grad(gg, x, negative_slope=negative_slope), None


# ---------------------------------------------------------------- smooth squashing

@register("sigmoid", infer=float_unary_infer, to_float=True, saves=("out",))
def sigmoid(xp, x):
    """1 / (1 + e^-x), with e^-x capped below overflow (where the result is subnormal anyway):
    full relative precision over the normal range, five in-place passes, no warnings."""
    if x.dtype.itemsize < 4:  # float16: compute in float32
        return sigmoid.forward(xp, x.astype(xp.float32)).astype(x.dtype)
    e = xp.negative(x.reshape(-1))  # 1-D so in-place steps never meet a NumPy scalar
    xp.minimum(e, e.dtype.type(88.0 if e.dtype.itemsize == 4 else 709.0), out=e)
    xp.exp(e, out=e)
    e += 1
    return xp.reciprocal(e, out=e).reshape(x.shape)


@sigmoid.defvjp
def _sigmoid_vjp(g, x, out):
    return (mul(g, mul(out, sub(1.0, out))),)


@register("tanh", infer=float_unary_infer, to_float=True, saves=("out",))
def tanh(xp, x):
    return xp.tanh(x)


@tanh.defvjp
def _tanh_vjp(g, x, out):
    return (mul(g, sub(1.0, mul(out, out))),)


def _softplus_canon(x, beta=1.0, threshold=20.0):
    return {"beta": _float_attr(beta, "beta"), "threshold": _float_attr(threshold, "threshold")}


@register("softplus", infer=lambda x, beta, threshold: float_unary_infer(x), to_float=True,
          canon=_softplus_canon, saves=(0,))
def softplus(xp, x, *, beta, threshold):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (torch)."""
    bx = x * beta if beta != 1.0 else x
    soft = xp.log1p(xp.exp(-xp.abs(bx))) + xp.maximum(bx, bx.dtype.type(0))
    if beta != 1.0:
        soft /= beta
    return xp.where(bx > threshold, x, soft)


@softplus.defvjp
def _softplus_vjp(g, x, out, beta, threshold):
    bx = mul(x, beta)
    return (where(greater(bx, threshold), g, mul(g, sigmoid(bx))),)


def _hardtanh_canon(x, min_val=-1.0, max_val=1.0):
    lo, hi = _float_attr(min_val, "min_val"), _float_attr(max_val, "max_val")
    if lo > hi:
        raise ValueError(f"min_val ({lo}) cannot be greater than max_val ({hi})")
    return {"min_val": lo, "max_val": hi}


@register("hardtanh", infer=lambda x, min_val, max_val: unary_infer(x), canon=_hardtanh_canon,
          saves=(0,))
def hardtanh(xp, x, *, min_val, max_val):
    return xp.clip(x, x.dtype.type(min_val), x.dtype.type(max_val))


@hardtanh.defvjp
def _hardtanh_vjp(g, x, out, min_val, max_val):
    inside = logical_and(greater(x, min_val), less(x, max_val))
    return (where(inside, g, 0.0),)


# ---------------------------------------------------------------- composites

def relu6(x):
    return hardtanh(x, min_val=0.0, max_val=6.0)


def elu(x, alpha: float = 1.0):
    """x for x > 0, alpha (e^x - 1) otherwise; e^min(x, 0) never overflows (no NaN grads)."""
    neg_part = neg(relu(neg(x)))
    return add(relu(x), mul(sub(exp(neg_part), 1.0), alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    return mul(elu(x, _SELU_ALPHA), _SELU_SCALE)


def celu(x, alpha: float = 1.0):
    return mul(elu(div(x, alpha), 1.0), alpha)


def gelu(x, approximate: str = "none"):
    """x * Phi(x) with the exact erf ('none') or the tanh approximation ('tanh'), as torch."""
    if approximate == "none":
        return mul(mul(x, 0.5), add(erf(mul(x, 1.0 / math.sqrt(2.0))), 1.0))
    if approximate == "tanh":
        inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), math.sqrt(2.0 / math.pi))
        return mul(mul(x, 0.5), add(tanh(inner), 1.0))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x):
    return mul(x, sigmoid(x))


swish = silu


def mish(x):
    return mul(x, tanh(softplus(x)))


def softsign(x):
    return div(x, add(abs_op(x), 1.0))


def logsigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return neg(softplus(neg(x)))


def hardsigmoid(x, slope: float = 1.0 / 6.0, offset: float = 0.5):
    """clip(slope * x + offset, 0, 1): torch's relu6(x + 3) / 6 by default (Paddle's slope and
    offset are parameters)."""
    return hardtanh(add(mul(x, slope), offset), min_val=0.0, max_val=1.0)


def hardswish(x):
    return mul(x, hardsigmoid(x))


def tanhshrink(x):
    return sub(x, tanh(x))

