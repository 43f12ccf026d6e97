"""torch.nn(.functional) losses, activations and normalizations over the shared composites
and the ctc_loss primitive: values against NumPy loops / brute-force CTC alignment sums,
gradients against central differences, reductions, modules and error cases."""
from __future__ import annotations

import numpy as np
import pytest

import dualnet_eager as torch
import dualnet_eager.nn.functional as F
from tests.ops.specs.ctc import brute_nll

R = np.random.default_rng(0)


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


def _numeric_grad(f, x, eps=1e-6):
    """Central differences of the scalar f(x) (x: float64 array, perturbed in place)."""
    g = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        old = x[i]
        x[i] = old + eps
        hi = f(x)
        x[i] = old - eps
        lo = f(x)
        x[i] = old
        g[i] = (hi - lo) / (2 * eps)
    return g


def _check_grad(fn, x, atol=1e-6):
    """d fn(x)/dx by autograd (float64) == central differences."""
    t = _t(x.copy(), grad=True)
    fn(t).backward()
    numeric = _numeric_grad(lambda v: float(fn(_t(v)).item()), x.copy())
    np.testing.assert_allclose(t.grad.numpy(), numeric, atol=atol, rtol=1e-5)


def _reduce(loss, reduction):
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


# ---------------------------------------------------------------- multi_margin_loss

def multi_margin_ref(x, y, p=1, margin=1.0, w=None):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != y[i]:
                h = max(0.0, margin - x[i, y[i]] + x[i, j]) ** p
                out[i] += h * (1.0 if w is None else w[y[i]])
    return out / c


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multi_margin_loss_values(p, reduction):
    x = R.standard_normal((4, 5)).astype(np.float32)
    y = np.array([0, 3, 4, 1])
    w = R.uniform(0.5, 2.0, 5).astype(np.float32)
    got = F.multi_margin_loss(_t(x), _t(y), p=p, margin=0.7, weight=_t(w), reduction=reduction)
    want = _reduce(multi_margin_ref(x, y, p, 0.7, w), reduction)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    mod = torch.nn.MultiMarginLoss(p=p, margin=0.7, weight=_t(w), reduction=reduction)
    np.testing.assert_allclose(mod(_t(x), _t(y)).numpy(), want, rtol=1e-5, atol=1e-6)
    assert "weight" in dict(mod.named_buffers())


def test_multi_margin_loss_unbatched_gradient_and_errors():
    x = R.standard_normal(4)
    got = F.multi_margin_loss(_t(x), _t(np.array(2)), reduction="none")
    assert got.shape == ()
    np.testing.assert_allclose(got.item(), multi_margin_ref(x[None], [2])[0])
    xb = R.standard_normal((3, 4)) * 0.3
    _check_grad(lambda t: F.multi_margin_loss(t, _t(np.array([1, 0, 3])), p=2), xb)
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(_t(xb), _t(np.array([1, 0, 3])), p=3)
    with pytest.raises(ValueError, match="one-dimensional"):
        F.multi_margin_loss(_t(xb), _t(np.array([1, 0, 3])), weight=_t(np.ones((2, 2))))


# ---------------------------------------------------------------- multilabel_margin_loss

def multilabel_margin_ref(x, y):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        targets = []
        for v in y[i]:
            if v < 0:
                break
            targets.append(v)
        for j in targets:
            for k in range(c):
                if k not in targets:
                    out[i] += max(0.0, 1.0 - (x[i, j] - x[i, k]))
    return out / c


def test_multilabel_margin_loss_values_and_gradient():
    x = R.standard_normal((3, 4))
    y = np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 1, 2, 3]])
    for reduction in ("none", "mean", "sum"):
        got = F.multilabel_margin_loss(_t(x), _t(y), reduction=reduction)
        np.testing.assert_allclose(got.numpy(), _reduce(multilabel_margin_ref(x, y), reduction))
    mod = torch.nn.MultiLabelMarginLoss(reduction="sum")
    np.testing.assert_allclose(mod(_t(x), _t(y)).item(), multilabel_margin_ref(x, y).sum())
    one = F.multilabel_margin_loss(_t(x[0]), _t(y[0]), reduction="none")
    assert one.shape == () and np.isclose(one.item(), multilabel_margin_ref(x[:1], y[:1])[0])
    _check_grad(lambda t: F.multilabel_margin_loss(t, _t(y)), x * 0.1)
    with pytest.raises(ValueError, match="same shape"):
        F.multilabel_margin_loss(_t(x), _t(y[:, :2]))


# ---------------------------------------------------------------- triplet with distance

def test_triplet_margin_with_distance_loss():
    a, p, n = (R.standard_normal((5, 3)) for _ in range(3))

    def dist(u, v):
        return np.sqrt(((u - v + 1e-6) ** 2).sum(-1))

    want = np.maximum(dist(a, p) - dist(a, n) + 1.0, 0).mean()
    got = F.triplet_margin_with_distance_loss(_t(a), _t(p), _t(n))
    np.testing.assert_allclose(got.item(), want, rtol=1e-6)

    def l1(u, v):
        return (u - v).abs().sum(-1)

    d_neg = np.minimum(np.abs(a - n).sum(-1), np.abs(p - n).sum(-1))
    want = np.maximum(np.abs(a - p).sum(-1) - d_neg + 0.5, 0)
    mod = torch.nn.TripletMarginWithDistanceLoss(distance_function=l1, margin=0.5, swap=True,
                                                 reduction="none")
    np.testing.assert_allclose(mod(_t(a), _t(p), _t(n)).numpy(), want, rtol=1e-6)
    _check_grad(lambda t: F.triplet_margin_with_distance_loss(t, _t(p), _t(n),
                                                              distance_function=l1), a)
    with pytest.raises(ValueError, match="greater than 0"):
        torch.nn.TripletMarginWithDistanceLoss(margin=0.0)


# ---------------------------------------------------------------- ctc_loss

def _log_softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _ctc_case():
    logits = R.standard_normal((5, 3, 4))
    targets = np.array([[1, 2, 0], [3, 3, 0], [2, 1, 3]])
    return logits, targets, np.array([5, 4, 5]), np.array([2, 2, 3])


def _ctc_brute(lp, targets, il, tl, blank=0):
    return np.array([brute_nll(lp[:il[n], n], targets[n, :tl[n]], blank)
                     for n in range(lp.shape[1])])


def test_ctc_loss_matches_brute_force_alignment_sums():
    logits, targets, il, tl = _ctc_case()
    lp = _log_softmax(logits)
    want = _ctc_brute(lp, targets, il, tl)
    got = F.ctc_loss(_t(lp), _t(targets), _t(il), _t(tl), reduction="none")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(F.ctc_loss(_t(lp), _t(targets), tuple(il), list(tl)).item(),
                               (want / tl).mean(), rtol=1e-6)
    np.testing.assert_allclose(torch.nn.CTCLoss(reduction="sum")(_t(lp), _t(targets), _t(il),
                                                                 _t(tl)).item(), want.sum())
    concat = np.concatenate([targets[n, :tl[n]] for n in range(3)])
    got = F.ctc_loss(_t(lp), _t(concat), _t(il), _t(tl), reduction="none")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
    one = F.ctc_loss(_t(lp[:, 0]), _t(targets[0, :2]), [5], [2], reduction="none")
    assert one.shape == () and np.isclose(one.item(), want[0])
    blank3 = _ctc_brute(lp, np.array([[1, 2, 0], [0, 0, 1], [2, 1, 0]]), il, tl, blank=3)
    got = torch.nn.CTCLoss(blank=3, reduction="none")(
        _t(lp), _t(np.array([[1, 2, 0], [0, 0, 1], [2, 1, 0]])), _t(il), _t(tl))
    np.testing.assert_allclose(got.numpy(), blank3, rtol=1e-6)


def test_ctc_loss_gradient_through_log_softmax():
    logits, targets, il, tl = _ctc_case()

    def loss(t):
        return F.ctc_loss(t.log_softmax(2), _t(targets), _t(il), _t(tl))

    _check_grad(loss, logits, atol=1e-6)


def test_ctc_loss_impossible_alignments_and_zero_infinity():
    lp = _log_softmax(R.standard_normal((2, 2, 3)))
    targets, il, tl = np.array([[1, 1], [1, 0]]), np.array([2, 2]), np.array([2, 1])
    got = F.ctc_loss(_t(lp), _t(targets), _t(il), _t(tl), reduction="none")
    assert np.isinf(got.numpy()[0]) and np.isfinite(got.numpy()[1])
    t = _t(lp, grad=True)
    out = F.ctc_loss(t, _t(targets), _t(il), _t(tl), reduction="sum", zero_infinity=True)
    np.testing.assert_allclose(out.item(), brute_nll(lp[:, 1], [1], 0))
    out.backward()
    assert np.all(t.grad.numpy()[:, 0] == 0) and np.all(np.isfinite(t.grad.numpy()))


def test_ctc_loss_errors():
    lp = _t(_log_softmax(R.standard_normal((3, 2, 3))))
    with pytest.raises(Exception, match="input_lengths"):
        F.ctc_loss(lp, _t(np.array([[1], [2]])), [4, 3], [1, 1])
    with pytest.raises(Exception, match="target labels"):
        F.ctc_loss(lp, _t(np.array([[1], [5]])), [3, 3], [1, 1])
    with pytest.raises(Exception, match="blank"):
        F.ctc_loss(lp, _t(np.array([[1], [2]])), [3, 3], [1, 1], blank=3)
    with pytest.raises(ValueError, match="reduction"):
        F.ctc_loss(lp, _t(np.array([[1], [2]])), [3, 3], [1, 1], reduction="avg")


# ---------------------------------------------------------------- activations

def test_rrelu_train_and_eval():
    x = R.standard_normal((20, 30)).astype(np.float32)
    neg = x < 0
    out = F.rrelu(_t(x)).numpy()  # training=False: the mean slope
    np.testing.assert_allclose(out, np.where(neg, x * (1 / 8 + 1 / 3) / 2, x), rtol=1e-6)
    torch.manual_seed(0)
    slopes = (F.rrelu(_t(x), 0.1, 0.3, training=True).numpy() / x)[neg]
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6 and slopes.std() > 0.03
    m = torch.nn.RReLU(0.2, 0.4)
    train_out = m(_t(x)).numpy()
    assert not np.allclose(train_out[neg], x[neg] * 0.3)
    m.eval()
    np.testing.assert_allclose(m(_t(x)).numpy(), np.where(neg, x * 0.3, x), rtol=1e-6)
    t = _t(x)
    assert F.rrelu_(t) is t and np.allclose(t.numpy(), np.where(neg, x * (1 / 8 + 1 / 3) / 2, x))
    xt = _t(x.astype(np.float64), grad=True)
    torch.manual_seed(3)
    y = F.rrelu(xt, training=True)
    y.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy()[neg], (y.detach().numpy() / x)[neg], rtol=1e-5)


def test_inplace_activations():
    x = R.standard_normal((3, 4)).astype(np.float32) * 2
    for fn, want in [
        (lambda t: F.hardtanh_(t, -0.5, 0.5), np.clip(x, -0.5, 0.5)),
        (lambda t: F.elu_(t, 0.7), np.where(x > 0, x, 0.7 * (np.exp(x) - 1))),
        (lambda t: F.leaky_relu_(t, 0.2), np.where(x > 0, x, 0.2 * x)),
        (lambda t: F.threshold_(t, 0.3, -9.0), np.where(x > 0.3, x, -9.0)),
        (lambda t: F.celu_(t, 2.0), np.where(x > 0, x, 2.0 * (np.exp(x / 2.0) - 1))),
    ]:
        t = _t(x.copy())
        assert fn(t) is t
        np.testing.assert_allclose(t.numpy(), want, rtol=1e-5, atol=1e-6)


def test_gumbel_softmax_soft_and_hard():
    torch.manual_seed(0)
    x = _t(R.standard_normal((6, 5)), grad=True)
    y = F.gumbel_softmax(x, tau=0.5)
    np.testing.assert_allclose(y.detach().sum(-1).numpy(), np.ones(6))
    hard = F.gumbel_softmax(x, hard=True, dim=-1)
    h = hard.detach().numpy()
    assert set(np.unique(h)) <= {0.0, 1.0} and np.all(h.sum(-1) == 1)
    (hard * _t(np.arange(5.0))).sum().backward()
    assert x.grad is not None and np.abs(x.grad.numpy()).sum() > 0


def test_feature_alpha_dropout_masks_whole_channels():
    x = R.standard_normal((4, 6, 3, 3)).astype(np.float32)
    np.testing.assert_array_equal(F.feature_alpha_dropout(_t(x), 0.5).numpy(), x)  # eval
    torch.manual_seed(1)
    y = torch.nn.FeatureAlphaDropout(0.5)(_t(x)).numpy()
    p, alpha = 0.5, -1.7580993408473766
    a = ((1 - p) * (1 + p * alpha ** 2)) ** -0.5
    b = -a * alpha * p
    kept = np.isclose(y, a * x + b, atol=1e-5).all(axis=(2, 3))
    dropped = np.isclose(y, a * alpha + b, atol=1e-5).all(axis=(2, 3))
    assert np.all(kept | dropped) and kept.any() and dropped.any()


# ---------------------------------------------------------------- modules over shared fns

def test_softmax2d_cosine_pairwise_and_lrn_modules():
    x = R.standard_normal((2, 3, 4, 5)).astype(np.float32)
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(torch.nn.Softmax2d()(_t(x)).numpy(), e / e.sum(1, keepdims=True),
                               rtol=1e-5)
    np.testing.assert_allclose(torch.nn.Softmax2d()(_t(x[0])).numpy(),
                               (e / e.sum(1, keepdims=True))[0], rtol=1e-5)
    with pytest.raises(ValueError, match="3D or 4D"):
        torch.nn.Softmax2d()(_t(x[0, 0]))
    u, v = R.standard_normal((4, 6)), R.standard_normal((4, 6))
    cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    np.testing.assert_allclose(torch.nn.CosineSimilarity(dim=-1)(_t(u), _t(v)).numpy(), cos)
    pd = np.sum(np.abs(u - v + 1e-6) ** 3, -1) ** (1 / 3)
    np.testing.assert_allclose(torch.nn.PairwiseDistance(p=3, keepdim=True)(_t(u), _t(v))
                               .numpy(), pd[:, None], rtol=1e-6)
    size, alpha, beta, k = 3, 1e-2, 0.75, 2.0
    want = np.empty_like(x)
    for c in range(3):
        lo, hi = max(0, c - size // 2), min(3, c + (size - 1) // 2 + 1)
        want[:, c] = x[:, c] / (k + alpha / size * (x[:, lo:hi] ** 2).sum(1)) ** beta
    got = torch.nn.LocalResponseNorm(size, alpha, beta, k)(_t(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5)
    with pytest.raises(ValueError, match="3D or higher"):
        F.local_response_norm(_t(u), 2)
