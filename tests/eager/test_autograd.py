"""The eager tape: accumulation, graph freeing, hooks, higher order, in-place checks, anomaly."""
import numpy as np
import pytest

import dualnet_eager as torch


def _leaf(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=True)


def test_backward_accumulates_over_a_diamond_and_across_calls():
    x = _leaf(3)
    a = x * 2.0
    y = (a * a + a).sum()  # d/dx = (2a + 1) * 2
    y.backward()
    expected = (2 * 2 * x.detach().numpy() + 1) * 2
    np.testing.assert_allclose(x.grad.numpy(), expected)
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected + 3)


def test_second_backward_without_retain_graph_is_an_error():
    x = _leaf(2)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_non_scalar_backward_needs_a_gradient():
    x = _leaf(2, 2)
    y = x * 2.0
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    y.backward(torch.ones(2, 2, dtype=torch.float64))
    np.testing.assert_allclose(x.grad.numpy(), 2.0)


def test_backward_of_a_tensor_without_grad_fn():
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.ones(2).sum().backward()


def test_grad_modes():
    x = _leaf(2)
    with torch.no_grad():
        y = x * 2.0
        with torch.enable_grad():
            z = x * 2.0
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad
    torch.set_grad_enabled(False)
    try:
        assert not (x * 2.0).requires_grad
    finally:
        torch.set_grad_enabled(True)
    with torch.set_grad_enabled(False):
        assert not (x + 1.0).requires_grad
    assert (x + 1.0).requires_grad

    @torch.no_grad()
    def f(t):
        return t * 2.0

    assert not f(x).requires_grad


def test_hooks_and_retain_grad():
    x = _leaf(3)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = x * 2.0
    y.retain_grad()
    handle = y.register_hook(lambda g: g * 10.0)
    (y * y).sum().backward()
    y_val = 2 * x.detach().numpy()
    np.testing.assert_allclose(y.grad.numpy(), 2 * y_val * 10.0)
    np.testing.assert_allclose(x.grad.numpy(), 2 * y_val * 10.0 * 2)
    np.testing.assert_allclose(seen[0], x.grad.numpy())
    handle.remove()


def test_autograd_grad_and_higher_order():
    x = _leaf(4)
    y = (x * x * x).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    (gg,) = torch.autograd.grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(gg.detach().numpy(), 6 * x.detach().numpy())
    (ggg,) = torch.autograd.grad(gg.sum(), x)
    np.testing.assert_allclose(ggg.numpy(), 6.0)
    assert x.grad is None  # autograd.grad does not accumulate


def test_grad_of_unused_input():
    x, w = _leaf(2), _leaf(2, seed=1)
    y = (x * 2.0).sum()
    with pytest.raises(RuntimeError, match="not have been used"):
        torch.autograd.grad(y, [x, w], retain_graph=True)
    gx, gw = torch.autograd.grad(y, [x, w], allow_unused=True)
    assert gw is None and np.allclose(gx.numpy(), 2.0)


def test_inplace_change_of_a_saved_tensor_is_detected():
    x = _leaf(3)
    y = x * 1.0
    z = y * y  # saves y
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_on_a_leaf_that_requires_grad():
    x = _leaf(3)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1.0)
    with torch.no_grad():
        x.add_(1.0)  # allowed under no_grad, as in PyTorch
    assert x._version[0] == 1


def test_inplace_on_non_leaf_rebases_the_graph():
    x = _leaf(3)
    y = x * 2.0
    y.mul_(3.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6.0)


def test_setitem_gradient():
    x = _leaf(4)
    y = x * 1.0
    y[1] = 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 0.0, 1.0, 1.0])


def test_detect_anomaly_names_the_forward_op_and_line():
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    with torch.autograd.detect_anomaly():
        y = x / x  # planted: at x = 0, d(x/x)/dx is 0/0
        with pytest.raises(RuntimeError) as err:
            y.sum().backward()
    msg = str(err.value)
    assert "nan" in msg and "'div'" in msg
    assert "test_autograd.py" in msg and "y = x / x" in msg


def test_set_detect_anomaly_flag():
    torch.autograd.set_detect_anomaly(True)
    try:
        assert torch.autograd.is_anomaly_enabled()
    finally:
        torch.autograd.set_detect_anomaly(False)
    assert not torch.autograd.is_anomaly_enabled()


def test_custom_function():
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3.0 * x * x

    x = _leaf(3)
    Cube.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.detach().numpy() ** 2)


def test_type_promotion_and_weak_scalars():
    i = torch.tensor([1, 2, 3])
    f = torch.tensor([1.0, 2.0, 3.0])
    d = torch.tensor([1.0], dtype=torch.float64)
    assert i.dtype == torch.int64 and f.dtype == torch.float32
    assert (i + f).dtype == torch.float32  # not float64 as NumPy would give
    assert (f + d).dtype == torch.float64
    assert (f * 2.0).dtype == torch.float32
    assert (i * 2).dtype == torch.int64
    assert (i * 2.5).dtype == torch.float32
    assert (i / 2).dtype == torch.float32
    h = torch.tensor([1.0], dtype=torch.float16)
    assert (h * 2.0).dtype == torch.float16


def test_shape_error_names_op_shapes_and_line():
    a, b = torch.ones(2, 3), torch.ones(4)
    with pytest.raises(RuntimeError) as err:
        a + b  # the user's line
    msg = str(err.value)
    assert "add" in msg and "[2, 3]" in msg and "[4]" in msg and "a + b  # the user's line" in msg


def test_requires_grad_only_on_leaves():
    x = _leaf(2)
    y = x * 2.0
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2]).requires_grad_()


def test_numpy_of_a_tensor_requiring_grad():
    x = _leaf(2)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert x.detach().numpy().shape == (2,)


@pytest.mark.parametrize("fn", ["floor", "ceil", "round", "trunc", "sign"])
def test_piecewise_constant_functions_give_zero_gradients(fn):
    """As in PyTorch (and Paddle): the result requires grad and backward gives zeros, not an
    error; x + (x.round() - x).detach() style estimators keep working."""
    x = torch.tensor([1.5, -2.3, 0.7], requires_grad=True)
    y = getattr(torch, fn)(x)
    assert y.requires_grad
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
