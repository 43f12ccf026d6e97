"""paddle.nn.functional: more losses, activations and normalizations, each a call into the
shared composites of dualnet/ops (loss.py, nn.py) or the ctc_loss primitive (ctc.py), with
Paddle's names, argument order, defaults and checks."""
from __future__ import annotations

from dualnet.ops import loss as L
from dualnet.ops import nn as N

from ._utils import np_dtype
from .loss import _check_reduction

__all__ = [
    "multi_margin_loss", "multi_label_soft_margin_loss", "poisson_nll_loss",
    "gaussian_nll_loss", "soft_margin_loss", "triplet_margin_with_distance_loss", "ctc_loss",
    "rrelu", "dice_loss", "npair_loss",
]


def multi_margin_loss(input, label, p=1, margin=1.0, weight=None, reduction="mean",  # noqa
                      name=None):
    """sum over j != label of max(0, weight[label] * (margin - x[label] + x[j]))^p / C per
    sample of input [N, C]."""
    _check_reduction("multi_margin_loss", reduction)
    if input.ndim != 2 or label.ndim != 1:
        raise ValueError(f"multi_margin_loss: expected input [N, C] and label [N], got "
                         f"{input.shape} and {label.shape}")
    if -1 not in (input.shape[0], label.shape[0]) and input.shape[0] != label.shape[0]:
        raise ValueError(f"multi_margin_loss: label size should be equal to input size, got "
                         f"input {input.shape} and label {label.shape}")
    if weight is not None and weight.ndim != 1:
        raise ValueError(f"multi_margin_loss: weight should be 1-D [C], got {weight.shape}")
    return L.multi_margin_loss(input, label, p, margin, weight, reduction, weight_inside=True)


def multi_label_soft_margin_loss(input, label, weight=None, reduction="mean",  # noqa: A002
                                 name=None):
    """-mean over the classes of y log sigmoid(x) + (1 - y) log sigmoid(-x), then reduced."""
    _check_reduction("multi_label_soft_margin_loss", reduction)
    if input.ndim != label.ndim:
        raise ValueError(f"multi_label_soft_margin_loss: the rank of input and label should "
                         f"be equal, got {input.shape} and {label.shape}")
    return L.multilabel_soft_margin_loss(input, _as(label, input), weight, reduction)


def poisson_nll_loss(input, label, log_input=True, full=False, epsilon=1e-8,  # noqa: A002
                     reduction="mean", name=None):
    """exp(x) - y x (log_input) or x - y log(x + epsilon); full adds Stirling's term."""
    _check_reduction("poisson_nll_loss", reduction)
    if epsilon <= 0:
        raise ValueError(f"The value of `epsilon` in poisson_nll_loss should be positive, but "
                         f"received {epsilon}, which is not allowed")
    return L.poisson_nll_loss(input, _as(label, input), log_input, full, epsilon, reduction)


def gaussian_nll_loss(input, label, variance, full=False, epsilon=1e-6,  # noqa: A002
                      reduction="mean", name=None):
    """0.5 (log(max(var, epsilon)) + (x - y)^2 / max(var, epsilon)) (+ 0.5 log(2 pi))."""
    _check_reduction("gaussian_nll_loss", reduction)
    if epsilon <= 0:
        raise ValueError(f"gaussian_nll_loss: epsilon should be positive, got {epsilon}")
    return L.gaussian_nll_loss(input, label, variance, full, epsilon, reduction)


def soft_margin_loss(input, label, reduction="mean", name=None):  # noqa: A002
    """log(1 + exp(-label * input))."""
    _check_reduction("soft_margin_loss", reduction)
    return L.soft_margin_loss(input, _as(label, input), reduction)


def triplet_margin_with_distance_loss(input, positive, negative,  # noqa: A002
                                      distance_function=None, margin=1.0, swap=False,
                                      reduction="mean", name=None):
    """max(0, d(input, positive) - d(input, negative) + margin), d = distance_function
    (default: the pairwise 2-norm distance)."""
    _check_reduction("triplet_margin_with_distance_loss", reduction)
    if margin < 0:
        raise ValueError(f"The margin between positive samples and negative samples should be "
                         f"greater than 0, got {margin}")
    if not input.ndim == positive.ndim == negative.ndim:
        raise ValueError(f"triplet_margin_with_distance_loss: input, positive and negative "
                         f"should have the same rank, got {input.shape}, {positive.shape} and "
                         f"{negative.shape}")
    return L.triplet_margin_with_distance_loss(input, positive, negative, distance_function,
                                               margin, swap, reduction)


def ctc_loss(log_probs, labels, input_lengths, label_lengths, blank=0, reduction="mean",
             norm_by_times=False):
    """CTC on unscaled logits [T, B, C] (softmax applied inside, as warp-ctc), labels padded
    [B, S]; 'mean' divides each loss by its label length and averages; norm_by_times scales
    the gradient by 1 / input length."""
    _check_reduction("ctc_loss", reduction)
    if log_probs.ndim != 3:
        raise ValueError(f"ctc_loss: log_probs should be [max_logit_length, batch_size, "
                         f"num_classes + 1], got {log_probs.shape}")
    logp = N.log_softmax(log_probs, axis=-1)
    return L.ctc_loss(logp, labels, input_lengths, label_lengths, blank, reduction,
                      norm_by_times=norm_by_times)


def rrelu(x, lower=1.0 / 8.0, upper=1.0 / 3.0, training=True, name=None):
    """x where x >= 0, else x * a: a uniform in [lower, upper] per element while training,
    (lower + upper) / 2 otherwise. Training needs x's full shape (for the noise)."""
    if lower < 0:
        raise ValueError(f"The lower value must be no less than zero. Received: {lower}.")
    if upper > 1:
        raise ValueError(f"The upper value must be no greater than one. Received: {upper}.")
    if lower > upper:
        raise ValueError(f"The lower value must be no greater than upper value. Received: "
                         f"{lower}.")
    noise = None
    if training:
        from ...tensor_methods.creation import rand

        if any(d < 0 for d in x.shape):
            raise ValueError(f"rrelu(training=True) needs a known input shape, got {x.shape}")
        noise = rand(list(x.shape), dtype=np_dtype(x).name)
    return N.rrelu(x, lower, upper, training, noise)


def dice_loss(input, label, epsilon=1e-05, name=None):  # noqa: A002
    """mean over samples of 1 - 2 |x * onehot(label)| / (|x| + |onehot(label)| + epsilon);
    input [N, ..., C] probabilities, label [N, ..., 1] integer classes."""
    if np_dtype(label).kind not in "iu":
        raise TypeError(f"dice_loss: label should be int32 or int64, got {np_dtype(label)}")
    return L.dice_loss(input, label, epsilon)


def npair_loss(anchor, positive, labels, l2_reg=0.002):
    """L2 regularizer on the embeddings + soft-label cross entropy of anchor @ positive^T
    against the same-label matrix (Paddle's npair_loss)."""
    if anchor.ndim != 2 or positive.ndim != 2 or labels.ndim != 1:
        raise ValueError(f"npair_loss: expected anchor and positive [batch, dims] and labels "
                         f"[batch], got {anchor.shape}, {positive.shape} and {labels.shape}")
    return L.npair_loss(anchor, positive, labels, l2_reg)


def _as(label, input):
    """label in input's dtype (Paddle casts integer labels of the margin losses)."""
    from dualnet.ops import apply

    dt = np_dtype(input)
    return label if np_dtype(label) == dt else apply("cast", label, dtype=dt.name)
