"""paddle's elementwise math and special functions (dualnet_static/tensor_methods/mathx.py):
values against NumPy/math references in explicit programs and in implicit mode, gradients
against central differences, Paddle's defaults and dtype rules, a -1 batch dim, Variable
methods, and error messages."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dualnet_static as paddle
from dualnet_static import static

from .implicit_helpers import fresh_dynamic_mode
from .test_creation_api import check_both, run_explicit


@pytest.fixture(autouse=True)
def _fresh():
    with fresh_dynamic_mode():
        yield


R = np.random.default_rng(0)
U = R.uniform(-0.9, 0.9, (3, 4)).astype(np.float32)  # inside (-1, 1)
P = R.uniform(0.2, 4.0, (3, 4)).astype(np.float32)  # positive
G = np.array([[0.3, 1.0, 2.5, 7.25], [-0.5, -2.5, 12.0, 0.05]], np.float32)  # gamma inputs
A = R.standard_normal((3, 4)).astype(np.float32)
B = R.standard_normal((3, 4)).astype(np.float32)


def _vec(fn):
    return np.vectorize(fn, otypes=[np.float64])


def _digamma(v):  # series: psi(x) = log(t) - 1/(2t) - 1/(12t^2) - sum_{k<K} 1/(x+k), t = x+K
    t = v + 4000.0
    return math.log(t) - 0.5 / t - 1 / (12 * t * t) - sum(1.0 / (v + k) for k in range(4000))


def _trigamma(v):
    t = v + 4000.0
    return sum(1.0 / (v + k) ** 2 for k in range(4000)) + 1 / t + 0.5 / t ** 2 + 1 / (6 * t ** 3)


UNARY = [  # (paddle name, input, reference)
    ("acos", U, np.arccos), ("asin", U, np.arcsin), ("atan", A, np.arctan),
    ("acosh", P + 1.0, np.arccosh), ("asinh", A, np.arcsinh), ("atanh", U, np.arctanh),
    ("cosh", A, np.cosh), ("sinh", A, np.sinh), ("tan", U, np.tan),
    ("expm1", A, np.expm1), ("log1p", P, np.log1p), ("log2", P, np.log2),
    ("log10", P, np.log10), ("lgamma", G, _vec(math.lgamma)), ("digamma", G, _vec(_digamma)),
    ("erfinv", U, None), ("deg2rad", A, np.deg2rad), ("rad2deg", A, np.rad2deg),
    ("reciprocal", P, np.reciprocal), ("frac", A * 3, lambda x: x - np.trunc(x)),
    ("trunc", A * 3, np.trunc), ("sgn", A, np.sign),
    ("stanh", A, lambda x: 1.7159 * np.tanh(0.67 * x)),
]


def _close(got, want, rtol=2e-5, atol=1e-5):
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name,x,ref", UNARY, ids=[u[0] for u in UNARY])
def test_unary_functions_and_methods(name, x, ref):
    fn = getattr(paddle, name)
    if ref is None:  # erfinv: check erf(erfinv(x)) == x
        got = run_explicit(lambda v: paddle.erf(fn(v)), {"x": x})[0]
        _close(got, x)
        return
    want = ref(x.astype(np.float64))
    got_static = run_explicit(lambda v: fn(v), {"x": x})[0]
    got_method = getattr(paddle.to_tensor(x), name)().numpy()
    assert got_static.dtype == np.float32 and got_method.dtype == np.float32
    _close(got_static, want)
    _close(got_method, want)


def test_polygamma_orders():
    x = paddle.to_tensor(G[G > 0].astype(np.float64))
    _close(paddle.polygamma(x, 0).numpy(), _vec(_digamma)(G[G > 0]))
    _close(paddle.polygamma(x, 1).numpy(), _vec(_trigamma)(G[G > 0]), rtol=1e-7)
    assert paddle.lgamma(paddle.to_tensor([1.0, 2.0])).numpy().tolist() == [0.0, 0.0]
    poles = paddle.lgamma(paddle.to_tensor([0.0, -1.0, -2.0])).numpy()
    assert np.isposinf(poles).all()


def test_binary_functions():
    feeds = {"x": A, "y": B}
    a, b = A.astype(np.float64), B.astype(np.float64)
    check_both(lambda x, y: paddle.atan2(x, y), np.arctan2(A, B), feeds)
    check_both(lambda x, y: paddle.hypot(x, y), np.hypot(A, B), feeds)
    _close(run_explicit(lambda x, y: paddle.logaddexp(x, y), feeds)[0], np.logaddexp(a, b))
    check_both(lambda x, y: paddle.lerp(x, y, 0.25), A + 0.25 * (B - A), feeds)
    check_both(lambda x, y: paddle.lerp(x, y, paddle.abs(y)), A + np.abs(B) * (B - A), feeds)
    check_both(lambda x, y: paddle.remainder(x, y), np.remainder(A, B), feeds)
    check_both(lambda x, y: paddle.floor_mod(x, y), np.remainder(A, B), feeds)
    check_both(lambda x, y: x.mod(y), np.remainder(A, B), feeds)
    check_both(lambda x, y: paddle.floor_divide(x, y), np.floor_divide(A, B), feeds)
    hx = A.copy()
    hx[0, :2] = 0.0
    check_both(lambda x, y: paddle.heaviside(x, y), np.heaviside(hx, B), {"x": hx, "y": B})


def test_integer_rules():
    i = np.array([7, -7, 9, 0], np.int64)
    j = np.array([2, 2, -4, 3], np.int64)
    feeds = {"x": i, "y": j}
    check_both(lambda x, y: paddle.floor_divide(x, y), np.floor_divide(i, j), feeds)
    check_both(lambda x, y: paddle.remainder(x, y), np.remainder(i, j), feeds)  # divisor's sign
    check_both(lambda x, y: paddle.atan2(x, y), np.arctan2(i, j), feeds)  # float64, as Paddle
    check_both(lambda x: paddle.deg2rad(x), np.deg2rad(i).astype(np.float32), {"x": i})
    check_both(lambda x: paddle.frac(x), np.zeros(4, np.int64), {"x": i})
    check_both(lambda x, y: paddle.gcd(x, y), np.gcd(i, j), feeds)
    check_both(lambda x, y: paddle.lcm(x, y), np.lcm(i, j), feeds)
    check_both(lambda x, y: paddle.bitwise_and(x, y), i & j, feeds)
    check_both(lambda x, y: paddle.bitwise_or(x, y), i | j, feeds)
    check_both(lambda x, y: x.bitwise_xor(y), i ^ j, feeds)
    check_both(lambda x: paddle.bitwise_not(x), ~i, {"x": i})
    m = np.array([True, False, True])
    check_both(lambda x: paddle.bitwise_not(x), ~m, {"x": m})
    check_both(lambda x: paddle.bitwise_and(x, True), m, {"x": m})


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_nan_handling_and_defaults():
    x = np.array([np.nan, np.inf, -np.inf, -0.5, 2.0], np.float32)
    big = np.finfo(np.float32).max
    check_both(lambda v: paddle.nan_to_num(v), np.array([0, big, -big, -0.5, 2], np.float32),
               {"x": x})
    check_both(lambda v: paddle.nan_to_num(v, nan=1.0, posinf=9.0, neginf=-9.0),
               np.array([1, 9, -9, -0.5, 2], np.float32), {"x": x})
    y = np.array([1.0, np.nan, 3.0, np.nan, -1.0], np.float32)
    z = np.array([np.nan, 2.0, 1.0, np.nan, -1.0], np.float32)
    check_both(lambda a, b: paddle.fmax(a, b), np.fmax(y, z), {"x": y, "y": z})
    check_both(lambda a, b: paddle.fmin(a, b), np.fmin(y, z), {"x": y, "y": z})
    p = np.array([0.25, 0.5, 1e-9, 1.5], np.float32)
    got = paddle.logit(paddle.to_tensor(p)).numpy()  # eps=None: no clamping
    _close(got[:2], np.log(p[:2] / (1 - p[:2])))
    assert np.isnan(got[3])
    eps = 1e-3
    q = np.clip(p, eps, 1 - eps).astype(np.float64)
    _close(paddle.logit(paddle.to_tensor(p), eps=eps).numpy(), np.log(q / (1 - q)), rtol=1e-4)
    big_x = np.array([1000.0, -1000.0, 3.0], np.float32)
    _close(paddle.logaddexp(paddle.to_tensor(big_x), paddle.to_tensor(big_x)).numpy(),
           big_x + np.log(2.0))


def test_gradients_against_central_differences():
    cases = [
        (paddle.acos, U), (paddle.asin, U), (paddle.atan, A), (paddle.acosh, P + 1.0),
        (paddle.asinh, A), (paddle.atanh, U), (paddle.cosh, A), (paddle.sinh, A),
        (paddle.tan, U), (paddle.lgamma, G), (paddle.digamma, G), (paddle.log2, P),
        (paddle.log10, P), (paddle.stanh, A), (paddle.frac, A * 3 + 0.01),
        (lambda v: paddle.logit(v, eps=0.1), np.abs(U) * 0.7 + 0.02),
        (lambda v: paddle.logaddexp(v, v * 0.5 + 1.0), A),
        (lambda v: paddle.hypot(v, v + 2.0), A), (lambda v: paddle.lerp(v, v * v, v), A),
        (lambda v: paddle.fmax(v, -v * 0.5), A), (lambda v: paddle.polygamma(v, 1), P),
        (lambda v: paddle.nan_to_num(v), A),
    ]
    for fn, x in cases:
        x64 = x.astype(np.float64)
        t = paddle.to_tensor(x64)
        t.stop_gradient = False
        fn(t).sum().backward()
        h = 1e-6
        num = np.zeros_like(x64)
        for i in np.ndindex(x64.shape):
            up, down = x64.copy(), x64.copy()
            up[i] += h
            down[i] -= h
            num[i] = (fn(paddle.to_tensor(up)).sum().numpy() -
                      fn(paddle.to_tensor(down)).sum().numpy()) / (2 * h)
        np.testing.assert_allclose(t.grad.numpy(), num, rtol=1e-5, atol=1e-6)


def test_second_order_and_static_gradients():
    x = paddle.to_tensor(np.array([0.7, 3.0]))
    x.stop_gradient = False
    (g,) = paddle.grad(paddle.lgamma(x).sum(), [x], create_graph=True)
    (g2,) = paddle.grad(g.sum(), [x])
    _close(g.numpy(), _vec(_digamma)(np.array([0.7, 3.0])), rtol=1e-7)
    _close(g2.numpy(), _vec(_trigamma)(np.array([0.7, 3.0])), rtol=1e-7)
    main = static.Program()
    with static.program_guard(main, static.Program()):
        v = static.data("x", [-1, 4], "float32")
        v.stop_gradient = False
        (gv,) = static.gradients(paddle.asin(v).sum(), [v])
    got = static.Executor().run(main, feed={"x": U}, fetch_list=[gv])[0]
    _close(got, 1 / np.sqrt(1 - U.astype(np.float64) ** 2), rtol=1e-4)


def test_unknown_batch_dim():
    main = static.Program()
    with static.program_guard(main, static.Program()):
        v = static.data("x", [-1, 4], "float32")
        outs = [paddle.lgamma(v), paddle.hypot(v, v), paddle.nan_to_num(v),
                paddle.is_empty(v), paddle.rank(v), paddle.add_n([v, v, v])]
        assert outs[0].shape == [-1, 4] and outs[3].shape == [] and outs[4].shape == []
    exe = static.Executor()
    for batch in (P, P[:0]):
        got = exe.run(main, feed={"x": batch}, fetch_list=outs)
        _close(got[0], _vec(math.lgamma)(batch))
        assert bool(got[3]) == (batch.size == 0) and int(got[4]) == 2
        _close(got[5], 3 * batch)


def test_dtype_facts_rank_and_add_n():
    f, i = paddle.to_tensor(A), paddle.to_tensor(np.arange(3))
    assert paddle.is_floating_point(f) and not paddle.is_floating_point(i)
    assert paddle.is_integer(i) and not f.is_integer() and not paddle.is_complex(f)
    assert paddle.rank(f).numpy() == 2 and paddle.rank(f).dtype == paddle.int32
    assert not bool(paddle.is_empty(f)) and bool(paddle.is_empty(paddle.zeros([0, 3])))
    check_both(lambda x, y: paddle.add_n([x, y, x]), 2 * A + B, {"x": A, "y": B})


def test_increment_in_place():
    c = paddle.to_tensor(np.array([3.0], np.float32))
    out = paddle.increment(c)
    assert out is c and c.numpy().tolist() == [4.0]
    k = paddle.to_tensor(np.array([3], np.int64))
    paddle.increment(k, 2)
    assert k.numpy().tolist() == [5] and k.dtype == paddle.int64
    main, startup = static.Program(), static.Program()
    with static.program_guard(main, startup):
        step = static.create_global_var([1], 0.0, "float32", persistable=True, name="step")
        paddle.increment(step, 0.5)
    exe = static.Executor()
    exe.run(startup)
    for want in (0.5, 1.0):
        (got,) = exe.run(main, fetch_list=[step])
        assert got.tolist() == [want]


def test_random_helpers():
    x = paddle.to_tensor(np.zeros((3, 5), np.float32))
    r = paddle.randint_like(x, 4)
    assert r.shape == [3, 5] and r.dtype == paddle.float32
    assert set(np.unique(r.numpy())) <= {0.0, 1.0, 2.0, 3.0}
    r = paddle.randint_like(x, -2, 2, dtype="int32")
    assert r.dtype == paddle.int32 and r.numpy().min() >= -2 and r.numpy().max() < 2
    n = paddle.standard_normal([400])
    assert n.dtype == paddle.float32 and abs(float(n.numpy().mean())) < 0.2


def test_errors_name_the_function():
    f = paddle.to_tensor(A)
    with pytest.raises(TypeError, match="bitwise_and: expected integer or bool"):
        paddle.bitwise_and(f, f)
    with pytest.raises(TypeError, match="gcd: expected integer"):
        paddle.gcd(f, f)
    with pytest.raises(TypeError, match="sgn"):
        paddle.sgn(paddle.to_tensor(np.arange(3)))
    with pytest.raises(ValueError, match="polygamma: n must be a non-negative integer"):
        paddle.polygamma(f, -1)
    with pytest.raises(ValueError, match=r"increment: x must have exactly one element"):
        paddle.increment(f)
    with pytest.raises(ValueError, match="add_n: all inputs must have one shape"):
        paddle.add_n([f, paddle.to_tensor(A[:2])])
    with pytest.raises(ValueError, match="randint_like: low must be less than high"):
        paddle.randint_like(f, 3, 1)
    main = static.Program()
    with static.program_guard(main, static.Program()):
        v = static.data("x", [-1, 4], "float32")
        with pytest.raises(ValueError, match=r"randint_like: the shape of x must be known"):
            paddle.randint_like(v, 5)
