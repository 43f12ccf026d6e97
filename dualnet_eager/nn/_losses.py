"""The loss functions of torch.nn.functional (re-exported there), each a call into the loss
composites and primitives of dualnet/ops, plus the legacy size_average/reduce handling."""
from __future__ import annotations

import warnings

from dualnet.ops import apply
from dualnet.ops import loss as _loss


class _Reduction:
    @staticmethod
    def legacy_get_string(size_average, reduce, emit_warning: bool = True) -> str:
        """The reduction named by the deprecated size_average / reduce flags."""
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        if size_average and reduce:
            ret = "mean"
        elif reduce:
            ret = "sum"
        else:
            ret = "none"
        if emit_warning:
            warnings.warn(f"size_average and reduce args will be deprecated, please use "
                          f"reduction='{ret}' instead.", stacklevel=3)
        return ret


def _reduction(size_average, reduce, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        return _Reduction.legacy_get_string(size_average, reduce)
    return reduction


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """log_softmax over the class dim 1 + nll_loss; float targets hold class probabilities."""
    reduction = _reduction(size_average, reduce, reduction)
    return _loss.cross_entropy(input, target, weight, ignore_index=ignore_index,
                               reduction=reduction, label_smoothing=label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    return apply("nll_loss", input, target, weight, reduction=reduction,
                 ignore_index=ignore_index)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _loss.mse_loss(input, target, _reduction(size_average, reduce, reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _loss.l1_loss(input, target, _reduction(size_average, reduce, reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    return _loss.smooth_l1_loss(input, target, _reduction(size_average, reduce, reduction),
                                beta)


def huber_loss(input, target, reduction="mean", delta=1.0):
    return _loss.huber_loss(input, target, reduction, delta)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    return apply("binary_cross_entropy", input, target, weight, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    return _loss.binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) with `input` in log space ("batchmean" is the true KL)."""
    reduction = _reduction(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns "
                      "with the KL div math definition.'mean' will be changed to behave the "
                      "same as 'batchmean' in the next major release.", stacklevel=2)
    return _loss.kl_div(input, target, reduction, log_target)


def _reduce(loss, reduction: str):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return apply("sum", loss)
    if reduction == "mean":
        return apply("mean", loss)
    raise ValueError(f"{reduction} is not a valid value for reduction")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x))."""
    return _loss.soft_margin_loss(input, target, _reduction(size_average, reduce, reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin)."""
    return _loss.margin_ranking_loss(input1, input2, target, margin,
                                     _reduction(size_average, reduce, reduction))


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y == 1, max(0, margin - x) where y == -1."""
    return _loss.hinge_embedding_loss(input, target, margin,
                                      _reduction(size_average, reduce, reduction))


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos where y == 1, max(0, cos - margin) where y == -1 (cosine over the last dim)."""
    return _loss.cosine_embedding_loss(input1, input2, target, margin,
                                       _reduction(size_average, reduce, reduction), eps=1e-12)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    return _loss.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                     _reduction(size_average, reduce, reduction))


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-08,
                     reduce=None, reduction="mean"):
    return _loss.poisson_nll_loss(input, target, log_input, full, eps,
                                  _reduction(size_average, reduce, reduction))


def gaussian_nll_loss(input, target, var, full=False, eps=1e-06, reduction="mean"):
    return _loss.gaussian_nll_loss(input, target, var, full, eps, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    return _loss.multilabel_soft_margin_loss(input, target, weight,
                                             _reduction(size_average, reduce, reduction))
