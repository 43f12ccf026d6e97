"""Paddle's statistics, scans, diagonals and paddle.linalg (dualnet_static/tensor_methods/
statx.py, dualnet_static/linalg.py) in explicit programs and in implicit mode against NumPy;
gradients through backward() against central differences; -1 batch dims; errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dualnet_static as paddle
from dualnet.ops.registry import OpError

from .implicit_helpers import fresh_dynamic_mode
from .test_creation_api import check_both, run_explicit


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


R = np.random.default_rng(0)
X = R.standard_normal((3, 4)).astype(np.float32)
XN = X.copy()
XN[0, 1] = np.nan
XN[2, 3] = np.nan
SQ = (R.standard_normal((2, 3, 3)) + 3 * np.eye(3)).astype(np.float64)
SPD = SQ @ np.swapaxes(SQ, -1, -2) + np.eye(3)


def close(build, expected, feeds, rtol=1e-5, atol=1e-6):
    """Values (not dtypes) in an explicit program and in implicit mode."""
    check_both(build, expected, feeds, rtol=rtol, atol=atol, check_dtype=False)


def numeric_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        hi, lo = x.copy(), x.copy()
        hi[i] += eps
        lo[i] -= eps
        g[i] = (f(hi) - f(lo)) / (2 * eps)
    return g


def check_grad(fn, x, np_fn, rtol=1e-5, atol=1e-6):
    """d sum(fn(x) * w) / dx in implicit mode (float64) against central differences of
    np_fn."""
    w = np.random.default_rng(3).standard_normal(np.shape(np_fn(x)))
    t = paddle.to_tensor(x)
    t.stop_gradient = False
    out = fn(t)
    (out * paddle.to_tensor(w)).sum().backward()
    want = numeric_grad(lambda v: float(np.sum(np_fn(v) * w)), x)
    np.testing.assert_allclose(t.grad.numpy(), want, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- reductions and order statistics

def test_amax_amin_nan_reductions():
    feeds = {"x": X}
    check_both(lambda x: paddle.amax(x, axis=1), X.max(1), feeds)
    check_both(lambda x: x.amin(axis=[0, 1], keepdim=True), X.min(keepdims=True)[None, None]
               .reshape(1, 1), feeds)
    check_both(lambda x: paddle.nansum(x, axis=0), np.nansum(XN, 0), {"x": XN})
    check_both(lambda x: paddle.nanmean(x), np.float32(np.nanmean(XN)), {"x": XN})
    check_both(lambda x: paddle.count_nonzero(x, axis=1), np.count_nonzero(X, 1), feeds)


def test_amax_splits_the_gradient_among_ties():
    t = paddle.to_tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]]))
    t.stop_gradient = False
    paddle.amax(t, axis=1).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), [[0, 0.5, 0.5], [0.5, 0, 0.5]])


def test_median_modes_and_dtypes():
    xi = np.arange(12, dtype=np.int64).reshape(3, 4)
    check_both(lambda x: paddle.median(x), np.float32(5.5), {"x": xi})
    check_both(lambda x: paddle.median(x, axis=1), np.median(xi, 1).astype(np.float32),
               {"x": xi})
    check_both(lambda x: paddle.median(x, axis=0, keepdim=True),
               np.median(X, 0, keepdims=True), {"x": X})
    lower = np.sort(X, 1)[:, 1]
    check_both(lambda x: paddle.median(x, axis=1, mode="min"),
               [lower, np.argsort(X, 1)[:, 1]], {"x": X})
    check_both(lambda x: x.median(mode="min"), np.sort(X.ravel())[5], {"x": X})
    check_both(lambda x: paddle.nanmedian(x, axis=1), np.nanmedian(XN, 1), {"x": XN})
    check_both(lambda x: paddle.nanmedian(x, axis=[0, 1]), np.float32(np.nanmedian(XN)),
               {"x": XN})
    out = run_explicit(lambda x: paddle.median(x, axis=1), {"x": XN})[0]
    assert np.isnan(out[0]) and np.isnan(out[2]) and not np.isnan(out[1])


def test_quantile_interpolations_and_lists():
    feeds = {"x": X}
    for how in ("linear", "lower", "higher", "midpoint", "nearest"):
        close(lambda x: paddle.quantile(x, 0.4, axis=1, interpolation=how),
              np.quantile(X, 0.4, axis=1, method=how), feeds)
    close(lambda x: paddle.quantile(x, [0.1, 0.9], axis=[0, 1], keepdim=True),
          np.quantile(X, [0.1, 0.9], keepdims=True), feeds)
    close(lambda x: x.nanquantile(0.3, axis=0), np.nanquantile(XN, 0.3, axis=0), {"x": XN})


def test_kthvalue_and_mode():
    check_both(lambda x: paddle.kthvalue(x, 2), [np.sort(X, -1)[:, 1], np.argsort(X, -1)[:, 1]],
               {"x": X})
    v = np.array([[1, 2, 2, 3, 3, 9], [5, 5, 1, 1, 0, 5]], dtype=np.int64)
    check_both(lambda x: paddle.mode(x), [np.array([2, 5]), np.array([2, 5])], {"x": v})
    check_both(lambda x: x.mode(axis=0, keepdim=True)[0], v.min(0, keepdims=True), {"x": v})


def test_order_statistics_gradients():
    x = R.standard_normal((3, 4))
    check_grad(lambda t: paddle.median(t, axis=1), x, lambda v: np.median(v, 1))
    check_grad(lambda t: paddle.quantile(t, [0.3, 0.8], axis=0), x,
               lambda v: np.quantile(v, [0.3, 0.8], axis=0))
    check_grad(lambda t: paddle.kthvalue(t, 3, axis=1)[0], x, lambda v: np.sort(v, 1)[:, 2])
    check_grad(lambda t: paddle.nanmean(t, axis=0), x, lambda v: v.mean(0))


def test_minus_one_batch_dims_in_programs():
    main, startup = paddle.static.Program(), paddle.static.Program()
    with paddle.static.program_guard(main, startup):
        d = paddle.static.data("d", [-1, 4], "float32")
        outs = [paddle.median(d, axis=0), paddle.quantile(d, 0.25, axis=0),
                paddle.kthvalue(d, 1, axis=0)[0], paddle.mode(d)[0], paddle.nanmedian(d),
                paddle.cumprod(d, dim=0), paddle.diff(d, axis=0), paddle.histogram(d, 3),
                paddle.linalg.cov(d, rowvar=False), paddle.diag_embed(d)]
        assert outs[0].shape == [4] and outs[3].shape == [-1] and outs[6].shape == [-1, 4]
        assert outs[7].shape == [3] and outs[9].shape == [-1, 4, 4]
    exe = paddle.static.Executor()
    for n in (3, 6):
        x = R.standard_normal((n, 4)).astype(np.float32)
        got = exe.run(main, feed={"d": x}, fetch_list=outs)
        np.testing.assert_allclose(got[0], np.median(x, 0), rtol=1e-6)
        np.testing.assert_allclose(got[1], np.quantile(x, 0.25, 0), rtol=1e-5)
        np.testing.assert_allclose(got[2], x.min(0))
        np.testing.assert_allclose(got[8], np.cov(x, rowvar=False), rtol=1e-4, atol=1e-6)
        np.testing.assert_array_equal(got[7], np.histogram(x, 3)[0])


# ---------------------------------------------------------------- norms

def test_norms():
    feeds = {"x": X}
    close(lambda x: paddle.norm(x), np.linalg.norm(X), feeds)
    close(lambda x: paddle.norm(x, p=1, axis=1), np.abs(X).sum(1), feeds)
    close(lambda x: x.norm(p=math.inf, axis=0, keepdim=True),
          np.abs(X).max(0, keepdims=True), feeds)
    close(lambda x: paddle.norm(x, p=3), (np.abs(X) ** 3).sum() ** (1 / 3), feeds)
    close(lambda x: paddle.norm(x, p=0, axis=1), np.count_nonzero(X, 1).astype(np.float32),
          feeds)
    for p in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf):
        close(lambda x: paddle.linalg.norm(x, p=p, axis=[0, 1]),
              np.linalg.norm(X, p, axis=(0, 1)), feeds, rtol=1e-4)
        close(lambda x: paddle.linalg.matrix_norm(x, p=p, keepdim=True),
              np.linalg.norm(X, p, keepdims=True), feeds, rtol=1e-4)
    close(lambda x: paddle.linalg.vector_norm(x, p=2, axis=[0, 1]), np.linalg.norm(X), feeds)
    y = R.standard_normal((4,)).astype(np.float32)
    close(lambda x, y: paddle.dist(x, y, p=2), np.linalg.norm(X - y), {"x": X, "y": y})
    close(lambda x, y: paddle.dist(x, y, p=math.inf), np.abs(X - y).max(), {"x": X, "y": y})
    check_grad(lambda t: paddle.linalg.norm(t, p="nuc", axis=[0, 1]), R.standard_normal((3, 4)),
               lambda v: np.linalg.norm(v, "nuc"))


# ---------------------------------------------------------------- scans and differences

def test_scans():
    feeds = {"x": X}
    check_both(lambda x: paddle.cumprod(x, dim=1), np.cumprod(X, 1), feeds)
    close(lambda x: x.cumprod(), np.cumprod(X.ravel()), feeds)
    values, idx = np.maximum.accumulate(X, 0), None
    check_both(lambda x: paddle.cummax(x, axis=0)[0], values, feeds)
    got = paddle.cummin(paddle.to_tensor(np.array([3.0, 1.0, 2.0, 1.0])), dtype="int32")
    np.testing.assert_array_equal(got[1].numpy(), np.array([0, 1, 1, 3], np.int32))
    close(lambda x: paddle.logcumsumexp(x, axis=1), np.log(np.cumsum(np.exp(X), 1)), feeds)
    close(lambda x: paddle.logcumsumexp(x), np.log(np.cumsum(np.exp(X.ravel()))), feeds)
    assert idx is None


def test_diff():
    feeds = {"x": X}
    check_both(lambda x: paddle.diff(x), np.diff(X), feeds)
    check_both(lambda x: paddle.diff(x, n=2, axis=0), np.diff(X, 2, axis=0), feeds)
    pre = np.ones((3, 1), np.float32)
    check_both(lambda x, p: paddle.diff(x, prepend=p, append=p),
               np.diff(X, prepend=pre, append=pre), {"x": X, "p": pre})
    b = np.array([True, False, False, True])
    check_both(lambda x: paddle.diff(x), np.diff(b), {"x": b})
    check_grad(lambda t: paddle.diff(t, axis=0), R.standard_normal((3, 2)),
               lambda v: np.diff(v, axis=0))


# ---------------------------------------------------------------- diagonals and counting

def test_diagonals():
    x3 = R.standard_normal((2, 3, 4)).astype(np.float32)
    feeds = {"x": x3}
    for off in (0, 1, -1, 5):
        check_both(lambda x: paddle.diagonal(x, off, 1, 2), np.diagonal(x3, off, 1, 2), feeds)
    check_both(lambda x: x.trace(offset=1, axis1=-1, axis2=0),
               np.trace(x3, 1, -1, 0), feeds)
    v = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    want = np.zeros((2, 3, 3), np.float32)
    want[:, 0, 1], want[:, 1, 2] = v[:, 0], v[:, 1]
    check_both(lambda x: paddle.diag_embed(x, offset=1), want, {"x": v})
    check_both(lambda x: paddle.diagflat(x, -1), np.diagflat(v, -1), {"x": v})
    check_grad(lambda t: paddle.trace(t, 1), R.standard_normal((3, 3)), lambda m: np.trace(m, 1))


def test_equal_all_bincount_histogram():
    check_both(lambda x: paddle.equal_all(x, x), np.bool_(True), {"x": X})
    check_both(lambda x, y: paddle.equal_all(x, y), np.bool_(False), {"x": X, "y": X + 1})
    assert not bool(paddle.equal_all(paddle.to_tensor(X), paddle.to_tensor(X[:2])))
    ids = np.array([1, 1, 4, 0], np.int64)
    w = np.array([0.5, 1.0, 2.0, 3.0], np.float32)
    check_both(lambda x: paddle.bincount(x), np.bincount(ids), {"x": ids})
    check_both(lambda x: paddle.bincount(x, minlength=7), np.bincount(ids, minlength=7),
               {"x": ids})
    check_both(lambda x, w: paddle.bincount(x, w), np.bincount(ids, w).astype(np.float32),
               {"x": ids, "w": w})
    check_both(lambda x: paddle.histogram(x, bins=5, min=-1, max=1),
               np.histogram(X, 5, (-1, 1))[0], {"x": X})
    check_both(lambda x: paddle.histogram(x, bins=4), np.histogram(X, 4)[0], {"x": X})
    close(lambda x: paddle.histogram(x, bins=4, density=True),
          np.histogram(X, 4, density=True)[0], {"x": X}, rtol=1e-4)


# ---------------------------------------------------------------- products

def test_mv_tensordot_vander():
    a, v = R.standard_normal((3, 4)), R.standard_normal(4)
    check_both(lambda a, v: paddle.mv(a, v), a @ v, {"a": a, "v": v})
    b = R.standard_normal((4, 3, 2))
    close(lambda a, b: paddle.tensordot(a, b, axes=1), np.tensordot(a, b, 1), {"a": a, "b": b})
    close(lambda a, b: paddle.tensordot(a, b, axes=[[0, 1], [1, 0]]),
          np.tensordot(a, b, ([0, 1], [1, 0])), {"a": a, "b": b})
    close(lambda a: paddle.tensordot(a, a, axes=[[1]]), np.tensordot(a, a, ([1], [1])),
          {"a": a})
    x = np.array([1.0, 2.0, 0.0, -3.0])
    check_both(lambda x: paddle.vander(x), np.vander(x), {"x": x})
    check_both(lambda x: paddle.vander(x, 3, increasing=True), np.vander(x, 3, True), {"x": x})
    check_grad(lambda t: paddle.vander(t), x, np.vander)


# ---------------------------------------------------------------- paddle.linalg

def test_linalg_inverses_and_determinants():
    L = paddle.linalg
    feeds = {"a": SQ}
    close(lambda a: L.inv(a), np.linalg.inv(SQ), feeds)
    close(lambda a: L.det(a), np.linalg.det(SQ), feeds)
    close(lambda a: L.slogdet(a), np.stack(np.linalg.slogdet(SQ)), feeds)
    b = R.standard_normal((2, 3, 2))
    close(lambda a, b: L.solve(a, b), np.linalg.solve(SQ, b), {"a": SQ, "b": b})
    close(lambda a, y: L.solve(a[0], y), np.linalg.solve(SQ[0], b[0, :, 0]),
          {"a": SQ, "y": b[0, :, 0]})
    up = np.linalg.cholesky(SPD).swapaxes(-1, -2)
    close(lambda a: L.cholesky(a, upper=True), up, {"a": SPD})
    close(lambda b, f: L.cholesky_solve(b, f, upper=True), np.linalg.solve(SPD, b),
          {"b": b, "f": up})
    close(lambda a, b: L.triangular_solve(a, b, upper=False),
          np.linalg.solve(np.tril(SQ), b), {"a": SQ, "b": b})
    close(lambda a, b: L.triangular_solve(a, b, transpose=True, unitriangular=True),
          np.linalg.solve(np.swapaxes(np.triu(SQ, 1) + np.eye(3), -1, -2), b),
          {"a": SQ, "b": b})
    close(lambda a: L.matrix_power(a, -2), np.linalg.matrix_power(SQ, -2), feeds)
    close(lambda a: L.matrix_power(a, 0), np.broadcast_to(np.eye(3), SQ.shape), feeds)
    close(lambda a: L.cond(a), np.linalg.cond(SQ), feeds)
    close(lambda a: L.cond(a, "fro"), np.linalg.cond(SQ, "fro"), feeds)
    check_grad(lambda t: L.det(t), SQ[0], np.linalg.det)


def test_linalg_decompositions():
    L = paddle.linalg
    a = R.standard_normal((4, 3))
    u, s, vh = paddle.linalg.svd(paddle.to_tensor(a))
    assert u.shape == [4, 3] and vh.shape == [3, 3]
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ vh.numpy(), a, atol=1e-10)
    np.testing.assert_allclose(L.svdvals(paddle.to_tensor(a)).numpy(),
                               np.linalg.svd(a, compute_uv=False))
    q, r = L.qr(paddle.to_tensor(a))
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a, atol=1e-10)
    assert L.qr(paddle.to_tensor(a), mode="r").shape == [3, 3]
    upper = np.triu(SPD[0])  # only the U triangle holds the matrix
    w = L.eigvalsh(paddle.to_tensor(upper), UPLO="U").numpy()
    np.testing.assert_allclose(w, np.linalg.eigvalsh(SPD[0]), rtol=1e-10)
    w, v = L.eigh(paddle.to_tensor(SPD))
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(SPD), rtol=1e-10)


def test_linalg_pseudo_inverse_rank_lstsq():
    L = paddle.linalg
    a = R.standard_normal((2, 5, 3))
    close(lambda a: L.pinv(a), np.linalg.pinv(a), {"a": a}, rtol=1e-8)
    low = a[0] @ np.diag([1.0, 1.0, 0.0]) @ a[0, :3]
    close(lambda m: L.matrix_rank(m), np.int64(2), {"m": low})
    close(lambda m: L.matrix_rank(m, tol=10.0), np.linalg.matrix_rank(low, tol=10.0),
          {"m": low})
    b = R.standard_normal((2, 5, 2))
    sol, res, rank, sv = L.lstsq(paddle.to_tensor(a), paddle.to_tensor(b), driver="gelsd")
    want = [np.linalg.lstsq(a[i], b[i], rcond=None) for i in range(2)]
    np.testing.assert_allclose(sol.numpy(), np.stack([w[0] for w in want]), atol=1e-10)
    np.testing.assert_allclose(res.numpy(), np.stack([w[1] for w in want]), atol=1e-10)
    np.testing.assert_array_equal(rank.numpy(), [3, 3])
    np.testing.assert_allclose(sv.numpy(), np.stack([w[3] for w in want]))
    assert L.lstsq(paddle.to_tensor(a), paddle.to_tensor(b))[3].shape == [0]
    m = [R.standard_normal(s) for s in ((3,), (3, 4), (4, 2))]
    close(lambda x, y, z: L.multi_dot([x, y, z]), m[0] @ m[1] @ m[2],
          dict(zip("xyz", m)))
    check_grad(lambda t: L.pinv(t), a[0], np.linalg.pinv, rtol=1e-4)


def test_linalg_cov_corrcoef():
    L = paddle.linalg
    feeds = {"x": X}
    close(lambda x: L.cov(x), np.cov(X), feeds, rtol=1e-4)
    close(lambda x: L.cov(x, rowvar=False, ddof=False), np.cov(X, rowvar=False, ddof=0), feeds,
          rtol=1e-4)
    fw = np.array([1, 2, 1, 3], np.int64)
    aw = np.array([0.5, 1.0, 2.0, 1.5], np.float32)
    close(lambda x, f, a: L.cov(x, fweights=f, aweights=a), np.cov(X, fweights=fw, aweights=aw),
          {"x": X, "f": fw, "a": aw}, rtol=1e-4)
    close(lambda x: L.corrcoef(x), np.corrcoef(X), feeds, rtol=1e-4)
    close(lambda x: L.cross(x[:, :3], x[:, 1:], axis=1), np.cross(X[:, :3], X[:, 1:]), feeds)


# ---------------------------------------------------------------- errors

def test_errors_name_the_function():
    x = paddle.to_tensor(X)
    with pytest.raises(ValueError, match="interpolation"):
        paddle.quantile(x, 0.5, interpolation="cubic")
    with pytest.raises(ValueError, match=r"range \[0, 1\]"):
        paddle.quantile(x, 1.5)
    with pytest.raises(ValueError, match="mode"):
        paddle.median(x, mode="max")
    with pytest.raises(ValueError, match="kthvalue: k=9"):
        paddle.kthvalue(x, 9)
    with pytest.raises(ValueError, match="square"):
        paddle.linalg.inv(x)
    with pytest.raises(TypeError, match="float"):
        paddle.linalg.det(paddle.to_tensor(np.eye(2, dtype=np.int64)))
    with pytest.raises(ValueError, match="pair of axes"):
        paddle.norm(x, p="nuc", axis=1)
    with pytest.raises(ValueError, match="diagonal: axis1 and axis2"):
        paddle.diagonal(x, 0, 1, 1)
    with pytest.raises((ValueError, OpError), match="bincount"):
        paddle.bincount(x)
    with pytest.raises(OpError, match="non-negative"):
        paddle.bincount(paddle.to_tensor(np.array([1, -2]))).numpy()
    with pytest.raises(ValueError, match="tensordot"):
        paddle.tensordot(x, x, axes=[[0], [1]])
    with pytest.raises(ValueError, match="histogram: max"):
        paddle.histogram(x, min=2, max=1)
