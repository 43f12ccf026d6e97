"""paddle.zeros / full / arange / rand / topk / sort / einsum / ... in explicit programs, under
enable_static() and in implicit mode, against NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import dualnet_static as paddle
from dualnet import dtypes
from dualnet.ops.registry import OpError
from dualnet_static import static

from .implicit_helpers import fresh_dynamic_mode


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


def run_explicit(build, feeds=None):
    """Build with `build(*data_vars)` inside a program_guard, run it, return numpy outputs."""
    main, startup = static.Program(), static.Program()
    feeds = feeds or {}
    with static.program_guard(main, startup):
        data = [static.data(k, list(v.shape), v.dtype.name) for k, v in feeds.items()]
        outs = build(*data)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    exe = static.Executor()
    exe.run(startup)
    return exe.run(main, feed=feeds, fetch_list=list(outs))


def check_both(build, expected, feeds=None, dtype=None, rtol=1e-6, atol=1e-7,
               check_dtype=True):
    """The same build gives `expected` in an explicit program and in implicit mode (and its
    dtype, or `dtype`, unless check_dtype is False)."""
    got_explicit = run_explicit(build, feeds)
    tensors = [paddle.to_tensor(v) for v in (feeds or {}).values()]
    got_implicit = build(*tensors)
    got_implicit = got_implicit if isinstance(got_implicit, (list, tuple)) else [got_implicit]
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    for a, b, e in zip(got_explicit, got_implicit, expected):
        e = np.asarray(e)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)
        np.testing.assert_allclose(b.numpy(), e, rtol=rtol, atol=atol)
        if check_dtype:
            want = e.dtype if dtype is None else np.dtype(dtype)
            assert a.dtype == want and np.dtype(b.numpy().dtype) == want


X = np.array([[3.0, 1.0, 2.0, 7.0], [0.0, 5.0, 4.0, -1.0], [2.5, 2.5, 9.0, 1.0]],
             dtype=np.float32)


# ---------------------------------------------------------------- constants and ranges


def test_constants_with_default_dtype():
    check_both(lambda: paddle.zeros([2, 3]), np.zeros((2, 3), np.float32))
    check_both(lambda: paddle.ones((4,), dtype="int32"), np.ones(4, np.int32))
    check_both(lambda: paddle.full([2, 2], 1.5), np.full((2, 2), 1.5, np.float32))
    check_both(lambda: paddle.full([3], 7, dtype="int64"), np.full(3, 7, np.int64))
    check_both(lambda: paddle.empty([2]), np.zeros(2, np.float32))
    check_both(lambda: paddle.zeros(3, dtype=paddle.float64), np.zeros(3))


def test_like_functions_keep_the_input_dtype_unless_told():
    feeds = {"x": X}
    check_both(lambda x: paddle.zeros_like(x), np.zeros_like(X), feeds)
    check_both(lambda x: paddle.ones_like(x, dtype="int64"), np.ones(X.shape, np.int64), feeds)
    check_both(lambda x: paddle.full_like(x, -2.0), np.full_like(X, -2.0), feeds)


def test_arange_linspace_eye():
    check_both(lambda: paddle.arange(5), np.arange(5, dtype=np.int64))
    check_both(lambda: paddle.arange(2, 11, 3), np.arange(2, 11, 3, dtype=np.int64))
    check_both(lambda: paddle.arange(0.0, 1.0, 0.25), np.arange(0, 1, 0.25, dtype=np.float32))
    check_both(lambda: paddle.arange(5, 0, -2, dtype="float64"), np.arange(5.0, 0, -2))
    check_both(lambda: paddle.linspace(-1, 2, 7), np.linspace(-1, 2, 7, dtype=np.float32))
    check_both(lambda: paddle.linspace(0, 10, 1), np.array([0.0], np.float32))
    check_both(lambda: paddle.linspace(0, 10, 4, dtype="int64"),
               np.linspace(0, 10, 4).astype(np.int64))
    check_both(lambda: paddle.eye(3), np.eye(3, dtype=np.float32))
    check_both(lambda: paddle.eye(2, 4, dtype="int32"), np.eye(2, 4, dtype=np.int32))


def test_works_under_enable_static():
    paddle.enable_static()
    try:
        main, startup = static.Program(), static.Program()
        with static.program_guard(main, startup):
            a = paddle.arange(4)
            b = paddle.full([2], 3.0)
        exe = static.Executor()
        got = exe.run(main, fetch_list=[a, b])
        np.testing.assert_array_equal(got[0], np.arange(4))
        np.testing.assert_array_equal(got[1], [3.0, 3.0])
    finally:
        paddle.disable_static()


def test_default_dtype_change_is_seen_by_later_steps():
    for _ in range(3):  # repeated steps: the replayed ones must follow the new default
        assert paddle.zeros([2]).numpy().dtype == np.float32
    paddle.set_default_dtype("float64")
    try:
        for _ in range(3):
            assert paddle.zeros([2]).numpy().dtype == np.float64
            assert paddle.rand([2]).numpy().dtype == np.float64
            assert paddle.arange(0.0, 2.0).numpy().dtype == np.float64
    finally:
        paddle.set_default_dtype("float32")
    assert paddle.zeros([2]).numpy().dtype == np.float32


# ---------------------------------------------------------------- random


def test_random_shapes_dtypes_and_ranges():
    r = paddle.rand([200])
    assert r.shape == [200] and r.dtype == paddle.float32
    assert 0.0 <= r.numpy().min() and r.numpy().max() < 1.0
    u = paddle.uniform([200], dtype="float64", min=2.0, max=3.0).numpy()
    assert u.dtype == np.float64 and 2.0 <= u.min() and u.max() < 3.0
    n = paddle.randn([2000]).numpy()
    assert abs(n.mean()) < 0.1 and abs(n.std() - 1.0) < 0.1
    m = paddle.normal(3.0, 0.5, [2000]).numpy()
    assert abs(m.mean() - 3.0) < 0.05 and abs(m.std() - 0.5) < 0.05
    i = paddle.randint(2, 5, [300])
    assert i.dtype == paddle.int64 and set(np.unique(i.numpy())) == {2, 3, 4}
    assert paddle.randint(3).shape == [1]
    p = paddle.randperm(10).numpy()
    assert p.dtype == np.int64 and sorted(p) == list(range(10))
    assert paddle.randperm(4, dtype="int32").numpy().dtype == np.int32


def test_normal_with_tensor_mean_and_std():
    mean = paddle.to_tensor(np.array([0.0, 100.0], np.float32))
    std = paddle.to_tensor(np.array([1e-6, 1e-6], np.float32))
    out = paddle.normal(mean, std).numpy()
    assert out.shape == (2,) and np.allclose(out, [0.0, 100.0], atol=1e-3)


def test_random_is_reproducible_under_seed():
    def draw():
        return [paddle.rand([3]).numpy(), paddle.randn([3]).numpy(),
                paddle.randint(0, 100, [3]).numpy(), paddle.randperm(5).numpy(),
                paddle.uniform([3]).numpy()]

    paddle.seed(7)
    a = draw()
    paddle.seed(7)
    b = draw()
    c = draw()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


def test_random_in_an_explicit_program_draws_each_run():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        r = paddle.rand([4])
        i = paddle.randint(0, 10, [4])
    exe = static.Executor()
    paddle.seed(3)
    first = exe.run(main, fetch_list=[r, i])
    second = exe.run(main, fetch_list=[r, i])
    paddle.seed(3)
    again = exe.run(main, fetch_list=[r, i])
    assert not np.array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[0], again[0])
    assert first[1].dtype == np.int64


# ---------------------------------------------------------------- sorting


def test_topk_sort_argsort_values():
    feeds = {"x": X}
    order = np.argsort(-X, axis=1, kind="stable")
    check_both(lambda x: paddle.topk(x, 2), [np.take_along_axis(X, order[:, :2], 1),
                                             order[:, :2]], feeds)
    up = np.argsort(X, axis=0, kind="stable")
    check_both(lambda x: paddle.topk(x, 1, axis=0, largest=False),
               [np.take_along_axis(X, up[:1], 0), up[:1]], feeds)
    check_both(lambda x: paddle.sort(x), np.sort(X, axis=-1), feeds)
    check_both(lambda x: paddle.sort(x, axis=0, descending=True), -np.sort(-X, axis=0), feeds)
    check_both(lambda x: paddle.argsort(x), np.argsort(X, axis=-1, kind="stable"), feeds)
    check_both(lambda x: x.argsort(axis=0, descending=True), np.argsort(-X, 0, kind="stable"),
               feeds)


def test_topk_and_sort_gradients_scatter_back():
    x = paddle.to_tensor(X, stop_gradient=False)
    w = np.arange(1.0, 7.0, dtype=np.float32).reshape(3, 2)
    values, _ = paddle.topk(x, 2)
    (values * paddle.to_tensor(w)).sum().backward()
    expected = np.zeros_like(X)
    order = np.argsort(-X, axis=1, kind="stable")[:, :2]
    np.put_along_axis(expected, order, w, axis=1)
    np.testing.assert_allclose(x.grad.numpy(), expected)

    x = paddle.to_tensor(X, stop_gradient=False)
    w = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    (paddle.sort(x, axis=1) * paddle.to_tensor(w)).sum().backward()
    expected = np.zeros_like(X)
    np.put_along_axis(expected, np.argsort(X, axis=1, kind="stable"), w, axis=1)
    np.testing.assert_allclose(x.grad.numpy(), expected)


# ---------------------------------------------------------------- products


def test_products_values():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)).astype("f4"), rng.standard_normal((2, 4, 5)).astype("f4")
    feeds = {"a": a, "b": b}
    check_both(lambda a, b: paddle.bmm(a, b), a @ b, feeds)
    check_both(lambda a, b: paddle.einsum("bij,bjk->bik", a, b), a @ b, feeds)
    check_both(lambda a, b: paddle.einsum("bij->j", a), a.sum((0, 1)), feeds)
    m, n = a[0], b[0]
    check_both(lambda m, n: paddle.mm(m, n), m @ n, {"m": m, "n": n})
    u, v = a[0, 0], a[1, 1]
    check_both(lambda u, v: paddle.dot(u, v), np.dot(u, v), {"u": u, "v": v})
    check_both(lambda m, n: paddle.dot(m, n), (a[0] * a[1]).sum(-1), {"m": a[0], "n": a[1]})
    check_both(lambda u, v: paddle.outer(u, v), np.outer(u, v[:3]), {"u": u, "v": v[:3]})


def test_products_gradients():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))
    ta, tb = (paddle.to_tensor(v, stop_gradient=False) for v in (a, b))
    paddle.bmm(ta, tb).sum().backward()
    g = np.ones((2, 3, 5))
    np.testing.assert_allclose(ta.grad.numpy(), g @ b.transpose(0, 2, 1), rtol=1e-10)
    np.testing.assert_allclose(tb.grad.numpy(), a.transpose(0, 2, 1) @ g, rtol=1e-10)

    ta, tb = (paddle.to_tensor(v, stop_gradient=False) for v in (a, b))
    w = rng.standard_normal((2, 3, 5))
    (paddle.einsum("bij,bjk->bik", ta, tb) * paddle.to_tensor(w)).sum().backward()
    np.testing.assert_allclose(ta.grad.numpy(), w @ b.transpose(0, 2, 1), rtol=1e-10)
    np.testing.assert_allclose(tb.grad.numpy(), a.transpose(0, 2, 1) @ w, rtol=1e-10)

    m, n = (paddle.to_tensor(v, stop_gradient=False) for v in (a[0], b[0]))
    (paddle.mm(m, n) * paddle.to_tensor(w[0])).sum().backward()
    np.testing.assert_allclose(m.grad.numpy(), w[0] @ b[0].T, rtol=1e-10)
    np.testing.assert_allclose(n.grad.numpy(), a[0].T @ w[0], rtol=1e-10)

    u, v = (paddle.to_tensor(x, stop_gradient=False) for x in (a[0, 0], a[1, 1]))
    paddle.dot(u, v).backward()
    np.testing.assert_allclose(u.grad.numpy(), a[1, 1])
    np.testing.assert_allclose(v.grad.numpy(), a[0, 0])

    u, v = (paddle.to_tensor(x, stop_gradient=False) for x in (a[0, 0], b[0, 0]))
    wo = rng.standard_normal((4, 5))
    (paddle.outer(u, v) * paddle.to_tensor(wo)).sum().backward()
    np.testing.assert_allclose(u.grad.numpy(), wo @ b[0, 0], rtol=1e-10)
    np.testing.assert_allclose(v.grad.numpy(), wo.T @ a[0, 0], rtol=1e-10)


# ---------------------------------------------------------------- tensors


def test_shape_is_tensor_assign_diag():
    feeds = {"x": X}
    check_both(lambda x: paddle.shape(x), np.array([3, 4], np.int32), feeds)
    check_both(lambda x: paddle.assign(x), X, feeds)
    check_both(lambda: paddle.assign(np.ones((2, 2))), np.ones((2, 2), np.float32))
    check_both(lambda: paddle.assign([1, 2, 3]), np.array([1, 2, 3], np.int64))
    check_both(lambda x: paddle.diag(x), np.diag(X), feeds)
    check_both(lambda x: paddle.diag(x, offset=2), np.diag(X, 2), feeds)
    check_both(lambda x: paddle.diag(x, offset=-1), np.diag(X, -1), feeds)
    v = np.array([1.0, 2.0, 3.0], np.float32)
    check_both(lambda v: paddle.diag(v), np.diag(v), {"v": v})
    check_both(lambda v: paddle.diag(v, 1), np.diag(v, 1), {"v": v})
    padded = np.diag(v, -2) + 6 * (1 - np.eye(5, k=-2, dtype=np.float32))
    check_both(lambda v: paddle.diag(v, -2, padding_value=6), padded, {"v": v})
    assert paddle.is_tensor(paddle.to_tensor(X)) and not paddle.is_tensor(X)


def test_shape_of_an_unknown_dim_is_known_at_run_time():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        x = static.data("x", [-1, 4], "float32")
        s = paddle.shape(x)
    got, = static.Executor().run(main, feed={"x": X}, fetch_list=[s])
    np.testing.assert_array_equal(got, [3, 4])


def test_assign_into_output():
    out = paddle.to_tensor(np.zeros((3, 4), np.float32))
    res = paddle.assign(X, out)
    assert res is out
    np.testing.assert_array_equal(out.numpy(), X)


def test_diag_gradient():
    v = paddle.to_tensor(np.array([1.0, 2.0, 3.0]), stop_gradient=False)
    w = np.arange(16.0).reshape(4, 4)
    (paddle.diag(v, 1) * paddle.to_tensor(w)).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), np.diag(w, 1))


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("call, error, message", [
    (lambda: paddle.zeros([2, -1]), ValueError, "negative"),
    (lambda: paddle.ones([2], dtype="floatt32"), TypeError, "unknown dtype"),
    (lambda: paddle.full([2.5], 1.0), TypeError, "ints"),
    (lambda: paddle.rand([2], dtype="int64"), (TypeError, OpError), "floating"),
    (lambda: paddle.randint(5, 2, [3]), (ValueError, OpError), "low < high"),
    (lambda: paddle.randint(0, 5, [3], dtype="float32"), TypeError, "integer"),
    (lambda: paddle.arange(0, 5, 0), (ValueError, OpError), "nonzero"),
    (lambda: paddle.linspace(0, 1, -1), ValueError, "non-negative"),
    (lambda: paddle.eye(-2), ValueError, "negative"),
    (lambda: paddle.normal(0.0, 1.0), ValueError, "shape is required"),
    (lambda: paddle.topk(paddle.to_tensor(X), 5), ValueError, "larger than the size 4"),
    (lambda: paddle.topk(paddle.to_tensor(X), -1), ValueError, "non-negative"),
    (lambda: paddle.bmm(paddle.to_tensor(X), paddle.to_tensor(X)), ValueError, "3-D"),
    (lambda: paddle.dot(paddle.to_tensor(X[0]), paddle.to_tensor(X)), ValueError, "both"),
    (lambda: paddle.diag(paddle.zeros([2, 2, 2])), ValueError, "1-D or 2-D"),
])
def test_bad_input_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_shape_from_an_explicit_variable_is_a_clear_error():
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        n = static.data("n", [1], "int64")
        with pytest.raises(TypeError, match="no value while the program is built"):
            paddle.zeros([n])


def test_dtype_names_follow_paddle():
    assert dtypes.as_np(paddle.arange(3.0).dtype) == np.float32
    assert paddle.randint(0, 3, [2], dtype="int32").dtype == paddle.int32


def test_creation_matches_the_eager_front_end():
    """Both styles run the registry's creation ops: the same values, and the same
    permutation from the same seed."""
    import dualnet_eager as torch

    pairs = [(paddle.arange(0.0, 1.0, 0.1), torch.arange(0.0, 1.0, 0.1)),
             (paddle.linspace(-1, 2, 7), torch.linspace(-1, 2, 7)),
             (paddle.eye(3, 5), torch.eye(3, 5))]
    for got, want in pairs:
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got.numpy().dtype == want.numpy().dtype
    paddle.seed(7)
    static_perm = paddle.randperm(10).numpy()
    torch.manual_seed(7)
    np.testing.assert_array_equal(static_perm, torch.randperm(10).numpy())
