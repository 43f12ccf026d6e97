"""torch.distributions against closed forms written with NumPy and math.lgamma; sample
moments with a seed; reparameterized gradients; KL against closed forms and Monte Carlo."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dualnet_eager as torch

D = torch.distributions
lg = np.vectorize(math.lgamma)
X = np.array([0.2, 0.7, 1.5])


def _t(v, grad=False):
    return torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=grad)


def _close(t, want, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(t.detach().numpy(), want, rtol=rtol, atol=atol)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def test_continuous_log_prob_entropy_cdf():
    m, s = 0.3, 1.7
    n = D.Normal(_t(m), _t(s))
    _close(n.log_prob(_t(X)),
           -(X - m) ** 2 / (2 * s * s) - math.log(s) - 0.5 * math.log(2 * math.pi))
    _close(n.entropy(), 0.5 * math.log(2 * math.pi * math.e * s * s))
    erf = np.vectorize(math.erf)
    _close(n.cdf(_t(X)), 0.5 * (1 + erf((X - m) / (s * math.sqrt(2)))))
    _close(n.icdf(n.cdf(_t(X))), X, rtol=1e-6)
    u = D.Uniform(_t(0.0), _t(2.0))
    _close(u.log_prob(_t(X)), np.full(3, -math.log(2.0)))
    assert np.isneginf(u.log_prob(_t(np.array([1.0]))).numpy()).sum() == 0
    assert np.isneginf(D.Uniform(_t(0.0), _t(2.0), validate_args=False).log_prob(_t(2.5)).numpy())
    _close(u.cdf(_t(X)), X / 2)
    lap = D.Laplace(_t(0.5), _t(2.0))
    _close(lap.log_prob(_t(X)), -math.log(4.0) - np.abs(X - 0.5) / 2.0)
    _close(lap.icdf(lap.cdf(_t(X))), X)
    e = D.Exponential(_t(1.5))
    _close(e.log_prob(_t(X)), math.log(1.5) - 1.5 * X)
    _close(e.cdf(_t(X)), 1 - np.exp(-1.5 * X))
    _close(e.entropy(), 1 - math.log(1.5))
    ln = D.LogNormal(_t(0.2), _t(0.5))
    _close(ln.log_prob(_t(X)), -(np.log(X) - 0.2) ** 2 / 0.5 - math.log(0.5)
           - 0.5 * math.log(2 * math.pi) - np.log(X))
    _close(ln.mean, math.exp(0.2 + 0.125))


def test_gamma_family_closed_forms():
    a, r = 2.5, 1.5
    g = D.Gamma(_t(a), _t(r))
    _close(g.log_prob(_t(X)), a * math.log(r) + (a - 1) * np.log(X) - r * X - math.lgamma(a))
    b = D.Beta(_t(2.0), _t(3.0))
    x = np.array([0.1, 0.5, 0.9])
    lb = math.lgamma(2) + math.lgamma(3) - math.lgamma(5)
    _close(b.log_prob(_t(x)), np.log(x) + 2 * np.log(1 - x) - lb)
    _close(b.mean, 0.4)
    _close(b.variance, 6 / (25 * 6))
    # Beta(1, 1) is uniform: entropy 0; Gamma(1, r) is Exponential(r)
    _close(D.Beta(_t(1.0), _t(1.0)).entropy(), 0.0, atol=1e-7)
    _close(D.Gamma(_t(1.0), _t(r)).entropy(), 1 - math.log(r), atol=1e-7)
    c = np.array([1.5, 2.0, 3.0])
    dd = D.Dirichlet(_t(c))
    v = np.array([0.2, 0.3, 0.5])
    want = np.sum((c - 1) * np.log(v)) + math.lgamma(c.sum()) - lg(c).sum()
    _close(dd.log_prob(_t(v)), want)
    _close(D.Dirichlet(_t([1.0, 1.0])).entropy(), 0.0, atol=1e-7)


def test_discrete_log_probs():
    p = 0.3
    bern = D.Bernoulli(probs=_t(p))
    _close(bern.log_prob(_t([0.0, 1.0])), [math.log(1 - p), math.log(p)])
    _close(bern.entropy(), -(p * math.log(p) + (1 - p) * math.log(1 - p)))
    _close(D.Bernoulli(logits=_t(0.0)).probs, 0.5)
    probs = np.array([0.2, 0.3, 0.5])
    cat = D.Categorical(probs=_t(probs))
    _close(cat.log_prob(torch.tensor([0, 2, 1])), np.log(probs[[0, 2, 1]]))
    _close(cat.entropy(), -np.sum(probs * np.log(probs)))
    _close(D.Categorical(logits=_t(np.log(probs) + 3.0)).probs, probs)
    oh = D.OneHotCategorical(probs=_t(probs))
    _close(oh.log_prob(_t([[0, 0, 1.0]])), [math.log(0.5)])
    k = np.array([0.0, 2.0, 7.0])
    _close(D.Poisson(_t(3.0)).log_prob(_t(k)), k * math.log(3.0) - 3.0 - lg(k + 1))
    n, q = 10, 0.3
    binom = D.Binomial(n, _t(q))
    lc = math.lgamma(n + 1) - lg(k + 1) - lg(n - k + 1)
    _close(binom.log_prob(_t(k)), lc + k * math.log(q) + (n - k) * math.log(1 - q))
    ks = np.arange(n + 1.0)
    pmf = np.exp(math.lgamma(n + 1) - lg(ks + 1) - lg(n - ks + 1) + ks * math.log(q)
                 + (n - ks) * math.log(1 - q))
    _close(binom.entropy(), -np.sum(pmf * np.log(pmf)))
    mult = D.Multinomial(5, _t(probs))
    cnt = np.array([1.0, 1.0, 3.0])
    _close(mult.log_prob(_t(cnt)), math.lgamma(6) - lg(cnt + 1).sum() + np.sum(cnt * np.log(probs)))


def test_multivariate_normal_parameterizations():
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    loc = np.array([0.3, -0.2])
    x = np.array([[0.1, 0.4], [1.0, -1.0]])
    diff = x - loc
    want = -0.5 * (2 * math.log(2 * math.pi) + np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov),
                                                          diff) + math.log(np.linalg.det(cov)))
    for kw in ({"covariance_matrix": _t(cov)}, {"precision_matrix": _t(np.linalg.inv(cov))},
               {"scale_tril": _t(np.linalg.cholesky(cov))}):
        mvn = D.MultivariateNormal(_t(loc), **kw)
        _close(mvn.log_prob(_t(x)), want, rtol=1e-6)
        _close(mvn.entropy(), 0.5 * math.log(np.linalg.det(2 * math.pi * math.e * cov)))
        _close(mvn.covariance_matrix, cov)
    s = D.MultivariateNormal(_t(loc), _t(cov)).sample((20000,)).numpy()
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.08)


def test_sample_moments():
    cases = [(D.Normal(_t(1.0), _t(2.0)), 1.0, 4.0), (D.Uniform(_t(-1.0), _t(3.0)), 1.0, 16 / 12),
             (D.Laplace(_t(0.5), _t(1.0)), 0.5, 2.0), (D.Exponential(_t(2.0)), 0.5, 0.25),
             (D.Gamma(_t(0.5), _t(2.0)), 0.25, 0.125), (D.Gamma(_t(4.0), _t(1.0)), 4.0, 4.0),
             (D.Beta(_t(2.0), _t(3.0)), 0.4, 0.04), (D.Poisson(_t(3.0)), 3.0, 3.0),
             (D.Poisson(_t(40.0)), 40.0, 40.0), (D.Binomial(20, _t(0.3)), 6.0, 4.2),
             (D.Binomial(200, _t(0.6)), 120.0, 48.0), (D.Bernoulli(_t(0.3)), 0.3, 0.21),
             (D.LogNormal(_t(0.0), _t(0.5)), math.exp(0.125),
              (math.exp(0.25) - 1) * math.exp(0.25))]
    for dist, mean, var in cases:
        s = dist.sample((20000,)).numpy()
        assert abs(s.mean() - mean) < 5 * math.sqrt(var / 20000) + 1e-3, type(dist).__name__
        assert abs(s.var() / var - 1) < 0.1, type(dist).__name__
        _close(dist.mean, mean, rtol=1e-6)
        _close(dist.variance, var, rtol=1e-6)
    counts = D.Categorical(probs=_t([0.1, 0.6, 0.3])).sample((20000,)).numpy()
    np.testing.assert_allclose(np.bincount(counts, minlength=3) / 20000, [0.1, 0.6, 0.3],
                               atol=0.02)
    m = D.Multinomial(10, _t([0.2, 0.8])).sample((2000,)).numpy()
    assert (m.sum(-1) == 10).all() and abs(m[:, 0].mean() - 2.0) < 0.15
    dsamp = D.Dirichlet(_t([1.0, 2.0, 3.0])).sample((5000,)).numpy()
    np.testing.assert_allclose(dsamp.mean(0), [1 / 6, 2 / 6, 3 / 6], atol=0.02)


def test_rsample_gradients():
    loc, scale = _t([0.5], grad=True), _t([2.0], grad=True)
    torch.manual_seed(3)
    x = D.Normal(loc, scale).rsample((4000,))
    (x ** 2).mean().backward()  # E[x^2] = m^2 + s^2: d/dm = 2m, d/ds = 2s (estimated)
    eps = (x.detach().numpy() - 0.5) / 2.0
    _close(loc.grad, [np.mean(2 * (0.5 + 2 * eps))])
    _close(scale.grad, [np.mean(2 * (0.5 + 2 * eps) * eps)])
    rate = _t(2.0, grad=True)
    y = D.Exponential(rate).rsample((5,))
    y.sum().backward()
    _close(rate.grad, -(y.detach().numpy() / 2.0).sum())  # y = -log(u)/rate
    low, high = _t(1.0, grad=True), _t(3.0, grad=True)
    D.Uniform(low, high).rsample((10,)).sum().backward()
    _close(low.grad + high.grad, 10.0)
    ml = _t([0.0, 0.0], grad=True)
    D.MultivariateNormal(ml, scale_tril=_t(np.eye(2))).rsample((3,)).sum().backward()
    _close(ml.grad, [3.0, 3.0])
    with pytest.raises(NotImplementedError):
        D.Gamma(_t(1.0), _t(1.0)).rsample()


def test_kl_closed_forms_and_monte_carlo():
    p, q = D.Normal(_t(0.0), _t(1.0)), D.Normal(_t(1.0), _t(2.0))
    _close(D.kl_divergence(p, q), math.log(2) + (1 + 1) / 8 - 0.5)
    pairs = [(D.Gamma(_t(2.0), _t(1.5)), D.Gamma(_t(3.0), _t(1.0))),
             (D.Beta(_t(2.0), _t(3.0)), D.Beta(_t(1.5), _t(1.5))),
             (D.Laplace(_t(0.0), _t(1.0)), D.Laplace(_t(0.5), _t(2.0))),
             (D.Exponential(_t(2.0)), D.Gamma(_t(2.0), _t(3.0))),
             (D.Dirichlet(_t([1.0, 2.0])), D.Dirichlet(_t([2.0, 2.0]))),
             (D.LogNormal(_t(0.0), _t(0.5)), D.LogNormal(_t(0.2), _t(0.7)))]
    for a, b in pairs:
        s = a.sample((40000,))
        mc = (a.log_prob(s) - b.log_prob(s)).numpy().mean()
        assert abs(D.kl_divergence(a, b).numpy() - mc) < 0.03, type(a).__name__
    pr, qr = np.array([0.2, 0.3, 0.5]), np.array([0.4, 0.4, 0.2])
    _close(D.kl_divergence(D.Categorical(_t(pr)), D.Categorical(_t(qr))),
           np.sum(pr * np.log(pr / qr)))
    _close(D.kl_divergence(D.Bernoulli(_t(0.3)), D.Bernoulli(_t(0.6))),
           0.3 * math.log(0.5) + 0.7 * math.log(0.7 / 0.4))
    _close(D.kl_divergence(D.Poisson(_t(2.0)), D.Poisson(_t(3.0))), 2 * math.log(2 / 3) + 1)
    _close(D.kl_divergence(D.Uniform(_t(0.0), _t(1.0)), D.Uniform(_t(-1.0), _t(2.0))),
           math.log(3.0))
    assert np.isinf(D.kl_divergence(D.Uniform(_t(0.0), _t(3.0)),
                                    D.Uniform(_t(-1.0), _t(2.0))).numpy())
    c1, c2 = np.array([[2.0, 0.3], [0.3, 1.0]]), np.eye(2) * 1.5
    m1, m2 = np.array([0.1, 0.2]), np.array([-0.3, 0.5])
    want = 0.5 * (np.trace(np.linalg.inv(c2) @ c1) + (m2 - m1) @ np.linalg.inv(c2) @ (m2 - m1)
                  - 2 + math.log(np.linalg.det(c2) / np.linalg.det(c1)))
    _close(D.kl_divergence(D.MultivariateNormal(_t(m1), _t(c1)),
                           D.MultivariateNormal(_t(m2), _t(c2))), want)
    ind = D.kl_divergence(D.Independent(D.Normal(_t([0.0, 0.0]), _t(1.0)), 1),
                          D.Independent(D.Normal(_t([1.0, 1.0]), _t(2.0)), 1))
    _close(ind, 2 * (math.log(2) + 2 / 8 - 0.5))

    @D.register_kl(D.Normal, D.Laplace)
    def _fake(p, q):
        return p.loc * 0 + 42.0
    _close(D.kl_divergence(p, D.Laplace(_t(0.0), _t(1.0))), 42.0)
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Poisson(_t(1.0)), D.Normal(_t(0.0), _t(1.0)))


def test_shapes_independent_transformed_expand():
    n = D.Normal(torch.zeros(3, 2), torch.ones(2))
    assert n.batch_shape == (3, 2) and n.event_shape == ()
    assert n.sample((4,)).shape == (4, 3, 2)
    ind = D.Independent(n, 1)
    assert ind.batch_shape == (3,) and ind.event_shape == (2,)
    assert ind.log_prob(torch.zeros(3, 2)).shape == (3,)
    e = n.expand((5, 3, 2))
    assert e.batch_shape == (5, 3, 2) and e.sample().shape == (5, 3, 2)
    base = D.Normal(_t(0.0), _t(1.0))
    td = D.TransformedDistribution(base, [D.AffineTransform(1.0, 2.0), D.ExpTransform()])
    y = np.array([0.5, 2.0])
    x = (np.log(y) - 1.0) / 2.0
    _close(td.log_prob(_t(y)), -x ** 2 / 2 - 0.5 * math.log(2 * math.pi) - math.log(2) - np.log(y))
    sig = D.TransformedDistribution(base, [D.SigmoidTransform()])
    v = np.array([0.2, 0.7])
    z = np.log(v / (1 - v))
    _close(sig.log_prob(_t(v)), -z ** 2 / 2 - 0.5 * math.log(2 * math.pi) - np.log(v * (1 - v)))
    th = D.TransformedDistribution(base, [D.TanhTransform()])
    w = np.array([-0.5, 0.3])
    z = np.arctanh(w)
    _close(th.log_prob(_t(w)), -z ** 2 / 2 - 0.5 * math.log(2 * math.pi) - np.log(1 - w * w))
    assert td.sample((7,)).shape == (7,)


def test_validation_errors():
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError, match="Expected parameter probs"):
        D.Bernoulli(probs=_t(1.5))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Categorical()
    with pytest.raises(ValueError, match="within the support"):
        D.Exponential(_t(1.0)).log_prob(_t(-1.0))
    with pytest.raises(ValueError, match="Exactly one of"):
        D.MultivariateNormal(torch.zeros(2))
    D.Normal(0.0, -1.0, validate_args=False)  # no error when validation is off
