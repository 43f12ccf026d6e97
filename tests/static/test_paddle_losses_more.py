"""paddle.nn(.functional) losses and activations over the shared composites and ctc_loss:
explicit programs and implicit mode against NumPy references (brute-force alignment sums
for CTC), gradients against central differences, Paddle's defaults and error cases."""
from __future__ import annotations

import numpy as np
import pytest

import dualnet_static as paddle
from tests.ops.specs.ctc import brute_nll

from .implicit_helpers import fresh_dynamic_mode
from .test_creation_api import check_both, run_explicit

F = paddle.nn.functional
R = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


def _const(v):
    return paddle.to_tensor(v) if paddle.in_dynamic_mode() else paddle.assign(v)


def _numeric_grad(f, x, eps=1e-3):
    g = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(*x.shape):
        old = x[i]
        x[i] = old + eps
        hi = f(x)
        x[i] = old - eps
        lo = f(x)
        x[i] = old
        g[i] = (hi - lo) / (2 * eps)
    return g


def _check_grad(fn, x, atol=2e-3):
    """Implicit mode: d sum(fn(x))/dx by backward() == central differences (float64 x)."""
    t = paddle.to_tensor(x.copy())
    t.stop_gradient = False
    fn(t).sum().backward()
    numeric = _numeric_grad(lambda v: float(fn(paddle.to_tensor(v)).sum().numpy()), x.copy())
    np.testing.assert_allclose(t.grad.numpy(), numeric, atol=atol, rtol=1e-3)


X = R.standard_normal((4, 5)).astype(np.float32)
Y = np.array([0, 3, 4, 1], dtype=np.int64)
W = R.uniform(0.5, 2.0, 5).astype(np.float32)


def multi_margin_ref(x, y, p=1, margin=1.0, w=None):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        wi = 1.0 if w is None else w[y[i]]
        for j in range(c):
            if j != y[i]:
                out[i] += max(0.0, wi * (margin - x[i, y[i]] + x[i, j])) ** p
    return out / c


def test_multi_margin_loss_paddle_weight_inside_the_hinge():
    feeds = {"x": X, "y": Y}
    want = multi_margin_ref(X, Y, 2, 0.5, W).astype(np.float32)
    check_both(lambda x, y: F.multi_margin_loss(x, y, p=2, margin=0.5, weight=_const(W),
                                                reduction="none"), want, feeds, rtol=1e-5)
    check_both(lambda x, y: paddle.nn.MultiMarginLoss()(x, y),
               np.float32(multi_margin_ref(X, Y).mean()), feeds, rtol=1e-5)
    _check_grad(lambda t: F.multi_margin_loss(t, paddle.to_tensor(Y), p=2),
                X.astype(np.float64))
    with pytest.raises(ValueError, match="label size"):
        F.multi_margin_loss(paddle.to_tensor(X), paddle.to_tensor(Y[:3]))


def test_multi_label_soft_margin_poisson_gaussian_soft_margin():
    lab = (R.random((4, 5)) > 0.5).astype(np.float32)
    sig = 1 / (1 + np.exp(-X.astype(np.float64)))
    ml = -(lab * np.log(sig) + (1 - lab) * np.log(1 - sig)) * W
    check_both(lambda x, y: F.multi_label_soft_margin_loss(x, y, weight=_const(W)),
               np.float32(ml.mean(-1).mean()), {"x": X, "y": lab}, rtol=1e-5)
    target = np.abs(R.standard_normal((4, 5))).astype(np.float32) * 3
    t64 = target.astype(np.float64)
    stirling = np.where(t64 > 1, t64 * np.log(t64) - t64 + 0.5 * np.log(2 * np.pi * t64), 0)
    pois = np.exp(X) - target * X + stirling
    check_both(lambda x, y: paddle.nn.PoissonNLLLoss(full=True, reduction="sum")(x, y),
               np.float32(pois.sum()), {"x": X, "y": target}, rtol=1e-5)
    pos = np.abs(X) + 0.1
    check_both(lambda x, y: F.poisson_nll_loss(x, y, log_input=False, reduction="none"),
               (pos - target * np.log(pos + 1e-8)).astype(np.float32), {"x": pos, "y": target},
               rtol=1e-5)
    var = np.array([0.5, 1e-9, 2.0, 1.0], dtype=np.float32)  # one variance per sample
    v = np.maximum(var, 1e-6)[:, None]
    gauss = 0.5 * (np.log(v) + (X - target) ** 2 / v) + 0.5 * np.log(2 * np.pi)
    check_both(lambda x, y, s: paddle.nn.GaussianNLLLoss(full=True)(x, y, s),
               np.float32(gauss.mean()), {"x": X, "y": target, "s": var}, rtol=1e-5)
    sign = np.where(R.random((4, 5)) > 0.5, 1, -1).astype(np.int64)
    check_both(lambda x, y: F.soft_margin_loss(x, y, reduction="none"),
               np.log1p(np.exp(-sign * X)).astype(np.float32), {"x": X, "y": sign}, rtol=1e-5)
    check_both(lambda x, y: paddle.nn.SoftMarginLoss()(x, y),
               np.float32(np.log1p(np.exp(-sign * X)).mean()), {"x": X, "y": sign}, rtol=1e-5)
    with pytest.raises(ValueError, match="incorrect size"):
        F.gaussian_nll_loss(paddle.to_tensor(X), paddle.to_tensor(X),
                            paddle.to_tensor(np.ones(3, np.float32)))
    with pytest.raises(ValueError, match="epsilon"):
        F.poisson_nll_loss(paddle.to_tensor(X), paddle.to_tensor(X), epsilon=0.0)
    with pytest.raises(ValueError, match="reduction"):
        F.soft_margin_loss(paddle.to_tensor(X), paddle.to_tensor(X), reduction="avg")
    _check_grad(lambda t: F.gaussian_nll_loss(t, paddle.to_tensor(target.astype(np.float64)),
                                              paddle.to_tensor(np.ones((4, 5)))),
                X.astype(np.float64))


def test_triplet_margin_with_distance_loss_with_unknown_batch():
    a, p, n = (R.standard_normal((5, 3)).astype(np.float32) for _ in range(3))

    def dist(u, v):
        return np.sqrt(((u - v + 1e-6) ** 2).sum(-1))

    want = np.float32(np.maximum(dist(a, p) - np.minimum(dist(a, n), dist(p, n)) + 1.0,
                                 0).mean())
    check_both(lambda x, y, z: F.triplet_margin_with_distance_loss(x, y, z, swap=True), want,
               {"a": a, "p": p, "n": n}, rtol=1e-5)
    main, startup = paddle.static.Program(), paddle.static.Program()
    with paddle.static.program_guard(main, startup):
        vs = [paddle.static.data(k, [-1, 3], "float32") for k in "apn"]
        loss = paddle.nn.TripletMarginWithDistanceLoss(
            distance_function=lambda u, v: paddle.abs(u - v).sum(-1), reduction="none")(*vs)
    assert loss.shape == [-1]
    (got,) = paddle.static.Executor().run(main, feed={"a": a, "p": p, "n": n},
                                          fetch_list=[loss])
    np.testing.assert_allclose(got, np.maximum(np.abs(a - p).sum(-1) - np.abs(a - n).sum(-1)
                                               + 1.0, 0), rtol=1e-5)
    with pytest.raises(ValueError, match="margin"):
        F.triplet_margin_with_distance_loss(paddle.to_tensor(a), paddle.to_tensor(p),
                                            paddle.to_tensor(n), margin=-1.0)


# ---------------------------------------------------------------- ctc_loss

LOGITS = R.standard_normal((5, 2, 4)).astype(np.float32)
LABELS = np.array([[1, 2, 0], [3, 3, 1]], dtype=np.int32)
IL, LL = np.array([5, 5], dtype=np.int64), np.array([2, 3], dtype=np.int64)


def _lsm(z):
    z = z.astype(np.float64) - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _ctc_ref():
    lp = _lsm(LOGITS)
    return np.array([brute_nll(lp[:IL[n], n], LABELS[n, :LL[n]], 0) for n in range(2)])


def test_ctc_loss_softmax_inside_and_reductions():
    want = _ctc_ref()
    feeds = {"x": LOGITS, "y": LABELS, "il": IL, "ll": LL}
    check_both(lambda x, y, il, ll: F.ctc_loss(x, y, il, ll, reduction="none"),
               want.astype(np.float32), feeds, rtol=1e-5)
    check_both(lambda x, y, il, ll: paddle.nn.CTCLoss()(x, y, il, ll),
               np.float32((want / LL).mean()), feeds, rtol=1e-5)
    check_both(lambda x, y, il, ll: F.ctc_loss(x, y, il, ll, blank=0, reduction="sum"),
               np.float32(want.sum()), feeds, rtol=1e-5)
    out = run_explicit(lambda x, y, il, ll: F.ctc_loss(x, y, il, ll, reduction="none"),
                       feeds)[0]
    assert out.shape == (2,)


def test_ctc_loss_gradient_and_norm_by_times():
    labels, il, ll = (paddle.to_tensor(v) for v in (LABELS, IL, LL))
    x64 = LOGITS.astype(np.float64)
    _check_grad(lambda t: F.ctc_loss(t, labels, il, ll, reduction="sum"), x64, atol=1e-4)
    grads = []
    for norm in (False, True):
        t = paddle.to_tensor(x64)
        t.stop_gradient = False
        F.ctc_loss(t, labels, il, ll, reduction="sum", norm_by_times=norm).backward()
        grads.append(t.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0] / 5.0, rtol=1e-6)
    with pytest.raises(ValueError, match="log_probs"):
        F.ctc_loss(paddle.to_tensor(LOGITS[0]), labels, il, ll)


def test_ctc_loss_in_an_explicit_program_with_unknown_time_and_batch():
    main, startup = paddle.static.Program(), paddle.static.Program()
    with paddle.static.program_guard(main, startup):
        x = paddle.static.data("x", [-1, -1, 4], "float32")
        y = paddle.static.data("y", [-1, 3], "int32")
        il = paddle.static.data("il", [-1], "int64")
        ll = paddle.static.data("ll", [-1], "int64")
        loss = F.ctc_loss(x, y, il, ll)
    (got,) = paddle.static.Executor().run(main, feed={"x": LOGITS, "y": LABELS, "il": IL,
                                                      "ll": LL}, fetch_list=[loss])
    np.testing.assert_allclose(got, (_ctc_ref() / LL).mean(), rtol=1e-5)


# ---------------------------------------------------------------- activations, dice, npair

def test_rrelu_and_softmax2d():
    neg = X < 0
    check_both(lambda x: F.rrelu(x, 0.1, 0.3, training=False),
               np.where(neg, X * 0.2, X).astype(np.float32), {"x": X}, rtol=1e-6)
    paddle.seed(0)
    y = F.rrelu(paddle.to_tensor(X)).numpy()  # Paddle's default: training=True
    slopes = (y / X)[neg]
    assert slopes.min() >= 1 / 8 - 1e-6 and slopes.max() <= 1 / 3 + 1e-6 and slopes.std() > 0
    layer = paddle.nn.RReLU(0.2, 0.4)
    layer.eval()
    np.testing.assert_allclose(layer(paddle.to_tensor(X)).numpy(), np.where(neg, X * 0.3, X),
                               rtol=1e-6)
    for bad, msg in (({"lower": -0.1}, "no less than zero"), ({"upper": 1.5}, "no greater"),
                     ({"lower": 0.5, "upper": 0.2}, "no greater than upper")):
        with pytest.raises(ValueError, match=msg):
            F.rrelu(paddle.to_tensor(X), **bad)
    img = R.standard_normal((2, 3, 2, 2)).astype(np.float32)
    e = np.exp(img - img.max(1, keepdims=True))
    check_both(lambda x: paddle.nn.Softmax2D()(x), e / e.sum(1, keepdims=True), {"x": img},
               rtol=1e-5)
    with pytest.raises(ValueError, match="3D or 4D"):
        paddle.nn.Softmax2D()(paddle.to_tensor(X))


def test_dice_and_npair_loss():
    probs = R.random((3, 2, 4)).astype(np.float32)
    lab = R.integers(0, 4, (3, 2, 1)).astype(np.int64)
    onehot = np.eye(4)[lab[..., 0]]
    inter = (probs * onehot).sum((1, 2))
    dice = 1 - 2 * inter / (probs.sum((1, 2)) + onehot.sum((1, 2)) + 1e-5)
    check_both(lambda x, y: F.dice_loss(x, y), np.float32(dice.mean()), {"x": probs, "y": lab},
               rtol=1e-5)
    with pytest.raises(TypeError, match="int"):
        F.dice_loss(paddle.to_tensor(probs), paddle.to_tensor(lab.astype(np.float32)))
    a, p = R.standard_normal((4, 3)), R.standard_normal((4, 3))
    labels = np.array([1.0, 2.0, 1.0, 3.0])
    same = (labels[:, None] == labels[None, :]).astype(np.float64)
    target = same / same.sum(1, keepdims=True)
    sim = a @ p.T
    ce = -(target * _lsm(sim)).sum(1)  # per-row soft cross entropy
    celoss = (target * ce[:, None]).sum(0).mean()
    l2 = 0.25 * 0.002 * ((a ** 2).sum(1).mean() + (p ** 2).sum(1).mean())
    check_both(lambda x, y, z: F.npair_loss(x, y, z), np.float64(l2 + celoss),
               {"a": a, "p": p, "l": labels}, rtol=1e-6)
    _check_grad(lambda t: F.npair_loss(t, paddle.to_tensor(p), paddle.to_tensor(labels)), a,
                atol=1e-5)
