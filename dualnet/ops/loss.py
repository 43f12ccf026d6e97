"""Losses with PyTorch semantics.

Primitives: `nll_loss` (class indices, optional class weights, ignore_index, label smoothing,
class axis anywhere) and `binary_cross_entropy` (log clamped at -100; a primitive so the
gradient stays finite at saturated probabilities), each with a gradient kernel.
Composites: cross_entropy (log_softmax + nll_loss, or soft labels), mse_loss, l1_loss,
smooth_l1_loss, huber_loss, binary_cross_entropy_with_logits, kl_div.
"""
from __future__ import annotations

import sys
import warnings

import numpy as np

from .common import broadcast_shapes, norm_axis
from .elementwise import add, exp, log, mul, neg, sub
from .nn import log_softmax, np_dtype
from .registry import _PACKAGES as PACKAGES, Meta, get, register

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction: str, allowed: tuple = REDUCTIONS) -> str:
    if reduction not in allowed:
        raise ValueError(f"{reduction!r} is not a valid value for reduction "
                         f"(expected one of {', '.join(map(repr, allowed))})")
    return reduction


def _dims_match(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x == y or -1 in (x, y) for x, y in zip(a, b))


# ---------------------------------------------------------------- nll_loss

def _nll_canon(logp, target, weight, *, reduction="mean", ignore_index=-100, axis=1,
               label_smoothing=0.0):
    check_reduction(reduction)
    if logp.ndim == 0:
        raise ValueError("input must have a class dimension, got a 0-d tensor")
    axis = 0 if logp.ndim == 1 else norm_axis(axis, logp.ndim)
    label_smoothing = float(label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    return {"reduction": reduction, "ignore_index": int(ignore_index), "axis": axis,
            "label_smoothing": label_smoothing}


def _nll_infer(logp, target, weight, *, reduction="mean", ignore_index=-100, axis=1,
               label_smoothing=0.0):
    if logp.dtype.kind != "f":
        raise TypeError(f"input must be floating point log-probabilities, got {logp.dtype}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"target must hold class indices (an integer tensor), got "
                        f"{target.dtype}; for class probabilities use cross_entropy with a "
                        "float target of the input's shape (soft labels)")
    expected = tuple(d for i, d in enumerate(logp.shape) if i != axis)
    if not _dims_match(target.shape, expected):
        raise ValueError(f"target of shape {list(target.shape)} does not fit input of shape "
                         f"{list(logp.shape)} with classes on axis {axis}: expected target "
                         f"shape {list(expected)}")
    if weight is not None:
        c = logp.shape[axis]
        if weight.ndim != 1 or not _dims_match(weight.shape, (c,)):
            raise ValueError(f"weight must have shape [{c}] (one value per class), got "
                             f"{list(weight.shape)}")
        if weight.dtype != logp.dtype:
            raise TypeError(f"weight has dtype {weight.dtype} but input has {logp.dtype}")
    if reduction == "none":
        shape = tuple(e if e != -1 else t for e, t in zip(expected, target.shape))
        return Meta(shape, logp.dtype)
    return Meta((), logp.dtype)


def _class_shape(ndim: int, axis: int, c: int) -> tuple:
    return tuple(c if i == axis else 1 for i in range(ndim))


def _nll_parts(xp, logp, target, weight, ignore_index, axis):
    """(target with ignored entries set to 0, per-position weights (0 where ignored))."""
    c = logp.shape[axis]
    if weight is not None and weight.shape != (c,) or target.ndim != logp.ndim - 1:
        raise ValueError("bad shapes")  # the registry reports infer's precise message
    valid = target != ignore_index
    t = xp.where(valid, target, 0)
    if t.size and (int(t.min()) < 0 or int(t.max()) >= c):
        bad = t[(t < 0) | (t >= c)].reshape(-1)[0]
        raise IndexError(f"Target {int(bad)} is out of bounds: input has {c} classes on axis "
                         f"{axis} (ignore_index={ignore_index})")
    wt = valid.astype(logp.dtype)
    if weight is not None:
        wt *= xp.take(weight, t)
    return t, wt


def _scalar(xp, v):
    """A 0-d array (NumPy reductions return scalars, which front ends don't expect)."""
    return xp.asarray(v).reshape(())


@register("nll_loss", infer=_nll_infer, canon=_nll_canon)
def nll_loss(xp, logp, target, weight, *, reduction="mean", ignore_index=-100, axis=1,
             label_smoothing=0.0):
    """-weight[t] * logp[t] per position (classes on `axis`), ignored targets give 0; "mean"
    divides by the summed weights of the non-ignored targets (PyTorch). With label_smoothing
    e (cross_entropy's), each position adds e/C * -sum_c weight[c] * logp[c] and the picked
    term is scaled by 1 - e."""
    t, wt = _nll_parts(xp, logp, target, weight, ignore_index, axis)
    valid = target != ignore_index
    picked = xp.take_along_axis(logp, xp.expand_dims(t, axis), axis=axis).squeeze(axis)
    loss = xp.where(valid, picked * -wt, 0.0).astype(logp.dtype, copy=False)  # no -inf * 0
    if label_smoothing:
        c = logp.shape[axis]
        w = logp if weight is None else logp * weight.reshape(_class_shape(logp.ndim, axis, c))
        smooth = xp.where(valid, w.sum(axis=axis), 0.0)
        loss *= 1.0 - label_smoothing
        loss -= smooth * (label_smoothing / c)
    if reduction == "none":
        return loss
    total = _scalar(xp, loss.sum())
    if reduction == "sum":
        return total
    return _scalar(xp, total / wt.sum())


@nll_loss.defvjp
def _nll_loss_vjp(g, logp, target, weight, out, **attrs):
    return nll_loss_grad(g, logp, target, weight, **attrs), None, None


def _nll_grad_infer(g, logp, target, weight, **attrs):
    out = _nll_infer(logp, target, weight, **attrs)
    if g is not None and g.ndim != len(out.shape):
        raise ValueError(f"gradient shape {list(g.shape)} does not match the loss "
                         f"{list(out.shape)}")
    return Meta(logp.shape, logp.dtype)


def _nll_grad_canon(g, logp, target, weight, **attrs):
    return _nll_canon(logp, target, weight, **attrs)


@register("nll_loss_grad", infer=_nll_grad_infer, canon=_nll_grad_canon)
def nll_loss_grad(xp, g, logp, target, weight, *, reduction="mean", ignore_index=-100,
                  axis=1, label_smoothing=0.0):
    """Gradient of nll_loss w.r.t. logp (logp is only the shape reference: the loss is linear
    in it, so this op's own vjp is nll_loss again)."""
    c = logp.shape[axis]
    t, wt = _nll_parts(xp, logp, target, weight, ignore_index, axis)
    scale = g * (target != ignore_index)
    if reduction == "mean":
        scale = scale / wt.sum()
    classes = xp.arange(c).reshape(_class_shape(logp.ndim, axis, c))
    base = (classes == xp.expand_dims(t, axis)).astype(logp.dtype)
    wb = None if weight is None else weight.reshape(_class_shape(logp.ndim, axis, c))
    if wb is not None:
        base *= wb
    if label_smoothing:
        base *= 1.0 - label_smoothing
        base += (label_smoothing / c) * (1.0 if wb is None else wb)
    base *= xp.expand_dims(scale, axis).astype(logp.dtype, copy=False)
    return xp.subtract(0.0, base, out=base)  # negated, with +0.0 (not -0.0) where no gradient


@nll_loss_grad.defvjp
def _nll_loss_grad_vjp(c, g, logp, target, weight, out, **attrs):
    return nll_loss(c, target, weight, **attrs), None, None, None


# ---------------------------------------------------------------- binary_cross_entropy

def _bce_canon(x, target, weight, *, reduction="mean"):
    return {"reduction": check_reduction(reduction)}


def _bce_infer(x, target, weight, *, reduction="mean"):
    if x.dtype.kind != "f":
        raise TypeError(f"input must hold probabilities (floating point), got {x.dtype}")
    if not _dims_match(target.shape, x.shape):
        raise ValueError(f"Using a target size ({list(target.shape)}) that is different to the "
                         f"input size ({list(x.shape)}) is deprecated. Please ensure they have "
                         "the same size.")
    if weight is not None and not _dims_match(broadcast_shapes(weight.shape, x.shape), x.shape):
        raise ValueError(f"weight of shape {list(weight.shape)} does not broadcast to the input "
                         f"shape {list(x.shape)}")
    return Meta(x.shape if reduction == "none" else (), x.dtype)


@register("binary_cross_entropy", infer=_bce_infer, canon=_bce_canon, promote=True,
          saves=(0, 1, 2))
def binary_cross_entropy(xp, x, target, weight, *, reduction="mean"):
    """-weight * (t * log(x) + (1 - t) * log(1 - x)), each log clamped at -100 (PyTorch)."""
    if target.shape != x.shape:
        raise ValueError("bad shapes")  # the registry reports infer's precise message
    if x.size and not (x.min() >= 0 and x.max() <= 1):
        raise ValueError("all elements of input should be between 0 and 1")
    tiny = np.finfo(x.dtype).smallest_subnormal  # log(0) -> -100 without a warning
    log_x = xp.maximum(xp.log(xp.maximum(x, tiny)), -100.0)
    log_1mx = xp.maximum(xp.log(xp.maximum(1 - x, tiny)), -100.0)
    loss = log_x * target
    loss += log_1mx * (1 - target)
    xp.negative(loss, out=loss)
    if weight is not None:
        loss *= weight
    if reduction == "none":
        return loss
    total = loss.sum()
    return _scalar(xp, total if reduction == "sum" else total / loss.size)


@binary_cross_entropy.defvjp
def _bce_vjp(g, x, target, weight, out, *, reduction="mean"):
    return binary_cross_entropy_grad(g, x, target, weight, reduction=reduction), None, None


def _bce_grad_infer(g, x, target, weight, *, reduction="mean"):
    _bce_infer(x, target, weight, reduction=reduction)
    return Meta(x.shape, x.dtype)


def _bce_grad_canon(g, x, target, weight, *, reduction="mean"):
    return {"reduction": check_reduction(reduction)}


@register("binary_cross_entropy_grad", infer=_bce_grad_infer, canon=_bce_grad_canon,
          promote=True,
          differentiable=False)
def binary_cross_entropy_grad(xp, g, x, target, weight, *, reduction="mean"):
    """weight * (x - t) / max(x * (1 - x), 1e-12) * g (PyTorch's formula: finite at 0 and 1).
    Not differentiable itself (no double backward through binary_cross_entropy)."""
    gx = (x - target) / xp.maximum(x * (1 - x), 1e-12)
    if reduction == "mean":
        g = g / x.size
    gx *= g
    if weight is not None:
        gx *= weight
    return gx


# ---------------------------------------------------------------- composites

def _op(name):
    return get(name)


def _reduce(loss, reduction: str):
    if reduction == "none":
        return loss
    return _op("sum")(loss) if reduction == "sum" else _op("mean")(loss)


def _check_target(fn: str, input, target) -> None:
    """PyTorch warns (and broadcasts) when target and input sizes differ."""
    if not _dims_match(tuple(target.shape), tuple(input.shape)):
        warnings.warn(f"{fn}: Using a target size ({list(target.shape)}) that is different to "
                      f"the input size ({list(input.shape)}). This will likely lead to "
                      "incorrect results due to broadcasting. Please ensure they have the same "
                      "size.", stacklevel=_user_stacklevel())


def _user_stacklevel() -> int:
    """The warnings stacklevel of the first caller outside dualnet's packages."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGES):
        frame, level = frame.f_back, level + 1
    return level


def mse_loss(input, target, reduction: str = "mean"):
    """mean/sum/none of (input - target)**2."""
    check_reduction(reduction)
    _check_target("mse_loss", input, target)
    d = sub(input, target)
    return _reduce(mul(d, d), reduction)


def l1_loss(input, target, reduction: str = "mean"):
    """mean/sum/none of |input - target|."""
    check_reduction(reduction)
    _check_target("l1_loss", input, target)
    return _reduce(_op("abs")(sub(input, target)), reduction)


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0):
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 0 is l1_loss)."""
    check_reduction(reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    _check_target("smooth_l1_loss", input, target)
    d = sub(input, target)
    ad = _op("abs")(d)
    loss = _op("where")(_op("less")(ad, beta), mul(mul(d, d), 0.5 / beta), sub(ad, 0.5 * beta))
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0):
    """0.5 d**2 where |d| < delta, else delta * (|d| - 0.5 delta)."""
    check_reduction(reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss requires delta > 0, got {delta}")
    _check_target("huber_loss", input, target)
    d = sub(input, target)
    ad = _op("abs")(d)
    loss = _op("where")(_op("less")(ad, delta), mul(mul(d, d), 0.5),
                        mul(sub(ad, 0.5 * delta), delta))
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean",
                                     pos_weight=None):
    """Stable sigmoid + binary cross entropy: (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x)."""
    check_reduction(reduction)
    if not _dims_match(tuple(target.shape), tuple(input.shape)):
        raise ValueError(f"Target size ({list(target.shape)}) must be the same as input size "
                         f"({list(input.shape)})")
    sp = _op("softplus")(neg(input))
    if pos_weight is not None:
        sp = mul(sp, add(mul(sub(pos_weight, 1.0), target), 1.0))
    loss = add(mul(sub(1.0, target), input), sp)
    if weight is not None:
        loss = mul(loss, weight)
    return _reduce(loss, reduction)


def kl_div(input, target, reduction: str = "mean", log_target: bool = False):
    """target * (log(target) - input) (0 where target == 0), input holding log-probabilities;
    with log_target, exp(target) * (target - input). "batchmean" divides the sum by the batch
    size (PyTorch's mathematically correct KL); "mean" averages over all elements."""
    check_reduction(reduction, REDUCTIONS + ("batchmean",))
    if log_target:
        loss = mul(exp(target), sub(target, input))
    else:
        where = _op("where")
        pos = _op("greater")(target, 0.0)
        safe_log = log(where(pos, target, 1.0))  # 0 * log(0) is 0, without NaN gradients
        loss = mul(target, sub(safe_log, input))
    if reduction != "batchmean":
        return _reduce(loss, reduction)
    if loss.ndim == 0:
        return loss
    if loss.ndim == 1:
        return _op("mean")(loss)
    per_sample = _op("sum")(loss, axis=tuple(range(1, loss.ndim)))
    return _op("mean")(per_sample)  # sum / batch size, with no concrete shape read


def cross_entropy(input, target, weight=None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0, axis: int = 1,
                  soft_label: bool = False, use_softmax: bool = True):
    """PyTorch's cross_entropy (classes on `axis`: 1 in PyTorch, Paddle passes -1).
    Integer targets hold class indices (Paddle's trailing size-1 label axis is accepted);
    a float target of the input's shape (or soft_label=True) holds class probabilities.
    use_softmax=False means `input` already holds probabilities (Paddle)."""
    check_reduction(reduction)
    ndim = input.ndim
    if ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension, got a 0-d tensor")
    axis = 0 if ndim == 1 else axis
    if not -ndim <= axis < ndim:
        raise IndexError(f"cross_entropy: class axis {axis} out of range for input of shape "
                         f"{list(input.shape)}")
    axis %= ndim
    logp = log_softmax(input, axis=axis) if use_softmax else log(input)
    probs = soft_label or np_dtype(target).kind == "f"
    if not probs:
        if target.ndim == ndim:  # Paddle's label of shape [..., 1] on the class axis
            target = _op("squeeze")(target, axis=axis)
        return nll_loss(logp, target, weight, reduction=reduction, ignore_index=ignore_index,
                        axis=axis, label_smoothing=label_smoothing)
    if not _dims_match(tuple(target.shape), tuple(input.shape)):
        raise ValueError(f"cross_entropy: probability targets must have the input's shape "
                         f"{list(input.shape)}, got {list(target.shape)} (class indices must "
                         "be an integer tensor)")
    if label_smoothing:
        c = input.shape[axis]
        if c == -1:
            raise ValueError("cross_entropy: label_smoothing needs a known number of classes")
        target = add(mul(target, 1.0 - label_smoothing), label_smoothing / c)
    prod = mul(logp, target)
    if weight is not None:
        w = weight if axis == ndim - 1 else \
            _op("reshape")(weight, shape=(-1,) + (1,) * (ndim - 1 - axis))
        prod = mul(prod, w)
    loss = neg(_op("sum")(prod, axis=axis))
    return _reduce(loss, reduction)  # "mean": over positions, i.e. sum / (numel / C)


# ---------------------------------------------------------------- margin and embedding losses
# (composites shared by torch.nn.functional and paddle.nn.functional)

def margin_ranking_loss(input1, input2, target, margin: float = 0.0, reduction: str = "mean"):
    """max(0, -y (x1 - x2) + margin)."""
    check_reduction(reduction)
    loss = _op("relu")(add(neg(mul(target, sub(input1, input2))), margin))
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, reduction: str = "mean"):
    """x where y == 1, max(0, margin - x) where y == -1 (0 for other labels)."""
    check_reduction(reduction)
    where, equal = _op("where"), _op("equal")
    pos = where(equal(target, 1), input, 0.0)
    neg_part = where(equal(target, -1), _op("relu")(sub(margin, input)), 0.0)
    return _reduce(add(pos, neg_part), reduction)


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0,
                          reduction: str = "mean", eps: float = 1e-12):
    """1 - cos where y == 1, max(0, cos - margin) where y == -1, with the cosine over the
    last dim and eps added to each squared norm (PyTorch 1e-12, Paddle 1e-11)."""
    check_reduction(reduction)
    ssum, where, equal = _op("sum"), _op("where"), _op("equal")
    dot = ssum(mul(input1, input2), axis=-1, keepdim=False)
    m1 = add(ssum(mul(input1, input1), axis=-1, keepdim=False), eps)
    m2 = add(ssum(mul(input2, input2), axis=-1, keepdim=False), eps)
    cos = _op("div")(dot, _op("sqrt")(mul(m1, m2)))
    pos = where(equal(target, 1), sub(1.0, cos), 0.0)
    neg_part = where(equal(target, -1), _op("relu")(sub(cos, margin)), 0.0)
    return _reduce(add(pos, neg_part), reduction)


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, reduction: str = "mean"):
    """max(0, d(a, p) - d(a, n) + margin) with d the pairwise p-norm distance; swap uses
    min(d(a, n), d(p, n))."""
    from .nn import pairwise_distance

    check_reduction(reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _op("minimum")(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(_op("relu")(add(sub(d_pos, d_neg), margin)), reduction)


def soft_margin_loss(input, target, reduction: str = "mean"):
    """log(1 + exp(-y x))."""
    check_reduction(reduction)
    return _reduce(_op("softplus")(neg(mul(target, input)), beta=1.0, threshold=20.0),
                   reduction)


def log_loss(input, label, epsilon: float = 1e-4):
    """-y log(x + eps) - (1 - y) log(1 - x + eps), elementwise (Paddle's log_loss)."""
    pos = mul(label, log(add(input, epsilon)))
    neg_part = mul(sub(1.0, label), log(add(sub(1.0, input), epsilon)))
    return neg(add(pos, neg_part))


def sigmoid_focal_loss(logit, label, normalizer=None, alpha: float = 0.25,
                       gamma: float = 2.0, reduction: str = "sum"):
    """Focal loss on logits: alpha_t (1 - p_t)^gamma * BCE(logit, label), divided by
    `normalizer` (a tensor) when given, then reduced."""
    check_reduction(reduction)
    loss = binary_cross_entropy_with_logits(logit, label, reduction="none")
    p = _op("sigmoid")(logit)
    p_t = add(mul(p, label), mul(sub(1.0, p), sub(1.0, label)))
    if alpha != 0:
        loss = mul(loss, add(mul(label, alpha), mul(sub(1.0, label), 1.0 - alpha)))
    if gamma != 0:
        loss = mul(loss, _op("pow")(sub(1.0, p_t), float(gamma)))
    if normalizer is not None:
        loss = _op("div")(loss, normalizer)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- more losses shared by
# torch.nn.functional and paddle.nn.functional (ctc_loss's primitive is in ctc.py)

def _class_mask(target, like, c: int):
    """one_hot(target, c) in like's dtype (target: integer class indices)."""
    return _op("one_hot")(target, num_classes=c, dtype=np_dtype(like).name)


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      reduction: str = "mean", weight_inside: bool = False):
    """sum over i != y of max(0, margin - x[y] + x[i])^p / C per sample, input (N, C) or (C,).
    weight[y] multiplies each term (PyTorch) or the hinge before the power (weight_inside:
    Paddle's max(0, w[y] * (margin - x[y] + x[i]))^p)."""
    check_reduction(reduction)
    one_d = input.ndim == 1
    if one_d:
        input, target = _op("unsqueeze")(input, axis=0), _op("reshape")(target, shape=(1,))
    if input.ndim != 2 or target.ndim != 1:
        raise ValueError(f"multi_margin_loss: expected input (N, C) or (C,) and target (N,) "
                         f"or (), got {list(input.shape)} and {list(target.shape)}")
    c = input.shape[1]
    if c < 0:
        raise ValueError("multi_margin_loss needs a known number of classes (dim 1)")
    picked = _op("gather")(input, _op("unsqueeze")(target, axis=1), axis=1)  # (N, 1)
    z = add(sub(input, picked), margin)
    w = None
    if weight is not None:
        w = _op("unsqueeze")(_op("index_select")(weight, target, axis=0), axis=1)
        if weight_inside:
            z = mul(z, w)
    h = _op("relu")(z)
    if p != 1:
        h = mul(h, h) if p == 2 else _op("pow")(h, float(p))
    if w is not None and not weight_inside:
        h = mul(h, w)
    others = sub(1.0, _class_mask(target, input, c))
    loss = mul(_op("sum")(mul(h, others), axis=1), 1.0 / c)
    if one_d and reduction == "none":
        loss = _op("reshape")(loss, shape=())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, reduction: str = "mean"):
    """sum over target classes j (each target row's leading entries up to the first -1) and
    non-target classes i of max(0, 1 - (x[j] - x[i])) / C; input (N, C) or (C,)."""
    check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape) or input.ndim not in (1, 2):
        raise ValueError(f"multilabel_margin_loss: expected input (N, C) or (C,) and a target "
                         f"of the same shape, got {list(input.shape)} and "
                         f"{list(target.shape)}")
    one_d = input.ndim == 1
    if one_d:
        input, target = _op("unsqueeze")(input, axis=0), _op("unsqueeze")(target, axis=0)
    c = input.shape[1]
    ended = _op("cumsum")(_op("cast")(_op("equal")(target, -1), dtype="int64"), axis=1)
    valid = _op("cast")(_op("equal")(ended, 0), dtype=np_dtype(input).name)  # (N, S)
    safe = _op("where")(_op("equal")(ended, 0), target, 0)
    picked = _op("gather")(input, safe, axis=1)  # x[y_j]: (N, S)
    is_target = _op("max")(mul(_class_mask(safe, input, c), _op("unsqueeze")(valid, axis=2)),
                           axis=1, keepdim=False)  # (N, C)
    hinge = _op("relu")(add(sub(_op("unsqueeze")(input, axis=1),
                                _op("unsqueeze")(picked, axis=2)), 1.0))  # (N, S, C)
    hinge = mul(mul(hinge, _op("unsqueeze")(valid, axis=2)),
                _op("unsqueeze")(sub(1.0, is_target), axis=1))
    loss = mul(_op("sum")(hinge, axis=(1, 2)), 1.0 / c)
    if one_d and reduction == "none":
        loss = _op("reshape")(loss, shape=())
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, reduction: str = "mean"):
    """-mean over classes (last dim) of y log sigmoid(x) + (1 - y) log sigmoid(-x)
    (weight multiplying each class term), then reduced over the samples."""
    from .activation import logsigmoid

    check_reduction(reduction)
    loss = neg(add(mul(target, logsigmoid(input)), mul(sub(1.0, target), logsigmoid(neg(input)))))
    if weight is not None:
        loss = mul(loss, weight)
    return _reduce(_op("mean")(loss, axis=-1, keepdim=False), reduction)


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean"):
    """exp(x) - y x (log_input) or x - y log(x + eps); full adds Stirling's
    y log y - y + 0.5 log(2 pi y) where y > 1."""
    check_reduction(reduction)
    if log_input:
        loss = sub(exp(input), mul(target, input))
    else:
        loss = sub(input, mul(target, log(add(input, eps))))
    if full:
        where, big = _op("where"), _op("greater")(target, 1.0)
        y = where(big, target, 1.0)
        stirling = add(sub(mul(y, log(y)), y), mul(log(mul(y, 2 * np.pi)), 0.5))
        loss = add(loss, where(big, stirling, 0.0))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean"):
    """0.5 (log(max(var, eps)) + (x - y)^2 / max(var, eps)) (+ 0.5 log(2 pi) when full).
    var has the input's shape, or one dim fewer, or a last dim of 1 (one variance per
    sample: PyTorch's and Paddle's rule)."""
    check_reduction(reduction)
    ishape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape != ishape:
        if ishape[:-1] == vshape:
            var = _op("unsqueeze")(var, axis=-1)
        elif not (ishape[:-1] == vshape[:-1] and vshape[-1:] == (1,)):
            raise ValueError(f"gaussian_nll_loss: var is of incorrect size: {list(vshape)} "
                             f"for input {list(ishape)}")
    var = _op("clip")(var, min=eps, max=None)
    d = sub(input, target)
    loss = mul(add(log(var), _op("div")(mul(d, d), var)), 0.5)
    if full:
        loss = add(loss, 0.5 * float(np.log(2 * np.pi)))
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean"):
    """max(0, d(a, p) - d(a, n) + margin) with any distance callable (default: the pairwise
    2-norm distance); swap uses min(d(a, n), d(p, n))."""
    from .nn import pairwise_distance

    check_reduction(reduction)
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = _op("minimum")(d_neg, dist(positive, negative))
    return _reduce(_op("relu")(add(sub(d_pos, d_neg), margin)), reduction)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False,
             norm_by_times: bool = False):
    """The ctc_loss primitive per sample [N], then 'mean': each loss divided by its target
    length (at least 1) and averaged over the batch (PyTorch and Paddle), or 'sum'."""
    check_reduction(reduction)
    loss = _op("ctc_loss")(log_probs, targets, input_lengths, target_lengths, blank=blank,
                           zero_infinity=zero_infinity, norm_by_times=norm_by_times)
    if reduction == "mean":
        lengths = _op("cast")(_op("clip")(target_lengths, min=1, max=None),
                              dtype=np_dtype(log_probs).name)
        return _op("mean")(_op("div")(loss, lengths))
    return _reduce(loss, reduction)


def dice_loss(input, label, epsilon: float = 1e-5):
    """mean over samples of 1 - 2 sum(x * onehot(y)) / (sum(x) + sum(onehot(y)) + eps),
    sums over every dim but the first; input [N, ..., C], label [N, ..., 1] (Paddle)."""
    c = input.shape[-1]
    if input.ndim < 2 or label.ndim != input.ndim or label.shape[-1] not in (1, -1) or c < 0:
        raise ValueError(f"dice_loss: expected input [N, ..., C] (known C) and label "
                         f"[N, ..., 1] of the same rank, got {list(input.shape)} and "
                         f"{list(label.shape)}")
    onehot = _class_mask(_op("squeeze")(label, axis=-1), input, c)
    axes = tuple(range(1, input.ndim))
    ssum = _op("sum")
    inter = ssum(mul(input, onehot), axis=axes)
    total = add(ssum(input, axis=axes), ssum(onehot, axis=axes))
    return _op("mean")(sub(1.0, _op("div")(mul(inter, 2.0), add(total, epsilon))))


def npair_loss(anchor, positive, labels, l2_reg: float = 0.002):
    """Paddle's N-pair loss: 0.25 * l2_reg * (mean |a|^2 + mean |p|^2) plus the soft-label
    cross entropy of the similarity rows a @ p^T against the row-normalized same-label
    matrix, weighted by that matrix and summed over axis 0, then averaged."""
    ssum, dt = _op("sum"), np_dtype(anchor).name
    col = _op("reshape")(labels, shape=(-1, 1))
    same = _op("cast")(_op("equal")(col, _op("transpose")(col, perm=(1, 0))), dtype=dt)
    target = _op("div")(same, ssum(same, axis=1, keepdim=True))
    l2 = add(_op("mean")(ssum(mul(anchor, anchor), axis=1)),
             _op("mean")(ssum(mul(positive, positive), axis=1)))
    l2 = mul(l2, 0.25 * l2_reg)
    sim = _op("matmul")(anchor, positive, transpose_y=True)
    ce = neg(ssum(mul(target, log_softmax(sim, axis=1)), axis=1, keepdim=True))  # (N, 1)
    return add(l2, _op("mean")(ssum(mul(target, ce), axis=0)))
