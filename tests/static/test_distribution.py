"""paddle.distribution in implicit mode and in explicit static programs (with -1 batch dims)
against closed forms (NumPy, math.lgamma); sample moments; gradients; KL."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dualnet_static as paddle
from dualnet_static import static

from .implicit_helpers import fresh_dynamic_mode
from .test_creation_api import check_both, run_explicit

D = paddle.distribution
lg = np.vectorize(math.lgamma)
X = np.array([[0.2, 0.7, 1.5], [0.4, 0.9, 2.5]], dtype=np.float32)


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


def test_log_prob_entropy_both_modes():
    f = {"x": X}
    check_both(lambda x: D.Normal(0.3, 1.7).log_prob(x),
               (-(X - 0.3) ** 2 / (2 * 1.7 ** 2) - math.log(1.7)
                - 0.5 * math.log(2 * math.pi)).astype(np.float32), f, rtol=1e-5)
    check_both(lambda x: D.Normal(x, 2.0).entropy(),
               np.full(X.shape, 0.5 * math.log(2 * math.pi * math.e * 4), np.float32), f,
               rtol=1e-5)
    check_both(lambda x: D.Exponential(x).log_prob(x), (np.log(X) - X * X).astype(np.float32), f,
               rtol=1e-5)
    check_both(lambda x: D.Gamma(x + 1.0, 2.0).log_prob(x),
               ((X + 1) * math.log(2) + X * np.log(X) - 2 * X - lg(X + 1)).astype(np.float32),
               f, rtol=1e-5, atol=1e-5)
    check_both(lambda x: D.Laplace(0.5, x).log_prob(x),
               (-np.log(2 * X) - np.abs(X - 0.5) / X).astype(np.float32), f, rtol=1e-5)
    check_both(lambda x: D.Uniform(0.0, 3.0).log_prob(x), np.full(X.shape, -math.log(3.0),
                                                                  np.float32), f, rtol=1e-6)
    k = np.floor(X * 3)
    check_both(lambda x: D.Poisson(x).log_prob(paddle.floor(x * 3.0)),
               (k * np.log(X) - X - lg(k + 1)).astype(np.float32), f, rtol=1e-5, atol=1e-5)
    check_both(lambda x: D.Beta(x, 2.0).log_prob(x * 0.3),
               ((X - 1) * np.log(0.3 * X) + np.log(1 - 0.3 * X) - lg(X) - math.log(1)
                + lg(X + 2)).astype(np.float32), f, rtol=1e-5, atol=1e-5)


def test_categorical_paddle_semantics():
    logits = np.array([0.5535528, 0.20714243, 0.01162981, 0.51577556, 0.36369765, 0.2609165],
                      np.float32)
    value = np.array([2, 1, 3], np.int64)
    probs = logits[value] / logits.sum()  # Paddle's probs(): logits normalized by their sum
    check_both(lambda lo, v: D.Categorical(lo).probs(v), probs, {"lo": logits, "v": value},
               rtol=1e-6)
    check_both(lambda lo, v: D.Categorical(lo).log_prob(v), np.log(probs),
               {"lo": logits, "v": value}, rtol=1e-5)
    sm = np.exp(logits) / np.exp(logits).sum()
    check_both(lambda lo: D.Categorical(lo).entropy(), np.float32(-np.sum(sm * np.log(sm))),
               {"lo": logits}, rtol=1e-5)
    other = np.array([0.77663314, 0.90824795, 0.15685187, 0.04279523, 0.34468332, 0.7955718],
                     np.float32)
    so = np.exp(other) / np.exp(other).sum()
    kl = D.Categorical(paddle.to_tensor(logits)).kl_divergence(
        D.Categorical(paddle.to_tensor(other))).numpy()
    np.testing.assert_allclose(kl, [np.sum(sm * np.log(sm / so))], rtol=1e-5)
    s = D.Categorical(paddle.to_tensor(logits)).sample([4000]).numpy()
    np.testing.assert_allclose(np.bincount(s, minlength=6) / 4000, sm, atol=0.03)


def test_samples_in_a_program_with_unknown_batch():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [-1, 3], "float32")
        normal = D.Normal(x, 2.0).sample([500])
        gamma = D.Gamma(x + 3.0, 1.0).sample([500])
        pois = D.Poisson(x + 4.0).sample([500])
        assert list(normal.shape) == [500, -1, 3]
    exe = static.Executor()
    exe.run(startup)
    n, g, p = exe.run(main, feed={"x": np.ones((8, 3), np.float32)},
                      fetch_list=[normal, gamma, pois])
    assert n.shape == g.shape == p.shape == (500, 8, 3)
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    assert abs(g.mean() - 4.0) < 0.1 and abs(g.var() / 4.0 - 1) < 0.1
    assert abs(p.mean() - 5.0) < 0.1 and abs(p.var() / 5.0 - 1) < 0.1


def test_sample_moments_implicit():
    cases = [(D.Uniform(-1.0, 3.0), 1.0, 16 / 12), (D.Exponential(2.0), 0.5, 0.25),
             (D.Beta(2.0, 3.0), 0.4, 0.04), (D.Binomial(50, 0.3), 15.0, 10.5),
             (D.Bernoulli(0.3), 0.3, 0.21), (D.LogNormal(0.0, 0.5), math.exp(0.125),
                                            (math.exp(0.25) - 1) * math.exp(0.25))]
    for dist, mean, var in cases:
        s = dist.sample([20000]).numpy()
        assert abs(s.mean() - mean) < 5 * math.sqrt(var / 20000) + 1e-3, type(dist).__name__
        assert abs(s.var() / var - 1) < 0.1, type(dist).__name__
        np.testing.assert_allclose(dist.mean.numpy(), mean, rtol=1e-5)
        np.testing.assert_allclose(dist.variance.numpy(), var, rtol=1e-5)
    m = D.Multinomial(10, paddle.to_tensor([0.2, 0.8])).sample([1000]).numpy()
    assert (m.sum(-1) == 10).all()


def test_rsample_gradient_and_kl():
    loc = paddle.to_tensor([0.5])
    loc.stop_gradient = False
    scale = paddle.to_tensor([2.0])
    scale.stop_gradient = False
    x = D.Normal(loc, scale).rsample([1000])
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [1000.0])
    eps = (x.numpy() - 0.5) / 2.0
    np.testing.assert_allclose(scale.grad.numpy(), [eps.sum()], rtol=1e-4)
    kl = D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 2.0)).numpy()
    np.testing.assert_allclose(kl, math.log(2) + 2 / 8 - 0.5, rtol=1e-5)
    kl = D.Gamma(2.0, 1.5).kl_divergence(D.Gamma(3.0, 1.0)).numpy()
    want = (2 - 3) * 0.42278433509846713 - math.lgamma(2) + math.lgamma(3) \
        + 3 * math.log(1.5) + 2 * (1 - 1.5) / 1.5  # digamma(2) = 1 - euler gamma
    np.testing.assert_allclose(kl, want, rtol=1e-5)


def test_multivariate_normal_and_independent_in_a_program():
    cov = np.array([[2.0, 0.5], [0.5, 1.0]], np.float32)
    x = np.array([[0.1, 0.4], [1.0, -1.0], [0.0, 0.0]], np.float32)
    want = -0.5 * (2 * math.log(2 * math.pi) + np.einsum("ni,ij,nj->n", x, np.linalg.inv(cov), x)
                   + math.log(np.linalg.det(cov)))
    check_both(lambda v: D.MultivariateNormal(np.zeros(2, np.float32), covariance_matrix=cov)
               .log_prob(v), want.astype(np.float32), {"v": x}, rtol=1e-5)
    out, = run_explicit(lambda v: D.Independent(D.Normal(v, 1.0), 1).log_prob(v), {"v": x})
    np.testing.assert_allclose(out, np.full(3, -math.log(2 * math.pi)), rtol=1e-5)
    td = D.TransformedDistribution(D.Normal(0.0, 1.0), [D.ExpTransform()])
    y = np.array([0.5, 2.0], np.float32)
    np.testing.assert_allclose(td.log_prob(paddle.to_tensor(y)).numpy(),
                               -np.log(y) ** 2 / 2 - 0.5 * math.log(2 * math.pi) - np.log(y),
                               rtol=1e-5)


def test_errors():
    with pytest.raises(ValueError, match="exactly one of"):
        D.MultivariateNormal(np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="total_count"):
        D.Multinomial(0, paddle.to_tensor([0.5, 0.5]))
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Poisson(1.0))
    with pytest.raises(NotImplementedError):
        D.Beta(1.0, 1.0).rsample([2])
