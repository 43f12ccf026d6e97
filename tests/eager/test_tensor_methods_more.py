"""More PyTorch Tensor methods: in-place variants, index_put / put / masked_scatter, dtype
shortcuts, histogram, as_strided, resize_, matrix_exp, mH / H / adjoint and the CPU memory
no-ops."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dualnet_eager as torch

RNG = np.random.default_rng(0)
X = RNG.uniform(0.5, 2.0, (3, 4)).astype(np.float32)


def _x():
    return torch.tensor(X.copy())


@pytest.mark.parametrize("name, ref", [
    ("abs_", np.abs), ("neg_", np.negative), ("exp_", np.exp), ("log_", np.log),
    ("sqrt_", np.sqrt), ("sin_", np.sin), ("cos_", np.cos), ("floor_", np.floor),
    ("round_", np.round), ("trunc_", np.trunc), ("frac_", lambda a: a - np.trunc(a)),
    ("sign_", np.sign), ("sigmoid_", lambda a: 1 / (1 + np.exp(-a))), ("tanh_", np.tanh),
    ("relu_", lambda a: np.maximum(a, 0)), ("logical_not_", lambda a: (a == 0).astype(a.dtype)),
])
def test_unary_inplace(name, ref):
    x = _x() if name in ("log_", "sqrt_") else _x() - 1.0
    before = x.numpy().copy()
    version = x._version[0]
    assert getattr(x, name)() is x
    np.testing.assert_allclose(x.numpy(), ref(before), rtol=1e-6)
    assert x._version[0] == version + 1 and x.dtype == torch.float32


@pytest.mark.parametrize("name, op", [
    ("eq_", np.equal), ("ne_", np.not_equal), ("lt_", np.less), ("gt_", np.greater),
    ("le_", np.less_equal), ("ge_", np.greater_equal), ("logical_and_", np.logical_and),
])
def test_comparison_inplace_keeps_dtype(name, op):
    x = torch.tensor([1.0, 2.0, 0.0])
    getattr(x, name)(torch.tensor([1.0, 3.0, 0.0]))
    np.testing.assert_array_equal(x.numpy(), op([1.0, 2.0, 0.0], [1.0, 3.0, 0.0]).astype(
        np.float32))
    assert x.dtype == torch.float32


def test_misc_inplace():
    x = _x()
    x.cumsum_(1)
    np.testing.assert_allclose(x.numpy(), np.cumsum(X, 1), rtol=1e-6)
    x = _x()
    x.clamp_min_(1.0).clamp_max_(1.5)
    np.testing.assert_allclose(x.numpy(), np.clip(X, 1.0, 1.5))
    y = torch.tensor([np.nan, np.inf, -np.inf, 1.0])
    expect = np.nan_to_num(np.array([np.nan, np.inf, -np.inf, 1.0], np.float32))
    np.testing.assert_array_equal(torch.nan_to_num(y).numpy(), expect)
    np.testing.assert_array_equal(y.nan_to_num(nan=1.0, posinf=2.0).numpy()[:2], [1.0, 2.0])
    y.nan_to_num_(0.0, 9.0, -9.0)
    np.testing.assert_array_equal(y.numpy(), [0.0, 9.0, -9.0, 1.0])


def test_inplace_on_leaf_requiring_grad_raises():
    x = torch.tensor(X, requires_grad=True)
    for call in (lambda: x.abs_(), lambda: x.log_(), lambda: x.eq_(1.0),
                 lambda: x.index_put_((torch.tensor([0]),), torch.tensor(1.0)),
                 lambda: x.masked_scatter_(x > 1, torch.zeros(12))):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            call()
    with torch.no_grad():
        x.sqrt_()
    np.testing.assert_allclose(x.detach().numpy(), np.sqrt(X), rtol=1e-6)


def test_inplace_gradients():
    x = torch.tensor(X, requires_grad=True)
    y = x * 1.0
    y.sin_()
    y.sqrt_()
    y.sum().backward()
    s = np.sin(X)
    np.testing.assert_allclose(x.grad.numpy(), np.cos(X) / (2 * np.sqrt(s)), rtol=1e-5)
    x.grad = None
    y = x * 2.0
    y.eq_(3.0)  # no gradient flows through a comparison
    assert not y.requires_grad


def test_saved_value_is_snapshotted():
    x = torch.tensor(X, requires_grad=True)
    y = x * 1.0
    z = y.exp()  # saves its output, not y
    y.log_()  # log saves y's old value: a snapshot is kept
    (y.sum() + z.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 / X + np.exp(X), rtol=1e-5)


# ---------------------------------------------------------------- writes by index / mask

def test_index_put():
    x = torch.zeros(5)
    idx = (torch.tensor([0, 0, 3]),)
    np.testing.assert_array_equal(x.index_put(idx, torch.tensor([1.0, 2.0, 3.0])).numpy(),
                                  [2, 0, 0, 3, 0])
    x.index_put_(idx, torch.tensor([1.0, 2.0, 3.0]), accumulate=True)
    np.testing.assert_array_equal(x.numpy(), [3, 0, 0, 3, 0])
    m = torch.zeros(2, 3)
    m.index_put_((torch.tensor([0, 1]), torch.tensor([2, 0])), torch.tensor(7.0))
    np.testing.assert_array_equal(m.numpy(), [[0, 0, 7], [7, 0, 0]])
    w = torch.ones(4, requires_grad=True)
    v = torch.tensor([1.0, 2.0], requires_grad=True)
    out = w.index_put((torch.tensor([1, 1]),), v, accumulate=True)
    (out * torch.arange(4.0)).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [0, 1, 2, 3])
    np.testing.assert_array_equal(v.grad.numpy(), [1, 1])


def test_put():
    x = torch.zeros(2, 3)
    x.put_(torch.tensor([0, -1]), torch.tensor([1.0, 2.0]))
    np.testing.assert_array_equal(x.numpy(), [[1, 0, 0], [0, 0, 2]])
    y = torch.zeros(2, 2).put(torch.tensor([1, 1]), torch.tensor([1.0, 2.0]), accumulate=True)
    np.testing.assert_array_equal(y.numpy(), [[0, 3], [0, 0]])


def test_masked_scatter():
    mask = torch.tensor([[True, False, True], [False, True, False]])
    src = torch.arange(6.0)
    out = torch.zeros(2, 3).masked_scatter(mask, src)
    np.testing.assert_array_equal(out.numpy(), [[0, 0, 1], [0, 2, 0]])
    x = torch.ones(2, 3)
    x.masked_scatter_(torch.tensor([True, False, True]), src)  # mask broadcast over rows
    np.testing.assert_array_equal(x.numpy(), [[0, 1, 1], [2, 1, 3]])


# ---------------------------------------------------------------- dtypes and new tensors

def test_dtype_shortcuts_and_new_empty():
    x = torch.tensor([1.7, -2.2])
    assert x.byte().dtype == torch.uint8 and x.char().dtype == torch.int8
    assert x.short().dtype == torch.int16
    np.testing.assert_array_equal(x.short().numpy(), [1, -2])
    with pytest.raises(TypeError, match="bfloat16"):
        x.bfloat16()
    e = x.new_empty(2, 3)
    assert tuple(e.shape) == (2, 3) and e.dtype == torch.float32
    assert x.new_empty((4,), dtype=torch.int64).dtype == torch.int64


def test_isclose_positive_narrow_copy():
    a = torch.tensor([1.0, 2.0, np.nan])
    b = torch.tensor([1.0 + 1e-7, 2.1, np.nan])
    np.testing.assert_array_equal(a.isclose(b).numpy(), [True, False, False])
    np.testing.assert_array_equal(a.isclose(b, equal_nan=True).numpy(), [True, False, True])
    assert a.positive() is a and torch.positive(a) is a
    with pytest.raises(RuntimeError):
        torch.tensor([True]).positive()
    x = torch.arange(12.0).reshape(3, 4)
    n = x.narrow_copy(1, 1, 2)
    np.testing.assert_array_equal(n.numpy(), np.arange(12.0).reshape(3, 4)[:, 1:3])
    n.fill_(0)
    assert x[0, 1].item() == 1.0  # a copy


# ---------------------------------------------------------------- histogram

def test_histogram_bins_and_range():
    data = np.array([1.0, 2.0, 1.0, 2.5, 3.0, -1.0], np.float32)
    hist, edges = torch.histogram(torch.tensor(data), bins=4, range=(0.0, 3.0))
    ref_h, ref_e = np.histogram(data, bins=4, range=(0.0, 3.0))
    np.testing.assert_array_equal(hist.numpy(), ref_h)
    np.testing.assert_allclose(edges.numpy(), ref_e)
    assert hist.dtype == torch.float32
    hist, edges = torch.tensor(data).histogram(3)
    ref_h, ref_e = np.histogram(data, bins=3)
    np.testing.assert_array_equal(hist.numpy(), ref_h)
    np.testing.assert_allclose(edges.numpy(), ref_e, rtol=1e-6)
    hist, _ = torch.histogram(torch.tensor(data), bins=torch.tensor([0.0, 1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(hist.numpy(), np.histogram(data, bins=[0, 1, 2, 3])[0])


def test_histogram_weight_density_and_equal_range():
    data = np.array([0.1, 0.4, 0.45, 0.9], np.float32)
    w = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    hist, edges = torch.histogram(torch.tensor(data), 2, weight=torch.tensor(w), density=True)
    ref_h, ref_e = np.histogram(data, 2, weights=w, density=True)
    np.testing.assert_allclose(hist.numpy(), ref_h, rtol=1e-5)
    hist, edges = torch.histogram(torch.tensor([2.0, 2.0]), 2)
    np.testing.assert_allclose(edges.numpy(), [1.5, 2.0, 2.5])
    np.testing.assert_array_equal(hist.numpy(), [0, 2])


# ---------------------------------------------------------------- strides and resizing

def test_as_strided_is_a_differentiable_copy():
    x = torch.arange(6.0, requires_grad=True)
    y = x.as_strided((2, 2), (1, 2), 1)
    ref = np.lib.stride_tricks.as_strided(np.arange(6.0)[1:], (2, 2), (8, 16))
    np.testing.assert_array_equal(y.detach().numpy(), ref)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 1, 0])
    with pytest.raises(RuntimeError, match="require more"):
        torch.arange(4.0).as_strided((3,), (2,))


def test_resize():
    x = torch.arange(6.0)
    version = x._version[0]
    assert x.resize_(2, 2) is x
    np.testing.assert_array_equal(x.numpy(), [[0, 1], [2, 3]])
    assert x._version[0] == version + 1
    x.resize_as_(torch.zeros(3, 2))
    assert tuple(x.shape) == (3, 2)
    np.testing.assert_array_equal(x.numpy().ravel()[:4], [0, 1, 2, 3])
    with pytest.raises(RuntimeError, match="require grad"):
        torch.ones(2, requires_grad=True).resize_(3)


def test_memory_noops():
    x = torch.ones(2)
    assert x.share_memory_() is x and x.pin_memory() is x
    assert not x.is_shared() and not x.is_pinned()


# ---------------------------------------------------------------- matrix_exp and adjoints

def _expm_series(a):
    out, term = np.zeros_like(a), np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
    for k in range(1, 120):
        out = out + term
        term = term @ a / k
    return out


def test_matrix_exp_values():
    theta = 0.7
    rot = torch.tensor([[0.0, -theta], [theta, 0.0]], dtype=torch.float64)
    np.testing.assert_allclose(rot.matrix_exp().numpy(),
                               [[math.cos(theta), -math.sin(theta)],
                                [math.sin(theta), math.cos(theta)]], atol=1e-12)
    a = RNG.standard_normal((3, 4, 4)) * 3  # norms above theta_13: squarings happen
    np.testing.assert_allclose(torch.matrix_exp(torch.tensor(a)).numpy(), _expm_series(a),
                               rtol=1e-9, atol=1e-9)
    f = torch.tensor(a[0].astype(np.float32)).matrix_exp()
    assert f.dtype == torch.float32
    np.testing.assert_allclose(f.numpy(), _expm_series(a[0]), rtol=1e-4, atol=1e-4)
    with pytest.raises(RuntimeError, match="square"):
        torch.ones(2, 3).matrix_exp()


def test_matrix_exp_gradient():
    a = RNG.standard_normal((3, 3)) * 0.8
    w = RNG.standard_normal((3, 3))
    x = torch.tensor(a, requires_grad=True)
    (x.matrix_exp() * torch.tensor(w)).sum().backward()
    eps = 1e-6
    num = np.zeros_like(a)
    for i in range(3):
        for j in range(3):
            d = np.zeros_like(a)
            d[i, j] = eps
            num[i, j] = ((_expm_series(a + d) - _expm_series(a - d)) * w).sum() / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), num, rtol=1e-6, atol=1e-7)


def test_adjoints():
    x = torch.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(x.mH.numpy(), np.swapaxes(x.numpy(), -1, -2))
    np.testing.assert_array_equal(x.adjoint().numpy(), np.swapaxes(x.numpy(), -1, -2))
    m = torch.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(m.H.numpy(), m.numpy().T)
    with pytest.raises(RuntimeError, match="matrices"):
        x.H


def test_norm_defaults_fro_nuc_and_p():
    """Tensor.norm() / torch.norm default to 'fro' (it raised on the string), 'nuc' is the
    nuclear norm, numbers are vector p-norms over `dim`."""
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    t = torch.tensor(a)
    np.testing.assert_allclose(t.norm().item(), np.linalg.norm(a), rtol=1e-6)
    np.testing.assert_allclose(torch.norm(t, dim=1).numpy(), np.linalg.norm(a, axis=1),
                               rtol=1e-6)
    np.testing.assert_allclose(torch.norm(t, p="nuc").item(), np.linalg.norm(a, "nuc"),
                               rtol=1e-5)
    np.testing.assert_allclose(t.norm(p=1, dim=0, keepdim=True).numpy(),
                               np.abs(a).sum(0, keepdims=True), rtol=1e-6)
    with pytest.raises(RuntimeError, match="unsupported p"):
        t.norm(p="max")
