"""Paddle's loss functions over the registry's loss ops and composites.

cross_entropy keeps Paddle's conventions where they differ from PyTorch's: classes on the
last axis by default, int64 labels shaped [N] or [N, 1], reduction='none' returning the
label's shape (a kept size-1 class axis for [N, 1] and soft labels), soft labels weighted by
label @ weight with the weighted mean dividing by the summed sample weights, label smoothing
turning hard labels into smoothed one-hot soft labels, and 'mean' without weight averaging
over every sample when ignore_index is negative (Paddle only excludes ignored labels from the
count when ignore_index >= 0).
"""
from __future__ import annotations

from dualnet.ops import apply
from dualnet.ops import loss as L

from ...framework import in_implicit_mode
from ._utils import np_dtype
from .common import label_smooth

__all__ = [
    "cross_entropy", "softmax_with_cross_entropy", "nll_loss", "mse_loss", "l1_loss",
    "smooth_l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
    "triplet_margin_loss", "square_error_cost", "log_loss", "sigmoid_focal_loss",
]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(fn: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"The value of 'reduction' in {fn} should be 'sum', 'mean' or "
                         f"'none', but received {reduction!r}, which is not allowed.")


def _reduce(loss, reduction: str):
    if reduction == "none":
        return loss
    return apply("sum" if reduction == "sum" else "mean", loss)


def cross_entropy(input, label, weight=None, ignore_index=-100, reduction="mean",  # noqa: A002
                  soft_label=False, axis=-1, use_softmax=True, label_smoothing=0.0,
                  name=None):
    """Softmax (unless use_softmax=False: `input` holds probabilities) + cross entropy; see
    the module docstring for Paddle's label shapes and reductions."""
    _check_reduction("softmax_cross_entropy", reduction)
    ndim, label_ndim = input.ndim, label.ndim  # (properties: read once, an implicit step
    if ndim == 0:                              # calls this every step)
        raise ValueError("cross_entropy: the input must have a class dimension")
    axis = int(axis) % ndim
    if label_ndim not in (ndim, ndim - 1):
        raise ValueError(f"cross_entropy: expected label dims = input dims - 1 or input dims, "
                         f"got input {input.shape} and label {label.shape}")
    if soft_label and ignore_index > 0:
        raise ValueError("cross_entropy: ignore_index is for hard labels (soft_label=True "
                         f"needs the default -100), got {ignore_index}")
    if label_smoothing > 0.0:
        label = _smoothed(input, label, axis, soft_label, label_smoothing)
        soft_label = True
    if soft_label or np_dtype(label).kind == "f":
        return _soft(input, label, weight, reduction, axis, use_softmax)
    kept_axis = label_ndim == ndim  # [N, 1]: reduction='none' keeps the size-1 axis
    if reduction == "mean" and weight is None and ignore_index < 0:
        if use_softmax and not kept_axis and in_implicit_mode():
            # Paddle's dygraph runs one softmax-with-cross-entropy op: record the fused op
            # the fuse_softmax_ce pass makes of log_softmax + nll_loss (same kernel)
            loss = apply("log_softmax_nll_loss", input, label, None, axis=axis,
                         reduction="none", ignore_index=ignore_index)[0]
        else:
            loss = L.cross_entropy(input, label, None, ignore_index, "none", axis=axis,
                                   use_softmax=use_softmax)
        return apply("mean", loss)
    loss = L.cross_entropy(input, label, weight, ignore_index, reduction, axis=axis,
                           use_softmax=use_softmax)
    if reduction == "none" and kept_axis:
        loss = apply("unsqueeze", loss, axis=axis)
    return loss


def _smoothed(input, label, axis: int, soft_label: bool, epsilon: float):
    """Paddle's label smoothing: hard labels -> one-hot (on the class axis) -> smoothed."""
    if not soft_label and np_dtype(label).kind in "iu":
        c = input.shape[axis]
        if c < 0:
            raise ValueError("cross_entropy: label_smoothing needs a known number of classes")
        if label.ndim == input.ndim:
            label = apply("squeeze", label, axis=axis)
        label = apply("one_hot", label, num_classes=c, dtype=np_dtype(input).name)
        if axis != input.ndim - 1:
            label = apply("transpose", label, perm=_move_last_to(axis, input.ndim))
    if axis != input.ndim - 1:
        label = apply("transpose", label, perm=_move_to_last(axis, input.ndim))
        label = label_smooth(label, epsilon=epsilon)
        return apply("transpose", label, perm=_move_last_to(axis, input.ndim))
    return label_smooth(label, epsilon=epsilon)


def _move_to_last(axis: int, ndim: int) -> tuple:
    return tuple(a for a in range(ndim) if a != axis) + (axis,)


def _move_last_to(axis: int, ndim: int) -> tuple:
    order = list(range(ndim - 1))
    order.insert(axis, ndim - 1)
    return tuple(order)


def _soft(input, label, weight, reduction: str, axis: int, use_softmax: bool):
    """Soft labels: per-sample loss with a kept size-1 class axis (Paddle's shape); a class
    weight scales each sample by label @ weight, and the mean divides by their sum."""
    loss = L.cross_entropy(input, label, None, reduction="none", axis=axis, soft_label=True,
                           use_softmax=use_softmax)
    loss = apply("unsqueeze", loss, axis=axis)
    if weight is None:
        return _reduce(loss, reduction)
    shape = (-1,) + (1,) * (input.ndim - 1 - axis)
    w = weight if axis == input.ndim - 1 else apply("reshape", weight, shape=shape)
    sample_w = apply("sum", apply("mul", label, w), axis=axis, keepdim=True)
    loss = apply("mul", loss, sample_w)
    if reduction != "mean":
        return _reduce(loss, reduction)
    total = apply("sum", sample_w)
    total = apply("add", total, apply("cast", apply("equal", total, 0.0),
                                      dtype=np_dtype(total).name))
    return apply("div", apply("sum", loss), total)


def softmax_with_cross_entropy(logits, label, soft_label=False, ignore_index=-100,
                               numeric_stable_mode=True, return_softmax=False, axis=-1):
    """The per-sample loss with the class axis kept (size 1), and optionally the softmax."""
    axis = int(axis) % logits.ndim
    loss = cross_entropy(logits, label, ignore_index=ignore_index, reduction="none",
                         soft_label=soft_label, axis=axis)
    if loss.ndim < logits.ndim:
        loss = apply("unsqueeze", loss, axis=axis)
    if return_softmax:
        return loss, apply("softmax", logits, axis=axis)
    return loss


def nll_loss(input, label, weight=None, ignore_index=-100, reduction="mean",  # noqa: A002
             name=None):
    """-input[label] with classes on axis 1 (input holds log-probabilities); the weighted
    mean divides by the summed weights of the non-ignored labels."""
    _check_reduction("nll_loss", reduction)
    return apply("nll_loss", input, label, weight, reduction=reduction,
                 ignore_index=ignore_index, axis=1)


def mse_loss(input, label, reduction="mean", name=None):  # noqa: A002
    _check_reduction("mse_loss", reduction)
    return L.mse_loss(input, label, reduction)


def l1_loss(input, label, reduction="mean", name=None):  # noqa: A002
    _check_reduction("l1_loss", reduction)
    return L.l1_loss(input, label, reduction)


def smooth_l1_loss(input, label, reduction="mean", delta=1.0, name=None):  # noqa: A002
    """Paddle's smooth L1 is the Huber loss: 0.5 d^2 if |d| < delta else
    delta * (|d| - 0.5 delta)."""
    _check_reduction("smooth_l1_loss", reduction)
    return L.huber_loss(input, label, reduction, delta)


def binary_cross_entropy(input, label, weight=None, reduction="mean", name=None):  # noqa: A002
    _check_reduction("binary_cross_entropy", reduction)
    return apply("binary_cross_entropy", input, label, weight, reduction=reduction)


def binary_cross_entropy_with_logits(logit, label, weight=None, reduction="mean",
                                     pos_weight=None, name=None):
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    return L.binary_cross_entropy_with_logits(logit, label, weight, reduction, pos_weight)


def kl_div(input, label, reduction="mean", log_target=False, name=None):  # noqa: A002
    """label * (log(label) - input) with `input` holding log-probabilities; 'batchmean'
    divides the sum by the batch size."""
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"kl_div: reduction must be one of {_REDUCTIONS + ('batchmean',)}, "
                         f"got {reduction!r}")
    return L.kl_div(input, label, reduction, log_target)


def margin_ranking_loss(input, other, label, margin=0.0, reduction="mean",  # noqa: A002
                        name=None):
    """max(0, -label * (input - other) + margin)."""
    _check_reduction("margin_ranking_loss", reduction)
    return L.margin_ranking_loss(input, other, label, margin, reduction)


def hinge_embedding_loss(input, label, margin=1.0, reduction="mean", name=None):  # noqa: A002
    """input where label == 1, max(0, margin - input) where label == -1."""
    _check_reduction("hinge_embedding_loss", reduction)
    return L.hinge_embedding_loss(input, label, margin, reduction)


def cosine_embedding_loss(input1, input2, label, margin=0, reduction="mean", name=None):
    """1 - cos where label == 1, max(0, cos - margin) where label == -1 (cosine over the
    last dim, Paddle's 1e-11 added to each squared norm)."""
    _check_reduction("cosine_embedding_loss", reduction)
    if not -1 <= margin <= 1:
        raise ValueError(f"cosine_embedding_loss: margin should be in [-1, 1], got {margin}")
    if input1.ndim not in (1, 2) or label.ndim != input1.ndim - 1:
        raise ValueError(f"cosine_embedding_loss: expects inputs [N, M] (or [M]) and label "
                         f"[N] (or []), got {input1.shape} and label {label.shape}")
    return L.cosine_embedding_loss(input1, input2, label, margin, reduction, eps=1e-11)


def triplet_margin_loss(input, positive, negative, margin=1.0, p=2, epsilon=1e-06,  # noqa
                        swap=False, reduction="mean", name=None):
    """max(0, d(input, positive) - d(input, negative) + margin), d the p-norm distance."""
    _check_reduction("triplet_margin_loss", reduction)
    if margin < 0:
        raise ValueError(f"triplet_margin_loss: margin should be non-negative, got {margin}")
    return L.triplet_margin_loss(input, positive, negative, margin, float(p), epsilon, swap,
                                 reduction)


def square_error_cost(input, label):  # noqa: A002
    """(input - label) ** 2, elementwise."""
    d = apply("sub", input, label)
    return apply("mul", d, d)


def log_loss(input, label, epsilon=0.0001, name=None):  # noqa: A002
    """-label * log(input + eps) - (1 - label) * log(1 - input + eps), elementwise."""
    return L.log_loss(input, label, epsilon)


def sigmoid_focal_loss(logit, label, normalizer=None, alpha=0.25, gamma=2.0, reduction="sum",
                       name=None):
    """Focal loss on logits (default reduction 'sum'); `normalizer` (a 1-element tensor)
    divides the per-element loss."""
    _check_reduction("sigmoid_focal_loss", reduction)
    return L.sigmoid_focal_loss(logit, label, normalizer, alpha, gamma, reduction)
