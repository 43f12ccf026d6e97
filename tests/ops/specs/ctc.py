"""Specs for dualnet/ops/ctc.py: ctc_loss (+ ctc_loss_grad through its vjp).

The reference enumerates every alignment path (C ** T of them, tiny T and C), collapses
repeats and then blanks, and sums the probabilities of the paths that spell the target.
"""
import itertools

import numpy as np

from tests.ops.spec import OpSpec


def collapse(path, blank):
    out, prev = [], None
    for c in path:
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return tuple(out)


def brute_nll(lp, target, blank):
    """-log sum over paths of prod lp[t, path[t]] for one sample (lp: [T, C])."""
    t_len, c = lp.shape
    total = 0.0
    for path in itertools.product(range(c), repeat=t_len):
        if collapse(path, blank) == tuple(target):
            total += np.exp(sum(lp[t, k] for t, k in enumerate(path)))
    return -np.log(total) if total > 0 else np.inf


def ctc_ref(log_probs, targets, input_lengths, target_lengths, blank=0, zero_infinity=False,
            norm_by_times=False):
    lp = log_probs.astype(np.float64)
    out = []
    offset = 0
    for n in range(lp.shape[1]):
        tl = int(target_lengths[n])
        if targets.ndim == 2:
            tgt = targets[n, :tl]
        else:
            tgt = targets[offset:offset + tl]
            offset += tl
        nll = brute_nll(lp[:int(input_lengths[n]), n], tgt, blank)
        out.append(0.0 if zero_infinity and np.isinf(nll) else nll)
    return np.array(out)


def _log_softmax(r, d, *shape):
    x = r.standard_normal(shape)
    x -= x.max(axis=-1, keepdims=True)
    return (x - np.log(np.exp(x).sum(axis=-1, keepdims=True))).astype(d)


def _padded(r, d):
    lp = _log_softmax(r, d, 5, 3, 3)
    targets = np.array([[1, 1, 0], [2, 1, 2], [2, 0, 0]])
    return lp, targets, np.array([5, 4, 3]), np.array([2, 3, 1])


def _concatenated(r, d):
    lp = _log_softmax(r, d, 4, 2, 4)
    targets = np.array([1, 3, 2, 2], dtype=np.int32)
    return lp, targets, np.array([4, 4], dtype=np.int32), np.array([2, 2], dtype=np.int32)


def _blank_last(r, d):
    lp = _log_softmax(r, d, 4, 2, 3)
    return lp, np.array([[0, 1], [1, 1]]), np.array([4, 3]), np.array([2, 2])


def _impossible(r, d):
    lp = _log_softmax(r, d, 3, 2, 3)
    targets = np.array([[1, 1], [2, 0]])  # sample 0 needs 3 steps but has 2
    return lp, targets, np.array([2, 3]), np.array([2, 1])


SPECS = [
    OpSpec("ctc_loss", _padded, ctc_ref, attrs={"blank": 0}, name="padded",
           covers=("ctc_loss_grad",), grad=(0,)),
    OpSpec("ctc_loss", _concatenated, ctc_ref, attrs={"blank": 0}, name="concat", grad=(0,)),
    OpSpec("ctc_loss", _blank_last, ctc_ref, attrs={"blank": 2},
           name="blank2", grad=(0,)),
    OpSpec("ctc_loss", _impossible, ctc_ref, attrs={"blank": 0, "zero_infinity": True},
           name="zero_infinity", grad=(0,)),
]
