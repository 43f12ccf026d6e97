"""torch.nn.functional: more losses, activations and normalizations, each a call into the
shared composites of dualnet/ops (loss.py, nn.py) or the ctc_loss primitive (ctc.py)."""
from __future__ import annotations

import numpy as np

from dualnet.ops import apply
from dualnet.ops import loss as _loss
from dualnet.ops import nn as _nn

from ..tensor import Tensor
from ._losses import _reduction

__all__ = [
    "multi_margin_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss",
    "ctc_loss", "rrelu", "rrelu_", "gumbel_softmax", "hardtanh_", "elu_", "leaky_relu_",
    "threshold_", "celu_", "selu_", "feature_alpha_dropout", "local_response_norm",
]


def _inplace(input: Tensor, out: Tensor) -> Tensor:
    return input._set_(out)


# ================================================================ losses

def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """sum over i != y of weight[y] * max(0, margin - x[y] + x[i])^p / C."""
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    return _loss.multi_margin_loss(input, target, p, margin, weight,
                                   _reduction(size_average, reduce, reduction))


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """sum over target classes j (up to the first -1) and other classes i of
    max(0, 1 - (x[j] - x[i])) / C."""
    return _loss.multilabel_margin_loss(input, target,
                                        _reduction(size_average, reduce, reduction))


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """max(0, d(a, p) - d(a, n) + margin), d = distance_function (pairwise_distance)."""
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than "
                         f"0, got {margin} instead")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {anchor.ndim}D, "
                           f"positive {positive.ndim}D, and negative {negative.ndim}D inputs")
    return _loss.triplet_margin_with_distance_loss(anchor, positive, negative,
                                                   distance_function, margin, swap, reduction)


def _lengths(v, like: Tensor) -> Tensor:
    if isinstance(v, Tensor):
        return v
    return Tensor._wrap(like._xp().asarray(np.asarray(v, dtype=np.int64)))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """CTC negative log-likelihood of log_probs (T, N, C) (or unbatched (T, C)); targets
    padded (N, S) or concatenated; 'mean' divides each loss by its target length."""
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0) if targets.ndim == 1 else targets
    input_lengths = _lengths(input_lengths, log_probs).reshape(-1)
    target_lengths = _lengths(target_lengths, log_probs).reshape(-1)
    loss = _loss.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                          reduction, zero_infinity)
    return loss.reshape(()) if unbatched and reduction == "none" else loss


# ================================================================ activations

def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: negative slopes drawn uniformly from [lower, upper] while
    training, their mean (lower + upper) / 2 otherwise."""
    from ..creation import rand_like

    noise = rand_like(input) if training else None
    out = _nn.rrelu(input, lower, upper, training, noise)
    return _inplace(input, out) if inplace else out


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Softmax of (logits + Gumbel noise) / tau; hard=True gives the one-hot argmax with the
    soft sample's gradient (straight through)."""
    from ..creation import rand_like

    y = _nn.gumbel_softmax(logits, rand_like(logits), tau, dim)
    if not hard:
        return y
    hard_y = _nn.one_hot_argmax(y, dim)
    return (hard_y - y).detach() + y


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return _inplace(input, apply("hardtanh", input, min_val=min_val, max_val=max_val))


def elu_(input, alpha=1.0):
    from dualnet.ops import activation as _act

    return _inplace(input, _act.elu(input, alpha))


def celu_(input, alpha=1.0):
    from dualnet.ops import activation as _act

    return _inplace(input, _act.celu(input, alpha))


def selu_(input):
    from dualnet.ops import activation as _act

    return _inplace(input, _act.selu(input))


def leaky_relu_(input, negative_slope=0.01):
    return _inplace(input, apply("leaky_relu", input, negative_slope=negative_slope))


def threshold_(input, threshold, value):
    return _inplace(input, _nn.threshold(input, threshold, value))


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout of whole channels: one mask value per (sample, channel)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    out = _nn.feature_alpha_dropout(input, p, True)
    return _inplace(input, out) if inplace else out


# ================================================================ normalization

def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    return _nn.local_response_norm(input, size, alpha, beta, k)
