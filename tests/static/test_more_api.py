"""paddle.nonzero / masked_select / unique / meshgrid / multinomial / bernoulli / kron / inner /
cross / addmm / take_along_axis / put_along_axis / isclose / allclose in explicit programs and
in implicit mode, against NumPy; gradients via loss.backward() in implicit mode."""
from __future__ import annotations

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
X = np.array([[3.0, 0.0, 2.0, 7.0], [0.0, 5.0, 0.0, -1.0], [2.5, 2.5, 9.0, 0.0]],
             dtype=np.float32)
A = R.standard_normal((2, 3)).astype(np.float32)
B = R.standard_normal((3, 2)).astype(np.float32)


def _param(value):
    t = paddle.to_tensor(value)
    t.stop_gradient = False
    return t


def _grads(fn, *values, weights=None):
    """Gradients of sum(fn(*tensors) * weights) with respect to each input, in implicit mode."""
    tensors = [_param(v) for v in values]
    out = fn(*tensors)
    w = np.ones(out.shape, np.float32) if weights is None else weights
    (out * paddle.to_tensor(w)).sum().backward()
    return [t.grad.numpy() for t in tensors]


# ---------------------------------------------------------------- value-dependent shapes


def test_nonzero_and_masked_select():
    feeds = {"x": X}
    check_both(lambda x: paddle.nonzero(x), np.argwhere(X).astype(np.int64), feeds)
    check_both(lambda x: paddle.masked_select(x, x > 1.0), X[X > 1.0], feeds)
    rows = np.array([[True], [False], [True]])
    check_both(lambda x: paddle.masked_select(x, paddle.to_tensor(rows)
                                              if paddle.in_dynamic_mode() else
                                              paddle.assign(rows)),
               np.broadcast_to(X, X.shape)[np.broadcast_to(rows, X.shape)], feeds)
    parts = paddle.nonzero(paddle.to_tensor(X), as_tuple=True)
    assert len(parts) == 2 and parts[0].numpy().shape == (8, 1)
    np.testing.assert_array_equal(parts[1].numpy()[:, 0], np.nonzero(X)[1])


def test_value_dependent_dims_are_unknown_in_programs():
    main, startup = paddle.static.Program(), paddle.static.Program()
    with paddle.static.program_guard(main, startup):
        x = paddle.static.data("x", [-1, 4], "float32")
        assert paddle.nonzero(x).shape == [-1, 2]
        assert paddle.masked_select(x, x > 0).shape == [-1]
        assert paddle.unique(x).shape == [-1]


def test_masked_select_gradient_goes_to_the_selected_positions():
    mask = X > 1.0
    w = np.arange(1, mask.sum() + 1, dtype=np.float32)
    (gx,) = _grads(lambda x: paddle.masked_select(x, paddle.to_tensor(mask)), X, weights=w)
    want = np.zeros_like(X)
    want[mask] = w
    np.testing.assert_allclose(gx, want)


def test_unique_with_all_outputs():
    v = np.array([2, 3, 3, 1, 5, 3], dtype=np.int64)
    u, index, inverse, counts = np.unique(v, return_index=True, return_inverse=True,
                                          return_counts=True)
    check_both(lambda x: paddle.unique(x), u, {"x": v})
    check_both(lambda x: paddle.unique(x, return_index=True, return_inverse=True,
                                       return_counts=True),
               [u, index, inverse, counts], {"x": v})
    out, inv = paddle.unique(paddle.to_tensor(X), return_inverse=True, dtype="int32")
    np.testing.assert_array_equal(out.numpy(), np.unique(X))
    assert inv.numpy().dtype == np.int32 and inv.shape == [12]
    rows = np.array([[2, 1], [0, 3], [2, 1]], dtype=np.int64)
    check_both(lambda x: paddle.unique(x, axis=0), np.unique(rows, axis=0), {"x": rows})


# ---------------------------------------------------------------- grids and random


def test_meshgrid_uses_ij_indexing():
    a, b = np.arange(3, dtype=np.float32), np.arange(4, dtype=np.float32) * 10
    want = np.meshgrid(a, b, indexing="ij")
    check_both(lambda x, y: paddle.meshgrid(x, y), want, {"x": a, "y": b})
    check_both(lambda x, y: paddle.meshgrid([x, y]), want, {"x": a, "y": b})
    main = paddle.static.Program()
    with paddle.static.program_guard(main, paddle.static.Program()):
        x = paddle.static.data("x", [-1], "float32")
        y = paddle.static.data("y", [4], "float32")
        gx, gy = paddle.meshgrid(x, y)
    got = paddle.static.Executor().run(main, feed={"x": a, "y": b}, fetch_list=[gx, gy])
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_multinomial_and_bernoulli():
    p = np.array([[0.1, 0.0, 0.6, 0.3], [1.0, 1.0, 0.0, 2.0]], np.float32)
    draws = paddle.multinomial(paddle.to_tensor(p), num_samples=3)
    assert draws.shape == [2, 3] and draws.dtype == paddle.int64
    for row, never in zip(draws.numpy(), (1, 2)):  # probability-0 categories
        assert len(set(row)) == 3 and never not in row
    many = paddle.multinomial(paddle.to_tensor(p[0]), num_samples=4000, replacement=True)
    freq = np.bincount(many.numpy(), minlength=4) / 4000
    np.testing.assert_allclose(freq, p[0], atol=0.03)
    b = paddle.bernoulli(paddle.to_tensor(np.full((4000,), 0.25, np.float32)))
    assert b.dtype == paddle.float32 and set(np.unique(b.numpy())) <= {0.0, 1.0}
    assert abs(b.numpy().mean() - 0.25) < 0.03
    got = run_explicit(lambda x: [paddle.multinomial(x, 2), paddle.bernoulli(x)], {"x": p})
    assert got[0].shape == (2, 2) and got[1].shape == (2, 4)


def test_random_draws_are_reproducible_under_seed():
    p = paddle.to_tensor(np.array([0.2, 0.3, 0.5], np.float32))

    def draw():
        return [paddle.multinomial(p, 2).numpy(), paddle.multinomial(p, 6, True).numpy(),
                paddle.bernoulli(paddle.full([8], 0.5)).numpy()]

    paddle.seed(11)
    a = draw()
    paddle.seed(11)
    b = draw()
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


# ---------------------------------------------------------------- products


def _np_cross(x, y, axis):
    return np.cross(x, y, axis=axis)


def test_kron_inner_cross_addmm_values():
    y = R.standard_normal((2, 2)).astype(np.float32)
    check_both(lambda a, b: paddle.kron(a, b), np.kron(A, y), {"a": A, "b": y})
    v = np.array([1.0, 2.0], np.float32)
    check_both(lambda a, b: paddle.kron(a, b), np.kron(A, v), {"a": A, "b": v})
    c = R.standard_normal((4, 3)).astype(np.float32)
    check_both(lambda a, b: paddle.inner(a, b), np.inner(A, c), {"a": A, "b": c})
    check_both(lambda a, b: paddle.inner(a, b), np.inner(A[0], c[0]), {"a": A[0], "b": c[0]})
    u, w = (R.standard_normal((3, 3)).astype(np.float32) for _ in range(2))
    check_both(lambda a, b: paddle.cross(a, b), _np_cross(u, w, 0), {"a": u, "b": w})
    check_both(lambda a, b: paddle.cross(a, b, axis=1), _np_cross(u, w, 1), {"a": u, "b": w})
    inp = R.standard_normal((2, 2)).astype(np.float32)
    check_both(lambda i, a, b: paddle.addmm(i, a, b, beta=0.5, alpha=2.0),
               0.5 * inp + 2.0 * A @ B, {"i": inp, "a": A, "b": B})


def test_product_gradients():
    y = R.standard_normal((2, 2)).astype(np.float32)
    wk = R.standard_normal((4, 6)).astype(np.float32)
    gx, gy = _grads(paddle.kron, A, y, weights=wk)
    blocks = wk.reshape(2, 2, 3, 2).transpose(0, 2, 1, 3)  # [i, j, k, l] of block (i, j)
    np.testing.assert_allclose(gx, np.einsum("ijkl,kl->ij", blocks, y), rtol=1e-5)
    np.testing.assert_allclose(gy, np.einsum("ijkl,ij->kl", blocks, A), rtol=1e-5)
    c = R.standard_normal((4, 3)).astype(np.float32)
    wi = R.standard_normal((2, 4)).astype(np.float32)
    ga, gc = _grads(paddle.inner, A, c, weights=wi)
    np.testing.assert_allclose(ga, wi @ c, rtol=1e-5)
    np.testing.assert_allclose(gc, wi.T @ A, rtol=1e-5)
    u, w = (R.standard_normal((2, 3)).astype(np.float32) for _ in range(2))
    g = R.standard_normal((2, 3)).astype(np.float32)
    gu, gw = _grads(lambda a, b: paddle.cross(a, b, axis=1), u, w, weights=g)
    np.testing.assert_allclose(gu, np.cross(w, g), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gw, np.cross(g, u), rtol=1e-5, atol=1e-6)
    inp = R.standard_normal((1, 2)).astype(np.float32)
    wm = R.standard_normal((2, 2)).astype(np.float32)
    gi, ga, gb = _grads(lambda i, a, b: paddle.addmm(i, a, b, beta=0.5, alpha=2.0),
                        inp, A, B, weights=wm)
    np.testing.assert_allclose(gi, 0.5 * wm.sum(0, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(ga, 2.0 * wm @ B.T, rtol=1e-5)
    np.testing.assert_allclose(gb, 2.0 * A.T @ wm, rtol=1e-5)


# ---------------------------------------------------------------- along an axis


def test_take_and_put_along_axis():
    idx = np.array([[0, 3], [1, 1], [2, 0]], np.int64)
    feeds = {"x": X, "i": idx}
    check_both(lambda x, i: paddle.take_along_axis(x, i, 1), np.take_along_axis(X, idx, 1),
               feeds)
    row = np.array([[2, 0, 1, 1]], np.int64)  # broadcast over the rows
    want = np.take_along_axis(X, np.broadcast_to(row, (1, 4)), 0)
    check_both(lambda x, i: paddle.take_along_axis(x, i, 0), want, {"x": X, "i": row})
    put = X.copy()
    np.put_along_axis(put, idx, 9.0, 1)
    check_both(lambda x, i: paddle.put_along_axis(x, i, 9.0, 1), put, feeds)
    vals = np.ones((3, 2), np.float32)
    added = X.copy()
    for r in range(3):
        for c in range(2):
            added[r, idx[r, c]] += vals[r, c]
    check_both(lambda x, i, v: paddle.put_along_axis(x, i, v, 1, reduce="add"), added,
               {"x": X, "i": idx, "v": vals})
    fresh = X.copy()
    fresh[np.arange(3)[:, None], idx] = 0.0
    for r in range(3):
        for c in range(2):
            fresh[r, idx[r, c]] += vals[r, c]
    check_both(lambda x, i, v: paddle.put_along_axis(x, i, v, 1, reduce="add",
                                                     include_self=False),
               fresh, {"x": X, "i": idx, "v": vals})


def test_take_along_axis_gradient_scatters_back():
    idx = np.array([[0, 3, 0], [1, 1, 2], [2, 0, 0]], np.int64)
    w = R.standard_normal((3, 3)).astype(np.float32)
    (gx,) = _grads(lambda x: paddle.take_along_axis(x, paddle.to_tensor(idx), 1), X,
                   weights=w)
    want = np.zeros_like(X)
    for r in range(3):
        for c in range(3):
            want[r, idx[r, c]] += w[r, c]
    np.testing.assert_allclose(gx, want, rtol=1e-6)


# ---------------------------------------------------------------- closeness


def test_isclose_and_allclose():
    x = np.array([1.0, np.inf, np.nan, 2.0, 1e-9], np.float32)
    y = np.array([1.0 + 1e-6, np.inf, np.nan, 2.1, 0.0], np.float32)
    feeds = {"x": x, "y": y}
    check_both(lambda a, b: paddle.isclose(a, b), np.isclose(x, y), feeds)
    check_both(lambda a, b: paddle.isclose(a, b, equal_nan=True),
               np.isclose(x, y, equal_nan=True), feeds)
    check_both(lambda a, b: paddle.isclose(a, b, rtol=0.1, atol=0.0),
               np.isclose(x, y, rtol=0.1, atol=0.0), feeds)
    check_both(lambda a, b: paddle.allclose(a, b), np.array(False), feeds)
    ok = paddle.allclose(paddle.to_tensor(x[:2]), paddle.to_tensor(y[:2]))
    assert ok.shape == [] and ok.dtype == paddle.bool and bool(ok.numpy())
    assert paddle.to_tensor(x).isclose(paddle.to_tensor(y)).shape == [5]


# ---------------------------------------------------------------- errors


def test_clear_errors_for_bad_input():
    x = paddle.to_tensor(X)
    with pytest.raises((ValueError, OpError), match="same shape"):
        paddle.cross(x, paddle.to_tensor(A))
    with pytest.raises(ValueError, match="no axis of size 3"):
        paddle.cross(paddle.to_tensor(X[:2, :2]), paddle.to_tensor(X[:2, :2]))
    with pytest.raises(ValueError, match="size 3"):
        paddle.cross(paddle.to_tensor(A), paddle.to_tensor(A), axis=0)
    with pytest.raises((ValueError, OpError), match="without replacement"):
        paddle.multinomial(paddle.to_tensor(np.ones(3, np.float32)), num_samples=4)
    with pytest.raises((ValueError, OpError), match="positive categories"):
        paddle.multinomial(paddle.to_tensor(np.array([1.0, 0.0, 0.0], np.float32)), 2).numpy()
    with pytest.raises((ValueError, OpError)):
        paddle.addmm(paddle.to_tensor(A), paddle.to_tensor(A), paddle.to_tensor(A))
    with pytest.raises((ValueError, OpError), match="last dims"):
        paddle.inner(paddle.to_tensor(A), paddle.to_tensor(X))
    with pytest.raises((ValueError, IndexError, OpError)):
        paddle.take_along_axis(x, paddle.to_tensor(np.zeros((3, 1), np.int64)), 5)
    with pytest.raises((ValueError, OpError), match="same number of dims"):
        paddle.take_along_axis(x, paddle.to_tensor(np.zeros(3, np.int64)), 0)
    with pytest.raises(NotImplementedError, match="amax"):
        paddle.put_along_axis(x, paddle.to_tensor(np.zeros((3, 1), np.int64)), 1.0, 1, "amax")
    with pytest.raises((TypeError, OpError), match="bool mask"):
        paddle.masked_select(x, x)
    with pytest.raises((ValueError, OpError), match="1-D"):
        paddle.meshgrid(x, x)
