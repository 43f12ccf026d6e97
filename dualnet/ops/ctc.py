"""Connectionist temporal classification: the `ctc_loss` primitive and its gradient kernel.

`ctc_loss(log_probs [T, N, C], targets, input_lengths [N], target_lengths [N]; blank)` gives
the per-sample negative log-likelihood [N] of the targets under all alignments (blanks and
repeats collapsed), by the forward-backward algorithm in log space. Targets are padded
[N, S] or concatenated 1-D (sum of target_lengths). Reductions (torch's division by the
target lengths, Paddle's softmax on logits) are composites in the front ends' loss modules.
Loops run over time only: each step is whole-array work over (batch, extended label).
"""
from __future__ import annotations

import numpy as np

from .registry import Meta, register

_NEG_INF = -np.inf


def _ctc_canon(log_probs, targets, input_lengths, target_lengths, *, blank=0,
               zero_infinity=False, norm_by_times=False):
    c = log_probs.shape[-1] if log_probs.ndim else -1
    blank = int(blank)
    if blank < 0 or (c != -1 and blank >= c):
        raise ValueError(f"blank must be in [0, {c}) for log_probs of shape "
                         f"{list(log_probs.shape)}, got {blank}")
    return {"blank": blank, "zero_infinity": bool(zero_infinity),
            "norm_by_times": bool(norm_by_times)}


def _ctc_infer(log_probs, targets, input_lengths, target_lengths, *, blank=0,
               zero_infinity=False, norm_by_times=False):
    if log_probs.ndim != 3 or log_probs.dtype.kind != "f":
        raise ValueError(f"log_probs must be a floating point [T, N, C] tensor, got shape "
                         f"{list(log_probs.shape)} of {log_probs.dtype}")
    for what, meta in (("targets", targets), ("input_lengths", input_lengths),
                       ("target_lengths", target_lengths)):
        if meta.dtype.kind not in "iu":
            raise TypeError(f"{what} must be an integer tensor, got {meta.dtype}")
    n = log_probs.shape[1]
    if targets.ndim not in (1, 2):
        raise ValueError(f"targets must be padded [N, S] or concatenated 1-D, got shape "
                         f"{list(targets.shape)}")
    batch = [("input_lengths", input_lengths), ("target_lengths", target_lengths)]
    if targets.ndim == 2:
        batch.append(("targets", targets))
    for what, meta in batch:
        if meta.ndim != (2 if what == "targets" else 1) or -1 not in (meta.shape[0], n) \
                and meta.shape[0] != n:
            raise ValueError(f"{what} of shape {list(meta.shape)} does not match the batch "
                             f"size {n} of log_probs {list(log_probs.shape)}")
    return Meta((n,), log_probs.dtype)


def _padded_targets(xp, targets, target_lengths, blank):
    """[N, S] targets (entries past each length set to blank) from padded or concatenated."""
    tl = target_lengths.astype(np.int64)
    if targets.ndim == 2:
        s = targets.shape[1]
        if tl.size and int(tl.max()) > s:
            raise ValueError(f"target_lengths {tl.tolist()} exceed the padded targets' length "
                             f"{s}")
        pos = xp.arange(s)[None, :]
        return xp.where(pos < tl[:, None], targets, blank).astype(np.int64), s
    total = int(tl.sum()) if tl.size else 0
    if total != targets.shape[0]:
        raise ValueError(f"concatenated targets hold {targets.shape[0]} labels but "
                         f"target_lengths sum to {total}")
    s = int(tl.max()) if tl.size else 0
    pos = xp.arange(s)[None, :]
    start = xp.cumsum(tl) - tl
    idx = xp.minimum(start[:, None] + pos, max(total - 1, 0))
    flat = targets[idx] if total else xp.zeros(idx.shape, dtype=np.int64)
    return xp.where(pos < tl[:, None], flat, blank).astype(np.int64), s


def _setup(xp, log_probs, targets, input_lengths, target_lengths, blank):
    """Extended labels l' [N, L] (blank, t1, blank, t2, ..., blank), their log-probs
    [T, N, L], the skip mask (s-2 -> s allowed), valid positions and lengths."""
    t_max, n, c = log_probs.shape
    il = input_lengths.astype(np.int64)
    tl = target_lengths.astype(np.int64)
    if il.size and (int(il.min()) < 0 or int(il.max()) > t_max):
        raise ValueError(f"input_lengths {il.tolist()} must lie in [0, {t_max}] (the T of "
                         f"log_probs {list(log_probs.shape)})")
    if tl.size and int(tl.min()) < 0:
        raise ValueError(f"target_lengths must be non-negative, got {tl.tolist()}")
    tgt, s = _padded_targets(xp, targets, target_lengths, blank)
    if tgt.size and (int(tgt.min()) < 0 or int(tgt.max()) >= c):
        raise IndexError(f"target labels must lie in [0, {c}), got values in "
                         f"[{int(tgt.min())}, {int(tgt.max())}]")
    big_l = 2 * s + 1
    ext = xp.full((n, big_l), blank, dtype=np.int64)
    ext[:, 1::2] = tgt
    skip = xp.zeros((n, big_l), dtype=bool)
    if big_l > 2:
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    lp_ext = xp.take_along_axis(log_probs, xp.broadcast_to(ext[None], (t_max, n, big_l)),
                                axis=2)
    ext_len = 2 * tl + 1
    valid = xp.arange(big_l)[None, :] < ext_len[:, None]
    return ext, lp_ext, skip, valid, il, ext_len


def _shift(xp, a, k):
    """a shifted right by k along the last axis, -inf filled."""
    out = xp.full(a.shape, _NEG_INF, dtype=a.dtype)
    if k < a.shape[-1]:
        out[:, k:] = a[:, :-k]
    return out


def _alphas(xp, lp_ext, skip, valid, il):
    """log alpha [T, N, L]; rows at t >= input length are frozen copies of the last one."""
    t_max, n, big_l = lp_ext.shape
    alpha = xp.full((t_max, n, big_l), _NEG_INF, dtype=lp_ext.dtype)
    if t_max == 0:
        return alpha
    first = xp.full((n, big_l), _NEG_INF, dtype=lp_ext.dtype)
    first[:, :2] = lp_ext[0, :, :2]
    a = xp.where(valid & (il[:, None] > 0), first, _NEG_INF)
    alpha[0] = a
    for t in range(1, t_max):
        prev = xp.logaddexp(a, _shift(xp, a, 1))
        prev = xp.where(skip, xp.logaddexp(prev, _shift(xp, a, 2)), prev)
        new = xp.where(valid, prev + lp_ext[t], _NEG_INF)
        a = xp.where((t < il)[:, None], new, a)
        alpha[t] = a
    return alpha


def _betas(xp, lp_ext, skip, valid, il, ext_len):
    """log beta [T, N, L] (emission at t included); -inf at t >= input length."""
    t_max, n, big_l = lp_ext.shape
    beta = xp.full((t_max, n, big_l), _NEG_INF, dtype=lp_ext.dtype)
    pos = xp.arange(big_l)[None, :]
    ends = (pos == ext_len[:, None] - 1) | (pos == ext_len[:, None] - 2)
    skip_next = xp.zeros_like(skip)
    skip_next[:, :-2] = skip[:, 2:]  # s -> s+2 allowed
    b = xp.full((n, big_l), _NEG_INF, dtype=lp_ext.dtype)
    for t in range(t_max - 1, -1, -1):
        nxt = xp.full((n, big_l), _NEG_INF, dtype=lp_ext.dtype)
        nxt[:, :-1] = b[:, 1:]
        rec = xp.logaddexp(b, nxt)
        nxt2 = xp.full((n, big_l), _NEG_INF, dtype=lp_ext.dtype)
        nxt2[:, :-2] = b[:, 2:]
        rec = xp.where(skip_next, xp.logaddexp(rec, nxt2), rec)
        init = xp.where(ends, lp_ext[t], _NEG_INF)
        step = xp.where(valid, rec + lp_ext[t], _NEG_INF)
        b = xp.where((t == il - 1)[:, None], init, xp.where((t < il - 1)[:, None], step,
                                                            _NEG_INF))
        beta[t] = b
    return beta


def _nll(xp, alpha, il, ext_len):
    n = alpha.shape[1]
    if alpha.shape[0] == 0:
        return xp.full((n,), np.inf, dtype=alpha.dtype)
    rows = xp.arange(n)
    last = alpha[xp.maximum(il - 1, 0), rows]  # [N, L]
    end = last[rows, ext_len - 1]
    before = xp.where(ext_len >= 2, last[rows, xp.maximum(ext_len - 2, 0)], _NEG_INF)
    ll = xp.logaddexp(end, before)
    ll = xp.where(il > 0, ll, xp.where(ext_len == 1, 0.0, _NEG_INF))  # T = 0: only ""
    return -ll


@register("ctc_loss", infer=_ctc_infer, canon=_ctc_canon)
def ctc_loss(xp, log_probs, targets, input_lengths, target_lengths, *, blank=0,
             zero_infinity=False, norm_by_times=False):
    """-log p(target | log_probs) per sample [N] (+inf for impossible alignments, 0 with
    zero_infinity). norm_by_times only scales the gradient (by 1 / input length, Paddle)."""
    _, lp_ext, skip, valid, il, ext_len = _setup(xp, log_probs, targets, input_lengths,
                                                 target_lengths, blank)
    nll = _nll(xp, _alphas(xp, lp_ext, skip, valid, il), il, ext_len)
    if zero_infinity:
        nll = xp.where(xp.isinf(nll), 0.0, nll)
    return nll.astype(log_probs.dtype, copy=False)


@ctc_loss.defvjp
def _ctc_loss_vjp(g, log_probs, targets, input_lengths, target_lengths, out, **attrs):
    return ctc_loss_grad(g, log_probs, targets, input_lengths, target_lengths,
                         **attrs), None, None, None


def _ctc_grad_infer(g, log_probs, targets, input_lengths, target_lengths, **attrs):
    out = _ctc_infer(log_probs, targets, input_lengths, target_lengths, **attrs)
    if g.ndim != 1:
        raise ValueError(f"gradient shape {list(g.shape)} does not match the loss "
                         f"{list(out.shape)}")
    return Meta(log_probs.shape, log_probs.dtype)


def _ctc_grad_canon(g, log_probs, targets, input_lengths, target_lengths, **attrs):
    return _ctc_canon(log_probs, targets, input_lengths, target_lengths, **attrs)


@register("ctc_loss_grad", infer=_ctc_grad_infer, canon=_ctc_grad_canon,
          differentiable=False)
def ctc_loss_grad(xp, g, log_probs, targets, input_lengths, target_lengths, *, blank=0,
                  zero_infinity=False, norm_by_times=False):
    """d(sum g * nll)/d log_probs = -g * sum over s with l'_s = c of the occupancy
    exp(alpha + beta - lp + nll) at (t, s); zero past each input length and for samples
    with an infinite loss. Not differentiable itself (no double backward through CTC)."""
    ext, lp_ext, skip, valid, il, ext_len = _setup(xp, log_probs, targets, input_lengths,
                                                   target_lengths, blank)
    alpha = _alphas(xp, lp_ext, skip, valid, il)
    beta = _betas(xp, lp_ext, skip, valid, il, ext_len)
    nll = _nll(xp, alpha, il, ext_len)
    finite = xp.isfinite(nll)
    t_max, n, c = log_probs.shape
    live = (xp.arange(t_max)[:, None] < il[None, :])[:, :, None] & valid[None]
    lp_safe = xp.where(xp.isfinite(lp_ext), lp_ext, 0.0)  # alpha + beta is -inf there
    log_occ = alpha + beta - lp_safe + xp.where(finite, nll, 0.0)[None, :, None]
    live &= xp.isfinite(log_occ)
    occ = xp.where(live, xp.exp(xp.where(live, log_occ, 0.0)), 0.0)
    onehot = (ext[:, :, None] == xp.arange(c)[None, None, :]).astype(occ.dtype)  # [N, L, C]
    grad = xp.matmul(occ.transpose(1, 0, 2), onehot).transpose(1, 0, 2)  # [T, N, C]
    scale = xp.where(finite, -g, 0.0)
    if norm_by_times:
        scale = scale / xp.maximum(il, 1)
    grad *= scale[None, :, None]
    return grad.astype(log_probs.dtype, copy=False)
